//! Which of the seven pipeline steps each AI PM Manager task is in.
//!
//! The layers, each importing only those before it:
//!
//! * vocabulary — [`step`], [`status`], [`locale`], [`time`], [`error`];
//! * `evidence` — what each source says, as data: task rows, history rows,
//!   recorded events, worker logs and review logs, with their parsers;
//! * `decision` — where a step is decided: one pure function from a task's
//!   evidence to its state;
//! * `present` — the result object, the one-line display, statistics;
//! * `io` — the database (read-only connections whose locks never disturb the
//!   app's own SQLite in the process), logs on disk, file states;
//! * `tracker` — the operations: what changed is read, what did not is kept;
//! * `binding` — the Node-API layer: converts, schedules, maps errors.
//!
//! The public items below are what the binding, the tests and the benchmark use.

/// Unit tests count what each thread allocates, to check the caches' weights.
#[cfg(test)]
#[global_allocator]
static ALLOCATOR: tracker::budget::tests::Counting = tracker::budget::tests::Counting;

pub mod error;
pub mod locale;
pub mod status;
pub mod step;
pub mod time;

mod decision;
mod estimate;
mod evidence;
mod io;
mod present;
mod tracker;

/// The sample user-data folder, and the scripts of what the app's backend
/// writes that build it (for the Rust tests and the benchmark; not an API).
#[doc(hidden)]
pub mod sample;

/// Thin functions over the private parsers for the fuzz targets in `fuzz/` (not an API).
#[doc(hidden)]
pub mod fuzzing;

pub use decision::timeline::StepStatus;
pub use decision::Source;
pub use io::db::location::Environment;
pub use io::db::locking::{install as install_locking, LockOwnership};
pub use present::format::{format_display, DisplayFields};
pub use present::result::{ExecutionStepInfo, Presentation, StepRef, StepReport};
pub use present::stats::{SlowRun, StepDurationStats};
pub use sample::create_sample;
pub use tracker::watch::{ExecutionStepChange, Tick, Watch, WatchSpec};
pub use tracker::{Access, BatchFilter, StatsFilter, StepTracker, DEFAULT_BUSY_TIMEOUT};

// napi-derive registers exports only outside `cfg(test)`, so unit-test builds
// see the binding as unused.
#[cfg_attr(test, allow(dead_code))]
mod binding;
