//! A typed handle on `/dev/pinbench`: one method per ioctl, errors as [`Errno`].
//!
//! Validation failures of a request come back as `Err(errno)`; what the kernel's pinning
//! call answered (a partial count, or its own errno) is part of the `Ok` value — see the
//! errno table in `kernels/module/pinbench_abi.h`.

use crate::abi::*;
use nix::errno::Errno;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;

pub const DEVICE_PATH: &str = "/dev/pinbench";

/// An open `/dev/pinbench`. Closing it releases every pin it still holds.
pub struct Device {
    file: File,
}

/// What a PIN answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinResult {
    /// Slot holding the pages, if any were pinned.
    pub slot: Option<u32>,
    pub pinned: u32,
    /// errno of the pinning call itself, if it failed.
    pub error: Option<Errno>,
    pub ns: u64,
}

/// What a BENCH answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchResult {
    pub cold_pin_ns: u64,
    pub cold_unpin_ns: u64,
    pub cold_pinned: u32,
    pub min_pinned: u32,
    pub pin_ns: Vec<u64>,
    pub unpin_ns: Vec<u64>,
    pub error: Option<Errno>,
}

fn err_of(e: u32) -> Option<Errno> {
    (e != 0).then(|| Errno::from_raw(e as i32))
}

impl Device {
    /// Open the device; the error says what to do when the module is missing.
    pub fn open() -> Result<Device, String> {
        let file = OpenOptions::new().read(true).write(true).open(DEVICE_PATH).map_err(|e| {
            format!("cannot open {DEVICE_PATH}: {e} — the pinbench module is not loaded (init loads kernels/module/pinbench.ko; check the module load line on the console)")
        })?;
        Ok(Device { file })
    }

    /// Open and check that the module speaks our ABI version.
    pub fn open_checked() -> Result<(Device, PinbenchInfo), String> {
        let d = Device::open()?;
        let info = d
            .info()
            .map_err(|e| format!("INFO ioctl on {DEVICE_PATH} failed: {e}"))?;
        if info.abi_version != PINBENCH_ABI_VERSION {
            return Err(format!(
                "/dev/pinbench speaks ABI version {}, this workload was built for version {}: rebuild the module and the workloads from the same pinbench tree",
                info.abi_version, PINBENCH_ABI_VERSION
            ));
        }
        Ok((d, info))
    }

    pub fn fd(&self) -> i32 {
        self.file.as_raw_fd()
    }

    pub fn info(&self) -> Result<PinbenchInfo, Errno> {
        let mut i = PinbenchInfo::default();
        unsafe { ioc_info(self.fd(), &mut i) }?;
        Ok(i)
    }

    /// PIN with a fully caller-controlled struct (for misuse tests).
    pub fn pin_raw(&self, p: &mut PinbenchPin) -> Result<(), Errno> {
        unsafe { ioc_pin(self.fd(), p) }.map(|_| ())
    }

    pub fn pin(&self, addr: u64, nr_pages: u32, api: u32, flags: u32) -> Result<PinResult, Errno> {
        let mut p = PinbenchPin {
            addr,
            nr_pages,
            api,
            flags,
            ..Default::default()
        };
        self.pin_raw(&mut p)?;
        Ok(PinResult {
            slot: (p.slot != PINBENCH_NO_SLOT).then_some(p.slot),
            pinned: p.pinned,
            error: err_of(p.error),
            ns: p.ns,
        })
    }

    /// Release a slot; returns (pages released, ns).
    pub fn unpin(&self, slot: u32, dirty: bool) -> Result<(u32, u64), Errno> {
        let mut u = PinbenchUnpin {
            slot,
            flags: if dirty { UNPIN_DIRTY } else { 0 },
            ..Default::default()
        };
        unsafe { ioc_unpin(self.fd(), &mut u) }?;
        Ok((u.released, u.ns))
    }

    pub fn bench_raw(&self, b: &mut PinbenchBench) -> Result<(), Errno> {
        unsafe { ioc_bench(self.fd(), b) }.map(|_| ())
    }

    pub fn bench(
        &self,
        addr: u64,
        nr_pages: u32,
        api: u32,
        flags: u32,
        iterations: u32,
    ) -> Result<BenchResult, Errno> {
        let mut pin_ns = vec![0u64; iterations as usize];
        let mut unpin_ns = vec![0u64; iterations as usize];
        let mut b = PinbenchBench {
            addr,
            nr_pages,
            api,
            flags,
            iterations,
            pin_ns_ptr: pin_ns.as_mut_ptr() as u64,
            unpin_ns_ptr: unpin_ns.as_mut_ptr() as u64,
            ..Default::default()
        };
        self.bench_raw(&mut b)?;
        pin_ns.truncate(b.completed as usize);
        unpin_ns.truncate(b.completed as usize);
        Ok(BenchResult {
            cold_pin_ns: b.cold_pin_ns,
            cold_unpin_ns: b.cold_unpin_ns,
            cold_pinned: b.cold_pinned,
            min_pinned: b.min_pinned,
            pin_ns,
            unpin_ns,
            error: err_of(b.error),
        })
    }

    pub fn query_raw(&self, read: bool, q: &mut PinbenchSlotQuery) -> Result<(), Errno> {
        if read {
            unsafe { ioc_read(self.fd(), q) }.map(|_| ())
        } else {
            unsafe { ioc_pfns(self.fd(), q) }.map(|_| ())
        }
    }

    /// PFN of each page held in `slot`.
    pub fn pfns(&self, slot: u32, capacity: u32) -> Result<Vec<u64>, Errno> {
        let mut out = vec![0u64; capacity as usize];
        let mut q = PinbenchSlotQuery {
            slot,
            nr: capacity,
            out_ptr: out.as_mut_ptr() as u64,
            sum_ptr: 0,
        };
        self.query_raw(false, &mut q)?;
        out.truncate(q.nr as usize);
        Ok(out)
    }

    /// First 8 bytes and FNV-1a checksum of each page held in `slot`, read through the pin.
    pub fn read(&self, slot: u32, capacity: u32) -> Result<(Vec<u64>, Vec<u64>), Errno> {
        let mut head = vec![0u64; capacity as usize];
        let mut sum = vec![0u64; capacity as usize];
        let mut q = PinbenchSlotQuery {
            slot,
            nr: capacity,
            out_ptr: head.as_mut_ptr() as u64,
            sum_ptr: sum.as_mut_ptr() as u64,
        };
        self.query_raw(true, &mut q)?;
        head.truncate(q.nr as usize);
        sum.truncate(q.nr as usize);
        Ok((head, sum))
    }

    pub fn write_raw(&self, w: &mut PinbenchWrite) -> Result<(), Errno> {
        unsafe { ioc_write(self.fd(), w) }.map(|_| ())
    }

    /// Device-write `pattern ^ page_index` over every page of `slot`; returns ns.
    pub fn write(&self, slot: u32, pattern: u64) -> Result<u64, Errno> {
        let mut w = PinbenchWrite {
            slot,
            pattern,
            ..Default::default()
        };
        self.write_raw(&mut w)?;
        Ok(w.ns)
    }

    /// An arbitrary ioctl, for the fuzzer. `arg` may be any address.
    pub fn raw_ioctl(&self, request: u64, arg: u64) -> Result<i32, Errno> {
        let r = unsafe { libc::ioctl(self.fd(), request as libc::c_ulong, arg as libc::c_ulong) };
        Errno::result(r)
    }
}

/// FNV-1a 64 over a byte slice: the checksum READ reports per page.
pub fn fnv1a64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
