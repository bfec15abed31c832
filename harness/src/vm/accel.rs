//! Choosing the accelerator. `auto` believes KVM only after a real short boot under KVM
//! worked (on some hosts /dev/kvm exists but cannot run an unmodified guest); the verdict
//! is cached per host (kernel release, QEMU version) in the cache directory.

use super::qemu::{Accel, Clock};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccelChoice {
    Auto,
    Kvm,
    Tcg,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProbeVerdict {
    pub host_kernel: String,
    pub qemu_version: String,
    pub kvm_works: bool,
    pub detail: String,
}

/// The decision and, when we fell back, the warning to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub accel: Accel,
    pub warning: Option<String>,
}

/// The probe verdict cached in `cache_dir/kvm-probe.json`, if any.
pub fn cached_verdict(cache_dir: &Path) -> Option<ProbeVerdict> {
    std::fs::read(cache_dir.join("kvm-probe.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

/// Decide without probing where the answer is already known; `probe` runs a real KVM
/// boot and returns Ok(()) if the guest completed, Err(why) otherwise.
pub fn decide(
    choice: AccelChoice,
    clock: Clock,
    kvm_dev: &Path,
    cached: Option<ProbeVerdict>,
    probe: &mut dyn FnMut() -> Result<(), String>,
) -> Result<(Decision, Option<ProbeVerdict>), String> {
    match (choice, clock) {
        (AccelChoice::Kvm, Clock::Icount) => {
            return Err("--clock icount needs TCG (QEMU's icount does not work with KVM): use --accel tcg or --accel auto".into())
        }
        (AccelChoice::Tcg, _) => return Ok((Decision { accel: Accel::Tcg, warning: None }, None)),
        (AccelChoice::Auto, Clock::Icount) => return Ok((Decision { accel: Accel::Tcg, warning: None }, None)),
        _ => {}
    }
    if !kvm_dev.exists() {
        return match choice {
            AccelChoice::Kvm => Err(format!(
                "--accel kvm: {} does not exist; load kvm_intel/kvm_amd or use --accel tcg",
                kvm_dev.display()
            )),
            _ => Ok((
                Decision {
                    accel: Accel::Tcg,
                    warning: Some(format!(
                        "{} not found: using TCG (software emulation; slower)",
                        kvm_dev.display()
                    )),
                },
                None,
            )),
        };
    }
    if choice == AccelChoice::Kvm {
        return Ok((
            Decision {
                accel: Accel::Kvm,
                warning: None,
            },
            None,
        ));
    }
    let verdict = match cached {
        Some(v) => v,
        None => {
            let r = probe();
            ProbeVerdict {
                host_kernel: String::new(),
                qemu_version: String::new(),
                kvm_works: r.is_ok(),
                detail: r
                    .err()
                    .unwrap_or_else(|| "a test guest booted and finished under KVM".into()),
            }
        }
    };
    let d = if verdict.kvm_works {
        Decision {
            accel: Accel::Kvm,
            warning: None,
        }
    } else {
        Decision {
            accel: Accel::Tcg,
            warning: Some(format!(
                "KVM is present but a test guest failed under it ({}); falling back to TCG (multi-threaded software emulation). Run `pinbench doctor` for details; delete kvm-probe.json in the cache to probe again",
                verdict.detail.lines().next().unwrap_or("")
            )),
        }
    };
    Ok((d, Some(verdict)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> impl FnMut() -> Result<(), String> {
        || panic!("must not probe")
    }

    #[test]
    fn icount_never_uses_kvm() {
        let (d, _) = decide(
            AccelChoice::Auto,
            Clock::Icount,
            Path::new("/"),
            None,
            &mut never(),
        )
        .unwrap();
        assert_eq!(d.accel, Accel::Tcg);
        assert!(decide(
            AccelChoice::Kvm,
            Clock::Icount,
            Path::new("/"),
            None,
            &mut never()
        )
        .is_err());
    }

    #[test]
    fn auto_falls_back_with_a_warning_when_the_probe_fails() {
        let mut probe = || Err("KVM internal error. Suberror: 1 emulation failure".to_string());
        let (d, v) = decide(
            AccelChoice::Auto,
            Clock::Wall,
            Path::new("/"),
            None,
            &mut probe,
        )
        .unwrap();
        assert_eq!(d.accel, Accel::Tcg);
        assert!(d.warning.unwrap().contains("emulation failure"));
        assert!(!v.unwrap().kvm_works);
    }

    #[test]
    fn auto_uses_kvm_when_the_probe_boots_and_caches_it() {
        let mut probe = || Ok(());
        let (d, v) = decide(
            AccelChoice::Auto,
            Clock::Wall,
            Path::new("/"),
            None,
            &mut probe,
        )
        .unwrap();
        assert_eq!(
            d,
            Decision {
                accel: Accel::Kvm,
                warning: None
            }
        );
        let (d2, _) = decide(
            AccelChoice::Auto,
            Clock::Wall,
            Path::new("/"),
            v,
            &mut never(),
        )
        .unwrap();
        assert_eq!(d2.accel, Accel::Kvm);
    }

    #[test]
    fn no_dev_kvm_means_tcg_without_probing() {
        let (d, _) = decide(
            AccelChoice::Auto,
            Clock::Wall,
            Path::new("/nonexistent/kvm"),
            None,
            &mut never(),
        )
        .unwrap();
        assert_eq!(d.accel, Accel::Tcg);
        assert!(decide(
            AccelChoice::Kvm,
            Clock::Wall,
            Path::new("/nonexistent/kvm"),
            None,
            &mut never()
        )
        .is_err());
    }
}
