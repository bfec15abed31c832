//! Kernel spec files (`kernels/*.toml`): a kernel built from source, described by its
//! source, an ordered patch series, a config fragment and extra command line.
//!
//! ```toml
//! name = "longterm-write-force-6.12"
//! description = "optional free text"
//! config = "configs/pinbench.config"   # merged over `base_config` with merge_config.sh
//! base_config = "tinyconfig"           # or "defconfig"; default tinyconfig
//! patches = ["patches/longterm-implies-write-force/0001-....patch"]   # applied in order, -p1
//! cmdline = ""                         # appended to the guest kernel command line
//!
//! [source]
//! debian = "linux-source-6.12"         # or: local = "/path/to/linux"
//! # version = "6.12.117-1~deb12u1"     #     or: git = "URL", rev = "v6.12"
//! ```
//!
//! Relative paths (config, patches, a local source) are relative to the spec file's
//! directory. Unknown keys are errors (`deny_unknown_fields`), so a typo never silently
//! builds a different kernel. docs/kernels.md is the user documentation.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Errors in a spec file; each message names the fix.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("kernel spec `{name}`: no file {path}; the specs in {dir} are: {known}\n(a spec is a kernels/NAME.toml file, see docs/kernels.md; Debian binary kernels are debian:<line>)")]
    NotFound {
        name: String,
        path: PathBuf,
        dir: PathBuf,
        known: String,
    },
    #[error("reading kernel spec {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("kernel spec {path} is not valid: {message}\nfix: see docs/kernels.md for the keys a spec takes")]
    Invalid { path: PathBuf, message: String },
    #[error("kernel spec {path}: [source] must name exactly one of `debian = \"linux-source-6.12\"`, `local = \"/path/to/linux\"` or `git = \"URL\"` (with `rev`); it names {found}")]
    SourceChoice { path: PathBuf, found: String },
    #[error("kernel spec {path}: {what} {file} does not exist (relative paths are relative to the spec's directory {dir})")]
    MissingFile {
        path: PathBuf,
        what: &'static str,
        file: PathBuf,
        dir: PathBuf,
    },
}

/// The file as written (serde).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    name: String,
    #[serde(default)]
    description: Option<String>,
    source: SourceFile,
    #[serde(default)]
    patches: Vec<PathBuf>,
    config: PathBuf,
    #[serde(default)]
    base_config: BaseConfig,
    #[serde(default)]
    cmdline: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    debian: Option<String>,
    version: Option<String>,
    local: Option<PathBuf>,
    git: Option<String>,
    rev: Option<String>,
}

/// The configuration the fragment is merged over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BaseConfig {
    #[default]
    Tinyconfig,
    Defconfig,
}

impl BaseConfig {
    pub fn make_target(self) -> &'static str {
        match self {
            BaseConfig::Tinyconfig => "tinyconfig",
            BaseConfig::Defconfig => "defconfig",
        }
    }
}

/// Where the kernel source comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A Debian `linux-source-X.Y` package (the tarball inside it), newest version apt
    /// offers unless one is given.
    Debian {
        package: String,
        version: Option<String>,
    },
    /// A kernel tree on this machine (never written to: builds use a linked copy).
    Local(PathBuf),
    /// A git repository (URL or path) at a revision (tag, branch or commit).
    Git { url: String, rev: String },
}

/// A checked spec: every path absolute and existing.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub description: Option<String>,
    /// The file it came from.
    pub path: PathBuf,
    pub source: Source,
    pub patches: Vec<PathBuf>,
    pub config: PathBuf,
    pub base_config: BaseConfig,
    pub cmdline: String,
}

impl Spec {
    /// The spec as a file: every path absolute, so it loads from any directory. A bisect
    /// writes its candidates this way (`<bisect dir>/specs/*.toml`).
    pub fn to_toml(&self) -> String {
        let mut t = toml::Table::new();
        let mut put = |k: &str, v: toml::Value| {
            t.insert(k.to_string(), v);
        };
        put("name", self.name.clone().into());
        if let Some(d) = &self.description {
            put("description", d.clone().into());
        }
        put("config", self.config.display().to_string().into());
        put("base_config", self.base_config.make_target().into());
        put(
            "patches",
            toml::Value::Array(
                self.patches
                    .iter()
                    .map(|p| p.display().to_string().into())
                    .collect(),
            ),
        );
        put("cmdline", self.cmdline.clone().into());
        let mut src = toml::Table::new();
        match &self.source {
            Source::Debian { package, version } => {
                src.insert("debian".into(), package.clone().into());
                if let Some(v) = version {
                    src.insert("version".into(), v.clone().into());
                }
            }
            Source::Local(p) => {
                src.insert("local".into(), p.display().to_string().into());
            }
            Source::Git { url, rev } => {
                src.insert("git".into(), url.clone().into());
                src.insert("rev".into(), rev.clone().into());
            }
        }
        t.insert("source".into(), toml::Value::Table(src));
        toml::to_string(&t).expect("a TOML table serialises")
    }

    /// The same kernel without its patches: the build a patched variant starts from.
    pub fn unpatched(&self) -> Spec {
        Spec {
            name: format!("{} (unpatched)", self.name),
            patches: Vec::new(),
            ..self.clone()
        }
    }
}

/// Directory of the shipped specs: `$PINBENCH_KERNELS`, else `<workspace>/kernels`.
pub fn specs_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PINBENCH_KERNELS") {
        return PathBuf::from(p);
    }
    crate::workspace_root().join("kernels")
}

/// Names of the specs in `dir` (file stems of `*.toml`), sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Load spec `NAME` from `dir` (`dir/NAME.toml`).
pub fn load_named(name: &str, dir: &Path) -> Result<Spec, SpecError> {
    let path = dir.join(format!("{name}.toml"));
    if !path.is_file() {
        let known = list(dir);
        return Err(SpecError::NotFound {
            name: name.to_string(),
            path,
            dir: dir.to_path_buf(),
            known: if known.is_empty() {
                "(none)".into()
            } else {
                known.join(", ")
            },
        });
    }
    load(&path)
}

/// Load and check a spec file.
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Parse and check spec text that lives at `path` (relative paths resolve against its
/// directory).
pub fn parse(text: &str, path: &Path) -> Result<Spec, SpecError> {
    let invalid = |message: String| SpecError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let f: SpecFile = toml::from_str(text).map_err(|e| invalid(e.message().to_string()))?;
    if f.name.is_empty()
        || !f
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(invalid(format!(
            "name `{}` must be non-empty and use only letters, digits, `.`, `_` and `-`",
            f.name
        )));
    }
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let dir = dir.canonicalize().unwrap_or(dir);
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        }
    };
    let must_exist = |what: &'static str, p: &Path| -> Result<PathBuf, SpecError> {
        let full = resolve(p);
        if full.exists() {
            Ok(full)
        } else {
            Err(SpecError::MissingFile {
                path: path.to_path_buf(),
                what,
                file: full,
                dir: dir.clone(),
            })
        }
    };
    let s = &f.source;
    let named: Vec<&str> = [
        s.debian.as_ref().map(|_| "debian"),
        s.local.as_ref().map(|_| "local"),
        s.git.as_ref().map(|_| "git"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if named.len() != 1 {
        return Err(SpecError::SourceChoice {
            path: path.to_path_buf(),
            found: if named.is_empty() {
                "none".into()
            } else {
                named.join(" and ")
            },
        });
    }
    let source = if let Some(package) = &s.debian {
        if s.rev.is_some() {
            return Err(invalid("`rev` goes with `git`, not `debian`".into()));
        }
        if !package.starts_with("linux-source-")
            || !package
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        {
            return Err(invalid(format!(
                "source.debian `{package}` is not a Debian kernel source package (linux-source-6.1, linux-source-6.12)"
            )));
        }
        if let Some(v) = &s.version {
            if !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+-~:".contains(c))
            {
                return Err(invalid(format!(
                    "source.version `{v}` is not a Debian version"
                )));
            }
        }
        Source::Debian {
            package: package.clone(),
            version: s.version.clone(),
        }
    } else if let Some(local) = &s.local {
        if s.version.is_some() || s.rev.is_some() {
            return Err(invalid(
                "a `local` source takes no `version` or `rev` (it builds the tree as it is)".into(),
            ));
        }
        Source::Local(must_exist("local source tree", local)?)
    } else {
        let url = s.git.clone().unwrap_or_default();
        if s.version.is_some() {
            return Err(invalid(
                "`version` goes with `debian`; a git source takes `rev`".into(),
            ));
        }
        let rev = s.rev.clone().ok_or_else(|| {
            invalid(
                "a `git` source needs `rev` (a tag, branch or commit, e.g. rev = \"v6.12\")".into(),
            )
        })?;
        if rev.is_empty() || rev.starts_with('-') {
            return Err(invalid(format!("rev `{rev}` is not a git revision")));
        }
        Source::Git { url, rev }
    };
    let patches = f
        .patches
        .iter()
        .map(|p| must_exist("patch", p))
        .collect::<Result<Vec<_>, _>>()?;
    let config = must_exist("config fragment", &f.config)?;
    Ok(Spec {
        name: f.name,
        description: f.description,
        path: path.to_path_buf(),
        source,
        patches,
        config,
        base_config: f.base_config,
        cmdline: f.cmdline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in files {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        d
    }

    #[test]
    fn a_full_spec_parses_with_paths_resolved() {
        let d = dir_with(&[
            "configs/p.config",
            "patches/a/0001.patch",
            "patches/a/0002.patch",
        ]);
        let s = parse(
            r#"
name = "patched-6.12"
config = "configs/p.config"
patches = ["patches/a/0001.patch", "patches/a/0002.patch"]
cmdline = "foo=1"
[source]
debian = "linux-source-6.12"
version = "6.12.117-1~deb12u1"
"#,
            &d.path().join("patched-6.12.toml"),
        )
        .unwrap();
        assert_eq!(s.name, "patched-6.12");
        assert_eq!(
            s.source,
            Source::Debian {
                package: "linux-source-6.12".into(),
                version: Some("6.12.117-1~deb12u1".into())
            }
        );
        let root = d.path().canonicalize().unwrap();
        assert_eq!(s.patches[1], root.join("patches/a/0002.patch"));
        assert_eq!(s.config, root.join("configs/p.config"));
        assert_eq!(s.base_config, BaseConfig::Tinyconfig);
        assert_eq!(s.cmdline, "foo=1");
        assert!(s.unpatched().patches.is_empty());
    }

    #[test]
    fn a_spec_written_out_loads_back_the_same_from_anywhere() {
        let d = dir_with(&["configs/p.config", "patches/0001 a.patch"]);
        let s = parse(
            "name = \"k\"\ndescription = \"say \\\"hi\\\"\"\nconfig = \"configs/p.config\"\nbase_config = \"defconfig\"\npatches = [\"patches/0001 a.patch\"]\ncmdline = \"a=1\"\n[source]\ngit = \"/src/linux\"\nrev = \"v6.12\"\n",
            &d.path().join("k.toml"),
        )
        .unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let p = elsewhere.path().join("k.toml");
        std::fs::write(&p, s.to_toml()).unwrap();
        let back = load(&p).unwrap();
        assert_eq!(back.name, s.name);
        assert_eq!(back.description.as_deref(), Some("say \"hi\""));
        assert_eq!(back.source, s.source);
        assert_eq!(back.patches, s.patches);
        assert_eq!(back.config, s.config);
        assert_eq!(back.base_config, BaseConfig::Defconfig);
        assert_eq!(back.cmdline, "a=1");
        let deb = Spec {
            source: Source::Debian {
                package: "linux-source-6.12".into(),
                version: Some("6.12.117-1~deb12u1".into()),
            },
            patches: vec![],
            ..s
        };
        std::fs::write(&p, deb.to_toml()).unwrap();
        assert_eq!(load(&p).unwrap().source, deb.source);
    }

    #[test]
    fn bad_specs_name_the_fix() {
        let d = dir_with(&["c.config"]);
        let p = d.path().join("x.toml");
        let cases: &[(&str, &str)] = &[
            // a typo is an error, not a silently different kernel
            ("name='x'\nconfig='c.config'\npatchs=[]\n[source]\ndebian='linux-source-6.12'", "unknown field `patchs`"),
            ("name='x'\nconfig='c.config'\n[source]\ndebain='linux-source-6.12'", "unknown field `debain`"),
            ("name='x'\nconfig='c.config'\n[source]\n", "exactly one of"),
            ("name='x'\nconfig='c.config'\n[source]\ndebian='linux-source-6.12'\nlocal='/'", "debian and local"),
            ("name='x'\nconfig='c.config'\n[source]\ngit='https://x'", "needs `rev`"),
            ("name='x'\nconfig='c.config'\n[source]\ndebian='linux-image-6.12'", "not a Debian kernel source package"),
            ("name='x y'\nconfig='c.config'\n[source]\ndebian='linux-source-6.12'", "letters, digits"),
            ("name='x'\nconfig='nope.config'\n[source]\ndebian='linux-source-6.12'", "config fragment"),
            ("name='x'\nconfig='c.config'\npatches=['p/0001.patch']\n[source]\ndebian='linux-source-6.12'", "patch"),
            ("name='x'\nconfig='c.config'\nbase_config='allyesconfig'\n[source]\ndebian='linux-source-6.12'", "unknown variant"),
            ("name='x'\n[source]\ndebian='linux-source-6.12'", "missing field `config`"),
        ];
        for (text, want) in cases {
            let e = parse(text, &p).unwrap_err().to_string();
            assert!(e.contains(want), "{text}\n=> {e}");
        }
    }

    #[test]
    fn named_lookup_lists_what_exists() {
        let d = dir_with(&["baseline-6.12.toml", "other.toml", "configs/x.config"]);
        let e = load_named("nope", d.path()).unwrap_err().to_string();
        assert!(e.contains("baseline-6.12, other"), "{e}");
    }

    #[test]
    fn shipped_specs_parse() {
        let dir = specs_dir();
        let names = list(&dir);
        for want in ["baseline-6.12", "longterm-write-force-6.12"] {
            assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
        }
        for n in names {
            let s = load_named(&n, &dir).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert_eq!(s.name, n, "a spec's name matches its file name");
        }
    }
}
