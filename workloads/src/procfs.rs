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

/// PFNs of `n` consecutive pages from `vaddr` in process `pid` ("self" for this one), read
/// from /proc/PID/pagemap in one go; None for pages not present (or PFNs hidden).
pub fn pagemap_pfns(
    pid: &str,
    vaddr: u64,
    n: usize,
    page_size: u64,
) -> io::Result<Vec<Option<u64>>> {
    use std::os::unix::fs::FileExt;
    let f = fs::File::open(format!("/proc/{pid}/pagemap"))?;
    let mut buf = vec![0u8; n * 8];
    f.read_exact_at(&mut buf, (vaddr / page_size) * 8)?;
    Ok(buf
        .chunks_exact(8)
        .map(|c| {
            let e = u64::from_ne_bytes(c.try_into().unwrap());
            let pfn = e & ((1u64 << 55) - 1);
            (e >> 63 & 1 == 1 && pfn != 0).then_some(pfn)
        })
        .collect())
}

/// A VMA's (start, end) and its smaps fields in kB.
pub type SmapsEntry = ((u64, u64), Vec<(String, u64)>);

/// The /proc/self/smaps entry of the mapping (VMA) that contains `vaddr`: its
/// (start, end) and its fields in kB (e.g. "AnonHugePages").
pub fn smaps_entry(vaddr: u64) -> io::Result<Option<SmapsEntry>> {
    let text = fs::read_to_string("/proc/self/smaps")?;
    let mut cur: Option<SmapsEntry> = None;
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-') {
            if let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) {
                if cur
                    .as_ref()
                    .is_some_and(|((s, e), _)| (*s..*e).contains(&vaddr))
                {
                    return Ok(cur);
                }
                cur = Some(((a, b), Vec::new()));
                continue;
            }
        }
        if let (Some((_, fields)), Some((k, v))) = (cur.as_mut(), line.split_once(':')) {
            if let Some(kb) = v.trim().strip_suffix(" kB") {
                if let Ok(kb) = kb.trim().parse() {
                    fields.push((k.to_string(), kb));
                }
            }
        }
    }
    Ok(cur.filter(|((s, e), _)| (*s..*e).contains(&vaddr)))
}

/// A snapshot of /proc/vmstat taken after folding the per-CPU counters (stat_refresh), for
/// deltas around a scenario.
pub struct VmstatSnapshot(Vec<(String, u64)>);

impl VmstatSnapshot {
    pub fn take() -> io::Result<VmstatSnapshot> {
        let _ = fs::write("/proc/sys/vm/stat_refresh", "1");
        Ok(VmstatSnapshot(vmstat()?))
    }

    pub fn get(&self, key: &str) -> Option<u64> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// `later - self` for `key` (None if the key does not exist on this kernel).
    pub fn delta(&self, later: &VmstatSnapshot, key: &str) -> Option<i64> {
        Some(later.get(key)? as i64 - self.get(key)? as i64)
    }
}

/// Read `len` bytes at `vaddr` of process `pid` through /proc/PID/mem (root, or a child
/// of ours): how that process sees its memory now, without asking it.
pub fn read_mem(pid: &str, vaddr: u64, len: usize) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let f = fs::File::open(format!("/proc/{pid}/mem"))?;
    let mut buf = vec![0u8; len];
    f.read_exact_at(&mut buf, vaddr)?;
    Ok(buf)
}

/// Write `data` at `vaddr` of this process through /proc/self/mem: a FOLL_FORCE write, as a
/// debugger sets a breakpoint, which works on read-only private mappings too.
pub fn write_self_mem(vaddr: u64, data: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let f = fs::OpenOptions::new().write(true).open("/proc/self/mem")?;
    f.write_all_at(data, vaddr)
}

/// /proc/kpageflags bit: the page is part of a transparent huge page.
pub const KPF_THP: u64 = 1 << 22;

/// The /proc/kpageflags word of `pfn` (root only).
pub fn kpageflags(pfn: u64) -> io::Result<u64> {
    use std::os::unix::fs::FileExt;
    let f = fs::File::open("/proc/kpageflags")?;
    let mut buf = [0u8; 8];
    f.read_exact_at(&mut buf, pfn * 8)?;
    Ok(u64::from_ne_bytes(buf))
}
