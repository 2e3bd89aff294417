//! Glue, one file per subcommand: read args, call the stage functions, write files.

mod diff;
mod export_sql;
mod generate;
mod run;
mod score;

use crate::cli::{Cli, Command};
use crate::error::Result;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run::run(&args, run::Mode::Run),
        Command::Validate(args) => run::run(&args, run::Mode::Validate),
        Command::Traits(args) => run::run(&args, run::Mode::Traits),
        Command::Score(args) => score::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::ExportSql(args) => export_sql::run(&args),
    }
}
