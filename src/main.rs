use std::process::ExitCode;

use clap::Parser;

/// mimalloc keeps freed pages for reuse: the system allocator hands large blocks back to the
/// kernel and zeroes fresh ones on every allocation, which cost a fifth of a 10M-lead run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
