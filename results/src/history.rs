//! The nightly history: one run directory per night under `nights/`, and `index.jsonl`, one
//! line per night (date, run directory, the identity of each kernel), in night order.
//!
//! The index is rewritten atomically (the old lines plus the new one, to a temporary file,
//! fsync, rename): a crash leaves the old index or the new, never a torn line. A line that
//! does not parse, or has an unknown schema version, is reported by number and skipped; the
//! other nights stay readable.

use crate::store::{write_atomic, StoreError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Version of one index line.
pub const HISTORY_SCHEMA_VERSION: u32 = 1;

/// What identifies a kernel across nights: a change here means "a different kernel",
/// which is what a trend should show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelIdentity {
    /// Name in the nightly config (stable across nights, e.g. `debian:6.12`).
    pub name: String,
    /// The kernel's name inside the night's run directory (for `RUN:KERNEL`).
    pub run_kernel: String,
    /// Spec as resolved that night (e.g. `debian:6.12.117+deb12-amd64`).
    pub spec: String,
    pub release: String,
    /// sha256 of the kernel's .config, when known.
    pub config_digest: Option<String>,
    /// "ok", "failed: why", "interrupted", ...
    pub status: String,
}

/// One night of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Night {
    pub schema_version: u32,
    /// The night's date, `YYYY-MM-DD` (a simulated date in tests).
    pub date: String,
    /// Run directory, relative to the history directory.
    pub run: String,
    pub kernels: Vec<KernelIdentity>,
    /// The run finished (not interrupted).
    pub complete: bool,
}

/// A history directory.
#[derive(Debug, Clone)]
pub struct History {
    pub dir: PathBuf,
}

/// The index as read: the nights, and a warning per line that could not be used.
#[derive(Debug, Default)]
pub struct Index {
    pub nights: Vec<Night>,
    pub warnings: Vec<String>,
}

impl History {
    pub fn new(dir: impl Into<PathBuf>) -> History {
        History { dir: dir.into() }
    }

    pub fn index_path(&self) -> PathBuf {
        self.dir.join("index.jsonl")
    }

    /// Every night in the index, oldest first; unusable lines become warnings.
    pub fn read(&self) -> Result<Index, StoreError> {
        let path = self.index_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Index::default()),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let mut idx = Index::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Night>(line) {
                Ok(n) if n.schema_version == HISTORY_SCHEMA_VERSION => idx.nights.push(n),
                Ok(n) => idx.warnings.push(format!(
                    "{} line {}: schema version {} is not {HISTORY_SCHEMA_VERSION}; that night is skipped (use a pinbench release that reads it)",
                    path.display(),
                    i + 1,
                    n.schema_version
                )),
                Err(e) => idx.warnings.push(format!(
                    "{} line {}: not a night ({e}); skipped — the other nights are intact",
                    path.display(),
                    i + 1
                )),
            }
        }
        Ok(idx)
    }

    /// A new, unused run directory name for a night dated `date`: `nights/<date>`, or
    /// `nights/<date>.2`, `.3`, ... when that night already ran. Relative to the history.
    pub fn new_run_name(&self, date: &str) -> String {
        let mut name = format!("nights/{date}");
        let mut n = 2;
        while self.dir.join(&name).exists() {
            name = format!("nights/{date}.{n}");
            n += 1;
        }
        name
    }

    /// Append one night to the index, atomically. Lines already there are kept byte for
    /// byte, including ones this version cannot read.
    pub fn append(&self, night: &Night) -> Result<(), StoreError> {
        let path = self.index_path();
        std::fs::create_dir_all(&self.dir).map_err(|source| StoreError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let mut data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        if !data.is_empty() && !data.ends_with(b"\n") {
            data.push(b'\n');
        }
        data.extend(serde_json::to_vec(night).expect("serializable"));
        data.push(b'\n');
        write_atomic(&path, &data)
    }

    /// The run directory of a night.
    pub fn run_dir(&self, night: &Night) -> PathBuf {
        self.dir.join(&night.run)
    }
}

/// Is `date` a `YYYY-MM-DD` date?
pub fn is_date(date: &str) -> bool {
    let b = date.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn night(date: &str) -> Night {
        Night {
            schema_version: HISTORY_SCHEMA_VERSION,
            date: date.into(),
            run: format!("nights/{date}"),
            kernels: vec![KernelIdentity {
                name: "debian:6.12".into(),
                run_kernel: "debian:6.12".into(),
                spec: "debian:6.12.117+deb12-amd64".into(),
                release: "6.12.117+deb12-amd64".into(),
                config_digest: Some("ab".into()),
                status: "ok".into(),
            }],
            complete: true,
        }
    }

    #[test]
    fn append_keeps_order_and_old_lines() {
        let d = tempfile::tempdir().unwrap();
        let h = History::new(d.path().join("h"));
        assert!(h.read().unwrap().nights.is_empty());
        h.append(&night("2026-01-01")).unwrap();
        h.append(&night("2026-01-02")).unwrap();
        let idx = h.read().unwrap();
        assert_eq!(
            idx.nights
                .iter()
                .map(|n| n.date.as_str())
                .collect::<Vec<_>>(),
            ["2026-01-01", "2026-01-02"]
        );
        assert!(idx.warnings.is_empty());
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(&h.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["index.jsonl"]);
    }

    #[test]
    fn corrupt_and_future_lines_are_named_and_kept() {
        let d = tempfile::tempdir().unwrap();
        let h = History::new(d.path());
        h.append(&night("2026-01-01")).unwrap();
        let mut text = std::fs::read_to_string(h.index_path()).unwrap();
        text.push_str("{\"torn\n");
        let mut future = serde_json::to_value(night("2026-01-02")).unwrap();
        future["schema_version"] = 99.into();
        text.push_str(&format!("{future}"));
        std::fs::write(h.index_path(), &text).unwrap();
        h.append(&night("2026-01-03")).unwrap();
        let idx = h.read().unwrap();
        assert_eq!(idx.nights.len(), 2);
        assert_eq!(idx.warnings.len(), 2, "{:?}", idx.warnings);
        assert!(idx.warnings[0].contains("line 2"), "{:?}", idx.warnings);
        assert!(
            idx.warnings[1].contains("schema version 99"),
            "{:?}",
            idx.warnings
        );
        // The unreadable lines are still there, byte for byte.
        let after = std::fs::read_to_string(h.index_path()).unwrap();
        assert!(after.starts_with(&text));
    }

    #[test]
    fn run_names_never_repeat() {
        let d = tempfile::tempdir().unwrap();
        let h = History::new(d.path());
        let a = h.new_run_name("2026-01-01");
        std::fs::create_dir_all(d.path().join(&a)).unwrap();
        let b = h.new_run_name("2026-01-01");
        assert_eq!(
            (a.as_str(), b.as_str()),
            ("nights/2026-01-01", "nights/2026-01-01.2")
        );
        assert!(is_date("2026-01-01") && !is_date("2026-1-01") && !is_date("yesterday!"));
    }
}
