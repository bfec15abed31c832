//! Record output for workload binaries: one JSON line per record on stdout, which init
//! forwards to the results channel. Diagnostics go to stderr (the console).

use results::{Outcome, Record, Value};
use std::collections::BTreeMap;
use std::io::Write;

/// Builds records of one workload with shared coordinates.
pub struct Emitter {
    pub workload: String,
}

impl Emitter {
    pub fn new(workload: &str) -> Emitter {
        Emitter {
            workload: workload.to_string(),
        }
    }

    /// Emit a record. `id_parts` form the id after the workload name; `metric` is the
    /// family documented in docs/metrics.md.
    pub fn record(
        &self,
        id_parts: &[&str],
        metric: &str,
        params: &[(&str, String)],
        unit: &str,
        value: Value,
    ) {
        let mut id = self.workload.clone();
        for p in id_parts {
            id.push('/');
            id.push_str(p);
        }
        let r = Record {
            id,
            metric: metric.to_string(),
            workload: self.workload.clone(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
            unit: unit.to_string(),
            value,
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", r.to_line());
        let _ = out.flush();
    }
}

/// Errno name ("EFAULT") of a raw errno.
pub fn errno_name(e: nix::errno::Errno) -> String {
    format!("{e:?}")
}

pub fn outcome(requested: u64, pinned: u64, errno: Option<nix::errno::Errno>) -> Value {
    Value::Outcome(Outcome {
        requested,
        pinned,
        errno: errno.map(errno_name),
    })
}
