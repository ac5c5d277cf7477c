//! Everything that touches the disk: the database, worker and review logs,
//! and the one file-state type that tells when any of them moved.

pub mod db;
pub mod file_state;
pub mod logs;
