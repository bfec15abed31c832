//! pinbench results: the schema every measurement is kept in, and the on-disk store.
//!
//! Three layers, each with its own version field so that data kept for years stays readable:
//! - [`protocol`]: the JSON lines a guest sends to the host over its results serial port
//!   ([`protocol::GuestEvent`]). Workload binaries link this crate, so it stays small.
//! - [`run`]: `run.json`, the metadata of one `pinbench run` (kernels, accel, clock, host).
//! - [`store`]: atomic writes, never-overwrite run directories, and loading with clear errors
//!   for corrupt files or unknown schema versions.
//! - [`history`]: the nightly history (`index.jsonl`, one line per night, its own version).

pub mod history;
pub mod protocol;
pub mod run;
pub mod store;

pub use protocol::{GuestEvent, Outcome, Plan, PlanItem, Record, Value};
pub use run::{BootRun, HostInfo, KernelRun, KernelStatus, RunMeta};

/// Version of everything this crate writes (`run.json`, result lines).
///
/// Bump on any incompatible change; readers refuse versions they do not know
/// (see [`store::StoreError::UnknownSchema`]).
pub const SCHEMA_VERSION: u32 = 1;
