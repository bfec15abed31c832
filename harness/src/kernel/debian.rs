//! Debian kernels: resolve `debian:<line>` / `debian:<release>` against the apt sources,
//! fetch the image and headers with `apt-get download`, and extract them with `dpkg-deb -x`
//! into the cache. Nothing is installed into the system.
//!
//! Cache layout: `debian/<release>/{vmlinuz,config,root/...}` where `root` holds the
//! extracted headers (`usr/src/linux-headers-<release>` is the module build directory).

use super::cache;
use super::KernelError;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Debian kernel ready to boot and build modules against.
#[derive(Debug, Clone)]
pub struct DebianKernel {
    pub release: String,
    pub vmlinuz: PathBuf,
    pub config: PathBuf,
    pub build_dir: PathBuf,
}

/// Flavour we use: the generic amd64 kernel (not -cloud, not -rt).
const FLAVOUR: &str = "-amd64";

/// Numeric sort key of a release such as `6.12.117+deb12-amd64` or `6.1.0-56-amd64`.
pub fn version_key(release: &str) -> Vec<u64> {
    let core = release.strip_suffix(FLAVOUR).unwrap_or(release);
    core.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Does `release` (e.g. `6.1.0-56-amd64`) belong to `line` (e.g. `6.1`)?
pub fn in_line(release: &str, line: &str) -> bool {
    let Some(rest) = release.strip_prefix(line).and_then(|r| r.strip_prefix('.')) else {
        return false;
    };
    let Some(core) = rest.strip_suffix(FLAVOUR) else {
        return false;
    };
    // core: "117+deb12" or "0-56"
    let (nums, suffix) = match core.split_once('+') {
        Some((n, s)) => (n, Some(s)),
        None => (core, None),
    };
    let nums_ok = nums
        .split('-')
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let suffix_ok =
        suffix.is_none_or(|s| s.starts_with("deb") && s[3..].chars().all(|c| c.is_ascii_digit()));
    nums_ok && suffix_ok
}

/// Releases of the generic amd64 flavour named by a list of `linux-image-*` package names.
pub fn releases_from_pkgnames(names: &str) -> Vec<String> {
    let mut out: Vec<String> = names
        .lines()
        .filter_map(|n| n.trim().strip_prefix("linux-image-"))
        .map(|r| r.strip_suffix("-unsigned").unwrap_or(r))
        .filter(|r| r.ends_with(FLAVOUR) && r.starts_with(|c: char| c.is_ascii_digit()))
        .filter(|r| !r.contains("-dbg"))
        // Only the generic flavour: every part of the core is numeric or `debNN`
        // (this drops -cloud-amd64 and -rt-amd64).
        .filter(|r| {
            let core = r.strip_suffix(FLAVOUR).unwrap_or(r);
            core.split(['-', '+']).all(|p| {
                (!p.is_empty() && p.chars().all(|c| c.is_ascii_digit() || c == '.'))
                    || p.strip_prefix("deb")
                        .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()))
            })
        })
        // Metapackages such as linux-image-6.12-amd64 name no release.
        .filter(|r| version_key(r).len() >= 3)
        .map(str::to_string)
        .collect();
    out.sort_by_key(|r| version_key(r));
    out.dedup();
    out
}

fn run_tool(cmd: &mut Command, what: &str) -> Result<std::process::Output> {
    let prog = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::Error::new(KernelError::MissingTool {
                    tool: prog.clone(),
                    package: tool_package(&prog),
                })
            } else {
                anyhow::Error::new(e)
            }
        })
        .with_context(|| what.to_string())?;
    Ok(out)
}

fn tool_package(tool: &str) -> String {
    match tool {
        "apt-get" | "apt-cache" => "apt".into(),
        "dpkg-deb" => "dpkg".into(),
        other => other.into(),
    }
}

/// The releases of `releases` whose `linux-headers-<release>` is among `header_names`
/// (`apt-cache pkgnames linux-headers-`). apt's name list also holds image packages that are
/// only referenced (by a metapackage of an older point release) and cannot be downloaded;
/// a release is offered only when its headers can be had too, since the module needs them.
pub fn with_headers(releases: Vec<String>, header_names: &str) -> Vec<String> {
    let have: std::collections::HashSet<&str> = header_names.lines().map(str::trim).collect();
    releases
        .into_iter()
        .filter(|r| have.contains(format!("linux-headers-{r}").as_str()))
        .collect()
}

/// Every generic amd64 release the apt sources offer (image and headers), oldest first.
pub fn available_releases() -> Result<Vec<String>> {
    let out = run_tool(
        Command::new("apt-cache").args(["pkgnames", "linux-image-"]),
        "listing kernel packages with apt-cache",
    )?;
    if !out.status.success() {
        anyhow::bail!(
            "apt-cache pkgnames failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let releases = releases_from_pkgnames(&String::from_utf8_lossy(&out.stdout));
    let headers = run_tool(
        Command::new("apt-cache").args(["pkgnames", "linux-headers-"]),
        "listing kernel header packages with apt-cache",
    )?;
    Ok(with_headers(
        releases,
        &String::from_utf8_lossy(&headers.stdout),
    ))
}

/// Resolve a spec body (`6.12`, `6.12.117+deb12-amd64`, `6.12.117+deb12`) to a release.
pub fn resolve(body: &str, available: &[String]) -> Result<String, KernelError> {
    if available.is_empty() {
        return Err(KernelError::NoAptKernels);
    }
    let exact = if body.ends_with(FLAVOUR) {
        body.to_string()
    } else {
        format!("{body}{FLAVOUR}")
    };
    if available.contains(&exact) {
        return Ok(exact);
    }
    if let Some(newest) = available
        .iter()
        .filter(|r| in_line(r, body))
        .max_by_key(|r| version_key(r))
    {
        return Ok(newest.clone());
    }
    Err(KernelError::UnknownRelease {
        spec: format!("debian:{body}"),
    })
}

/// The packages one release needs: (image, headers, headers-common..., kbuild...).
fn packages_for(release: &str) -> Result<Vec<String>> {
    let headers = format!("linux-headers-{release}");
    let out = run_tool(
        Command::new("apt-cache").args(["show", "--no-all-versions", &headers]),
        "reading package metadata with apt-cache",
    )?;
    if !out.status.success() {
        return Err(KernelError::MissingPackage { package: headers }.into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let depends = text
        .lines()
        .find_map(|l| l.strip_prefix("Depends:"))
        .unwrap_or_default();
    let mut pkgs = vec![headers];
    for dep in depends.split(',') {
        let name = dep.split_whitespace().next().unwrap_or("");
        if name.starts_with("linux-headers-") || name.starts_with("linux-kbuild-") {
            pkgs.push(name.to_string());
        }
    }
    Ok(pkgs)
}

fn image_package(release: &str) -> Result<String> {
    let out = run_tool(
        Command::new("apt-cache").args(["pkgnames", &format!("linux-image-{release}")]),
        "looking up the image package",
    )?;
    let names = String::from_utf8_lossy(&out.stdout);
    let unsigned = format!("linux-image-{release}-unsigned");
    let signed = format!("linux-image-{release}");
    if names.lines().any(|l| l.trim() == unsigned) {
        Ok(unsigned)
    } else if names.lines().any(|l| l.trim() == signed) {
        Ok(signed)
    } else {
        Err(KernelError::MissingPackage { package: unsigned }.into())
    }
}

fn download(pkg: &str, dir: &Path) -> Result<PathBuf> {
    let out = run_tool(
        Command::new("apt-get")
            .args(["download", "-q", pkg])
            .current_dir(dir),
        &format!("downloading {pkg}"),
    )?;
    if !out.status.success() {
        return Err(KernelError::DownloadFailed {
            package: pkg.to_string(),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        }
        .into());
    }
    std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with(&format!("{pkg}_")) && n.ends_with(".deb")
            })
        })
        .with_context(|| {
            format!(
                "apt-get download {pkg} succeeded but left no .deb in {}",
                dir.display()
            )
        })
}

fn extract(deb: &Path, dest: &Path) -> Result<()> {
    let out = run_tool(
        Command::new("dpkg-deb").arg("-x").arg(deb).arg(dest),
        &format!("extracting {}", deb.display()),
    )?;
    if !out.status.success() {
        anyhow::bail!(
            "dpkg-deb -x {} failed: {}",
            deb.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Where a release lives in the cache.
pub fn cache_dir(release: &str) -> PathBuf {
    cache::root().join("debian").join(release)
}

fn from_cache(release: &str) -> Option<DebianKernel> {
    let dir = cache_dir(release);
    let k = DebianKernel {
        release: release.to_string(),
        vmlinuz: dir.join("vmlinuz"),
        config: dir.join("config"),
        build_dir: dir
            .join("root/usr/src")
            .join(format!("linux-headers-{release}")),
    };
    (k.vmlinuz.is_file() && k.config.is_file() && k.build_dir.join("Makefile").is_file())
        .then_some(k)
}

/// Fetch and extract a release into the cache (or find it there).
pub fn prepare(release: &str, progress: &dyn Fn(&str)) -> Result<DebianKernel> {
    if let Some(k) = from_cache(release) {
        return Ok(k);
    }
    let dest = cache_dir(release);
    if dest.exists() {
        // A directory without the files we need: an old or damaged entry. Replace it.
        progress(&format!(
            "cache entry {} is incomplete; fetching again",
            dest.display()
        ));
        std::fs::remove_dir_all(&dest)
            .with_context(|| format!("removing broken cache entry {}", dest.display()))?;
    }
    let parent = dest.parent().expect("cache dir has a parent").to_path_buf();
    let tmp = cache::temp_dir_in(&parent)?;
    let debs = tmp.path().join("debs");
    std::fs::create_dir_all(&debs)?;
    let image_pkg = image_package(release)?;
    let mut pkgs = vec![image_pkg.clone()];
    pkgs.extend(packages_for(release)?);
    for p in &pkgs {
        progress(&format!("downloading {p}"));
        download(p, &debs)?;
    }
    // The image: keep only vmlinuz and config (the modules tree is large and unused).
    let img_root = tmp.path().join("image");
    let image_deb = std::fs::read_dir(&debs)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{image_pkg}_"))
        })
        .expect("downloaded above");
    progress(&format!("extracting {image_pkg}"));
    extract(&image_deb, &img_root)?;
    let boot = img_root.join("boot");
    std::fs::rename(
        boot.join(format!("vmlinuz-{release}")),
        tmp.path().join("vmlinuz"),
    )
    .with_context(|| format!("{image_pkg} has no boot/vmlinuz-{release}"))?;
    std::fs::rename(
        boot.join(format!("config-{release}")),
        tmp.path().join("config"),
    )
    .with_context(|| format!("{image_pkg} has no boot/config-{release}"))?;
    std::fs::remove_dir_all(&img_root)?;
    // Headers, headers-common and kbuild into one root; their relative links then resolve.
    let root = tmp.path().join("root");
    for deb in std::fs::read_dir(&debs)?.filter_map(|e| e.ok().map(|e| e.path())) {
        if deb
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(&format!("{image_pkg}_"))
        {
            continue;
        }
        progress(&format!(
            "extracting {}",
            deb.file_name().unwrap().to_string_lossy()
        ));
        extract(&deb, &root)?;
    }
    std::fs::remove_dir_all(&debs)?;
    let src = root.join("usr/src");
    let final_src = dest.join("root/usr/src");
    repoint_makefiles(&src, &final_src)?;
    cache::commit_dir(tmp, &dest)?;
    from_cache(release).ok_or_else(|| {
        anyhow::anyhow!(
            "cache entry {} is incomplete right after extraction",
            dest.display()
        )
    })
}

/// Debian's headers Makefile includes `/usr/src/linux-headers-*-common/Makefile` by absolute
/// path; point it at our extracted copy (its final location in the cache).
fn repoint_makefiles(src: &Path, final_src: &Path) -> Result<()> {
    for e in std::fs::read_dir(src)? {
        let mk = e?.path().join("Makefile");
        if !mk.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&mk)?;
        let fixed = text.replace(
            "include /usr/src/",
            &format!("include {}/", final_src.display()),
        );
        if fixed != text {
            std::fs::write(&mk, fixed)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &str = "linux-image-6.1.0-50-amd64-unsigned\nlinux-image-6.1.0-56-amd64\nlinux-image-6.1.0-56-amd64-unsigned\nlinux-image-6.1.0-9-amd64\nlinux-image-6.1.0-56-cloud-amd64\nlinux-image-6.1.0-56-rt-amd64-unsigned\nlinux-image-6.12.117+deb12-amd64-unsigned\nlinux-image-6.12.99+deb12-amd64-unsigned\nlinux-image-amd64\nlinux-image-6.12-amd64\nlinux-image-6.12.117+deb12-amd64-dbg\n";

    #[test]
    fn lists_only_generic_amd64_sorted_numerically() {
        let r = releases_from_pkgnames(NAMES);
        assert_eq!(
            r,
            vec![
                "6.1.0-9-amd64",
                "6.1.0-50-amd64",
                "6.1.0-56-amd64",
                "6.12.99+deb12-amd64",
                "6.12.117+deb12-amd64"
            ]
        );
    }

    #[test]
    fn releases_without_headers_are_not_offered() {
        let r = with_headers(
            releases_from_pkgnames(NAMES),
            "linux-headers-6.1.0-56-amd64\nlinux-headers-6.12.117+deb12-amd64\nlinux-headers-6.12.99+deb12-cloud-amd64\n",
        );
        assert_eq!(r, vec!["6.1.0-56-amd64", "6.12.117+deb12-amd64"]);
    }

    #[test]
    fn resolves_lines_to_newest_and_exact_releases() {
        let r = releases_from_pkgnames(NAMES);
        assert_eq!(resolve("6.1", &r).unwrap(), "6.1.0-56-amd64");
        assert_eq!(resolve("6.12", &r).unwrap(), "6.12.117+deb12-amd64");
        assert_eq!(resolve("6.12.99+deb12", &r).unwrap(), "6.12.99+deb12-amd64");
        assert_eq!(resolve("6.1.0-50-amd64", &r).unwrap(), "6.1.0-50-amd64");
        assert!(matches!(
            resolve("5.10", &r),
            Err(KernelError::UnknownRelease { .. })
        ));
        assert!(matches!(
            resolve("6.1.0-51-amd64", &r),
            Err(KernelError::UnknownRelease { .. })
        ));
        assert!(matches!(
            resolve("6.1", &[]),
            Err(KernelError::NoAptKernels)
        ));
    }

    #[test]
    fn line_membership_is_exact() {
        assert!(in_line("6.1.0-56-amd64", "6.1"));
        assert!(!in_line("6.12.117+deb12-amd64", "6.1"));
        assert!(in_line("6.12.117+deb12-amd64", "6.12"));
        assert!(!in_line("6.12.117+deb12-cloud-amd64", "6.12"));
    }
}
