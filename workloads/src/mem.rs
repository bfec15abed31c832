//! Memory the workloads pin: anonymous mappings with a known pattern, helpers to fill,
//! protect and inspect them.

use nix::sys::mman::{
    madvise, mmap, mmap_anonymous, mprotect, munmap, MapFlags, MmapAdvise, ProtFlags,
};
use std::num::NonZeroUsize;
use std::os::fd::AsFd;
use std::ptr::NonNull;

/// An owned anonymous mapping, unmapped on drop.
pub struct Mapping {
    pub ptr: NonNull<libc::c_void>,
    pub len: usize,
}

impl Mapping {
    pub fn anon(len: usize, prot: ProtFlags, flags: MapFlags) -> nix::Result<Mapping> {
        let ptr = unsafe {
            mmap_anonymous(
                None,
                NonZeroUsize::new(len).expect("len > 0"),
                prot,
                flags | MapFlags::MAP_ANONYMOUS,
            )?
        };
        Ok(Mapping { ptr, len })
    }

    /// A mapping of `len` bytes of the file `fd` from offset 0.
    pub fn file<F: AsFd>(
        len: usize,
        prot: ProtFlags,
        flags: MapFlags,
        fd: F,
    ) -> nix::Result<Mapping> {
        let ptr = unsafe {
            mmap(
                None,
                NonZeroUsize::new(len).expect("len > 0"),
                prot,
                flags,
                fd,
                0,
            )?
        };
        Ok(Mapping { ptr, len })
    }

    /// Private, read-write, not yet touched.
    pub fn anon_rw(len: usize) -> nix::Result<Mapping> {
        Mapping::anon(
            len,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_PRIVATE,
        )
    }

    pub fn addr(&self) -> u64 {
        self.ptr.as_ptr() as u64
    }

    pub fn bytes(&self) -> &[u8] {
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr() as *const u8, self.len) }
    }

    /// Mutable view; the mapping must be writable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr() as *mut u8, self.len) }
    }

    /// Write `seed ^ page_index` as the first 8 bytes of every page and fill the rest.
    pub fn fill_pattern(&mut self, seed: u64, page_size: usize) {
        let pages = self.len / page_size;
        let b = self.bytes_mut();
        for i in 0..pages {
            let v = seed ^ i as u64;
            let page = &mut b[i * page_size..(i + 1) * page_size];
            for chunk in page.chunks_exact_mut(8) {
                chunk.copy_from_slice(&v.to_ne_bytes());
            }
            page[8] = (i & 0xff) as u8;
        }
    }

    /// First 8 bytes of page `i`.
    pub fn page_head(&self, i: usize, page_size: usize) -> u64 {
        let b = &self.bytes()[i * page_size..i * page_size + 8];
        u64::from_ne_bytes(b.try_into().unwrap())
    }

    pub fn protect(&self, prot: ProtFlags) -> nix::Result<()> {
        unsafe { mprotect(self.ptr, self.len, prot) }
    }
}

/// mprotect a page-aligned sub-range `[addr, addr + len)` of some mapping.
pub fn protect_range(addr: u64, len: usize, prot: ProtFlags) -> nix::Result<()> {
    let p = NonNull::new(addr as *mut libc::c_void).ok_or(nix::errno::Errno::EINVAL)?;
    unsafe { mprotect(p, len, prot) }
}

/// madvise a page-aligned range `[addr, addr + len)`.
pub fn advise(addr: u64, len: usize, advice: MmapAdvise) -> nix::Result<()> {
    let p = NonNull::new(addr as *mut libc::c_void).ok_or(nix::errno::Errno::EINVAL)?;
    unsafe { madvise(p, len, advice) }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        let _ = unsafe { munmap(self.ptr, self.len) };
    }
}

pub fn page_size() -> usize {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .unwrap_or(4096) as usize
}
