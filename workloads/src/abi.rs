//! Rust mirror of `kernels/module/pinbench_abi.h`, the one definition of the /dev/pinbench
//! ioctl ABI. Every struct here is `#[repr(C)]` with the header's field order; the test
//! `tests/abi_layout.rs` compiles a C program against the header and checks every size,
//! field offset and constant against this file. Never edit one side without the other.

#![allow(missing_docs)]

pub const PINBENCH_ABI_VERSION: u32 = 1;
pub const PINBENCH_IOC_MAGIC: u8 = 0xB7;
pub const PINBENCH_RELEASE_LEN: usize = 64;
pub const PINBENCH_NO_SLOT: u32 = 0xffff_ffff;

/// Pinning APIs (`api` fields).
pub const API_PIN_FAST: u32 = 0;
pub const API_PIN: u32 = 1;
pub const API_PIN_UNLOCKED: u32 = 2;
pub const API_GET_FAST: u32 = 3;
pub const API_GET_FAST_ONLY: u32 = 4;
pub const API_COUNT: u32 = 5;

/// Pin flags: pinbench's own bits, translated to FOLL_* by the module.
pub const F_WRITE: u32 = 1 << 0;
pub const F_LONGTERM: u32 = 1 << 1;
pub const F_FORCE: u32 = 1 << 2;
pub const F_ALL: u32 = F_WRITE | F_LONGTERM | F_FORCE;

pub const UNPIN_DIRTY: u32 = 1 << 0;
pub const UNPIN_ALL: u32 = UNPIN_DIRTY;

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinbenchInfo {
    pub abi_version: u32,
    pub page_size: u32,
    pub max_pages: u32,
    pub max_slots: u32,
    pub max_bench_iters: u32,
    pub api_mask: u32,
    pub flag_mask: u32,
    pub kernel_version: u32,
    pub inject_ns: u64,
    pub release: [u64; PINBENCH_RELEASE_LEN / 8],
}

impl PinbenchInfo {
    /// The kernel release string carried in `release`.
    pub fn release_str(&self) -> String {
        let bytes: Vec<u8> = self.release.iter().flat_map(|w| w.to_ne_bytes()).collect();
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinbenchPin {
    pub addr: u64,
    pub nr_pages: u32,
    pub api: u32,
    pub flags: u32,
    pub reserved: u32,
    pub slot: u32,
    pub pinned: u32,
    pub error: u32,
    pub pad: u32,
    pub ns: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinbenchUnpin {
    pub slot: u32,
    pub flags: u32,
    pub released: u32,
    pub pad: u32,
    pub ns: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinbenchBench {
    pub addr: u64,
    pub nr_pages: u32,
    pub api: u32,
    pub flags: u32,
    pub iterations: u32,
    pub pin_ns_ptr: u64,
    pub unpin_ns_ptr: u64,
    pub cold_pin_ns: u64,
    pub cold_unpin_ns: u64,
    pub cold_pinned: u32,
    pub min_pinned: u32,
    pub completed: u32,
    pub error: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinbenchSlotQuery {
    pub slot: u32,
    pub nr: u32,
    pub out_ptr: u64,
    pub sum_ptr: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinbenchWrite {
    pub slot: u32,
    pub reserved: u32,
    pub pattern: u64,
    pub ns: u64,
}

nix::ioctl_read!(ioc_info, PINBENCH_IOC_MAGIC, 0x00, PinbenchInfo);
nix::ioctl_readwrite!(ioc_pin, PINBENCH_IOC_MAGIC, 0x01, PinbenchPin);
nix::ioctl_readwrite!(ioc_unpin, PINBENCH_IOC_MAGIC, 0x02, PinbenchUnpin);
nix::ioctl_readwrite!(ioc_bench, PINBENCH_IOC_MAGIC, 0x03, PinbenchBench);
nix::ioctl_readwrite!(ioc_pfns, PINBENCH_IOC_MAGIC, 0x04, PinbenchSlotQuery);
nix::ioctl_readwrite!(ioc_read, PINBENCH_IOC_MAGIC, 0x05, PinbenchSlotQuery);
nix::ioctl_readwrite!(ioc_write, PINBENCH_IOC_MAGIC, 0x06, PinbenchWrite);

/// Ioctl request numbers, for the layout test and the fuzzer.
pub mod request {
    use super::*;
    pub const INFO: u64 = nix::request_code_read!(
        PINBENCH_IOC_MAGIC,
        0x00,
        std::mem::size_of::<PinbenchInfo>()
    ) as u64;
    pub const PIN: u64 =
        nix::request_code_readwrite!(PINBENCH_IOC_MAGIC, 0x01, std::mem::size_of::<PinbenchPin>())
            as u64;
    pub const UNPIN: u64 = nix::request_code_readwrite!(
        PINBENCH_IOC_MAGIC,
        0x02,
        std::mem::size_of::<PinbenchUnpin>()
    ) as u64;
    pub const BENCH: u64 = nix::request_code_readwrite!(
        PINBENCH_IOC_MAGIC,
        0x03,
        std::mem::size_of::<PinbenchBench>()
    ) as u64;
    pub const PFNS: u64 = nix::request_code_readwrite!(
        PINBENCH_IOC_MAGIC,
        0x04,
        std::mem::size_of::<PinbenchSlotQuery>()
    ) as u64;
    pub const READ: u64 = nix::request_code_readwrite!(
        PINBENCH_IOC_MAGIC,
        0x05,
        std::mem::size_of::<PinbenchSlotQuery>()
    ) as u64;
    pub const WRITE: u64 = nix::request_code_readwrite!(
        PINBENCH_IOC_MAGIC,
        0x06,
        std::mem::size_of::<PinbenchWrite>()
    ) as u64;
}

/// Stable names of the APIs, as used in metric ids and docs.
pub fn api_name(api: u32) -> &'static str {
    match api {
        API_PIN_FAST => "pin-fast",
        API_PIN => "pin",
        API_PIN_UNLOCKED => "pin-unlocked",
        API_GET_FAST => "get-fast",
        API_GET_FAST_ONLY => "get-fast-only",
        _ => "unknown",
    }
}

/// Inverse of [`api_name`].
pub fn api_from_name(name: &str) -> Option<u32> {
    (0..API_COUNT).find(|&a| api_name(a) == name)
}
