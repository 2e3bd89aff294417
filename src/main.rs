use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = leadtune::cli::Cli::parse();
    match std::panic::catch_unwind(|| leadtune::cmd::run(cli)) {
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
