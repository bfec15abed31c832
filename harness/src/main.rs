//! `pinbench`: parse the command line, run the command, map errors to exit codes.

use clap::Parser;

fn main() {
    let cli = harness::cli::Cli::parse();
    let code = match harness::cmd::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            harness::cmd::exit_code_of(&e)
        }
    };
    std::process::exit(code);
}
