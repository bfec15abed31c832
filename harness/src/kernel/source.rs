//! Kernel source trees for spec builds: a Debian `linux-source-X.Y` package, a local tree,
//! or a git repository at a revision. Each comes with an *identity* string that names its
//! exact content (package version, commit, or a fingerprint of the local tree), which the
//! build cache key includes.
//!
//! Cache layout (every entry made in a `.partial-*` directory and renamed into place):
//! - `sources/debian/<package>_<version>/linux/`: the tarball inside the package, extracted
//!   (`apt-get download` + `dpkg-deb -x` + `tar -x`; nothing is installed).
//! - `sources/git/<url-digest>.git`: a bare clone; `sources/git/<commit>/linux/`: the commit's
//!   tree. The first commit of a repository is exported whole (`git archive`); a later one is
//!   derived from the nearest commit already in the cache (fewest changed files): a hard-linked
//!   copy of that tree with the changed files removed and re-extracted from the commit. A
//!   bisect step over a few commits then costs seconds, not a 1.4 GB export. The cached
//!   relatives and what changed are handed to the build ([`SourceTree::relatives`]), which
//!   starts from a relative's build when one exists.
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
    /// Other trees of the same repository in the cache, nearest (fewest changed files)
    /// first: a build of one of them is where an incremental build starts. Empty for
    /// Debian and local sources.
    pub relatives: Vec<Relative>,
}

/// A cached tree of another commit of the same repository, and how it differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relative {
    /// `git:<commit>`.
    pub identity: String,
    /// Paths (relative to the tree) added, modified or deleted between it and this tree.
    pub changed: Vec<String>,
}

/// Most cached trees of a repository looked at for a relative (newest first).
const MAX_RELATIVES: usize = 32;
/// A tree with more changed files than this is exported whole instead of derived.
const MAX_DERIVED_CHANGES: usize = 40_000;

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
        return Ok(SourceTree {
            identity,
            tree,
            relatives: Vec::new(),
        });
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
    Ok(SourceTree {
        identity,
        tree,
        relatives: Vec::new(),
    })
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
        relatives: Vec::new(),
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
    let changes = relatives(&gitdir, &mirror, &commit);
    let relatives: Vec<Relative> = changes
        .iter()
        .map(|(c, ch)| Relative {
            identity: format!("git:{c}"),
            changed: ch.iter().map(|(_, p)| p.clone()).collect(),
        })
        .collect();
    let done = SourceTree {
        identity: format!("git:{commit}"),
        tree: tree.clone(),
        relatives,
    };
    if tree.join("Makefile").is_file() {
        return Ok(done);
    }
    let tmp = cache::temp_dir_in(&gitdir)?;
    let out = tmp.path().join("linux");
    match changes.first() {
        Some((near, ch)) if ch.len() <= MAX_DERIVED_CHANGES => {
            progress(&format!(
                "deriving {commit} from the cached {near} ({} changed files)",
                ch.len()
            ));
            derive_tree(&mirror, &gitdir.join(near).join("linux"), &commit, ch, &out)?;
        }
        _ => {
            progress(&format!("checking out {commit} (git archive)"));
            std::fs::create_dir(&out)?;
            extract(&mirror, &commit, &[], &out)?;
        }
    }
    if !out.join("Makefile").is_file() {
        bail!("`git archive {commit}` from {url} did not give a kernel tree (no Makefile)");
    }
    cache::commit_dir(tmp, &dest)?;
    Ok(done)
}

/// One changed path between two commits: git's status letter (A, M, D, T) and the path.
type Change = (char, String);

/// `git diff --name-status --no-renames` between two commits, parsed.
fn diff(mirror: &Path, from: &str, to: &str) -> Result<Vec<Change>> {
    let out = run(
        Command::new("git").arg("--git-dir").arg(mirror).args([
            "diff",
            "--name-status",
            "--no-renames",
            "-z",
            from,
            to,
        ]),
        &format!("`git diff {from} {to}`"),
    )?;
    parse_name_status(&out.stdout)
}

/// Parse `git diff --name-status -z` output (`M\0path\0A\0path\0...`).
fn parse_name_status(raw: &[u8]) -> Result<Vec<Change>> {
    let mut v = Vec::new();
    let mut it = raw.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let Some(status) = it.next() {
        let path = it
            .next()
            .with_context(|| format!("git diff gave a status without a path: {status:?}"))?;
        let st = *status.first().unwrap_or(&b'?') as char;
        v.push((st, String::from_utf8_lossy(path).into_owned()));
    }
    Ok(v)
}

/// Cached trees of other commits in `mirror`, each with its changes to `commit`, nearest
/// first. Only the newest [`MAX_RELATIVES`] trees of this repository are looked at.
fn relatives(gitdir: &Path, mirror: &Path, commit: &str) -> Vec<(String, Vec<Change>)> {
    let mut trees: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(gitdir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let ok = name.len() == 40
                        && name.chars().all(|c| c.is_ascii_hexdigit())
                        && name != commit
                        && e.path().join("linux/Makefile").is_file();
                    let t = e.metadata().and_then(|m| m.modified()).ok()?;
                    ok.then_some((t, name))
                })
                .collect()
        })
        .unwrap_or_default();
    trees.sort_by_key(|t| std::cmp::Reverse(t.0));
    let in_mirror = |c: &str| {
        Command::new("git")
            .arg("--git-dir")
            .arg(mirror)
            .args(["cat-file", "-e"])
            .arg(format!("{c}^{{commit}}"))
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let mut v: Vec<(String, Vec<Change>)> = trees
        .into_iter()
        .map(|(_, c)| c)
        .filter(|c| in_mirror(c))
        .take(MAX_RELATIVES)
        .filter_map(|c| diff(mirror, &c, commit).ok().map(|d| (c, d)))
        .collect();
    v.sort_by_key(|(_, d)| d.len());
    v
}

/// Write `commit`'s files into `out` with `git archive | tar -x` (every file, or only
/// `paths`, in batches; paths are literal, never globs).
fn extract(mirror: &Path, commit: &str, paths: &[&str], out: &Path) -> Result<()> {
    let batches: Vec<&[&str]> = if paths.is_empty() {
        vec![&[]]
    } else {
        paths.chunks(1000).collect()
    };
    for batch in batches {
        let mut archive = Command::new("git")
            .arg("--literal-pathspecs")
            .arg("--git-dir")
            .arg(mirror)
            .args(["archive", "--format=tar", commit, "--"])
            .args(batch)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("running git archive")?;
        let tar = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(out)
            .stdin(archive.stdout.take().context("git archive's output")?)
            .status()
            .context("running tar -x")?;
        let a = archive.wait()?;
        if !a.success() || !tar.success() {
            bail!(
                "`git archive {commit}` | tar -x into {} failed (git {a}, tar {tar})",
                out.display()
            );
        }
    }
    Ok(())
}

/// The tree of `commit` made from the tree of a nearby commit: a hard-linked copy, with
/// every changed path removed (so no shared inode is ever written) and the added or
/// modified ones extracted from `commit`.
fn derive_tree(
    mirror: &Path,
    near: &Path,
    commit: &str,
    changes: &[Change],
    out: &Path,
) -> Result<()> {
    let ok = Command::new("cp")
        .arg("-al")
        .arg(near)
        .arg(out)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        bail!(
            "hard-linking {} to {} failed",
            near.display(),
            out.display()
        );
    }
    for (_, p) in changes {
        let f = out.join(p);
        if f.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
            std::fs::remove_file(&f).with_context(|| format!("removing {}", f.display()))?;
        }
    }
    let write: Vec<&str> = changes
        .iter()
        .filter(|(st, _)| *st != 'D')
        .map(|(_, p)| p.as_str())
        .collect();
    if !write.is_empty() {
        extract(mirror, commit, &write, out)?;
    }
    Ok(())
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
        let git = |args: &[&str]| crate::testutil::git(repo.path(), args);
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

    /// Every file under `root` with its content, mode and link target, for comparing trees.
    fn listing(root: &Path) -> Vec<(String, Vec<u8>, u32)> {
        let mut v = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let m = p.symlink_metadata().unwrap();
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                if m.is_dir() {
                    stack.push(p);
                } else if m.file_type().is_symlink() {
                    let t = std::fs::read_link(&p).unwrap();
                    v.push((rel, t.as_os_str().as_encoded_bytes().to_vec(), 0));
                } else {
                    v.push((rel, std::fs::read(&p).unwrap(), m.mode() & 0o111));
                }
            }
        }
        v.sort();
        v
    }

    #[test]
    fn a_later_commit_is_derived_from_the_nearest_cached_tree_exactly() {
        let cache_dir = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| crate::testutil::git(repo.path(), args);
        let w = |rel: &str, text: &str| {
            let p = repo.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        git(&["init", "-q"]);
        w("Makefile", "all:\n");
        w("mm/gup.c", "one\n");
        w("mm/old.c", "old\n");
        w("odd [name]*.c", "glob characters are literal\n");
        w("scripts/run.sh", "#!/bin/sh\n");
        std::os::unix::fs::symlink("gup.c", repo.path().join("mm/link.c")).unwrap();
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "one"]);
        let c1 = git(&["rev-parse", "HEAD"]);
        w("mm/gup.c", "two\n");
        std::fs::remove_file(repo.path().join("mm/old.c")).unwrap();
        w("mm/new/file.c", "new\n");
        w("odd [name]*.c", "changed\n");
        std::fs::set_permissions(
            repo.path().join("scripts/run.sh"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "two"]);
        let c2 = git(&["rev-parse", "HEAD"]);
        let url = repo.path().display().to_string();
        let t1 = git_tree(cache_dir.path(), &url, &c1, &|_| {}).unwrap();
        assert!(t1.relatives.is_empty(), "nothing cached before the first");
        let before = listing(&t1.tree);
        let said = std::cell::RefCell::new(Vec::new());
        let t2 = git_tree(cache_dir.path(), &url, &c2, &|m| {
            said.borrow_mut().push(m.to_string())
        })
        .unwrap();
        assert!(
            said.borrow().iter().any(|m| m.starts_with("deriving")),
            "{said:?}"
        );
        assert_eq!(t2.identity, format!("git:{c2}"));
        let mut changed = t2.relatives[0].changed.clone();
        changed.sort();
        assert_eq!(t2.relatives[0].identity, format!("git:{c1}"));
        assert_eq!(
            changed,
            [
                "mm/gup.c",
                "mm/new/file.c",
                "mm/old.c",
                "odd [name]*.c",
                "scripts/run.sh"
            ]
        );
        // The derived tree equals a full export of the commit...
        let full = tempfile::tempdir().unwrap();
        let mirror = std::fs::read_dir(cache_dir.path().join("sources/git"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "git"))
            .unwrap();
        extract(&mirror, &c2, &[], full.path()).unwrap();
        assert_eq!(listing(&t2.tree), listing(full.path()));
        assert_eq!(
            std::fs::read_to_string(t2.tree.join("mm/gup.c")).unwrap(),
            "two\n"
        );
        assert!(!t2.tree.join("mm/old.c").exists());
        // ...and the tree it was derived from is untouched (no shared inode was written).
        assert_eq!(listing(&t1.tree), before);
        // Asked again, both are found in the cache, each the other's relative.
        let t1b = git_tree(cache_dir.path(), &url, &c1, &|_| {}).unwrap();
        assert_eq!(t1b.relatives[0].identity, format!("git:{c2}"));
    }

    #[test]
    fn name_status_parses_nul_separated_pairs() {
        let raw = b"M\0mm/gup.c\0A\0a b\nc\0D\0x\0";
        assert_eq!(
            parse_name_status(raw).unwrap(),
            vec![
                ('M', "mm/gup.c".to_string()),
                ('A', "a b\nc".to_string()),
                ('D', "x".to_string())
            ]
        );
        assert!(parse_name_status(b"M\0").is_err());
    }
}
