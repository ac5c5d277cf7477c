//! Readers of the three kinds of evidence (SPEC §5): steps the worker recorded,
//! its log, and the database history. Each turns its input into a [`Timeline`](crate::timeline::Timeline).

pub mod attempt;
pub mod history;
pub mod log_dir;
pub mod log_file;
pub mod log_line;
pub mod metadata;
pub mod recorded;
