//! The integration tests, one binary (STYLE.md examples 8 and 9): the real binary run in temp
//! dirs, one module per subject; insta snapshots in `snapshots/`.

mod cli;
mod export_sql;
mod golden;
mod queues;
mod report_html;
