use std::process::ExitCode;

use clap::Parser;

mod alloc;

fn main() -> ExitCode {
    let on_step = alloc::tune();
    // A usage error exits 2 here, with clap's message.
    let cli = leadtune::cli::Cli::parse();
    let code = leadtune::error::report(std::io::stderr().lock(), || {
        leadtune::cmd::run(cli, on_step)
    });
    ExitCode::from(code)
}
