//! Kernel source trees for spec builds: a Debian `linux-source-X.Y` package, a local tree,
//! or a git repository at a revision. Each comes with an *identity* string that names its
//! exact content (package version, commit, or a fingerprint of the local tree), which the
//! build cache key includes.
//!
//! Cache layout (every entry made in a `.partial-*` directory and renamed into place):
//! - `sources/debian/<package>_<version>/linux/`: the tarball inside the package, extracted
//!   (`apt-get download` + `dpkg-deb -x` + `tar -x`; nothing is installed).
//! - `sources/git/<url-digest>.git`: a bare clone; `sources/git/<commit>/linux/`: `git archive`
//!   of the commit.
//!
//! Source trees in the cache are never built in or written to: builds work in a hard-linked
//! copy (see `build`).

use super::cache;
use super::spec::Source;
use super::KernelError;
use anyhow::{bail, Context, Result};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A source tree ready to copy and build.
#[derive(Debug, Clone)]
pub struct SourceTree {
    /// What exactly this is: `debian:linux-source-6.12=6.12.117-1~deb12u1`, `git:<commit>`,
    /// `local:<path>@<fingerprint>`.
    pub identity: String,
    /// The tree (its top-level Makefile is the kernel's).
    pub tree: PathBuf,
}

/// Fetch (or find in the cache) the tree of `source`.
pub fn fetch(source: &Source, progress: &dyn Fn(&str)) -> Result<SourceTree> {
    match source {
        Source::Debian { package, version } => {
            let version = match version {
                Some(v) => v.clone(),
                None => candidate_version(package)?,
            };
            debian_tree(&cache::root(), package, &version, progress)
        }
        Source::Local(path) => local_tree(path, progress),
        Source::Git { url, rev } => git_tree(&cache::root(), url, rev, progress),
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<std::process::Output> {
    let prog = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::Error::new(KernelError::MissingTool {
                package: match prog.as_str() {
                    "apt-get" | "apt-cache" => "apt".into(),
                    "dpkg-deb" => "dpkg".into(),
                    "tar" => "tar xz-utils".into(),
                    other => other.into(),
                },
                tool: prog.clone(),
            })
        } else {
            anyhow::Error::new(e)
        }
    });
    let out = out.with_context(|| what.to_string())?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}

/// The version apt would install of `package` (`apt-cache policy`).
pub fn candidate_version(package: &str) -> Result<String> {
    let out = run(
        Command::new("apt-cache").args(["policy", package]),
        &format!("asking apt-cache for the version of {package}"),
    )?;
    parse_candidate(&String::from_utf8_lossy(&out.stdout)).ok_or_else(|| {
        KernelError::MissingPackage {
            package: package.to_string(),
        }
        .into()
    })
}

fn parse_candidate(policy: &str) -> Option<String> {
    policy
        .lines()
        .find_map(|l| l.trim().strip_prefix("Candidate:"))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty() && v != "(none)")
}

fn debian_tree(
    root: &Path,
    package: &str,
    version: &str,
    progress: &dyn Fn(&str),
) -> Result<SourceTree> {
    let identity = format!("debian:{package}={version}");
    let dest = root
        .join("sources/debian")
        .join(format!("{package}_{}", version.replace(':', "%")));
    let tree = dest.join("linux");
    if tree.join("Makefile").is_file() {
        return Ok(SourceTree { identity, tree });
    }
    let tmp = cache::temp_dir_in(dest.parent().unwrap())?;
    progress(&format!(
        "downloading {package} {version} (apt-get download)"
    ));
    let spec = format!("{package}={version}");
    run(
        Command::new("apt-get")
            .args(["download", "-q", &spec])
            .current_dir(tmp.path()),
        &format!("`apt-get download {spec}`"),
    )
    .map_err(|e| KernelError::DownloadFailed {
        package: spec.clone(),
        detail: format!("{e:#}"),
    })?;
    let deb = std::fs::read_dir(tmp.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .with_context(|| format!("apt-get download {spec} left no .deb"))?;
    let x = tmp.path().join("deb");
    run(
        Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&x),
        &format!("extracting {}", deb.display()),
    )?;
    let tarball = std::fs::read_dir(x.join("usr/src"))
        .with_context(|| format!("{} has no usr/src", deb.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains(".tar"))
        .with_context(|| format!("no source tarball in {}/usr/src", deb.display()))?;
    progress(&format!("unpacking {}", tarball.display()));
    let unpack = tmp.path().join("unpack");
    std::fs::create_dir(&unpack)?;
    run(
        Command::new("tar")
            .arg("-xf")
            .arg(&tarball)
            .arg("-C")
            .arg(&unpack),
        &format!("unpacking {}", tarball.display()),
    )?;
    let top = single_subdir(&unpack)?;
    std::fs::rename(&top, tmp.path().join("linux"))?;
    std::fs::remove_dir_all(&x)?;
    std::fs::remove_dir_all(&unpack)?;
    std::fs::remove_file(&deb)?;
    cache::commit_dir(tmp, &dest)?;
    Ok(SourceTree { identity, tree })
}

fn single_subdir(dir: &Path) -> Result<PathBuf> {
    let subs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    match subs.as_slice() {
        [one] if one.join("Makefile").is_file() => Ok(one.clone()),
        _ => bail!(
            "expected one kernel tree in {}, found {:?}",
            dir.display(),
            subs
        ),
    }
}

/// A local tree as it is now: identity from a fingerprint of every file's path, size and
/// modification time (`.git` and build output directories `o/` excluded).
fn local_tree(path: &Path, progress: &dyn Fn(&str)) -> Result<SourceTree> {
    let tree = path
        .canonicalize()
        .with_context(|| format!("local source tree {}", path.display()))?;
    if !tree.join("Makefile").is_file() || !tree.join("mm").is_dir() {
        bail!(
            "local source {} is not a kernel tree (no Makefile and mm/); point `local` at the top of a Linux source tree",
            tree.display()
        );
    }
    if tree.join(".config").exists() || tree.join("include/config").exists() {
        bail!(
            "local source {} has been configured or built in place (.config or include/config exists): out-of-tree builds need a clean tree; run `make mrproper` there (or use a fresh checkout)",
            tree.display()
        );
    }
    progress("fingerprinting the local tree");
    let fp = fingerprint(&tree)?;
    Ok(SourceTree {
        identity: format!("local:{}@{}", tree.display(), &fp[..16]),
        tree,
    })
}

/// sha256 over (relative path, size, mtime) of every file under `root`, sorted.
pub fn fingerprint(root: &Path) -> Result<String> {
    let mut entries: Vec<String> = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let e = e?;
            let p = e.path();
            let name = e.file_name();
            let ft = e.file_type()?;
            if ft.is_dir() {
                if dir == root && (name == ".git" || name == "o") {
                    continue;
                }
                stack.push(p);
            } else {
                let m = e.metadata()?;
                let rel = p.strip_prefix(root).unwrap_or(&p);
                entries.push(format!(
                    "{}\0{}\0{}.{}",
                    rel.display(),
                    m.len(),
                    m.mtime(),
                    m.mtime_nsec()
                ));
            }
        }
    }
    entries.sort();
    Ok(cache::digest(entries.iter().map(|s| s.as_bytes())))
}

fn git_tree(root: &Path, url: &str, rev: &str, progress: &dyn Fn(&str)) -> Result<SourceTree> {
    let gitdir = root.join("sources/git");
    let mirror = gitdir.join(format!("{}.git", &cache::digest([url.as_bytes()])[..16]));
    if !mirror.join("HEAD").is_file() {
        progress(&format!("cloning {url} (bare)"));
        let tmp = cache::temp_dir_in(&gitdir)?;
        run(
            Command::new("git")
                .args(["clone", "--bare", "--quiet", url])
                .arg(tmp.path().join("m.git")),
            &format!("`git clone --bare {url}`"),
        )?;
        let m = tmp.path().join("m.git");
        let kept = tmp.keep();
        let r = std::fs::rename(&m, &mirror);
        let _ = std::fs::remove_dir_all(&kept);
        if r.is_err() && !mirror.join("HEAD").is_file() {
            r.with_context(|| format!("moving the clone to {}", mirror.display()))?;
        }
    }
    let resolve = || {
        Command::new("git")
            .arg("--git-dir")
            .arg(&mirror)
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{rev}^{{commit}}"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = match resolve() {
        Some(c) => c,
        None => {
            progress(&format!("fetching {rev} from {url}"));
            let fetch = |what: &[&str]| {
                run(
                    Command::new("git")
                        .arg("--git-dir")
                        .arg(&mirror)
                        .args(["fetch", "--quiet", "--tags", "origin"])
                        .args(what),
                    &format!("`git fetch` of {rev} from {url}"),
                )
            };
            // Branches and tags first; a bare commit id only if that did not bring it.
            fetch(&["+refs/heads/*:refs/heads/*"])?;
            if resolve().is_none() {
                let _ = fetch(&[rev]);
            }
            resolve().with_context(|| {
                format!(
                    "{url} has no revision `{rev}`: use a tag, branch or commit that exists there"
                )
            })?
        }
    };
    let dest = gitdir.join(&commit);
    let tree = dest.join("linux");
    if tree.join("Makefile").is_file() {
        return Ok(SourceTree {
            identity: format!("git:{commit}"),
            tree,
        });
    }
    progress(&format!("checking out {commit} (git archive)"));
    let tmp = cache::temp_dir_in(&gitdir)?;
    let out = tmp.path().join("linux");
    std::fs::create_dir(&out)?;
    let status = Command::new("sh")
        .arg("-c")
        .arg("git --git-dir \"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\"")
        .arg("sh")
        .arg(&mirror)
        .arg(&commit)
        .arg(&out)
        .status()
        .context("running git archive | tar")?;
    if !status.success() || !out.join("Makefile").is_file() {
        bail!("`git archive {commit}` from {url} did not give a kernel tree ({status})");
    }
    cache::commit_dir(tmp, &dest)?;
    Ok(SourceTree {
        identity: format!("git:{commit}"),
        tree,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_is_read_from_apt_cache_policy() {
        let p = "linux-source-6.12:\n  Installed: (none)\n  Candidate: 6.12.117-1~deb12u1\n  Version table:\n";
        assert_eq!(parse_candidate(p).as_deref(), Some("6.12.117-1~deb12u1"));
        assert_eq!(
            parse_candidate("x:\n  Installed: (none)\n  Candidate: (none)\n"),
            None
        );
        assert_eq!(parse_candidate(""), None);
    }

    #[test]
    fn fingerprint_changes_with_content_and_ignores_git() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("mm")).unwrap();
        std::fs::create_dir_all(d.path().join(".git")).unwrap();
        std::fs::write(d.path().join("mm/gup.c"), "a").unwrap();
        let a = fingerprint(d.path()).unwrap();
        std::fs::write(d.path().join(".git/index"), "zz").unwrap();
        assert_eq!(a, fingerprint(d.path()).unwrap());
        std::fs::write(d.path().join("mm/gup.c"), "ab").unwrap();
        assert_ne!(a, fingerprint(d.path()).unwrap());
    }

    #[test]
    fn git_source_at_a_tag_is_archived_and_identified_by_commit() {
        // A tiny repository standing in for a kernel: the fetch path is the same.
        let cache_dir = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let o = Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .current_dir(repo.path())
                .output()
                .unwrap();
            assert!(o.status.success(), "{args:?}: {o:?}");
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        };
        git(&["init", "-q"]);
        std::fs::write(repo.path().join("Makefile"), "all:\n").unwrap();
        git(&["add", "Makefile"]);
        git(&["commit", "-q", "-m", "one"]);
        git(&["tag", "v1"]);
        let commit = git(&["rev-parse", "HEAD"]);
        let t = git_tree(
            cache_dir.path(),
            &repo.path().display().to_string(),
            "v1",
            &|_| {},
        )
        .unwrap();
        assert_eq!(t.identity, format!("git:{commit}"));
        assert!(t.tree.join("Makefile").is_file());
        assert!(t.tree.starts_with(cache_dir.path()));
    }
}
