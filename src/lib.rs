//! Which of the seven pipeline steps each AI PM Manager task is in.
//!
//! The core (everything but [`binding`]) knows nothing of Node: it reads the
//! evidence — steps the worker recorded, its log, the database history — folds
//! it into a [`timeline::Timeline`], infers the task's state in
//! [`inference`], and shapes the [`result::ExecutionStepInfo`]. The
//! [`tracker::StepTracker`] ties these together; `binding` only converts
//! arguments and results and schedules work off the JavaScript thread.

pub mod db;
pub mod error;
pub mod evidence;
pub mod file_id;
pub mod format;
pub mod inference;
pub mod locale;
pub mod read_memo;
pub mod result;
pub mod sample;
pub mod stats;
pub mod status;
pub mod steps;
pub mod time;
pub mod timeline;
pub mod tracker;
pub mod watch;

// napi-derive registers exports only outside `cfg(test)`, so unit-test builds
// see the binding as unused.
#[cfg_attr(test, allow(dead_code))]
mod binding;
