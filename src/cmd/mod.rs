//! Glue, one file per subcommand: read args, call the stage functions, write files.

mod diff;
mod export_sql;
mod generate;
mod run;
mod score;
mod summary;

use crate::cli::{Cli, Command};
use crate::error::Result;
use crate::observe::Console;
use crate::pipeline::Stages;

/// Runs the command. `on_step`: what the binary runs at every step boundary (its allocator's
/// hand-back of freed memory), through the console's observer.
pub fn run(cli: Cli, on_step: Option<fn()>) -> Result<()> {
    let console = Console::new(on_step);
    match cli.command {
        Command::Run(args) => run::run(&args, Stages::Run, &console),
        Command::Validate(args) => run::run(&args, Stages::Validate, &console),
        Command::Traits(args) => run::run(&args, Stages::Traits, &console),
        Command::Score(args) => score::run(&args, &console),
        Command::Diff(args) => diff::run(&args, &console),
        Command::Generate(args) => generate::run(&args, &console),
        Command::ExportSql(args) => export_sql::run(&args),
    }
}
