//! The on-disk store: atomic writes, run directories that are never overwritten, and
//! loading that names corrupt files instead of crashing.

use crate::{GuestEvent, Record, RunMeta, SCHEMA_VERSION};
use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} already exists; pinbench never overwrites a run: choose another --out or remove it yourself")]
    Exists { path: PathBuf },
    #[error(
        "{path} is corrupt ({detail}); it was skipped — re-run that kernel or restore the file"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path} has schema version {found}, this pinbench reads version {SCHEMA_VERSION}; use a pinbench release that matches it")]
    UnknownSchema { path: PathBuf, found: u32 },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Write `data` to `path` atomically: a temporary file in the same directory, fsync, rename.
/// Readers see the old content or the new, never a torn file.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let res = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res.map_err(io_err(path))
}

/// Write `value` as pretty JSON, atomically.
pub fn write_json_atomic<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let mut data = serde_json::to_vec_pretty(value).expect("serializable");
    data.push(b'\n');
    write_atomic(path, &data)
}

/// Create a new run directory; fails if it exists (runs are never overwritten).
pub fn create_run_dir(path: &Path) -> Result<(), StoreError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    match fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(StoreError::Exists {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// Read `run.json` of a run directory, checking its schema version.
pub fn load_run(dir: &Path) -> Result<RunMeta, StoreError> {
    let path = dir.join("run.json");
    let text = fs::read_to_string(&path).map_err(io_err(&path))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    let found = v
        .get("schema_version")
        .and_then(|s| s.as_u64())
        .ok_or_else(|| StoreError::Corrupt {
            path: path.clone(),
            detail: "no schema_version".into(),
        })? as u32;
    if found != SCHEMA_VERSION {
        return Err(StoreError::UnknownSchema { path, found });
    }
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt {
        path,
        detail: e.to_string(),
    })
}

/// What a results.jsonl holds once parsed.
#[derive(Debug, Default)]
pub struct LoadedResults {
    pub events: Vec<GuestEvent>,
    /// Lines that did not parse (1-based line numbers); reported, never fatal.
    pub bad_lines: Vec<usize>,
}

impl LoadedResults {
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.events.iter().filter_map(|e| match e {
            GuestEvent::Record(r) => Some(r),
            _ => None,
        })
    }
}

/// Read a results.jsonl. A torn last line (interrupted run) or garbage lines are counted in
/// `bad_lines`; only an unreadable file is an error.
pub fn load_results(path: &Path) -> Result<LoadedResults, StoreError> {
    let f = fs::File::open(path).map_err(io_err(path))?;
    let mut out = LoadedResults::default();
    for (i, line) in io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(io_err(path))?;
        if line.trim().is_empty() {
            continue;
        }
        match GuestEvent::parse(&line) {
            Some(ev) => out.events.push(ev),
            None => out.bad_lines.push(i + 1),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("run.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn run_dirs_are_never_reused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("run-1");
        create_run_dir(&p).unwrap();
        assert!(matches!(create_run_dir(&p), Err(StoreError::Exists { .. })));
    }

    #[test]
    fn corrupt_and_unknown_schema_are_named() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("run.json"), "{not json").unwrap();
        let e = load_run(d.path()).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("run.json"));
        fs::write(d.path().join("run.json"), "{\"schema_version\": 99}").unwrap();
        let e = load_run(d.path()).unwrap_err();
        assert!(
            matches!(e, StoreError::UnknownSchema { found: 99, .. }),
            "{e}"
        );
    }

    #[test]
    fn torn_lines_are_counted_not_fatal() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("results.jsonl");
        fs::write(&p, "{\"type\":\"done\"}\n{\"type\":\"rec").unwrap();
        let r = load_results(&p).unwrap();
        assert_eq!(r.events, vec![GuestEvent::Done]);
        assert_eq!(r.bad_lines, vec![2]);
    }
}
