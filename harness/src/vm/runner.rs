//! Run one guest: start QEMU, follow the results channel as it is written, enforce the
//! timeout, and always kill and reap QEMU (a guard does it on every path).

use super::qemu::{self, VmConfig};
use results::GuestEvent;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How a VM ended.
#[derive(Debug, Clone, PartialEq)]
pub enum VmExit {
    /// The guest sent `done` and powered off.
    Completed,
    /// The kernel panicked (the console line is attached).
    Panicked(String),
    /// The VM ran past its timeout and was killed.
    TimedOut(Duration),
    /// The run was interrupted (Ctrl-C).
    Interrupted,
    /// QEMU ended without the guest finishing (QEMU error, triple fault, ...).
    Died { status: String },
}

/// What one VM produced.
#[derive(Debug, Clone)]
pub struct VmOutcome {
    pub exit: VmExit,
    pub events: Vec<GuestEvent>,
    /// Lines on the channel that were not events (should be none).
    pub bad_lines: usize,
    pub boot_seconds: Option<f64>,
    pub vm_seconds: f64,
    /// Console lines with panic/Oops/BUG/WARNING.
    pub kernel_problems: Vec<String>,
    pub qemu_stderr: String,
}

impl VmOutcome {
    /// One sentence for errors: what happened, plus the console tail when useful.
    pub fn describe(&self, console: &Path) -> String {
        let tail = console_tail(console, 15);
        match &self.exit {
            VmExit::Completed => "completed".into(),
            VmExit::Panicked(l) => format!("guest kernel panicked: {l}\nconsole tail ({}):\n{tail}", console.display()),
            VmExit::TimedOut(d) => format!(
                "guest did not finish within {} s and was killed (hang?); raise --timeout if the plan is large\nconsole tail ({}):\n{tail}",
                d.as_secs(),
                console.display()
            ),
            VmExit::Interrupted => "interrupted".into(),
            VmExit::Died { status } => format!(
                "QEMU exited ({status}) before the guest finished; QEMU said: {}\nconsole tail ({}):\n{tail}",
                if self.qemu_stderr.trim().is_empty() { "nothing" } else { self.qemu_stderr.trim() },
                console.display()
            ),
        }
    }
}

/// Kills and reaps QEMU when dropped, whatever path we leave by.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Last `n` lines of the console log, escape sequences stripped.
pub fn console_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lines: Vec<String> = text
        .lines()
        .map(strip_escapes)
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn strip_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\u{1b}' {
            if it.peek() == Some(&'[') {
                it.next();
                for c2 in it.by_ref() {
                    if c2.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else if c != '\r' {
            out.push(c);
        }
    }
    out
}

/// Console lines that mean kernel trouble.
pub fn kernel_problems(console: &str) -> Vec<String> {
    const MARKERS: &[&str] = &[
        "Kernel panic",
        "Oops",
        "BUG:",
        "WARNING:",
        "general protection fault",
        "Call Trace:",
    ];
    console
        .lines()
        .map(strip_escapes)
        .filter(|l| MARKERS.iter().any(|m| l.contains(m)))
        .map(|l| l.trim().to_string())
        .collect()
}

/// Start QEMU and follow the guest until it finishes, dies, times out or is cancelled.
/// `on_event` sees each results event as it arrives.
pub fn run(
    cfg: &VmConfig,
    timeout: Duration,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(&GuestEvent),
) -> std::io::Result<VmOutcome> {
    use std::os::unix::process::CommandExt;
    let start = Instant::now();
    // QEMU's file chardevs create the files; make sure stale ones are gone.
    let _ = std::fs::remove_file(&cfg.results);
    let child = Command::new("qemu-system-x86_64")
        .args(qemu::args(cfg))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Own process group: Ctrl-C reaches the harness, which then stops QEMU itself.
        .process_group(0)
        .spawn()?;
    let mut guard = Guard(child);
    let mut stderr = guard.0.stderr.take().expect("piped");
    let stderr_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut events = Vec::new();
    let mut bad_lines = 0usize;
    let mut boot_seconds = None;
    let mut offset = 0u64;
    let mut pending = String::new();
    let mut done = false;
    let mut read_new =
        |events: &mut Vec<GuestEvent>, boot_seconds: &mut Option<f64>, done: &mut bool| {
            let Ok(mut f) = std::fs::File::open(&cfg.results) else {
                return;
            };
            if f.seek(SeekFrom::Start(offset)).is_err() {
                return;
            }
            let mut buf = Vec::new();
            if let Ok(n) = f.read_to_end(&mut buf) {
                offset += n as u64;
                pending.push_str(&String::from_utf8_lossy(&buf));
                while let Some(i) = pending.find('\n') {
                    let line: String = pending.drain(..=i).collect();
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    match GuestEvent::parse(line) {
                        Some(ev) => {
                            if boot_seconds.is_none() {
                                *boot_seconds = Some(start.elapsed().as_secs_f64());
                            }
                            if ev == GuestEvent::Done {
                                *done = true;
                            }
                            on_event(&ev);
                            events.push(ev);
                        }
                        None => bad_lines += 1,
                    }
                }
            }
        };
    let exit = loop {
        read_new(&mut events, &mut boot_seconds, &mut done);
        match guard.0.try_wait()? {
            Some(status) => {
                read_new(&mut events, &mut boot_seconds, &mut done);
                let console = std::fs::read(&cfg.console_log).unwrap_or_default();
                let console = String::from_utf8_lossy(&console);
                if let Some(p) = console
                    .lines()
                    .map(strip_escapes)
                    .find(|l| l.contains("Kernel panic"))
                {
                    break VmExit::Panicked(p.trim().to_string());
                }
                if done {
                    break VmExit::Completed;
                }
                break VmExit::Died {
                    status: status.to_string(),
                };
            }
            None => {
                if cancel.load(Ordering::SeqCst) {
                    break VmExit::Interrupted;
                }
                if start.elapsed() > timeout {
                    break VmExit::TimedOut(timeout);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    drop(guard);
    let qemu_stderr = stderr_thread.join().unwrap_or_default();
    let console = std::fs::read(&cfg.console_log).unwrap_or_default();
    Ok(VmOutcome {
        exit,
        events,
        bad_lines,
        boot_seconds,
        vm_seconds: start.elapsed().as_secs_f64(),
        kernel_problems: kernel_problems(&String::from_utf8_lossy(&console)),
        qemu_stderr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_kernel_problems_through_escape_codes() {
        let c = "\u{1b}[2J\u{1b}[01;01Hbooting\r\n[    1.0] WARNING: CPU: 0 PID: 1 at mm/gup.c:100\n[ 2.0] ok\n[ 3.0] Kernel panic - not syncing: Attempted to kill init!\n";
        let p = kernel_problems(c);
        assert_eq!(p.len(), 2);
        assert!(p[0].starts_with("[    1.0] WARNING:"));
        assert!(p[1].contains("Kernel panic"));
    }
}
