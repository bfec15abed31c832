//! The nightly configuration: TOML with documented defaults (docs/config.md), unknown keys
//! refused, every value checked with a message that names the key and the fix.

use crate::vm::accel::AccelChoice;
use crate::vm::qemu::Clock;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The embedded default, used when no `--config` is given.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// A kernel of the nightly matrix: a spec, or a stable name for a spec that changes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum KernelEntry {
    Spec(String),
    Named { name: String, spec: String },
}

impl KernelEntry {
    /// The name used in the history and reports.
    pub fn name(&self) -> &str {
        match self {
            KernelEntry::Spec(s) => s,
            KernelEntry::Named { name, .. } => name,
        }
    }
    /// The spec given to `pinbench run`.
    pub fn spec(&self) -> &str {
        match self {
            KernelEntry::Spec(s) => s,
            KernelEntry::Named { spec, .. } => spec,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub kernels: Vec<KernelEntry>,
    pub reference: String,
    #[serde(default)]
    pub workloads: Vec<String>,
    #[serde(default)]
    pub quick: bool,
    #[serde(default = "one")]
    pub repeat: u32,
    #[serde(default = "auto")]
    pub accel: AccelChoice,
    #[serde(default = "icount")]
    pub clock: Clock,
    #[serde(default)]
    pub noise_band_pct: Option<f64>,
    #[serde(default = "alpha")]
    pub alpha: f64,
    #[serde(default)]
    pub history: String,
    #[serde(default = "thirty")]
    pub compare_nights: usize,
    #[serde(default = "yes")]
    pub remeasure: bool,
}

fn one() -> u32 {
    1
}
fn auto() -> AccelChoice {
    AccelChoice::Auto
}
fn icount() -> Clock {
    Clock::Icount
}
fn alpha() -> f64 {
    0.01
}
fn thirty() -> usize {
    30
}
fn yes() -> bool {
    true
}

/// A configuration that cannot be used, with the key and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{origin}: {message}; docs/config.md lists every key and its default")]
    Parse { origin: String, message: String },
    #[error("{origin}: `{key}` {problem}")]
    Invalid {
        origin: String,
        key: &'static str,
        problem: String,
    },
    #[error("cannot read the nightly config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Config {
    /// Parse and check a configuration; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let c: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: origin.into(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        c.check(origin)?;
        Ok(c)
    }

    /// The file at `path`, or the embedded default.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            None => Config::parse(DEFAULT_TOML, "the embedded default config"),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_path_buf(),
                    source,
                })?;
                Config::parse(&text, &p.display().to_string())
            }
        }
    }

    fn check(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |key: &'static str, problem: String| ConfigError::Invalid {
            origin: origin.into(),
            key,
            problem,
        };
        if self.kernels.is_empty() {
            return Err(bad(
                "kernels",
                "is empty: list at least the reference kernel".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for k in &self.kernels {
            if k.name().is_empty() || k.spec().is_empty() {
                return Err(bad("kernels", "has an empty name or spec".into()));
            }
            if !seen.insert(k.name()) {
                return Err(bad("kernels", format!("names `{}` twice", k.name())));
            }
        }
        if !self.kernels.iter().any(|k| k.name() == self.reference) {
            return Err(bad(
                "reference",
                format!(
                    "is `{}`, which is not in `kernels` ({})",
                    self.reference,
                    self.kernels
                        .iter()
                        .map(|k| k.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if !(1..=100).contains(&self.repeat) {
            return Err(bad("repeat", format!("is {}; use 1 to 100", self.repeat)));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(bad(
                "alpha",
                format!("is {}; use a probability in (0, 1), e.g. 0.01", self.alpha),
            ));
        }
        if let Some(b) = self.noise_band_pct {
            if !(0.0..100.0).contains(&b) {
                return Err(bad(
                    "noise_band_pct",
                    format!("is {b}; use a percentage in [0, 100)"),
                ));
            }
        }
        if self.compare_nights == 0 {
            return Err(bad("compare_nights", "is 0; use at least 1".into()));
        }
        if self.accel == AccelChoice::Kvm && self.clock == Clock::Icount {
            return Err(bad(
                "clock",
                "is icount, which needs TCG: set accel = \"auto\" or \"tcg\"".into(),
            ));
        }
        for w in &self.workloads {
            crate::plan::find(w).map_err(|e| bad("workloads", e.to_string()))?;
        }
        Ok(())
    }

    pub fn reference_entry(&self) -> &KernelEntry {
        self.kernels
            .iter()
            .find(|k| k.name() == self.reference)
            .expect("checked")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_default_parses_and_is_documented() {
        let c = Config::load(None).unwrap();
        assert_eq!(c.reference, "baseline-6.12");
        let names: Vec<&str> = c.kernels.iter().map(|k| k.name()).collect();
        assert_eq!(
            names,
            [
                "debian:6.1",
                "debian:6.12",
                "baseline-6.12",
                "longterm-write-force-6.12"
            ]
        );
        assert!(!c.quick && c.remeasure && c.repeat == 1 && c.compare_nights == 30);
        assert_eq!(c.clock, Clock::Icount);
        let doc = include_str!("../../../docs/config.md");
        for key in [
            "kernels",
            "reference",
            "workloads",
            "quick",
            "repeat",
            "accel",
            "clock",
            "noise_band_pct",
            "alpha",
            "history",
            "compare_nights",
            "remeasure",
        ] {
            assert!(
                doc.contains(&format!("`{key}`")),
                "docs/config.md does not document `{key}`"
            );
        }
    }

    #[test]
    fn named_kernels_and_defaults() {
        let c = Config::parse(
            r#"kernels = [{ name = "6.12", spec = "debian:6.12.115+deb12-amd64" }]
               reference = "6.12""#,
            "t",
        )
        .unwrap();
        assert_eq!(c.kernels[0].name(), "6.12");
        assert_eq!(c.kernels[0].spec(), "debian:6.12.115+deb12-amd64");
        assert_eq!((c.repeat, c.alpha, c.clock), (1, 0.01, Clock::Icount));
    }

    #[test]
    fn bad_configs_name_the_key_and_the_fix() {
        let cases = [
            (
                "kernels = [\"a\"]\nreference = \"a\"\nrepeats = 3",
                "unknown field `repeats`",
            ),
            ("kernels = []\nreference = \"a\"", "`kernels` is empty"),
            (
                "kernels = [\"a\"]\nreference = \"b\"",
                "`reference` is `b`, which is not in `kernels` (a)",
            ),
            (
                "kernels = [\"a\"]\nreference = \"a\"\nrepeat = 0",
                "`repeat` is 0",
            ),
            (
                "kernels = [\"a\"]\nreference = \"a\"\nalpha = 2.0",
                "`alpha` is 2",
            ),
            (
                "kernels = [\"a\"]\nreference = \"a\"\nclock = \"cpu\"",
                "unknown variant `cpu`",
            ),
            (
                "kernels = [\"a\", \"a\"]\nreference = \"a\"",
                "names `a` twice",
            ),
            (
                "kernels = [\"a\"]\nreference = \"a\"\nworkloads = [\"nope\"]",
                "unknown workload `nope`",
            ),
            (
                "kernels = [\"a\"]\nreference = \"a\"\naccel = \"kvm\"\nclock = \"icount\"",
                "needs TCG",
            ),
            ("kernels = \"a\"", "invalid type"),
        ];
        for (text, want) in cases {
            let e = Config::parse(text, "my.toml").unwrap_err().to_string();
            assert!(e.starts_with("my.toml: "), "{e}");
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}
