//! Progress: the pipeline sends [`Event`]s; this module renders them (indicatif bars on a
//! terminal, plain lines otherwise, e.g. in CI logs). Pipeline code never prints.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

#[derive(Debug, Clone)]
pub enum Event {
    /// Something about one kernel (download, module build, ...).
    Stage {
        kernel: String,
        message: String,
    },
    BootStart {
        kernel: String,
        boot: u32,
    },
    Booted {
        kernel: String,
        boot: u32,
        seconds: f64,
    },
    Workload {
        kernel: String,
        index: u32,
        total: u32,
        name: String,
    },
    VmDone {
        kernel: String,
        boot: u32,
        summary: String,
        ok: bool,
    },
    Warning(String),
    Info(String),
}

pub struct Ui {
    bars: Option<(MultiProgress, Mutex<HashMap<String, ProgressBar>>)>,
}

impl Ui {
    pub fn new() -> Ui {
        let tty = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Ui {
            bars: tty.then(|| (MultiProgress::new(), Mutex::new(HashMap::new()))),
        }
    }

    fn bar(&self, kernel: &str) -> Option<ProgressBar> {
        let (mp, bars) = self.bars.as_ref()?;
        let mut bars = bars.lock().unwrap();
        Some(
            bars.entry(kernel.to_string())
                .or_insert_with(|| {
                    let b = mp.add(ProgressBar::new_spinner());
                    b.set_style(
                        ProgressStyle::with_template("{spinner} {prefix:28} {elapsed:>4} {msg}")
                            .unwrap(),
                    );
                    b.set_prefix(kernel.to_string());
                    b.enable_steady_tick(std::time::Duration::from_millis(200));
                    b
                })
                .clone(),
        )
    }

    pub fn send(&self, ev: Event) {
        let (kernel, line) = match &ev {
            Event::Stage { kernel, message } => (Some(kernel), message.clone()),
            Event::BootStart { kernel, boot } => (Some(kernel), format!("booting (boot {boot})")),
            Event::Booted {
                kernel,
                boot,
                seconds,
            } => (
                Some(kernel),
                format!("boot {boot}: guest up after {seconds:.1} s"),
            ),
            Event::Workload {
                kernel,
                index,
                total,
                name,
            } => (Some(kernel), format!("workload {index}/{total}: {name}")),
            Event::VmDone {
                kernel,
                boot,
                summary,
                ok,
            } => (
                Some(kernel),
                format!(
                    "boot {boot} {}: {summary}",
                    if *ok { "done" } else { "FAILED" }
                ),
            ),
            Event::Warning(w) => (None, format!("warning: {w}")),
            Event::Info(i) => (None, i.clone()),
        };
        let bar = kernel.and_then(|k| self.bar(k));
        match (kernel, bar) {
            (Some(_), Some(bar)) => {
                bar.set_message(line.clone());
                if matches!(ev, Event::VmDone { .. }) {
                    bar.println(format!("{}: {line}", kernel.unwrap()));
                }
            }
            (Some(k), None) => eprintln!("[{k}] {line}"),
            (None, _) => match &self.bars {
                Some((mp, _)) => {
                    let _ = mp.println(line);
                }
                None => eprintln!("{line}"),
            },
        }
    }

    pub fn finish(&self) {
        if let Some((_, bars)) = &self.bars {
            for b in bars.lock().unwrap().values() {
                b.finish();
            }
        }
    }
}

impl Default for Ui {
    fn default() -> Self {
        Ui::new()
    }
}
