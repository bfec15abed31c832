//! Virtual machines: QEMU arguments, the initramfs, running a guest, and the KVM probe.

pub mod accel;
pub mod initramfs;
pub mod qemu;
pub mod runner;
