//! Helpers for the unit tests of several modules.

use std::path::Path;
use std::process::Command;

/// Run `git ARGS` in `dir` with a test identity; panics (with git's output) on failure and
/// returns git's trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {o:?}");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}
