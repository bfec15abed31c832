//! Pin modes as named in metric ids and docs/metrics.md, and which API combinations exist.

use crate::abi::*;

/// Pin modes: name and PINBENCH_F_* flags (the same list as `pin-latency`).
pub const MODES: &[(&str, u32)] = &[
    ("read", 0),
    ("write", F_WRITE),
    ("longterm-read", F_LONGTERM),
    ("longterm-write", F_LONGTERM | F_WRITE),
    ("longterm-write-force", F_LONGTERM | F_WRITE | F_FORCE),
];

/// Why a (mode, API) pair cannot be measured on a kernel with `api_mask`, or None when
/// it can. A pair refused here is recorded as a skip with this reason.
pub fn unavailable(flags: u32, api: u32, api_mask: u32) -> Option<String> {
    if api_mask & (1 << api) == 0 {
        return Some(format!("{} is not available on this kernel", api_name(api)));
    }
    if flags & F_LONGTERM != 0 && (api == API_GET_FAST || api == API_GET_FAST_ONLY) {
        return Some("FOLL_LONGTERM is only meaningful with FOLL_PIN APIs".into());
    }
    None
}

/// Parse `--NAME v1,v2` from an argument list.
pub fn list_arg(args: &[String], name: &str) -> Option<Vec<String>> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').map(str::to_string).collect())
}
