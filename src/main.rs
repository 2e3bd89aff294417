use std::process::ExitCode;

use clap::Parser;

mod alloc;

fn main() -> ExitCode {
    let on_step = alloc::tune();
    let cli = leadtune::cli::Cli::parse();
    match std::panic::catch_unwind(|| leadtune::cmd::run(cli, on_step)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(e.exit_code())
        }
        Err(_) => {
            eprintln!("error: leadtune crashed (a bug: please report it with the message above)");
            ExitCode::from(2)
        }
    }
}
