//! QEMU command lines, built by small pure functions (one per device group) so each flag
//! is explained once and unit-tested.

use std::path::{Path, PathBuf};

/// How guest time is kept.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    /// Real time: TCG multi-threaded (or KVM); numbers are noisy like a real machine's.
    Wall,
    /// `-icount shift=0,sleep=off`: guest time advances 1 ns per instruction, so the same
    /// work gives the same number on every run (TCG only, single-threaded).
    Icount,
}

impl Clock {
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::Wall => "wall",
            Clock::Icount => "icount",
        }
    }
}

/// The accelerator actually used for a VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

impl Accel {
    pub fn as_str(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

/// Everything one VM needs.
#[derive(Debug, Clone)]
pub struct VmConfig {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub console_log: PathBuf,
    pub results: PathBuf,
    pub accel: Accel,
    pub clock: Clock,
    pub memory_mib: u32,
    pub cpus: u32,
    pub extra_cmdline: String,
}

/// Accelerator and clock.
pub fn accel_args(accel: Accel, clock: Clock) -> Vec<String> {
    match (accel, clock) {
        // KVM: the host CPU as is.
        (Accel::Kvm, _) => vec!["-accel".into(), "kvm".into(), "-cpu".into(), "host".into()],
        // TCG, one thread per vCPU; `max` gives the guest every feature TCG emulates.
        (Accel::Tcg, Clock::Wall) => vec![
            "-accel".into(),
            "tcg,thread=multi".into(),
            "-cpu".into(),
            "max".into(),
        ],
        // icount needs single-threaded TCG; sleep=off lets idle guest time jump ahead
        // instead of waiting in real time.
        // Without RDRAND/RDSEED the guest's randomness comes from its own (deterministic)
        // timing instead of the host's entropy, which keeps runs repeatable.
        (Accel::Tcg, Clock::Icount) => vec![
            "-accel".into(),
            "tcg,thread=single".into(),
            "-cpu".into(),
            "max,rdrand=off,rdseed=off".into(),
            "-icount".into(),
            "shift=0,sleep=off".into(),
        ],
    }
}

/// Memory and vCPUs.
pub fn machine_args(memory_mib: u32, cpus: u32) -> Vec<String> {
    vec![
        "-m".into(),
        format!("{memory_mib}M"),
        "-smp".into(),
        cpus.to_string(),
    ]
}

/// No display, monitor or default devices: nothing but what we add.
pub fn quiet_args() -> Vec<String> {
    [
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-monitor",
        "none",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Serial ports: ttyS0 is the kernel console (to a log file), ttyS1 is the results channel
/// (to its own file) — results never share a port with kernel messages.
pub fn serial_args(console_log: &Path, results: &Path) -> Vec<String> {
    vec![
        "-serial".into(),
        format!("file:{}", console_log.display()),
        "-serial".into(),
        format!("file:{}", results.display()),
    ]
}

/// Extra kernel command line for deterministic (icount) runs: no kernel or user address
/// randomisation and no page allocator shuffling, so the same pins walk the same page
/// tables and hit the same pages in every run.
pub const DETERMINISTIC_CMDLINE: &str =
    "nokaslr norandmaps randomize_kstack_offset=off page_alloc.shuffle=0";

/// Kernel command line. `panic=-1` reboots at once on panic and `-no-reboot` turns that
/// reboot into a QEMU exit, so a panicked guest ends the VM instead of hanging it.
/// `loglevel=5` keeps boot quiet but still shows WARN/BUG/Oops/panic (levels <= 4).
pub fn cmdline(extra: &str) -> String {
    let mut s = String::from("console=ttyS0,115200 loglevel=5 panic=-1 rdinit=/init");
    if !extra.trim().is_empty() {
        s.push(' ');
        s.push_str(extra.trim());
    }
    s
}

/// Boot arguments.
pub fn boot_args(kernel: &Path, initrd: &Path, cmdline: &str) -> Vec<String> {
    vec![
        "-no-reboot".into(),
        "-kernel".into(),
        kernel.display().to_string(),
        "-initrd".into(),
        initrd.display().to_string(),
        "-append".into(),
        cmdline.to_string(),
    ]
}

/// The whole argument list.
pub fn args(c: &VmConfig) -> Vec<String> {
    let mut a = quiet_args();
    a.extend(accel_args(c.accel, c.clock));
    a.extend(machine_args(c.memory_mib, c.cpus));
    a.extend(serial_args(&c.console_log, &c.results));
    let extra = match c.clock {
        Clock::Icount => format!("{DETERMINISTIC_CMDLINE} {}", c.extra_cmdline),
        Clock::Wall => c.extra_cmdline.clone(),
    };
    a.extend(boot_args(&c.kernel, &c.initrd, &cmdline(&extra)));
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accel_table() {
        let cases: &[(Accel, Clock, &str)] = &[
            (Accel::Kvm, Clock::Wall, "-accel kvm -cpu host"),
            (Accel::Tcg, Clock::Wall, "-accel tcg,thread=multi -cpu max"),
            (
                Accel::Tcg,
                Clock::Icount,
                "-accel tcg,thread=single -cpu max,rdrand=off,rdseed=off -icount shift=0,sleep=off",
            ),
        ];
        for (a, c, want) in cases {
            assert_eq!(accel_args(*a, *c).join(" "), *want, "{a:?} {c:?}");
        }
    }

    #[test]
    fn results_and_console_are_separate_ports() {
        let a = serial_args(Path::new("/r/console.log"), Path::new("/r/results.jsonl")).join(" ");
        assert_eq!(
            a,
            "-serial file:/r/console.log -serial file:/r/results.jsonl"
        );
    }

    #[test]
    fn panics_end_the_vm() {
        let c = VmConfig {
            kernel: "/k".into(),
            initrd: "/i".into(),
            console_log: "/c".into(),
            results: "/r".into(),
            accel: Accel::Tcg,
            clock: Clock::Wall,
            memory_mib: 1024,
            cpus: 2,
            extra_cmdline: "foo=1".into(),
        };
        let a = args(&c);
        assert!(a.contains(&"-no-reboot".to_string()));
        let append = &a[a.iter().position(|x| x == "-append").unwrap() + 1];
        assert!(
            append.contains("panic=-1") && append.ends_with(" foo=1"),
            "{append}"
        );
        assert!(a.windows(2).any(|w| w[0] == "-m" && w[1] == "1024M"));
    }
}
