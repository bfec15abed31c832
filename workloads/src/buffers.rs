//! Buffer kinds the workloads pin. Each kind is documented in docs/metrics.md.
//!
//! A [`Buffer`] owns whatever backs it (mapping, file, sharing child) and is freshly made
//! per cell, so one cell's faults or COW never leak into the next.

use crate::dev::fnv1a64;
use crate::mem::{advise, page_size, protect_range, Mapping};
use crate::procfs;
use nix::sys::mman::{MapFlags, MmapAdvise, ProtFlags};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid};
use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

/// 1 MiB + a page of constant, non-zero data in the binary's own .rodata (page aligned), so
/// pins of it hit file-backed, read-only, private text-segment pages.
#[repr(C, align(4096))]
pub struct Rodata(pub [u8; RODATA_LEN]);
pub const RODATA_LEN: usize = (1 << 20) + 4096;
pub static RODATA: Rodata = Rodata(make_rodata());

const fn make_rodata() -> [u8; RODATA_LEN] {
    let mut a = [0u8; RODATA_LEN];
    let mut i = 0;
    while i < RODATA_LEN {
        a[i] = (i % 251) as u8 + 1;
        i += 1;
    }
    a
}

/// The kinds this build knows (docs/metrics.md says what each one is).
pub const KINDS: &[&str] = &[
    "anon-rw",
    "anon-ro",
    "anon-unpopulated",
    "rodata",
    "file-ro-private",
    "file-ro-shared",
    "memfd-shared",
    "thp",
    "anon-shared",
];

/// Kinds [`Buffer::new`] also makes but the pin-latency matrix does not iterate:
/// `thp-unpopulated` (a 2 MiB-aligned MADV_HUGEPAGE anonymous range that was only
/// read-faulted, so it maps the huge zero page where the kernel uses one) and `anon-rw-4k`
/// (anon-rw with MADV_NOHUGEPAGE before it is populated: base pages even where THP is
/// `always`; used by fork-cost) and `thp-pte-mapped` (a `thp` buffer whose PMD mappings
/// were split into page-table entries by an mprotect of one page and back, cow.c's
/// "PTE-mapped THP": still huge folios, verified through /proc/kpageflags; used by cow).
pub const EXTRA_KINDS: &[&str] = &["thp-unpopulated", "anon-rw-4k", "thp-pte-mapped"];

/// Size of a PMD-mapped transparent huge page on x86-64.
pub const HPAGE_SIZE: usize = 2 << 20;

/// Directory of the file-backed kinds: the guest's tmpfs.
pub const FILE_DIR: &str = "/tmp";

static FILE_SEQ: AtomicU32 = AtomicU32::new(0);

pub struct Buffer {
    pub kind: &'static str,
    pub addr: u64,
    pub pages: usize,
    /// Whether the process may write it directly (PROT_WRITE).
    pub writable: bool,
    /// For `anon-shared`: the child holding the COW-shared pages (killed on drop).
    pub sharer: Option<Pid>,
    _mapping: Option<Mapping>,
    _file: Option<File>,
}

/// The content of page `i` of a freshly made buffer with `seed`: `seed ^ i` repeated, byte
/// 8 = `i & 0xff` (as [`Mapping::fill_pattern`] writes it).
pub fn pattern_page(seed: u64, i: usize, ps: usize) -> Vec<u8> {
    let v = seed ^ i as u64;
    let mut page: Vec<u8> = std::iter::repeat_n(v.to_ne_bytes(), ps / 8)
        .flatten()
        .collect();
    page[8] = (i & 0xff) as u8;
    page
}

fn static_kind(kind: &str) -> &'static str {
    KINDS
        .iter()
        .chain(EXTRA_KINDS)
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("unknown")
}

impl Buffer {
    /// Make a buffer of `pages` pages of `kind`; Err(reason) when it cannot exist here.
    pub fn new(kind: &str, pages: usize) -> Result<Buffer, String> {
        let ps = page_size();
        let len = pages * ps;
        if pages == 0 {
            return Err("a buffer has at least one page".into());
        }
        let seed = 0xa5a5_0000 ^ pages as u64;
        let plain = |addr, writable, mapping, file| Buffer {
            kind: static_kind(kind),
            addr,
            pages,
            writable,
            sharer: None,
            _mapping: mapping,
            _file: file,
        };
        match kind {
            "anon-rw" | "anon-ro" | "anon-unpopulated" | "anon-shared" | "anon-rw-4k" => {
                let mut m = Mapping::anon_rw(len).map_err(|e| format!("mmap: {e}"))?;
                if kind == "anon-rw-4k" {
                    advise(m.addr(), len, MmapAdvise::MADV_NOHUGEPAGE)
                        .map_err(|e| format!("madvise(MADV_NOHUGEPAGE): {e}"))?;
                }
                if kind != "anon-unpopulated" {
                    m.fill_pattern(seed, ps);
                }
                if kind == "anon-ro" {
                    m.protect(ProtFlags::PROT_READ)
                        .map_err(|e| format!("mprotect: {e}"))?;
                }
                let mut b = plain(m.addr(), kind != "anon-ro", Some(m), None);
                if kind == "anon-shared" {
                    b.sharer = Some(fork_sharer()?);
                }
                Ok(b)
            }
            "rodata" => {
                if len > RODATA_LEN {
                    return Err(format!("rodata holds {} pages", RODATA_LEN / ps));
                }
                let addr = RODATA.0.as_ptr() as u64;
                // Touch it so the pages are mapped (read faults only).
                let s: u64 = RODATA.0[..len].iter().step_by(ps).map(|&b| b as u64).sum();
                std::hint::black_box(s);
                Ok(plain(addr, false, None, None))
            }
            "file-ro-private" | "file-ro-shared" => {
                let path = format!(
                    "{FILE_DIR}/pinbench-buf-{}-{}",
                    std::process::id(),
                    FILE_SEQ.fetch_add(1, Ordering::Relaxed)
                );
                let write = || -> std::io::Result<()> {
                    let mut f = File::create(&path)?;
                    for i in 0..pages {
                        f.write_all(&pattern_page(seed, i, ps))?;
                    }
                    Ok(())
                };
                let made = write().and_then(|_| File::open(&path));
                let _ = std::fs::remove_file(&path);
                let f = made.map_err(|e| format!("file {path} on {FILE_DIR}: {e}"))?;
                let flags = if kind == "file-ro-private" {
                    MapFlags::MAP_PRIVATE
                } else {
                    MapFlags::MAP_SHARED
                };
                let m = Mapping::file(
                    len,
                    ProtFlags::PROT_READ,
                    flags | MapFlags::MAP_POPULATE,
                    &f,
                )
                .map_err(|e| format!("mmap of {path}: {e}"))?;
                let s: u64 = m.bytes().iter().step_by(ps).map(|&b| b as u64).sum();
                std::hint::black_box(s);
                Ok(plain(m.addr(), false, Some(m), Some(f)))
            }
            "memfd-shared" => {
                let fd = nix::sys::memfd::memfd_create(
                    c"pinbench-buf",
                    nix::sys::memfd::MemFdCreateFlag::MFD_CLOEXEC,
                )
                .map_err(|e| format!("memfd_create: {e}"))?;
                let f = File::from(fd);
                f.set_len(len as u64)
                    .map_err(|e| format!("ftruncate memfd: {e}"))?;
                let mut m = Mapping::file(
                    len,
                    ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                    MapFlags::MAP_SHARED,
                    &f,
                )
                .map_err(|e| format!("mmap memfd: {e}"))?;
                m.fill_pattern(seed, ps);
                Ok(plain(m.addr(), true, Some(m), Some(f)))
            }
            "thp" | "thp-unpopulated" | "thp-pte-mapped" => {
                let hp = HPAGE_SIZE / ps;
                if !pages.is_multiple_of(hp) {
                    return Err(format!(
                        "{kind} buffers are whole {} KiB huge pages: pages must be a multiple of {hp}",
                        HPAGE_SIZE >> 10
                    ));
                }
                match procfs::thp_mode().as_deref() {
                    None => return Err("no transparent huge pages on this kernel".into()),
                    Some("never") => return Err("THP is disabled (enabled = never)".into()),
                    _ => {}
                }
                // Over-map, then fence the aligned range with PROT_NONE pages on both sides so
                // its VMA is exactly [addr, addr + len) and smaps speaks of it alone.
                let total = len + HPAGE_SIZE + ps;
                let m = Mapping::anon_rw(total).map_err(|e| format!("mmap: {e}"))?;
                let base = m.addr();
                let addr = (base + ps as u64).next_multiple_of(HPAGE_SIZE as u64);
                let end = addr + len as u64;
                protect_range(base, (addr - base) as usize, ProtFlags::PROT_NONE)
                    .map_err(|e| format!("mprotect head guard: {e}"))?;
                protect_range(
                    end,
                    (base + total as u64 - end) as usize,
                    ProtFlags::PROT_NONE,
                )
                .map_err(|e| format!("mprotect tail guard: {e}"))?;
                advise(addr, len, MmapAdvise::MADV_HUGEPAGE)
                    .map_err(|e| format!("madvise(MADV_HUGEPAGE): {e}"))?;
                let b = plain(addr, true, Some(m), None);
                if kind == "thp-unpopulated" {
                    for i in (0..pages).step_by(hp) {
                        std::hint::black_box(b.head(i));
                    }
                    return Ok(b);
                }
                for i in 0..pages {
                    b.fill_page(i, seed ^ i as u64);
                }
                let huge_kb = match procfs::smaps_entry(addr) {
                    Ok(Some(((s, e), fields))) if s == addr && e == end => fields
                        .iter()
                        .find(|(k, _)| k == "AnonHugePages")
                        .map(|(_, v)| *v)
                        .unwrap_or(0),
                    Ok(Some(((s, e), _))) => {
                        return Err(format!(
                            "smaps shows the THP range as part of {s:#x}-{e:#x}, not {addr:#x}-{end:#x}"
                        ))
                    }
                    Ok(None) => return Err(format!("no smaps entry for {addr:#x}")),
                    Err(e) => return Err(format!("/proc/self/smaps: {e}")),
                };
                if huge_kb * 1024 != len as u64 {
                    return Err(format!(
                        "only {huge_kb} kB of {} kB are huge pages (smaps AnonHugePages): the kernel could not allocate huge pages (memory fragmented or too little RAM)",
                        len >> 10
                    ));
                }
                if kind == "thp-pte-mapped" {
                    split_pmds(addr, pages, ps)?;
                }
                Ok(b)
            }
            other => Err(format!("unknown buffer kind {other}")),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pages == 0
    }

    pub fn len(&self) -> usize {
        self.pages * page_size()
    }

    fn page_ptr(&self, i: usize) -> *mut u64 {
        assert!(i < self.pages, "page {i} of a {}-page buffer", self.pages);
        (self.addr as usize + i * page_size()) as *mut u64
    }

    /// First 8 bytes of page `i`, as the process reads it now (volatile: `rodata` may have
    /// been changed behind the compiler's back through /proc/self/mem).
    pub fn head(&self, i: usize) -> u64 {
        unsafe { std::ptr::read_volatile(self.page_ptr(i)) }
    }

    /// FNV-1a 64 of page `i` as the process reads it now (the checksum READ reports).
    pub fn sum(&self, i: usize) -> u64 {
        let ps = page_size();
        let mut page = vec![0u8; ps];
        let p = self.page_ptr(i) as *const u8;
        for (j, b) in page.iter_mut().enumerate() {
            *b = unsafe { std::ptr::read_volatile(p.add(j)) };
        }
        fnv1a64(&page)
    }

    /// Fill page `i` with `v` repeated (a process write); the buffer must be writable.
    pub fn fill_page(&self, i: usize, v: u64) {
        let p = self.page_ptr(i);
        for j in 0..page_size() / 8 {
            unsafe { std::ptr::write_volatile(p.add(j), v) };
        }
    }

    /// PFN of each page as mapped in process `pid` ("self" for this one).
    pub fn pfns(&self, pid: &str) -> std::io::Result<Vec<Option<u64>>> {
        procfs::pagemap_pfns(pid, self.addr, self.pages, page_size() as u64)
    }
}

/// Map each huge page of `[addr, addr + pages)` with page-table entries instead of one PMD:
/// mprotect its second page read-only and back (as cow.c does), then check that smaps shows
/// no PMD mapping left and /proc/kpageflags still calls every page part of a THP.
fn split_pmds(addr: u64, pages: usize, ps: usize) -> Result<(), String> {
    let rw = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
    for hp in (0..pages).step_by(HPAGE_SIZE / ps) {
        let page = addr + ((hp + 1) * ps) as u64;
        protect_range(page, ps, ProtFlags::PROT_READ)
            .and_then(|_| protect_range(page, ps, rw))
            .map_err(|e| format!("mprotect to split the PMD: {e}"))?;
    }
    let pmd_kb: u64 = match procfs::smaps_entry(addr) {
        Ok(Some((_, fields))) => fields
            .iter()
            .find(|(k, _)| k == "AnonHugePages")
            .map(|(_, v)| *v)
            .unwrap_or(0),
        Ok(None) => return Err(format!("no smaps entry for {addr:#x}")),
        Err(e) => return Err(format!("/proc/self/smaps: {e}")),
    };
    if pmd_kb != 0 {
        return Err(format!(
            "after the mprotect split, smaps still shows {pmd_kb} kB mapped by PMDs"
        ));
    }
    let pfns = procfs::pagemap_pfns("self", addr, pages, ps as u64)
        .map_err(|e| format!("pagemap: {e}"))?;
    for (i, pfn) in pfns.iter().enumerate() {
        let pfn = pfn.ok_or_else(|| format!("page {i} not present after the split"))?;
        let flags = procfs::kpageflags(pfn).map_err(|e| format!("/proc/kpageflags: {e}"))?;
        if flags & procfs::KPF_THP == 0 {
            return Err(format!(
                "page {i} (pfn {pfn:#x}) is no longer part of a THP after the PMD split (kpageflags {flags:#x})"
            ));
        }
    }
    Ok(())
}

/// Fork a child that holds this process's anonymous memory COW-shared and sleeps until it is
/// killed (or its parent dies).
fn fork_sharer() -> Result<Pid, String> {
    match unsafe { nix::unistd::fork() } {
        Ok(ForkResult::Child) => unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            loop {
                libc::pause();
            }
        },
        Ok(ForkResult::Parent { child }) => Ok(child),
        Err(e) => Err(format!("fork: {e}")),
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if let Some(pid) = self.sharer.take() {
            let _ = kill(pid, Signal::SIGKILL);
            let _ = waitpid(pid, None);
        }
    }
}
