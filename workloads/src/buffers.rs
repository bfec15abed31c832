//! Buffer kinds the workloads pin. Each kind is documented in docs/metrics.md.
//!
//! A [`Buffer`] owns whatever backs it (mapping, file) and is freshly made per cell, so
//! one cell's faults or COW never leak into the next.

use crate::mem::{page_size, Mapping};
use nix::sys::mman::ProtFlags;

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

/// The kinds this build knows.
pub const KINDS: &[&str] = &["anon-rw", "anon-ro", "anon-unpopulated", "rodata"];

pub struct Buffer {
    pub kind: &'static str,
    pub addr: u64,
    pub pages: usize,
    _mapping: Option<Mapping>,
}

impl Buffer {
    /// Make a buffer of `pages` pages of `kind`; Err(reason) when it cannot exist here.
    pub fn new(kind: &str, pages: usize) -> Result<Buffer, String> {
        let ps = page_size();
        let len = pages * ps;
        match kind {
            "anon-rw" | "anon-ro" | "anon-unpopulated" => {
                let mut m = Mapping::anon_rw(len).map_err(|e| format!("mmap: {e}"))?;
                if kind != "anon-unpopulated" {
                    m.fill_pattern(0xa5a5_0000 ^ pages as u64, ps);
                }
                if kind == "anon-ro" {
                    m.protect(ProtFlags::PROT_READ)
                        .map_err(|e| format!("mprotect: {e}"))?;
                }
                let kind = KINDS.iter().find(|k| **k == kind).unwrap();
                Ok(Buffer {
                    kind,
                    addr: m.addr(),
                    pages,
                    _mapping: Some(m),
                })
            }
            "rodata" => {
                if len > RODATA_LEN {
                    return Err(format!("rodata holds {} pages", RODATA_LEN / ps));
                }
                let addr = RODATA.0.as_ptr() as u64;
                // Touch it so the pages are mapped (read faults only).
                let s: u64 = RODATA.0[..len].iter().step_by(ps).map(|&b| b as u64).sum();
                std::hint::black_box(s);
                Ok(Buffer {
                    kind: "rodata",
                    addr,
                    pages,
                    _mapping: None,
                })
            }
            other => Err(format!("unknown buffer kind {other}")),
        }
    }
}
