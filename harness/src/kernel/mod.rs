//! Kernels: parse specs, fetch or find the kernel, build the pinbench module against it.
//!
//! Specs:
//! - `debian:<line>` (`debian:6.1`, `debian:6.12`): newest release of that line in the apt sources.
//! - `debian:<release>` (`debian:6.12.117+deb12-amd64`): exactly that release.
//! - `local:<path>`: a kernel tree the user built (`arch/x86/boot/bzImage` and the tree as
//!   the module build directory).
//! - `NAME` (`baseline-6.12`): the spec file `kernels/NAME.toml`, built from source
//!   ([`spec`], [`source`], [`build`]); `path/to/FILE.toml`: a spec file by path.

pub mod build;
pub mod cache;
pub mod debian;
pub mod module;
pub mod source;
pub mod spec;

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors a user can act on; each message names the fix.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("unknown kernel spec `{spec}`: use debian:<line> (debian:6.1, debian:6.12), debian:<release>, local:<path-to-built-tree>, a spec name from kernels/ (baseline-6.12) or a spec FILE.toml; `pinbench kernels list --available` shows the Debian releases")]
    BadSpec { spec: String },
    #[error("{spec}: no such release in the apt sources; `pinbench kernels list --available` shows what exists (run `apt-get update` if the list looks old)")]
    UnknownRelease { spec: String },
    #[error("apt knows no linux-image packages: run `apt-get update` (as root) and check /etc/apt/sources.list has Debian bookworm main")]
    NoAptKernels,
    #[error("package {package} is not in the apt sources; run `apt-get update`, or pick another release from `pinbench kernels list --available`")]
    MissingPackage { package: String },
    #[error("`apt-get download {package}` failed: {detail}\nfix: check network access to the Debian mirror and run `apt-get update`")]
    DownloadFailed { package: String, detail: String },
    #[error("`{tool}` not found: install it with `apt-get install {package}`")]
    MissingTool { tool: String, package: String },
    #[error("local kernel tree {path}: {what} is missing; build the kernel first (`make -j$(nproc) bzImage modules_prepare`)")]
    LocalTreeIncomplete { path: PathBuf, what: String },
}

/// A parsed kernel spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelSpec {
    Debian(String),
    Local(PathBuf),
    /// A spec file in kernels/ by name.
    Named(String),
    /// A spec file by path.
    File(PathBuf),
}

impl KernelSpec {
    pub fn parse(s: &str) -> Result<KernelSpec, KernelError> {
        if let Some(b) = s.strip_prefix("debian:") {
            if !b.is_empty()
                && b.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".+-".contains(c))
            {
                return Ok(KernelSpec::Debian(b.to_string()));
            }
        } else if let Some(p) = s.strip_prefix("local:") {
            if !p.is_empty() {
                return Ok(KernelSpec::Local(PathBuf::from(p)));
            }
        } else if s.ends_with(".toml") && s.len() > 5 {
            return Ok(KernelSpec::File(PathBuf::from(s)));
        } else if !s.is_empty()
            && !s.starts_with(['.', '-'])
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return Ok(KernelSpec::Named(s.to_string()));
        }
        Err(KernelError::BadSpec {
            spec: s.to_string(),
        })
    }
}

/// A kernel ready to boot, with the module build directory and config at hand.
#[derive(Debug, Clone)]
pub struct PreparedKernel {
    /// The spec as the user wrote it.
    pub name: String,
    /// The resolved spec.
    pub spec: String,
    pub release: String,
    pub image: PathBuf,
    pub build_dir: PathBuf,
    pub config: PathBuf,
    /// Extra kernel command line the spec asks for (spec files only).
    pub cmdline: String,
    /// Identity of a kernel built from source (its build cache key); module builds mix it
    /// into their key so every build gets a module built against its own tree.
    pub build_id: Option<String>,
    /// The kernel's own gup_test, built from the same tree (spec builds with CONFIG_GUP_TEST);
    /// shipped as /bin/gup_test for the `gup-test` cross-check workload.
    pub gup_test: Option<PathBuf>,
}

impl PreparedKernel {
    pub fn config_digest(&self) -> Option<String> {
        cache::file_digest(&self.config).ok()
    }

    /// The config options that matter to pinning, as `NAME -> value` ("n" when unset).
    pub fn config_options(&self) -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(&self.config).unwrap_or_default();
        interesting_options(&text)
    }
}

/// Options recorded in run.json for every kernel.
pub const INTERESTING_OPTIONS: &[&str] = &[
    "CONFIG_TRANSPARENT_HUGEPAGE",
    "CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS",
    "CONFIG_TRANSPARENT_HUGEPAGE_MADVISE",
    "CONFIG_PREEMPT_NONE",
    "CONFIG_PREEMPT_VOLUNTARY",
    "CONFIG_PREEMPT",
    "CONFIG_PREEMPT_DYNAMIC",
    "CONFIG_GUP_TEST",
    "CONFIG_KSM",
    "CONFIG_NUMA",
    "CONFIG_HIGHMEM",
    "CONFIG_X86_5LEVEL",
];

pub fn interesting_options(config: &str) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = INTERESTING_OPTIONS
        .iter()
        .map(|o| (o.to_string(), "n".to_string()))
        .collect();
    for line in config.lines() {
        if let Some((k, v)) = line.split_once('=') {
            if let Some(slot) = m.get_mut(k) {
                *slot = v.trim_matches('"').to_string();
            }
        }
    }
    m
}

/// Check a spec before any work: its syntax, and for spec files that the file loads.
pub fn validate(name: &str) -> Result<()> {
    match KernelSpec::parse(name)? {
        KernelSpec::Named(n) => {
            spec::load_named(&n, &spec::specs_dir())?;
        }
        KernelSpec::File(p) => {
            spec::load(&p)?;
        }
        KernelSpec::Debian(_) | KernelSpec::Local(_) => {}
    }
    Ok(())
}

/// Resolve and fetch (or find) a kernel. `available` is the apt release list, fetched once.
pub fn prepare(
    name: &str,
    available: &dyn Fn() -> Result<Vec<String>>,
    progress: &dyn Fn(&str),
) -> Result<PreparedKernel> {
    match KernelSpec::parse(name)? {
        KernelSpec::Debian(body) => {
            let release = debian::resolve(&body, &available()?)?;
            let k = debian::prepare(&release, progress)
                .with_context(|| format!("preparing debian:{release}"))?;
            Ok(PreparedKernel {
                name: name.to_string(),
                spec: format!("debian:{release}"),
                release: k.release,
                image: k.vmlinuz,
                build_dir: k.build_dir,
                config: k.config,
                cmdline: String::new(),
                build_id: None,
                gup_test: None,
            })
        }
        KernelSpec::Local(path) => prepare_local(name, &path),
        KernelSpec::Named(n) => {
            let s = spec::load_named(&n, &spec::specs_dir())?;
            prepare_spec(name, &s, progress)
        }
        KernelSpec::File(path) => {
            let s = spec::load(&path)?;
            prepare_spec(name, &s, progress)
        }
    }
}

/// Build (or find in the cache) the kernel a spec file describes.
pub fn prepare_spec(name: &str, s: &spec::Spec, progress: &dyn Fn(&str)) -> Result<PreparedKernel> {
    let src = source::fetch(&s.source, progress)
        .with_context(|| format!("fetching the source of kernel spec {}", s.name))?;
    let b = build::build(&cache::root(), s, &src, progress)
        .with_context(|| format!("building kernel spec {} ({})", s.name, s.path.display()))?;
    if b.fresh {
        progress(&format!(
            "built in {:.0} s ({}), log {}",
            b.info.seconds,
            b.info.mode,
            b.dir.join("build.log").display()
        ));
    }
    // The cross-check binary is a bonus: a kernel whose gup_test does not build still runs.
    let gup_test = match build::gup_test(&b, progress) {
        Ok(p) => p,
        Err(e) => {
            progress(&format!("warning: no gup_test for the cross-check: {e:#}"));
            None
        }
    };
    Ok(PreparedKernel {
        name: name.to_string(),
        spec: format!(
            "{} [{}, {} patch(es), build {}]",
            s.path.display(),
            src.identity,
            s.patches.len(),
            b.info.key
        ),
        release: b.release.clone(),
        image: b.image.clone(),
        build_dir: b.objtree.clone(),
        config: b.config.clone(),
        cmdline: s.cmdline.clone(),
        build_id: Some(b.info.key.clone()),
        gup_test,
    })
}

fn prepare_local(name: &str, path: &Path) -> Result<PreparedKernel> {
    let path = path
        .canonicalize()
        .map_err(|_| KernelError::LocalTreeIncomplete {
            path: path.to_path_buf(),
            what: "the directory itself".into(),
        })?;
    let need = |rel: &str| -> Result<PathBuf, KernelError> {
        let p = path.join(rel);
        if p.exists() {
            Ok(p)
        } else {
            Err(KernelError::LocalTreeIncomplete {
                path: path.clone(),
                what: rel.to_string(),
            })
        }
    };
    let image = need("arch/x86/boot/bzImage")?;
    let config = need(".config")?;
    need("Module.symvers")?;
    let release = std::fs::read_to_string(need("include/config/kernel.release")?)?
        .trim()
        .to_string();
    Ok(PreparedKernel {
        name: name.to_string(),
        spec: format!("local:{}", path.display()),
        release,
        image,
        build_dir: path,
        config,
        cmdline: String::new(),
        build_id: None,
        gup_test: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_or_name_the_fix() {
        assert_eq!(
            KernelSpec::parse("debian:6.12").unwrap(),
            KernelSpec::Debian("6.12".into())
        );
        assert_eq!(
            KernelSpec::parse("local:/src/linux").unwrap(),
            KernelSpec::Local("/src/linux".into())
        );
        assert_eq!(
            KernelSpec::parse("baseline-6.12").unwrap(),
            KernelSpec::Named("baseline-6.12".into())
        );
        assert_eq!(
            KernelSpec::parse("kernels/x.toml").unwrap(),
            KernelSpec::File("kernels/x.toml".into())
        );
        for bad in [
            "",
            "../etc/passwd",
            "a b",
            "debian:",
            "debian:6.12;rm -rf",
            "ubuntu:22.04",
            "local:",
        ] {
            let e = KernelSpec::parse(bad).unwrap_err().to_string();
            assert!(e.contains("kernels list --available"), "{bad}: {e}");
        }
    }

    #[test]
    fn interesting_options_default_to_n() {
        let m = interesting_options("CONFIG_TRANSPARENT_HUGEPAGE=y\n# CONFIG_GUP_TEST is not set\nCONFIG_PREEMPT_VOLUNTARY=y\n");
        assert_eq!(m["CONFIG_TRANSPARENT_HUGEPAGE"], "y");
        assert_eq!(m["CONFIG_GUP_TEST"], "n");
        assert_eq!(m["CONFIG_PREEMPT_VOLUNTARY"], "y");
    }

    #[test]
    fn local_tree_without_bzimage_names_the_fix() {
        let d = tempfile::tempdir().unwrap();
        let e = prepare_local("local:x", d.path()).unwrap_err().to_string();
        assert!(
            e.contains("arch/x86/boot/bzImage") && e.contains("build the kernel first"),
            "{e}"
        );
    }
}
