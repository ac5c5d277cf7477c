//! The AI PM database: where it is, connections whose locks never disturb the
//! app's own SQLite in the same process, what its schema has, the statements
//! a read runs, and the one write this package makes (recorded step events).

pub mod connection;
pub mod location;
pub mod locking;
pub mod read;
pub mod schema;
pub mod sql_value;
pub mod write;
