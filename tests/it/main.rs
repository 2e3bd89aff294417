//! The integration tests, one binary (STYLE.md examples 8 and 9): the real binary run in temp
//! dirs, one module per subject, the helpers they share in `common`; insta snapshots in
//! `snapshots/`.

mod cli;
mod common;
mod config_checks;
mod encodings;
mod engagement;
mod export_sql;
mod golden;
mod identity;
mod output_dir;
mod privacy;
mod queues;
mod refit;
mod report_html;
mod selection;
