//! `leadtune export-sql`: the scoring config as SQL for the warehouse.

use std::io::Write;

use crate::cli::ExportSqlArgs;
use crate::error::{Error, Result};
use crate::output;
use crate::scoring::export;
use crate::scoring::sql::{self, SqlOptions};

pub fn run(args: &ExportSqlArgs) -> Result<()> {
    if let Some(out) = &args.out {
        output::refuse_input_as_output(out, &[&args.model])?;
    }
    let export::Loaded { config, edited } = export::read(&args.model, args.allow_edited)?;
    let mut text = sql::export(
        &config,
        &SqlOptions {
            dialect: args.dialect,
            leads_table: args.table.clone(),
            activities_table: args.activities_table.clone(),
            deals_table: args.deals_table.clone(),
            view: (!args.select).then(|| args.view.clone()),
        },
    )
    .map_err(|message| Error::Config {
        path: args.model.clone(),
        message,
    })?;
    if edited {
        text.insert_str(
            0,
            "-- EDITED: this scoring config was changed after leadtune wrote it (its \
             content_sha256 does not match); exported with --allow-edited.\n",
        );
    }
    match &args.out {
        Some(path) => output::write_atomic(path, |w| w.write_all(text.as_bytes())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| Error::io("standard output", e)),
    }
}
