//! `pinbench doctor`: is this host ready to run pinbench, and if not, what exactly to do.
//!
//! Each check gathers one fact about the host (a program on `PATH`, a header, a cached KVM
//! probe verdict, free space, a TCP connection to the apt mirror) and turns it into a
//! [`Check`] with a status and, when it is not fine, the command or setting that fixes it.
//! The judging functions are pure and unit-tested; only [`gather`] touches the host.
//!
//! `pinbench run` calls [`preflight`] first: the subset of checks without network access
//! whose failure would otherwise surface minutes later, deep inside a run.

use crate::kernel::cache;
use crate::vm::accel::ProbeVerdict;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works, but slower or with less than it could (e.g. TCG instead of KVM).
    Warn,
    /// pinbench cannot do its job until this is fixed.
    Fail,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    /// What to do about it (None when there is nothing to do).
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }
    fn bad(
        name: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name,
            status,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Free space below which the cache check fails: two Debian kernels with headers and a
/// source build need about this much.
pub const MIN_FREE_BYTES: u64 = 3 << 30;

/// A tool pinbench runs, the Debian package that provides it, and what it is for.
pub struct Tool {
    pub program: &'static str,
    pub package: &'static str,
    pub purpose: &'static str,
    /// `pinbench run` cannot start without it (the rest serve kernel builds from source).
    pub run: bool,
}

/// Programs needed on `PATH`.
pub const TOOLS: &[Tool] = &[
    Tool {
        program: "qemu-system-x86_64",
        package: "qemu-system-x86",
        purpose: "runs the guest kernels",
        run: true,
    },
    Tool {
        program: "apt-get",
        package: "apt",
        purpose: "downloads Debian kernel packages",
        run: true,
    },
    Tool {
        program: "dpkg-deb",
        package: "dpkg",
        purpose: "extracts kernel packages without installing them",
        run: true,
    },
    Tool {
        program: "gcc-12",
        package: "gcc-12",
        purpose: "builds the module (Debian's kernels were built with gcc-12)",
        run: true,
    },
    Tool {
        program: "make",
        package: "make",
        purpose: "kernel and module builds",
        run: true,
    },
    Tool {
        program: "flex",
        package: "flex",
        purpose: "kernel builds from source",
        run: false,
    },
    Tool {
        program: "bison",
        package: "bison",
        purpose: "kernel builds from source",
        run: false,
    },
    Tool {
        program: "bc",
        package: "bc",
        purpose: "kernel builds from source",
        run: false,
    },
    Tool {
        program: "patch",
        package: "patch",
        purpose: "applies kernel spec patches",
        run: false,
    },
    Tool {
        program: "rsync",
        package: "rsync",
        purpose: "headers_install for the kernel's gup_test",
        run: false,
    },
    Tool {
        program: "cargo",
        package: "rustup (https://rustup.rs)",
        purpose: "builds the static guest binaries",
        run: true,
    },
];

/// Headers and libraries: path, the package that provides it, what it is for, needed by `run`.
pub const FILES: &[(&str, &str, &str, bool)] = &[
    (
        "/usr/include/gelf.h",
        "libelf-dev",
        "kernel builds from source (objtool)",
        false,
    ),
    (
        "/usr/include/openssl/opensslv.h",
        "libssl-dev",
        "kernel builds from source (signing tools)",
        false,
    ),
    (
        "/usr/lib/x86_64-linux-gnu/libc.a",
        "libc6-dev",
        "static glibc for the guest binaries",
        true,
    ),
];

/// Judge the tools found (`found[i]` is where `TOOLS[i]` is, if anywhere). One check lists
/// every missing package in a single `apt-get install` line.
/// With `run_only`, only what `pinbench run` needs counts.
pub fn judge_tools(found: &[Option<PathBuf>], files_present: &[bool], run_only: bool) -> Check {
    let mut missing: Vec<(&str, &str)> = Vec::new();
    for (t, f) in TOOLS.iter().zip(found) {
        if f.is_none() && (t.run || !run_only) {
            missing.push((t.package, t.purpose));
        }
    }
    for ((_, pkg, purpose, run), present) in FILES.iter().zip(files_present) {
        if !present && (*run || !run_only) {
            missing.push((pkg, purpose));
        }
    }
    if missing.is_empty() {
        return Check::ok("tools", "qemu, apt, dpkg-deb, gcc-12, make, flex, bison, bc, patch, rsync, cargo, libelf, libssl, static glibc");
    }
    let detail = missing
        .iter()
        .map(|(p, why)| format!("{p} ({why})"))
        .collect::<Vec<_>>()
        .join("; ");
    let apt: Vec<&str> = missing
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !p.contains(' '))
        .collect();
    let mut fix = String::new();
    if !apt.is_empty() {
        fix = format!(
            "as root: apt-get install {} (or run scripts/setup-host.sh)",
            apt.join(" ")
        );
    }
    if missing.iter().any(|(p, _)| p.contains(' ')) {
        if !fix.is_empty() {
            fix.push_str("; ");
        }
        fix.push_str("install Rust with rustup (https://rustup.rs)");
    }
    Check::bad("tools", Status::Fail, format!("missing: {detail}"), fix)
}

/// Judge KVM: the device, and the cached verdict of a real probe boot.
pub fn judge_kvm(dev_exists: bool, verdict: Option<&ProbeVerdict>) -> Check {
    match (dev_exists, verdict) {
        (false, _) => Check::bad(
            "kvm",
            Status::Warn,
            "/dev/kvm does not exist: VMs run under TCG (software emulation, several times slower)",
            "load kvm_intel or kvm_amd (modprobe) if the host allows; otherwise nothing: TCG works",
        ),
        (true, None) => Check::bad(
            "kvm",
            Status::Warn,
            "/dev/kvm exists but has not been tried yet: the first `pinbench run --accel auto` boots a guest under KVM to find out",
            "nothing to do; `pinbench run` probes once and caches the verdict",
        ),
        (true, Some(v)) if v.kvm_works => Check::ok("kvm", "a real test boot under KVM worked: runs use KVM"),
        (true, Some(v)) => Check::bad(
            "kvm",
            Status::Warn,
            format!(
                "/dev/kvm exists but a test boot under KVM failed, so runs use TCG: {}",
                v.detail.lines().next().unwrap_or("")
            ),
            format!(
                "nothing required (TCG works); to probe again delete {}",
                cache::root().join("kvm-probe.json").display()
            ),
        ),
    }
}

/// Judge whether apt can tell which kernels exist.
pub fn judge_apt_lists(kernel_packages_known: bool) -> Check {
    if kernel_packages_known {
        Check::ok(
            "apt lists",
            "the package lists know Debian's linux-image packages",
        )
    } else {
        Check::bad(
            "apt lists",
            Status::Fail,
            "apt's package lists are empty or have no linux-image packages, so debian:<line> specs cannot resolve",
            "as root: apt-get update",
        )
    }
}

/// Judge whether the mirror answers (None: no mirror configured).
pub fn judge_mirror(host: Option<&str>, reached: Result<(), String>) -> Check {
    match (host, reached) {
        (None, _) => Check::bad(
            "apt mirror",
            Status::Fail,
            "no apt source is configured",
            "add a Debian bookworm source to /etc/apt/sources.list.d/ and run apt-get update",
        ),
        (Some(h), Ok(())) => Check::ok("apt mirror", format!("{h} answers")),
        (Some(h), Err(e)) => Check::bad(
            "apt mirror",
            Status::Fail,
            format!("cannot reach {h}: {e}; kernels already in the cache still work, new ones cannot be fetched"),
            format!("check the network or proxy (Acquire::http::Proxy) for {h}, or fetch kernels on another machine and copy {} here", cache::root().display()),
        ),
    }
}

/// Judge the cache directory: writable, and enough free space.
pub fn judge_cache(dir: &Path, writable: Result<(), String>, free_bytes: Option<u64>) -> Check {
    if let Err(e) = writable {
        return Check::bad(
            "cache",
            Status::Fail,
            format!("{} is not writable: {e}", dir.display()),
            "set PINBENCH_CACHE to a writable directory with a few GiB free",
        );
    }
    match free_bytes {
        Some(b) if b < MIN_FREE_BYTES => Check::bad(
            "cache",
            Status::Fail,
            format!(
                "{}: only {:.1} GiB free, {} GiB needed for kernels and builds",
                dir.display(),
                b as f64 / (1u64 << 30) as f64,
                MIN_FREE_BYTES >> 30
            ),
            format!(
                "free space there, delete old entries under {}, or set PINBENCH_CACHE to a bigger disk",
                dir.display()
            ),
        ),
        Some(b) => Check::ok(
            "cache",
            format!("{} ({:.1} GiB free)", dir.display(), b as f64 / (1u64 << 30) as f64),
        ),
        None => Check::ok("cache", format!("{} (free space unknown)", dir.display())),
    }
}

/// Where a program is on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt;
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// The host of the first apt source (one-line `deb http://...` or deb822 `URIs:`).
pub fn apt_mirror_host(sources: &str) -> Option<String> {
    sources.lines().find_map(|l| {
        let l = l.trim();
        if l.starts_with('#') {
            return None;
        }
        let uri = if let Some(r) = l.strip_prefix("URIs:") {
            r.split_whitespace().next()
        } else if l.starts_with("deb ") {
            l.split_whitespace()
                .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        } else {
            None
        }?;
        let rest = uri.split_once("://")?.1;
        Some(rest.split('/').next()?.to_string())
    })
}

fn apt_sources() -> String {
    let mut s = std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default();
    if let Ok(rd) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut files: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        for f in files {
            s.push('\n');
            s.push_str(&std::fs::read_to_string(f).unwrap_or_default());
        }
    }
    s
}

fn reach(host: &str) -> Result<(), String> {
    let addrs: Vec<_> = (host, 80)
        .to_socket_addrs()
        .map_err(|e| format!("name lookup failed ({e})"))?
        .collect();
    let mut last = String::from("no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, Duration::from_secs(5)) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

fn cache_facts(dir: &Path) -> (Result<(), String>, Option<u64>) {
    let writable = std::fs::create_dir_all(dir)
        .map_err(|e| e.to_string())
        .and_then(|_| {
            tempfile::Builder::new()
                .prefix(".doctor-")
                .tempfile_in(dir)
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    let free = nix::sys::statvfs::statvfs(dir)
        .ok()
        .map(|s| s.blocks_available() * s.fragment_size());
    (writable, free)
}

fn kernel_lists_known() -> bool {
    std::process::Command::new("apt-cache")
        .args(["pkgnames", "linux-image-6"])
        .output()
        .map(|o| o.status.success() && !o.stdout.is_empty())
        .unwrap_or(false)
}

fn tool_facts() -> (Vec<Option<PathBuf>>, Vec<bool>) {
    (
        TOOLS.iter().map(|t| which(t.program)).collect(),
        FILES.iter().map(|(f, ..)| Path::new(f).exists()).collect(),
    )
}

/// Every check, including network access to the apt mirror.
pub fn gather() -> Vec<Check> {
    let (found, files) = tool_facts();
    let cache_dir = cache::root();
    let (writable, free) = cache_facts(&cache_dir);
    let verdict = crate::vm::accel::cached_verdict(&cache_dir);
    let host = apt_mirror_host(&apt_sources());
    let reached = match &host {
        Some(h) => reach(h),
        None => Err("no source".into()),
    };
    vec![
        judge_tools(&found, &files, false),
        judge_kvm(Path::new("/dev/kvm").exists(), verdict.as_ref()),
        judge_apt_lists(kernel_lists_known()),
        judge_mirror(host.as_deref(), reached),
        judge_cache(&cache_dir, writable, free),
    ]
}

/// The checks `pinbench run` makes before it starts (no network): tools and the cache.
/// Returns the failures, each with its fix.
pub fn preflight() -> Vec<Check> {
    let (mut found, files) = tool_facts();
    if std::env::var_os("PINBENCH_GUEST_DIR").is_some() {
        // Prebuilt guest binaries: no cargo needed.
        if let Some(i) = TOOLS.iter().position(|t| t.program == "cargo") {
            found[i].get_or_insert_with(|| "PINBENCH_GUEST_DIR".into());
        }
    }
    let cache_dir = cache::root();
    let (writable, free) = cache_facts(&cache_dir);
    [
        judge_tools(&found, &files, true),
        judge_cache(&cache_dir, writable, free),
    ]
    .into_iter()
    .filter(|c| c.status == Status::Fail)
    .collect()
}

/// Render checks as a fixed-width table with the fixes underneath.
pub fn render(checks: &[Check]) -> String {
    let mut s = String::new();
    for c in checks {
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        s.push_str(&format!("{mark}  {:<11} {}\n", c.name, c.detail));
        if let Some(f) = &c.fix {
            if c.status != Status::Ok {
                s.push_str(&format!("      {:<11} fix: {f}\n", ""));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tools_become_one_install_line() {
        let mut found: Vec<Option<PathBuf>> =
            TOOLS.iter().map(|_| Some("/usr/bin/x".into())).collect();
        let files = vec![true; FILES.len()];
        assert_eq!(judge_tools(&found, &files, false).status, Status::Ok);
        found[0] = None; // qemu
        found[5] = None; // flex
        let c = judge_tools(&found, &files, false);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail
                .contains("qemu-system-x86 (runs the guest kernels)"),
            "{}",
            c.detail
        );
        assert_eq!(
            c.fix.as_deref(),
            Some("as root: apt-get install qemu-system-x86 flex (or run scripts/setup-host.sh)")
        );
        let mut files = files;
        files[2] = false;
        found[10] = None; // cargo
        let c = judge_tools(&found, &files, false);
        let fix = c.fix.unwrap();
        assert!(fix.contains("libc6-dev") && fix.contains("rustup"), "{fix}");
        // `run` does not need flex (kernel builds only), but it needs qemu.
        let mut found: Vec<Option<PathBuf>> = TOOLS.iter().map(|_| Some("/x".into())).collect();
        found[5] = None;
        assert_eq!(
            judge_tools(&found, &vec![true; FILES.len()], true).status,
            Status::Ok
        );
        found[0] = None;
        assert_eq!(
            judge_tools(&found, &vec![true; FILES.len()], true)
                .fix
                .as_deref(),
            Some("as root: apt-get install qemu-system-x86 (or run scripts/setup-host.sh)")
        );
    }

    #[test]
    fn kvm_verdicts() {
        assert_eq!(judge_kvm(false, None).status, Status::Warn);
        assert_eq!(judge_kvm(true, None).status, Status::Warn);
        let mut v = ProbeVerdict {
            host_kernel: "6.1".into(),
            qemu_version: "7.2".into(),
            kvm_works: true,
            detail: String::new(),
        };
        assert_eq!(judge_kvm(true, Some(&v)).status, Status::Ok);
        v.kvm_works = false;
        v.detail = "failed to set MSR 0x10a\nmore".into();
        let c = judge_kvm(true, Some(&v));
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.detail.ends_with("failed to set MSR 0x10a"),
            "{}",
            c.detail
        );
    }

    #[test]
    fn cache_space_and_writability() {
        let d = Path::new("/c");
        assert_eq!(judge_cache(d, Ok(()), Some(10 << 30)).status, Status::Ok);
        let c = judge_cache(d, Ok(()), Some(1 << 30));
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("1.0 GiB free"), "{}", c.detail);
        let c = judge_cache(d, Err("Permission denied".into()), Some(10 << 30));
        assert_eq!(c.status, Status::Fail);
        assert!(c.fix.unwrap().contains("PINBENCH_CACHE"));
    }

    #[test]
    fn mirror_host_from_both_source_formats() {
        let deb822 = "Types: deb\n# http://snapshot.example/x\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n";
        assert_eq!(apt_mirror_host(deb822).as_deref(), Some("deb.debian.org"));
        let one =
            "# deb http://old/\ndeb [arch=amd64] https://mirror.example.org/debian bookworm main\n";
        assert_eq!(apt_mirror_host(one).as_deref(), Some("mirror.example.org"));
        assert_eq!(apt_mirror_host("").as_deref(), None);
        let c = judge_mirror(Some("m"), Err("timed out".into()));
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("cache still work"));
        assert_eq!(judge_mirror(None, Ok(())).status, Status::Fail);
    }

    #[test]
    fn render_shows_fixes_only_for_problems() {
        let out = render(&[
            Check::ok("tools", "all there"),
            Check::bad("cache", Status::Fail, "full", "free space"),
        ]);
        assert!(out.contains("ok    tools"));
        assert!(out.contains("FAIL  cache       full\n"));
        assert!(out.contains("fix: free space"));
        assert_eq!(out.matches("fix:").count(), 1);
    }
}
