//! One module per subcommand; `dispatch` maps the parsed CLI to them.

pub mod bisect;
pub mod compare;
pub mod doctor;
pub mod history;
pub mod kernels;
pub mod nightly;
pub mod report;
pub mod run;

use crate::cli::{Cli, Command};
use crate::{exit, UsageError};

pub fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Run(a) => run::main(a),
        Command::Kernels(k) => kernels::main(k),
        Command::Compare(a) => compare::main(a),
        Command::Bisect(a) => bisect::main(a),
        Command::Check(a) => bisect::check(a),
        Command::Nightly(a) => nightly::main(a),
        Command::History(a) => history::main(a),
        Command::Doctor { json } => doctor::main(json),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "pinbench", &mut std::io::stdout());
            Ok(exit::OK)
        }
        Command::Man { out_dir } => {
            std::fs::create_dir_all(&out_dir)?;
            clap_mangen::generate_to(<Cli as clap::CommandFactory>::command(), &out_dir)?;
            eprintln!("man pages written to {}", out_dir.display());
            Ok(exit::OK)
        }
        Command::Report(a) => report::main(a),
    }
}

/// Exit code for an error: usage/config errors 2, everything else (infrastructure) 3.
pub fn exit_code_of(e: &anyhow::Error) -> i32 {
    for cause in e.chain() {
        if cause.downcast_ref::<UsageError>().is_some() {
            return exit::USAGE;
        }
        if let Some(k) = cause.downcast_ref::<crate::kernel::KernelError>() {
            use crate::kernel::KernelError::*;
            if matches!(
                k,
                BadSpec { .. } | UnknownRelease { .. } | LocalTreeIncomplete { .. }
            ) {
                return exit::USAGE;
            }
        }
        if cause
            .downcast_ref::<crate::kernel::spec::SpecError>()
            .is_some()
        {
            return exit::USAGE;
        }
        if let Some(
            crate::kernel::build::BuildError::PatchFailed { .. }
            | crate::kernel::build::BuildError::OptionsDidNotStick { .. },
        ) = cause.downcast_ref::<crate::kernel::build::BuildError>()
        {
            return exit::USAGE;
        }
        if let Some(results::store::StoreError::Exists { .. }) =
            cause.downcast_ref::<results::store::StoreError>()
        {
            return exit::USAGE;
        }
    }
    exit::INFRA
}
