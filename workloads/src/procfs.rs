//! Readers for the /proc and /sys files the workloads and init use.

use std::fs;
use std::io;

/// (nr_foll_pin_acquired, nr_foll_pin_released) from /proc/vmstat.
///
/// These are node counters kept per CPU and folded lazily, so a plain read can be off by a
/// few; writing /proc/sys/vm/stat_refresh first folds every CPU's delta, which makes the
/// two numbers exact.
pub fn pin_counters() -> io::Result<(u64, u64)> {
    let _ = fs::write("/proc/sys/vm/stat_refresh", "1");
    let v = vmstat()?;
    let get = |k: &str| {
        v.iter()
            .find(|(n, _)| n == k)
            .map(|(_, x)| *x)
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("{k} not in /proc/vmstat"))
            })
    };
    Ok((get("nr_foll_pin_acquired")?, get("nr_foll_pin_released")?))
}

/// All of /proc/vmstat as (name, value).
pub fn vmstat() -> io::Result<Vec<(String, u64)>> {
    let text = fs::read_to_string("/proc/vmstat")?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect())
}

/// The selected THP mode ("always", "madvise", "never"), if THP exists.
pub fn thp_mode() -> Option<String> {
    let s = fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok()?;
    let start = s.find('[')?;
    let end = s[start..].find(']')?;
    Some(s[start + 1..start + end].to_string())
}

/// PFN of the page mapping `vaddr` in process `pid` ("self" for this one), from
/// /proc/PID/pagemap; None if not present (bit 63 clear) or PFNs are hidden (not root).
pub fn pagemap_pfn(pid: &str, vaddr: u64, page_size: u64) -> io::Result<Option<u64>> {
    use std::os::unix::fs::FileExt;
    let f = fs::File::open(format!("/proc/{pid}/pagemap"))?;
    let mut buf = [0u8; 8];
    f.read_exact_at(&mut buf, (vaddr / page_size) * 8)?;
    let e = u64::from_ne_bytes(buf);
    let present = e >> 63 & 1 == 1;
    let pfn = e & ((1u64 << 55) - 1);
    Ok((present && pfn != 0).then_some(pfn))
}
