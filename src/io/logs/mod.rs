//! Worker logs and review logs on disk: where they are, and reading them
//! incrementally into their parsers.

pub mod paths;
pub mod reader;
