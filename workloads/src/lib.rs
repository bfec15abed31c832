//! pinbench guest side: the ABI mirror, a typed device handle, and the helpers the workload
//! binaries share (buffers, /proc readers, record output). Binaries live in `src/bin/`.

pub mod abi;
pub mod buffers;
pub mod dev;
pub mod emit;
pub mod forked;
pub mod mem;
pub mod modes;
pub mod procfs;
