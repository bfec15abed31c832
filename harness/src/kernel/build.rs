//! Build a kernel spec from source: configure (base config + fragment via merge_config.sh,
//! olddefconfig, then check every fragment option stuck), apply the patch series, and
//! `make bzImage modules` out of tree with ccache and every core.
//!
//! Cache: `builds/<key>/` where the key is a digest of the source identity, the base config,
//! the fragment's bytes, every patch's name and bytes (in order) and the compiler's version.
//! An entry holds `linux/` (a hard-linked copy of the source tree with the patches applied;
//! patched files are unlinked first, so the cached source is never modified), `linux/o/`
//! (the O= build directory: bzImage, .config, Module.symvers, what module builds need),
//! `build.log` and `build.json`. The O= directory is a direct child of the tree so kbuild
//! uses the *relative* source path `..`: copies of a build directory work in another tree,
//! and ccache hits across trees.
//!
//! A patched spec starts from the build of the longest prefix of its series already in the
//! cache, else from the unpatched build of the same source and config (built first if
//! missing): its O= directory is copied (timestamps kept) into the patched tree, so make
//! recompiles only what the remaining patches touch. An unpatched commit of a git repository starts
//! the same way from the build of the nearest commit already built with the same config
//! (see [`super::source::Relative`]), touching the files that differ. When a touched file
//! is a Kconfig input, the configuration is made again from scratch (base config, fragment,
//! olddefconfig) so an incremental build's .config is always the one a full build makes.
//!
//! Every entry is built in a `.partial-*` directory and renamed into place only when
//! complete; a failed build leaves only `builds/failed-<key>.log` behind.

use super::cache;
use super::source::SourceTree;
use super::spec::Spec;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Bumped when the build recipe changes in a way that changes its output.
/// (2: patched files are touched after the base build directory is copied; builds made by
/// recipe 1 could keep unpatched objects when the base was built after the patches applied.)
const RECIPE: &str = "pinbench-kernel-build-2";

/// Build failures a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("patch {patch} does not apply to {source_id}:\n{detail}\nfix: rebase the patch onto this source (the rejected hunks are above), or change the spec's [source]")]
    PatchFailed {
        patch: PathBuf,
        source_id: String,
        detail: String,
    },
    #[error("config fragment {fragment}: {} did not stick after `make olddefconfig`:\n{}\nfix: an option is dropped when its dependencies are off or it does not exist in this kernel; add the dependencies to the fragment (`make menuconfig`, `/` search shows an option's \"Depends on\")", if .missing.len() == 1 { "1 option" } else { "some options" }, .missing.iter().map(|m| format!("  {m}")).collect::<Vec<_>>().join("\n"))]
    OptionsDidNotStick {
        fragment: PathBuf,
        missing: Vec<Mismatch>,
    },
    #[error("`{step}` failed for kernel {name}; the last lines of the log ({log}):\n{tail}")]
    MakeFailed {
        name: String,
        step: String,
        log: PathBuf,
        tail: String,
    },
    #[error("`{tool}` not found: install it with `apt-get install {package}` (scripts/setup-host.sh installs every build dependency)")]
    MissingTool { tool: String, package: String },
}

/// An option of the fragment whose value is not in the final .config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub option: String,
    pub wanted: String,
    pub got: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: wanted {}, .config has {}",
            self.option, self.wanted, self.got
        )
    }
}

/// `CONFIG_X -> value` of a config or fragment; "n" for `# CONFIG_X is not set`.
pub fn parse_config(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if let Some(rest) = l.strip_prefix("# ") {
                let name = rest.strip_suffix(" is not set")?;
                name.starts_with("CONFIG_")
                    .then(|| (name.to_string(), "n".to_string()))
            } else if l.starts_with("CONFIG_") {
                let (k, v) = l.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            } else {
                None
            }
        })
        .collect()
}

/// Options of `fragment` whose value differs in `config` (an unset option counts as "n").
pub fn check_config(fragment: &str, config: &str) -> Vec<Mismatch> {
    let have: std::collections::HashMap<String, String> =
        parse_config(config).into_iter().collect();
    parse_config(fragment)
        .into_iter()
        .filter_map(|(k, want)| {
            let got = have.get(&k).cloned().unwrap_or_else(|| "n".into());
            (got != want).then(|| Mismatch {
                option: k,
                wanted: want,
                got: if got == "n" { "it unset".into() } else { got },
            })
        })
        .collect()
}

/// Paths a -p1 patch touches (both sides, /dev/null left out).
pub fn patched_paths(patch: &str) -> Vec<String> {
    let mut v: Vec<String> = patch
        .lines()
        .filter_map(|l| l.strip_prefix("+++ ").or_else(|| l.strip_prefix("--- ")))
        .map(|rest| rest.split('\t').next().unwrap_or(rest).trim())
        .filter(|p| *p != "/dev/null")
        .filter_map(|p| p.split_once('/').map(|(_, r)| r.to_string()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// What `build.json` records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildInfo {
    pub name: String,
    pub key: String,
    pub source: String,
    pub base_config: String,
    pub config_fragment: String,
    pub config_digest: String,
    pub patches: Vec<(String, String)>,
    pub compiler: String,
    pub release: String,
    /// "full", or "incremental from <key>".
    pub mode: String,
    pub seconds: f64,
    pub jobs: usize,
}

/// A finished build in the cache.
#[derive(Debug, Clone)]
pub struct Built {
    pub dir: PathBuf,
    pub objtree: PathBuf,
    pub image: PathBuf,
    pub config: PathBuf,
    pub release: String,
    pub info: BuildInfo,
    /// False when the cache already had it.
    pub fresh: bool,
}

impl Built {
    fn open(dir: &Path) -> Option<Built> {
        let objtree = dir.join("linux/o");
        let image = objtree.join("arch/x86/boot/bzImage");
        let info: BuildInfo =
            serde_json::from_slice(&std::fs::read(dir.join("build.json")).ok()?).ok()?;
        if !image.is_file() || !objtree.join("Module.symvers").is_file() {
            return None;
        }
        Some(Built {
            dir: dir.to_path_buf(),
            config: objtree.join(".config"),
            release: info.release.clone(),
            objtree,
            image,
            info,
            fresh: false,
        })
    }
}

/// The C compiler the build uses, as `gcc --version` names it.
pub fn compiler_version() -> Result<String> {
    let out =
        Command::new("gcc")
            .arg("--version")
            .output()
            .map_err(|_| BuildError::MissingTool {
                tool: "gcc".into(),
                package: "gcc".into(),
            })?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string())
}

/// The cache key of `spec` built from `src` with `compiler`.
pub fn key(spec: &Spec, src: &SourceTree, compiler: &str) -> Result<String> {
    let mut parts: Vec<Vec<u8>> = vec![
        RECIPE.into(),
        src.identity.clone().into_bytes(),
        spec.base_config.make_target().into(),
        std::fs::read(&spec.config)
            .with_context(|| format!("reading {}", spec.config.display()))?,
        compiler.into(),
    ];
    for p in &spec.patches {
        parts.push(
            p.file_name()
                .unwrap_or_default()
                .as_encoded_bytes()
                .to_vec(),
        );
        parts.push(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?);
    }
    Ok(cache::digest(parts.iter().map(|p| p.as_slice()))[..32].to_string())
}

/// Build `spec` from `src` (or find it in the cache under `root`).
pub fn build(root: &Path, spec: &Spec, src: &SourceTree, progress: &dyn Fn(&str)) -> Result<Built> {
    let compiler = compiler_version()?;
    let key = key(spec, src, &compiler)?;
    let builds = root.join("builds");
    let dest = builds.join(&key);
    if let Some(b) = Built::open(&dest) {
        return Ok(b);
    }
    // The unpatched build a patched spec starts from; asked for only after the patches
    // applied, so a patch that does not apply fails before any long build.
    let unpatched = spec.unpatched();
    let base = || -> Result<Option<Base>> {
        if !spec.patches.is_empty() {
            // The longest prefix of the series already built (a bisect builds prefixes),
            // else the unpatched build, made if missing.
            let (k, built) = match built_prefix(&builds, spec, src, &compiler)? {
                Some(x) => x,
                None => (0, build(root, &unpatched, src, progress)?),
            };
            let paths = |ps: &[PathBuf]| -> Result<Vec<String>> {
                let mut v = Vec::new();
                for p in ps {
                    v.extend(patched_paths(&std::fs::read_to_string(p)?));
                }
                Ok(v)
            };
            let touch = paths(&spec.patches[k..])?;
            let mut settle = paths(&spec.patches[..k])?;
            settle.retain(|p| !touch.contains(p));
            return Ok(Some(Base {
                mode: format!("incremental from {}", built.info.key),
                built,
                touch,
                settle,
            }));
        }
        // A commit of a repository: the build of the nearest commit built with this config.
        for rel in &src.relatives {
            let other = SourceTree {
                identity: rel.identity.clone(),
                tree: PathBuf::new(),
                relatives: Vec::new(),
            };
            if let Some(built) = Built::open(&builds.join(self::key(spec, &other, &compiler)?)) {
                return Ok(Some(Base {
                    mode: format!(
                        "incremental from {} ({}, {} changed files)",
                        built.info.key,
                        rel.identity,
                        rel.changed.len()
                    ),
                    built,
                    touch: rel.changed.clone(),
                    settle: Vec::new(),
                }));
            }
        }
        Ok(None)
    };
    let tmp = cache::temp_dir_in(&builds)?;
    let log_path = tmp.path().join("build.log");
    let failed_log = builds.join(format!("failed-{key}.log"));
    let r = build_in(
        root,
        tmp.path(),
        spec,
        src,
        &base,
        &key,
        &compiler,
        &log_path,
        progress,
    );
    match r {
        Ok(mut info) => {
            let _ = std::fs::remove_file(&failed_log);
            info.key = key.clone();
            results::store::write_json_atomic(&tmp.path().join("build.json"), &info)?;
            cache::commit_dir(tmp, &dest)?;
            let mut b = Built::open(&dest)
                .with_context(|| format!("the build in {} is incomplete", dest.display()))?;
            b.fresh = true;
            Ok(b)
        }
        Err(e) => {
            // Keep the log where the user can read it; the half-built tree goes away.
            let _ = std::fs::copy(&log_path, &failed_log);
            Err(rewrite_log_path(e, &log_path, &failed_log))
        }
    }
}

/// The longest proper, non-empty prefix of `spec`'s patch series that is built in `builds`:
/// how many patches it has, and the build.
fn built_prefix(
    builds: &Path,
    spec: &Spec,
    src: &SourceTree,
    compiler: &str,
) -> Result<Option<(usize, Built)>> {
    for k in (1..spec.patches.len()).rev() {
        let prefix = Spec {
            patches: spec.patches[..k].to_vec(),
            ..spec.clone()
        };
        if let Some(b) = Built::open(&builds.join(key(&prefix, src, compiler)?)) {
            return Ok(Some((k, b)));
        }
    }
    Ok(None)
}

/// The build an incremental build starts from, and the files that differ from its tree.
struct Base {
    built: Built,
    /// Files that differ from the base's tree: made newer than its objects.
    touch: Vec<String>,
    /// Files patched here exactly as in the base's tree (by the series prefix it was built
    /// with): given the base tree's modification time, so they are not recompiled.
    settle: Vec<String>,
    /// How build.json describes the build.
    mode: String,
}

/// Does a change to `path` change what the configuration step makes?
fn is_config_input(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with("Kconfig")
        || path.starts_with("scripts/kconfig/")
        || path.starts_with("kernel/configs/")
        || path.starts_with("arch/x86/configs/")
}

fn rewrite_log_path(e: anyhow::Error, from: &Path, to: &Path) -> anyhow::Error {
    match e.downcast::<BuildError>() {
        Ok(BuildError::MakeFailed {
            name,
            step,
            log,
            tail,
        }) => BuildError::MakeFailed {
            name,
            step,
            log: if log == from { to.to_path_buf() } else { log },
            tail,
        }
        .into(),
        Ok(other) => other.into(),
        Err(e) => e,
    }
}

#[allow(clippy::too_many_arguments)]
fn build_in(
    root: &Path,
    dir: &Path,
    spec: &Spec,
    src: &SourceTree,
    base: &dyn Fn() -> Result<Option<Base>>,
    key: &str,
    compiler: &str,
    log_path: &Path,
    progress: &dyn Fn(&str),
) -> Result<BuildInfo> {
    let start = Instant::now();
    let jobs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let tree = dir.join("linux");
    let mut log =
        File::create(log_path).with_context(|| format!("creating {}", log_path.display()))?;
    writeln!(
        log,
        "# pinbench build {key}: {} from {}\n# compiler: {compiler}",
        spec.name, src.identity
    )?;
    progress("linking the source tree");
    link_tree(&src.tree, &tree)?;
    let mut patch_digests = Vec::new();
    for p in &spec.patches {
        progress(&format!(
            "applying {}",
            p.file_name().unwrap_or_default().to_string_lossy()
        ));
        apply_patch(&tree, p, &src.identity, &mut log)?;
        patch_digests.push((
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            cache::file_digest(p)?,
        ));
    }
    let base_start = Instant::now();
    let base = base()?;
    // A base built just now is its own build; this one's time starts after it.
    let base_seconds = match &base {
        Some(b) if b.built.fresh => base_start.elapsed().as_secs_f64(),
        _ => 0.0,
    };
    let objtree = tree.join("o");
    let make = Make {
        tree: &tree,
        name: &spec.name,
        log_path,
        cache_root: root,
    };
    let configure = |log: &mut File| -> Result<()> {
        progress(&format!(
            "configuring ({} + {})",
            spec.base_config.make_target(),
            spec.config.display()
        ));
        make.run(log, &[spec.base_config.make_target()])?;
        let out = Command::new(tree.join("scripts/kconfig/merge_config.sh"))
            .args(["-m", "-O", "o", "o/.config"])
            .arg(&spec.config)
            .current_dir(&tree)
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log.try_clone()?))
            .status()
            .context("running scripts/kconfig/merge_config.sh")?;
        if !out.success() {
            return Err(make.failed("scripts/kconfig/merge_config.sh"));
        }
        Ok(())
    };
    let mode = match &base {
        Some(b) => {
            progress("copying the base build directory");
            copy_tree(&b.built.objtree, &objtree)?;
            // make decides by timestamps. The patches were applied (or the tree derived)
            // before the base build was looked for, and if that build had to be made just
            // now its objects are *newer* than the changed sources: make would keep the
            // base's objects. So every changed file is made newer than everything copied.
            touch_paths(&tree, &b.touch)?;
            settle_paths(&tree, &b.built.dir.join("linux"), &b.settle)?;
            if b.touch.iter().any(|p| is_config_input(p)) {
                writeln!(log, "# a Kconfig input changed: configuring from scratch")?;
                configure(&mut log)?;
            }
            b.mode.clone()
        }
        None => {
            configure(&mut log)?;
            "full".to_string()
        }
    };
    make.run(&mut log, &["olddefconfig"])?;
    let fragment = std::fs::read_to_string(&spec.config)?;
    let dotconfig = std::fs::read_to_string(objtree.join(".config"))?;
    let missing = check_config(&fragment, &dotconfig);
    if !missing.is_empty() {
        return Err(BuildError::OptionsDidNotStick {
            fragment: spec.config.clone(),
            missing,
        }
        .into());
    }
    progress(&format!("make -j{jobs} bzImage modules ({mode})"));
    make.run(&mut log, &[&format!("-j{jobs}"), "bzImage", "modules"])?;
    let release = std::fs::read_to_string(objtree.join("include/config/kernel.release"))
        .context("the build left no include/config/kernel.release")?
        .trim()
        .to_string();
    let seconds = start.elapsed().as_secs_f64() - base_seconds;
    writeln!(log, "# done in {seconds:.1} s")?;
    Ok(BuildInfo {
        name: spec.name.clone(),
        key: key.to_string(),
        source: src.identity.clone(),
        base_config: spec.base_config.make_target().into(),
        config_fragment: spec.config.display().to_string(),
        config_digest: cache::digest([fragment.as_bytes()]),
        patches: patch_digests,
        compiler: compiler.to_string(),
        release,
        mode,
        seconds,
        jobs,
    })
}

struct Make<'a> {
    tree: &'a Path,
    name: &'a str,
    log_path: &'a Path,
    cache_root: &'a Path,
}

impl Make<'_> {
    fn run(&self, log: &mut File, args: &[&str]) -> Result<()> {
        writeln!(log, "# make O=o {}", args.join(" "))?;
        let mut cmd = Command::new("make");
        cmd.arg("-C")
            .arg(self.tree)
            .arg("O=o")
            .args(args)
            .env_remove("ARCH")
            .env_remove("CROSS_COMPILE")
            // Reproducible version strings (and ccache hits on init/version.c).
            .env("KBUILD_BUILD_TIMESTAMP", "1970-01-01")
            .env("KBUILD_BUILD_USER", "pinbench")
            .env("KBUILD_BUILD_HOST", "pinbench")
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log.try_clone()?));
        // ccache through Debian's masquerade directory: the compiler command lines stay
        // `gcc ...`, so a build with and without ccache is the same build.
        if Path::new("/usr/lib/ccache/gcc").exists() {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![PathBuf::from("/usr/lib/ccache")];
            dirs.extend(std::env::split_paths(&path));
            cmd.env("PATH", std::env::join_paths(dirs)?);
            if std::env::var_os("CCACHE_DIR").is_none() {
                cmd.env("CCACHE_DIR", self.cache_root.join("ccache"));
            }
            // Absolute paths under the cache (tools/objtool is built with them) hash as
            // relative ones, so trees in different build directories share hits.
            cmd.env("CCACHE_BASEDIR", self.cache_root)
                .env("CCACHE_NOHASHDIR", "1");
        }
        let status = cmd.status().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::Error::new(BuildError::MissingTool {
                    tool: "make".into(),
                    package: "make".into(),
                })
            } else {
                anyhow::Error::new(e).context("running make")
            }
        })?;
        if status.success() {
            Ok(())
        } else {
            Err(self.failed(&format!("make O=o {}", args.join(" "))))
        }
    }

    fn failed(&self, step: &str) -> anyhow::Error {
        BuildError::MakeFailed {
            name: self.name.to_string(),
            step: step.to_string(),
            log: self.log_path.to_path_buf(),
            tail: log_tail(self.log_path, 40),
        }
        .into()
    }
}

/// The kernel's own `gup_test` (tools/testing/selftests/mm), built statically from the same
/// tree against its `make headers_install` output, for the cross-check workload `gup-test`.
/// `None` when the kernel has no CONFIG_GUP_TEST (nothing to run it against). Built once per
/// build into `builds/<key>/gup_test` (temporary file, then rename); its log is
/// `builds/<key>/gup_test.log`.
pub fn gup_test(b: &Built, progress: &dyn Fn(&str)) -> Result<Option<PathBuf>> {
    let config = std::fs::read_to_string(&b.config)?;
    if !config.lines().any(|l| l == "CONFIG_GUP_TEST=y") {
        return Ok(None);
    }
    let dest = b.dir.join("gup_test");
    if dest.is_file() {
        return Ok(Some(dest));
    }
    progress("building the kernel's gup_test (static)");
    let tree = b.dir.join("linux");
    let log_path = b.dir.join("gup_test.log");
    let log = File::create(&log_path)?;
    let make = Command::new("make")
        .arg("-C")
        .arg(&tree)
        .args(["O=o", "headers_install"])
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log.try_clone()?))
        .status()
        .context("running make headers_install")?;
    let fail = |step: &str| -> anyhow::Error {
        BuildError::MakeFailed {
            name: b.info.name.clone(),
            step: step.to_string(),
            log: log_path.clone(),
            tail: log_tail(&log_path, 30),
        }
        .into()
    };
    if !make.success() {
        return Err(fail("make O=o headers_install (needs rsync)"));
    }
    let tmp = b
        .dir
        .join(format!(".gup_test.partial-{}", std::process::id()));
    let mm = tree.join("tools/testing/selftests/mm");
    let cc = Command::new("gcc")
        .args(["-static", "-O2", "-isystem"])
        .arg(tree.join("o/usr/include"))
        .arg("-I")
        .arg(&tree)
        .arg("-I")
        .arg(&mm)
        .arg("-o")
        .arg(&tmp)
        .arg(mm.join("gup_test.c"))
        .arg(mm.join("vm_util.c"))
        .arg("-lpthread")
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log.try_clone()?))
        .status()
        .context("running gcc for gup_test")?;
    if !cc.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail("gcc -static gup_test.c vm_util.c"));
    }
    std::fs::rename(&tmp, &dest)?;
    Ok(Some(dest))
}

/// The last `n` lines of a log, with the first error line (if earlier) kept too.
pub fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    let mut out = Vec::new();
    if let Some(first_err) = lines[..start]
        .iter()
        .find(|l| l.contains("error:") || l.contains("Error "))
    {
        out.push(format!("(first error) {first_err}"));
        out.push("...".into());
    }
    out.extend(lines[start..].iter().map(|s| s.to_string()));
    out.join("\n")
}

/// `cp -al src dst` (hard links: seconds, no space), falling back to a copy across
/// filesystems.
fn link_tree(src: &Path, dst: &Path) -> Result<()> {
    let ok = Command::new("cp")
        .arg("-al")
        .arg(src)
        .arg(dst)
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(dst);
    copy_tree(src, dst)
}

/// `cp -a src dst` (modification times kept, which incremental make relies on).
fn copy_tree(src: &Path, dst: &Path) -> Result<()> {
    let out = Command::new("cp")
        .arg("-a")
        .arg(src)
        .arg(dst)
        .output()
        .context("running cp -a")?;
    if !out.status.success() {
        anyhow::bail!(
            "copying {} to {} failed: {}",
            src.display(),
            dst.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Set the modification time of every file of `paths` that exists in `tree` to now. A file
/// still hard-linked to a cached tree gets its own copy first: cached trees never change,
/// not even their timestamps.
fn touch_paths(tree: &Path, paths: &[String]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let now = std::time::SystemTime::now();
    for rel in paths {
        let f = tree.join(rel);
        let Ok(m) = f.symlink_metadata() else {
            continue;
        };
        if m.is_file() {
            if m.nlink() > 1 {
                let tmp = f.with_extension("pinbench-unlink");
                std::fs::copy(&f, &tmp)?;
                std::fs::rename(&tmp, &f)?;
            }
            File::options()
                .write(true)
                .open(&f)
                .and_then(|h| h.set_modified(now))
                .with_context(|| format!("touching {}", f.display()))?;
        }
    }
    Ok(())
}

/// Give every file of `paths` in `tree` the modification time of the same file in `base`
/// (its content is the same: the same patches on the same source).
fn settle_paths(tree: &Path, base: &Path, paths: &[String]) -> Result<()> {
    for rel in paths {
        let (f, b) = (tree.join(rel), base.join(rel));
        if let (Ok(m), true) = (b.metadata().and_then(|m| m.modified()), f.is_file()) {
            File::options()
                .write(true)
                .open(&f)
                .and_then(|h| h.set_modified(m))
                .with_context(|| format!("setting the time of {}", f.display()))?;
        }
    }
    Ok(())
}

/// Apply one -p1 patch in `tree`, after giving every file it touches its own inode (the
/// tree is hard-linked to the cached source, which must never change).
fn apply_patch(tree: &Path, patch: &Path, source_id: &str, log: &mut File) -> Result<()> {
    let text = std::fs::read_to_string(patch)
        .with_context(|| format!("reading patch {}", patch.display()))?;
    let touched = patched_paths(&text);
    if touched.is_empty() {
        return Err(BuildError::PatchFailed {
            patch: patch.to_path_buf(),
            source_id: source_id.to_string(),
            detail: "it changes no file (not a unified diff with a/ and b/ paths?)".into(),
        }
        .into());
    }
    for rel in &touched {
        let p = tree.join(rel);
        if p.is_file() {
            let tmp = p.with_extension("pinbench-unlink");
            std::fs::copy(&p, &tmp)?;
            std::fs::rename(&tmp, &p)?;
        }
    }
    let rej = tree.join(".pinbench.rej");
    let out = Command::new("patch")
        .args([
            "-p1",
            "--batch",
            "--forward",
            "--no-backup-if-mismatch",
            "-r",
        ])
        .arg(&rej)
        .arg("-i")
        .arg(patch)
        .current_dir(tree)
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::Error::new(BuildError::MissingTool {
                    tool: "patch".into(),
                    package: "patch".into(),
                })
            } else {
                anyhow::Error::new(e)
            }
        })?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    writeln!(log, "# patch -p1 < {}\n{said}", patch.display())?;
    if !out.status.success() {
        let rejected = std::fs::read_to_string(&rej).unwrap_or_default();
        let rejected: Vec<&str> = rejected.lines().take(40).collect();
        return Err(BuildError::PatchFailed {
            patch: patch.to_path_buf(),
            source_id: source_id.to_string(),
            detail: format!(
                "{}{}",
                said.trim_end(),
                if rejected.is_empty() {
                    String::new()
                } else {
                    format!("\nrejected hunks:\n{}", rejected.join("\n"))
                }
            ),
        }
        .into());
    }
    let _ = std::fs::remove_file(&rej);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_that_did_not_stick_are_named() {
        let fragment = "# comment\nCONFIG_SWAP=y\nCONFIG_KSM=y\n# CONFIG_SLUB_TINY is not set\nCONFIG_NR_CPUS=8\nCONFIG_CMDLINE=\"x\"\n";
        let config = "CONFIG_KSM=y\n# CONFIG_SWAP is not set\nCONFIG_SLUB_TINY=y\nCONFIG_NR_CPUS=8\nCONFIG_CMDLINE=\"x\"\n";
        let m = check_config(fragment, config);
        assert_eq!(
            m,
            vec![
                Mismatch {
                    option: "CONFIG_SWAP".into(),
                    wanted: "y".into(),
                    got: "it unset".into()
                },
                Mismatch {
                    option: "CONFIG_SLUB_TINY".into(),
                    wanted: "n".into(),
                    got: "y".into()
                },
            ]
        );
        assert!(check_config(
            fragment,
            "CONFIG_SWAP=y\nCONFIG_KSM=y\nCONFIG_NR_CPUS=8\nCONFIG_CMDLINE=\"x\"\n"
        )
        .is_empty());
        let e = BuildError::OptionsDidNotStick {
            fragment: "f.config".into(),
            missing: m,
        }
        .to_string();
        assert!(
            e.contains("CONFIG_SWAP: wanted y, .config has it unset"),
            "{e}"
        );
        assert!(e.contains("Depends on"), "{e}");
    }

    #[test]
    fn patch_paths_strip_one_component() {
        let p = "From: x\n--- a/mm/gup.c\t2026-01-01\n+++ b/mm/gup.c\t2026-01-01\n@@ -1 +1 @@\n-a\n+b\ndiff --git a/new.c b/new.c\n--- /dev/null\n+++ b/mm/new.c\n";
        assert_eq!(patched_paths(p), vec!["mm/gup.c", "mm/new.c"]);
    }

    #[test]
    fn shipped_patch_touches_only_gup() {
        let dir = crate::kernel::spec::specs_dir().join("patches/longterm-implies-write-force");
        let mut n = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            assert_eq!(patched_paths(&text), vec!["mm/gup.c"]);
            n += 1;
        }
        assert_eq!(n, 1);
    }

    #[test]
    fn a_patch_that_does_not_apply_names_the_hunk_and_leaves_the_tree_alone() {
        let d = tempfile::tempdir().unwrap();
        let pristine = d.path().join("src");
        std::fs::create_dir_all(pristine.join("mm")).unwrap();
        std::fs::write(pristine.join("mm/gup.c"), "one\ntwo\nthree\n").unwrap();
        let tree = d.path().join("tree");
        link_tree(&pristine, &tree).unwrap();
        let bad = d.path().join("0001-bad.patch");
        std::fs::write(
            &bad,
            "--- a/mm/gup.c\n+++ b/mm/gup.c\n@@ -1,3 +1,3 @@\n one\n-TWO\n+2\n three\n",
        )
        .unwrap();
        let mut log = File::create(d.path().join("log")).unwrap();
        let e = apply_patch(&tree, &bad, "test-src", &mut log)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("0001-bad.patch") && e.contains("does not apply to test-src"),
            "{e}"
        );
        assert!(e.contains("Hunk #1 FAILED"), "{e}");
        assert!(e.contains("-TWO"), "the rejected hunk is shown: {e}");
        let good = d.path().join("0002-good.patch");
        std::fs::write(
            &good,
            "--- a/mm/gup.c\n+++ b/mm/gup.c\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n",
        )
        .unwrap();
        apply_patch(&tree, &good, "test-src", &mut log).unwrap();
        assert_eq!(
            std::fs::read_to_string(tree.join("mm/gup.c")).unwrap(),
            "one\n2\nthree\n"
        );
        // The hard-linked source is untouched.
        assert_eq!(
            std::fs::read_to_string(pristine.join("mm/gup.c")).unwrap(),
            "one\ntwo\nthree\n"
        );
    }

    /// Write `text` to `dir/name`, return the path.
    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A tinyconfig spec of a local source in `dir` with a `CONFIG_SWAP=y` fragment, and
    /// that source as a tree.
    fn local_spec(dir: &Path, patches: Vec<PathBuf>) -> (Spec, SourceTree) {
        let spec = Spec {
            name: "k".into(),
            description: None,
            path: dir.join("k.toml"),
            source: super::super::spec::Source::Local(dir.into()),
            patches,
            config: write(dir, "p.config", "CONFIG_SWAP=y\n"),
            base_config: super::super::spec::BaseConfig::Tinyconfig,
            cmdline: String::new(),
        };
        let src = SourceTree {
            identity: "debian:linux-source-6.12=1".into(),
            tree: dir.into(),
            relatives: Vec::new(),
        };
        (spec, src)
    }

    #[test]
    fn the_key_changes_with_source_config_patches_and_compiler_only() {
        let d = tempfile::tempdir().unwrap();
        let p1 = write(d.path(), "0001.patch", "--- a/x\n+++ b/x\n");
        let (spec, src) = local_spec(d.path(), vec![p1.clone()]);
        let frag = spec.config.clone();
        let k = |s: &Spec, src: &SourceTree, cc: &str| key(s, src, cc).unwrap();
        let base = k(&spec, &src, "gcc 12");
        // Not part of the build: the name, the description, the command line.
        let same = Spec {
            name: "other".into(),
            description: Some("x".into()),
            cmdline: "quiet".into(),
            ..spec.clone()
        };
        assert_eq!(k(&same, &src, "gcc 12"), base);
        // Part of it: source identity, compiler, base config, fragment and patch bytes.
        let other_src = SourceTree {
            identity: "debian:linux-source-6.12=2".into(),
            ..src.clone()
        };
        assert_ne!(k(&spec, &other_src, "gcc 12"), base);
        assert_ne!(k(&spec, &src, "gcc 13"), base);
        let defconfig = Spec {
            base_config: super::super::spec::BaseConfig::Defconfig,
            ..spec.clone()
        };
        assert_ne!(k(&defconfig, &src, "gcc 12"), base);
        assert_ne!(k(&spec.unpatched(), &src, "gcc 12"), base);
        std::fs::write(&frag, "CONFIG_SWAP=n\n").unwrap();
        let after_config = k(&spec, &src, "gcc 12");
        assert_ne!(after_config, base);
        std::fs::write(&p1, "--- a/x\n+++ b/x\n@@\n").unwrap();
        assert_ne!(k(&spec, &src, "gcc 12"), after_config);
    }

    #[test]
    fn a_series_starts_from_its_longest_built_prefix() {
        let d = tempfile::tempdir().unwrap();
        let patches: Vec<PathBuf> = (1..=4)
            .map(|i| {
                write(
                    d.path(),
                    &format!("000{i}.patch"),
                    &format!("--- a/f{i}\n+++ b/f{i}\n"),
                )
            })
            .collect();
        let (spec, src) = local_spec(d.path(), patches.clone());
        let builds = d.path().join("builds");
        // A finished build entry of the first `k` patches (what Built::open looks for).
        let fake = |k: usize| {
            let prefix = Spec {
                patches: patches[..k].to_vec(),
                ..spec.clone()
            };
            let key = key(&prefix, &src, "gcc").unwrap();
            let o = builds.join(&key).join("linux/o");
            std::fs::create_dir_all(o.join("arch/x86/boot")).unwrap();
            std::fs::write(o.join("arch/x86/boot/bzImage"), "").unwrap();
            std::fs::write(o.join("Module.symvers"), "").unwrap();
            let info = BuildInfo {
                name: format!("k-p{k}"),
                key: key.clone(),
                source: src.identity.clone(),
                base_config: "tinyconfig".into(),
                config_fragment: String::new(),
                config_digest: String::new(),
                patches: vec![],
                compiler: "gcc".into(),
                release: "6.12".into(),
                mode: "full".into(),
                seconds: 1.0,
                jobs: 1,
            };
            std::fs::write(
                builds.join(&key).join("build.json"),
                serde_json::to_vec(&info).unwrap(),
            )
            .unwrap();
            key
        };
        assert!(built_prefix(&builds, &spec, &src, "gcc").unwrap().is_none());
        fake(1);
        let k2 = fake(2);
        fake(4); // the spec itself is not a prefix of itself
        let (k, b) = built_prefix(&builds, &spec, &src, "gcc").unwrap().unwrap();
        assert_eq!((k, b.info.key), (2, k2));
        let k3 = fake(3);
        let (k, b) = built_prefix(&builds, &spec, &src, "gcc").unwrap().unwrap();
        assert_eq!((k, b.info.key), (3, k3));
        // Another compiler's builds are not this one's.
        assert!(built_prefix(&builds, &spec, &src, "gcc 13")
            .unwrap()
            .is_none());
    }

    #[test]
    fn log_tail_keeps_the_first_error() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("log");
        let mut text = String::from("x\nmm/gup.c:12:1: error: expected ';'\n");
        for i in 0..50 {
            text.push_str(&format!("line {i}\n"));
        }
        std::fs::write(&p, text).unwrap();
        let t = log_tail(&p, 5);
        assert!(t.starts_with("(first error) mm/gup.c:12:1: error"), "{t}");
        assert!(t.ends_with("line 49"), "{t}");
    }
}
