//! Bisecting real kernels: candidates are kernel specs; measuring one is a `pinbench run`
//! of only the metric's workload (narrowed to its cell for `pin-latency`) into the bisect
//! directory, then reading that cell back.
//!
//! Three kinds of candidate lists:
//! - Debian point releases of one line, `debian:<release>` ([`debian_candidates`]);
//! - the prefixes of a spec's patch series: 0 patches (good) to all of them (bad), each a
//!   spec file written to `<dir>/specs/` ([`series_candidates`]); each prefix is built
//!   incrementally from the unpatched build;
//! - the first-parent commits of a git range, good first, each a spec file with a `git`
//!   source at that commit and another spec's config ([`git_candidates`]); each commit's
//!   tree and build start from the nearest commit already built.
//!
//! The bisect directory is the log: `candidates.json` (the ordered candidates), one run
//! directory per measurement (`c<index>-m<attempt>`), `log.jsonl` (a line per step, written
//! as it happens) and `result.json` / `result.txt` at the end. Running the same bisect again
//! with the same directory reuses every finished measurement, so an interrupted bisect
//! resumes where it stopped (the decisions are deterministic: seeded bootstraps).

use super::{Broken, Candidate, Measure, Observation};
use crate::kernel::spec::{Source, Spec};
use crate::nightly::remeasure_args;
use crate::run::{run, RunOptions};
use crate::ui::Ui;
use crate::vm::accel::AccelChoice;
use crate::vm::qemu::Clock;
use anyhow::{bail, Context, Result};
use report::compare::{load_spec, CellData};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// The ordered Debian releases from `good` to `bad` (both `debian:<release>`, same line).
pub fn debian_candidates(good: &str, bad: &str, available: &[String]) -> Result<Vec<String>> {
    let rel = |s: &str| -> Result<String> {
        let body = s.strip_prefix("debian:").with_context(|| {
            format!(
                "`{s}`: give Debian releases as debian:<release>, e.g. debian:6.12.100+deb12-amd64"
            )
        })?;
        crate::kernel::debian::resolve(body, available).map_err(Into::into)
    };
    let (g, b) = (rel(good)?, rel(bad)?);
    let key = crate::kernel::debian::version_key;
    let line = |r: &str| -> String {
        let k = key(r);
        format!(
            "{}.{}",
            k.first().copied().unwrap_or(0),
            k.get(1).copied().unwrap_or(0)
        )
    };
    if line(&g) != line(&b) {
        bail!("{good} and {bad} are on different lines ({} and {}); bisect point releases of one line", line(&g), line(&b));
    }
    if key(&g) >= key(&b) {
        bail!("--good {good} is not older than --bad {bad}; give the older release as --good");
    }
    let mut v: Vec<&String> = available
        .iter()
        .filter(|r| crate::kernel::debian::in_line(r, &line(&g)))
        .filter(|r| key(r) >= key(&g) && key(r) <= key(&b))
        .collect();
    v.sort_by_key(|r| key(r));
    Ok(v.into_iter().map(|r| format!("debian:{r}")).collect())
}

/// Write `spec` to `<dir>/specs/<name>.toml` and give its path as a `--kernel` argument. A
/// file already there must say the same (a resumed bisect regenerates identical files).
fn write_spec(dir: &Path, spec: &Spec) -> Result<String> {
    let specs = dir.join("specs");
    std::fs::create_dir_all(&specs).with_context(|| format!("creating {}", specs.display()))?;
    let path = specs.join(format!("{}.toml", spec.name));
    let text = spec.to_toml();
    match std::fs::read_to_string(&path) {
        Ok(have) if have == text => {}
        Ok(_) => bail!(
            "{} holds another bisect ({} differs); use a new --dir",
            dir.display(),
            path.display()
        ),
        Err(_) => results::store::write_atomic(&path, text.as_bytes())?,
    }
    Ok(path.display().to_string())
}

/// Pin a Debian source to the version apt offers now, so every candidate (and a resumed
/// bisect) builds the same source.
fn pinned(spec: &Spec) -> Result<Spec> {
    let mut s = spec.clone();
    if let Source::Debian {
        package,
        version: None,
    } = &spec.source
    {
        s.source = Source::Debian {
            package: package.clone(),
            version: Some(crate::kernel::source::candidate_version(package)?),
        };
    }
    Ok(s)
}

/// The prefixes of `spec`'s patch series, from none (the good end) to all (the bad end),
/// as spec files in `<dir>/specs/`.
pub fn series_candidates(spec: &Spec, dir: &Path) -> Result<Vec<Candidate>> {
    if spec.patches.is_empty() {
        bail!(
            "kernel spec {} has no patches: a patch-series bisect needs `patches = [...]` in the spec",
            spec.path.display()
        );
    }
    let base = pinned(spec)?;
    (0..=spec.patches.len())
        .map(|i| {
            let s = Spec {
                name: format!("{}-p{i}", spec.name),
                description: Some(format!(
                    "bisect candidate: {} with the first {i} of its {} patches",
                    spec.name,
                    spec.patches.len()
                )),
                patches: spec.patches[..i].to_vec(),
                ..base.clone()
            };
            let label = match i {
                0 => format!("{} (no patches)", spec.name),
                _ => format!(
                    "+ {}",
                    spec.patches[i - 1]
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                ),
            };
            Ok(Candidate {
                spec: write_spec(dir, &s)?,
                label,
            })
        })
        .collect()
}

fn git_in(repo: &Path, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!(
            "`git {}` in {}: {}",
            args.join(" "),
            repo.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The commits from `good` to `bad` in the repository at `repo` (first-parent history, a
/// merge is one step), good first, each a spec file (a `git` source at that commit, with
/// `config`'s config fragment, base config and command line) in `<dir>/specs/`.
pub fn git_candidates(
    repo: &Path,
    good: &str,
    bad: &str,
    config: &Spec,
    dir: &Path,
) -> Result<Vec<Candidate>> {
    let repo = repo
        .canonicalize()
        .with_context(|| format!("--git {}: no such directory", repo.display()))?;
    git_in(&repo, &["rev-parse", "--git-dir"]).with_context(|| {
        format!(
            "--git {} is not a git repository (give the top of a kernel checkout)",
            repo.display()
        )
    })?;
    if !config.patches.is_empty() {
        bail!(
            "--spec {} has patches; a git-range bisect builds each commit as it is and takes only the spec's config, base_config and cmdline: use a spec without patches",
            config.path.display()
        );
    }
    let commit = |rev: &str, what: &str| {
        git_in(
            &repo,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )
        .ok()
        .filter(|c| !c.is_empty())
        .with_context(|| format!("--{what} {rev}: no such commit in {}", repo.display()))
    };
    let (g, b) = (commit(good, "good")?, commit(bad, "bad")?);
    if g == b {
        bail!("--good and --bad are the same commit {g}");
    }
    if git_in(&repo, &["merge-base", "--is-ancestor", &g, &b]).is_err() {
        bail!("--good {good} is not an ancestor of --bad {bad}: give the older commit as --good");
    }
    let list = git_in(
        &repo,
        &[
            "log",
            "--reverse",
            "--first-parent",
            "--ancestry-path",
            "--format=%H %s",
            &format!("{g}..{b}"),
        ],
    )?;
    let subject = git_in(&repo, &["log", "-1", "--format=%H %s", &g])?;
    let mut v = Vec::new();
    let mut last = String::new();
    for line in std::iter::once(subject.as_str()).chain(list.lines()) {
        let (c, subj) = line.split_once(' ').unwrap_or((line, ""));
        last = c.to_string();
        let s = Spec {
            name: format!("git-{}", &c[..12]),
            description: Some(format!(
                "bisect candidate: commit {c} of {}",
                repo.display()
            )),
            source: Source::Git {
                url: repo.display().to_string(),
                rev: c.to_string(),
            },
            patches: Vec::new(),
            ..config.clone()
        };
        v.push(Candidate {
            spec: write_spec(dir, &s)?,
            label: format!("{} {subj}", &c[..12]),
        });
    }
    if last != b {
        bail!("--bad {bad} is not on the first-parent history from --good {good}; bisect a range along one branch");
    }
    Ok(v)
}

/// How a bisect measures.
#[derive(Debug, Clone)]
pub struct RealOptions {
    pub metric: String,
    pub clock: Clock,
    pub accel: AccelChoice,
    pub dir: PathBuf,
    pub module_params: String,
}

/// Measures candidates by running them.
pub struct RealMeasure<'a> {
    pub candidates: Vec<Candidate>,
    pub opts: RealOptions,
    pub ui: &'a Ui,
    pub cancel: &'a AtomicBool,
    attempts: HashMap<usize, u32>,
    /// Every sample measured per candidate (for the effect size and the figure).
    pub samples: BTreeMap<usize, Vec<f64>>,
    /// The behaviour last observed per candidate (behaviour metrics).
    pub behaviour: BTreeMap<usize, String>,
}

impl<'a> RealMeasure<'a> {
    pub fn new(
        candidates: Vec<Candidate>,
        opts: RealOptions,
        ui: &'a Ui,
        cancel: &'a AtomicBool,
    ) -> Self {
        RealMeasure {
            candidates,
            opts,
            ui,
            cancel,
            attempts: HashMap::new(),
            samples: BTreeMap::new(),
            behaviour: BTreeMap::new(),
        }
    }
}

/// Run `spec` once into `dir` (`repeats` boots), only what `metric` needs, and read the
/// metric's cell back. A run directory that already finished is read, not run again.
pub fn measure_spec(
    spec: &str,
    dir: &Path,
    repeats: u32,
    o: &RealOptions,
    ui: &Ui,
    cancel: &AtomicBool,
) -> Result<Observation, Broken> {
    let finished = results::store::load_run(dir)
        .map(|m| m.complete)
        .unwrap_or(false);
    if !finished {
        if dir.exists() {
            // An interrupted measurement: move it aside, never overwrite it.
            let aside = dir.with_extension(format!("interrupted-{}", std::process::id()));
            std::fs::rename(dir, &aside).map_err(|e| Broken(format!("{}: {e}", dir.display())))?;
        }
        let (workloads, args) = remeasure_args(&[o.metric.as_str()]);
        let summary = run(
            &RunOptions {
                kernels: vec![spec.to_string()],
                workloads,
                quick: false,
                repeat: repeats,
                accel: o.accel,
                clock: o.clock,
                memory_mib: 1024,
                cpus: None,
                jobs: Some(1),
                out: Some(dir.to_path_buf()),
                timeout_s: None,
                module_override: None,
                module_params: o.module_params.clone(),
                extra_cmdline: String::new(),
                workload_args: args,
                command_line: std::env::args().collect(),
            },
            ui,
            cancel,
        )
        .map_err(|e| Broken(format!("{e:#}")))?;
        if let Some(k) = summary.meta.kernels.first() {
            if !k.status.is_ok() {
                return Err(Broken(format!("{spec}: {:?}", k.status)));
            }
        }
    }
    let mut warnings = Vec::new();
    let mut data = load_spec(&dir.display().to_string(), false, &mut warnings)
        .map_err(|e| Broken(format!("reading {}: {e}", dir.display())))?;
    let k = data.pop().ok_or_else(|| Broken("empty run".into()))?;
    match k.cells.get(&o.metric).map(|c| &c.data) {
        Some(CellData::Numbers(v)) => Ok(Observation::Samples(v.clone())),
        Some(CellData::Observed(s)) => Ok(Observation::Behaviour(
            s.iter().cloned().collect::<Vec<_>>().join(" | "),
        )),
        Some(CellData::Skipped(why)) => Err(Broken(format!(
            "{spec} skips {}: {}",
            o.metric,
            why.iter().cloned().collect::<Vec<_>>().join("; ")
        ))),
        None => Err(Broken(format!(
            "{spec} recorded no {} (is the metric id right? `pinbench compare` lists ids)",
            o.metric
        ))),
    }
}

impl Measure for RealMeasure<'_> {
    fn measure(&mut self, i: usize, repeats: u32) -> Result<Observation, Broken> {
        let a = self.attempts.entry(i).or_insert(0);
        *a += 1;
        let dir = self.opts.dir.join(format!("c{i}-m{a}"));
        let r = measure_spec(
            &self.candidates[i].spec,
            &dir,
            repeats,
            &self.opts,
            self.ui,
            self.cancel,
        );
        match &r {
            Ok(Observation::Samples(v)) => self.samples.entry(i).or_default().extend(v),
            Ok(Observation::Behaviour(b)) => {
                self.behaviour.insert(i, b.clone());
            }
            Err(_) => {}
        }
        let line = serde_json::json!({
            "candidate": i,
            "spec": self.candidates[i].spec,
            "label": self.candidates[i].label,
            "attempt": *a,
            "repeats": repeats,
            "run": dir.file_name().map(|n| n.to_string_lossy().into_owned()),
            "samples": match &r { Ok(Observation::Samples(v)) => v.len(), _ => 0 },
            "behaviour": match &r { Ok(Observation::Behaviour(b)) => Some(b.clone()), _ => None },
            "broken": r.as_ref().err().map(|b| b.0.clone()),
            "time": chrono::Utc::now().to_rfc3339(),
        });
        let log = self.opts.dir.join("log.jsonl");
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| {
                use std::io::Write;
                writeln!(f, "{line}")
            });
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_in(dir: &Path, patches: &[&str], source: &str) -> Spec {
        std::fs::write(dir.join("f.config"), "CONFIG_SWAP=y\n").unwrap();
        for p in patches {
            std::fs::write(dir.join(p), "--- a/mm/gup.c\n+++ b/mm/gup.c\n").unwrap();
        }
        let list: Vec<String> = patches.iter().map(|p| format!("{p:?}")).collect();
        let text = format!(
            "name = \"s\"\nconfig = \"f.config\"\ncmdline = \"x=1\"\npatches = [{}]\n{source}",
            list.join(", ")
        );
        crate::kernel::spec::parse(&text, &dir.join("s.toml")).unwrap()
    }

    #[test]
    fn series_candidates_are_the_prefixes_as_loadable_specs() {
        let d = tempfile::tempdir().unwrap();
        let s = spec_in(
            d.path(),
            &["0001-a.patch", "0002-b.patch"],
            "[source]\ndebian = \"linux-source-6.12\"\nversion = \"6.12.117-1~deb12u1\"\n",
        );
        let out = d.path().join("bisect");
        let c = series_candidates(&s, &out).unwrap();
        let labels: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            ["s (no patches)", "+ 0001-a.patch", "+ 0002-b.patch"]
        );
        for (i, cand) in c.iter().enumerate() {
            let back = crate::kernel::spec::load(Path::new(&cand.spec)).unwrap();
            assert_eq!(back.patches, s.patches[..i].to_vec());
            assert_eq!(
                (back.config.clone(), back.cmdline.as_str()),
                (s.config.clone(), "x=1")
            );
            assert_eq!(back.source, s.source);
        }
        // Generating again (a resumed bisect) is the same; a different series is refused.
        assert_eq!(series_candidates(&s, &out).unwrap(), c);
        let other = Spec {
            cmdline: "x=2".into(),
            ..s.clone()
        };
        let e = series_candidates(&other, &out).unwrap_err().to_string();
        assert!(e.contains("holds another bisect"), "{e}");
        let none = Spec {
            patches: vec![],
            ..s
        };
        assert!(series_candidates(&none, &d.path().join("n"))
            .unwrap_err()
            .to_string()
            .contains("has no patches"));
    }

    #[test]
    fn git_candidates_follow_the_first_parent_history() {
        let repo = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| crate::testutil::git(repo.path(), args);
        git(&["init", "-q", "-b", "main"]);
        let commit = |f: &str, msg: &str| {
            std::fs::write(repo.path().join(f), msg).unwrap();
            git(&["add", f]);
            git(&["commit", "-q", "-m", msg]);
            git(&["rev-parse", "HEAD"])
        };
        let a = commit("a", "first");
        let b = commit("b", "second");
        git(&["checkout", "-q", "-b", "side"]);
        commit("s", "on a side branch");
        git(&["checkout", "-q", "main"]);
        commit("c", "third");
        git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
        let head = git(&["rev-parse", "HEAD"]);
        let d = tempfile::tempdir().unwrap();
        let s = spec_in(
            d.path(),
            &[],
            "[source]\ndebian = \"linux-source-6.12\"\nversion = \"1\"\n",
        );
        let out = d.path().join("bisect");
        let c = git_candidates(repo.path(), &a, "main", &s, &out).unwrap();
        let labels: Vec<String> = c.iter().map(|c| c.label[13..].to_string()).collect();
        // The side branch's commit is not a step: its merge is.
        assert_eq!(labels, ["first", "second", "third", "merge side"]);
        assert!(c[1].label.starts_with(&b[..12]));
        let last = crate::kernel::spec::load(Path::new(&c[3].spec)).unwrap();
        assert_eq!(
            last.source,
            Source::Git {
                url: repo.path().canonicalize().unwrap().display().to_string(),
                rev: head
            }
        );
        assert!(last.patches.is_empty());
        assert_eq!(last.cmdline, "x=1");
        let err = |good: &str, bad: &str, s: &Spec| {
            git_candidates(repo.path(), good, bad, s, &d.path().join("x"))
                .unwrap_err()
                .to_string()
        };
        assert!(err("main", &a, &s).contains("not an ancestor"));
        assert!(err(&a, &a, &s).contains("same commit"));
        assert!(err("nope", "main", &s).contains("--good nope: no such commit"));
        let patched = spec_in(
            d.path(),
            &["0001-a.patch"],
            "[source]\ndebian = \"linux-source-6.12\"\nversion = \"1\"\n",
        );
        assert!(err(&a, "main", &patched).contains("has patches"));
        let e = git_candidates(d.path(), &a, "main", &s, &out)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a git repository"), "{e}");
    }

    #[test]
    fn debian_candidates_are_the_releases_between_in_order() {
        let avail: Vec<String> = [
            "6.1.0-47-amd64",
            "6.12.100+deb12-amd64",
            "6.12.117+deb12-amd64",
            "6.12.101+deb12-amd64",
            "6.12.113+deb12-amd64",
        ]
        .map(String::from)
        .to_vec();
        let c = debian_candidates(
            "debian:6.12.100+deb12-amd64",
            "debian:6.12.113+deb12",
            &avail,
        )
        .unwrap();
        assert_eq!(
            c,
            [
                "debian:6.12.100+deb12-amd64",
                "debian:6.12.101+deb12-amd64",
                "debian:6.12.113+deb12-amd64"
            ]
        );
        let e = debian_candidates(
            "debian:6.12.117+deb12-amd64",
            "debian:6.12.100+deb12-amd64",
            &avail,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not older"), "{e}");
        let e = debian_candidates(
            "debian:6.1.0-47-amd64",
            "debian:6.12.100+deb12-amd64",
            &avail,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("different lines"), "{e}");
        assert!(debian_candidates("local:/x", "debian:6.12.100+deb12-amd64", &avail).is_err());
    }
}
