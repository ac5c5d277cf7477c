//! The AI PM database: where it is, read-only connections to it, what its
//! schema has, one consistent read of a set of tasks, and the one write this
//! package makes (recorded step events).

pub mod location;
pub mod pool;
pub mod read;
pub mod schema;
pub mod snapshot;
pub mod sql_value;
pub mod write;
