//! The guest -> host protocol: one JSON object per line on the guest's second serial port
//! (`/dev/ttyS1`), never on the kernel console.
//!
//! The guest `init` writes [`GuestEvent`]s; workload binaries print [`Record`]s (as
//! `GuestEvent::Record`) on their stdout and `init` forwards each complete, parseable line.
//! The host stores the lines it receives verbatim in the kernel's `results.jsonl`, so this
//! is also the on-disk format of measurements.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One line of the results channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GuestEvent {
    /// First line after boot: who is running.
    Hello {
        schema_version: u32,
        /// `uname -r`
        release: String,
        /// `/proc/version`
        proc_version: String,
        page_size: u64,
        /// ns since boot (CLOCK_BOOTTIME) when init started: the guest's view of boot time.
        boot_ns: u64,
        /// THP mode from /sys/kernel/mm/transparent_hugepage/enabled, if present.
        thp: Option<String>,
    },
    /// The module was loaded (or failed to load).
    Module {
        ok: bool,
        /// ABI version reported by INFO, when loaded.
        abi_version: Option<u32>,
        /// Supported API bit mask from INFO.
        api_mask: Option<u32>,
        message: String,
    },
    /// A workload process is starting.
    WorkloadStart {
        workload: String,
        index: u32,
        total: u32,
    },
    /// A measurement.
    Record(Record),
    /// A workload process ended.
    WorkloadEnd {
        workload: String,
        /// Exit code, if it exited.
        exit_code: Option<i32>,
        /// Signal number, if it was killed by one.
        signal: Option<i32>,
        timed_out: bool,
        duration_ns: u64,
        /// Last lines of the workload's stderr (why it failed).
        stderr_tail: String,
        /// /proc/vmstat nr_foll_pin_acquired - nr_foll_pin_released after the workload
        /// (0 when the pin counters balance; None if not readable).
        pin_imbalance: Option<i64>,
    },
    /// The plan finished; init powers off next.
    Done,
}

/// One measured value, keyed by a stable id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Stable, unique id of this cell, e.g.
    /// `pin-latency/anon-rw/longterm-read/pin-fast/16p/ns_per_page`. Comparisons and
    /// bisects key on it.
    pub id: String,
    /// Metric family (documented in docs/metrics.md), e.g. `pin-latency.ns_per_page`.
    pub metric: String,
    /// Workload that produced it.
    pub workload: String,
    /// The cell's coordinates (kind, mode, api, pages, ...).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Unit of `value` ("ns", "pages", "count", ...).
    pub unit: String,
    pub value: Value,
}

/// What was observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// Repeated measurements (e.g. BENCH iterations).
    Samples { values: Vec<f64> },
    /// A single number (a count, a cold-pin time).
    Scalar { value: f64 },
    /// A behaviour: what a pinning call answered.
    Outcome(Outcome),
    /// A categorical verdict (e.g. coherence: "coherent" / "stale" / "leak").
    Verdict { verdict: String },
    /// The cell could not be measured here, and why.
    Skip { reason: String },
}

/// Result of a pinning call: pages pinned, or the errno it failed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub requested: u64,
    pub pinned: u64,
    /// Positive errno name (e.g. "EFAULT") when the call failed, else None.
    pub errno: Option<String>,
}

impl Record {
    /// Serialize as one protocol line (no trailing newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(&GuestEvent::Record(self.clone())).expect("records always serialize")
    }
}

impl GuestEvent {
    /// Parse one line; `None` for lines that are not events (e.g. noise on the port).
    pub fn parse(line: &str) -> Option<GuestEvent> {
        serde_json::from_str(line.trim()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_through_a_line() {
        let r = Record {
            id: "pin-latency/anon-rw/write/pin-fast/1p/ns_per_call".into(),
            metric: "pin-latency.ns_per_call".into(),
            workload: "pin-latency".into(),
            params: [("kind".to_string(), "anon-rw".to_string())].into(),
            unit: "ns".into(),
            value: Value::Samples {
                values: vec![1.0, 2.5],
            },
        };
        let line = r.to_line();
        assert!(!line.contains('\n'));
        assert_eq!(GuestEvent::parse(&line), Some(GuestEvent::Record(r)));
    }

    #[test]
    fn garbage_is_not_an_event() {
        assert_eq!(GuestEvent::parse("\u{1b}[2J garbage"), None);
        assert_eq!(GuestEvent::parse("{\"type\":\"nope\"}"), None);
    }
}

/// What the guest runs: written by the host into the initramfs as `/plan.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub schema_version: u32,
    /// Path of the module inside the initramfs.
    pub module: String,
    /// Module parameters passed to finit_module (e.g. `inject_ns=500`).
    #[serde(default)]
    pub module_params: String,
    pub workloads: Vec<PlanItem>,
}

/// One workload process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanItem {
    /// Workload name (also the record's `workload`).
    pub name: String,
    /// Binary path inside the initramfs.
    pub binary: String,
    #[serde(default)]
    pub args: Vec<String>,
    /// Guest-side timeout in seconds; the process is killed after it.
    pub timeout_s: u64,
}
