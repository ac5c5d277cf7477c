//! Decided states shown to people and programs: the result object
//! (docs/behaviour.md, "The result"), the one-line display, and duration
//! statistics.

pub mod format;
pub mod json;
pub mod order;
pub mod result;
pub mod stats;
