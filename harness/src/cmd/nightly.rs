//! `pinbench nightly`: one night of the configured matrix; exit 0 nothing new, 1 a new
//! regression or behaviour change, 3 an infrastructure failure (partial results kept).

use crate::cli::NightlyArgs;
use crate::nightly::config::{Config, DEFAULT_TOML};
use crate::nightly::{history_dir, night, NightlyOptions};
use crate::ui::Ui;
use crate::UsageError;

pub fn main(a: NightlyArgs) -> anyhow::Result<i32> {
    if a.print_default_config {
        print!("{DEFAULT_TOML}");
        return Ok(crate::exit::OK);
    }
    let config = Config::load(a.config.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    let date = match a.date {
        Some(d) if results::history::is_date(&d) => d,
        Some(d) => {
            return Err(UsageError(format!("--date `{d}`: use YYYY-MM-DD, e.g. 2026-11-25")).into())
        }
        None => chrono::Utc::now().format("%Y-%m-%d").to_string(),
    };
    let problems = crate::doctor::preflight();
    if !problems.is_empty() {
        anyhow::bail!(
            "this host is not ready for `pinbench nightly` (`pinbench doctor` checks everything):\n{}",
            crate::doctor::render(&problems).trim_end()
        );
    }
    let opts = NightlyOptions {
        history: history_dir(a.history.as_deref(), &config),
        config,
        date,
        jobs: a.jobs,
        command_line: std::env::args().collect(),
    };
    let ui = Ui::new();
    let cancel = crate::cmd::run::install_interrupt_flag();
    let (summary, dir) = night(&opts, &ui, &cancel)?;
    ui.finish();
    print!("{}", summary.render_text());
    println!("night: {} (summary.txt, summary.json)", dir.display());
    Ok(summary.exit_code())
}
