//! linewise-server as a library: the parts the `linewise` binary is made of, reachable from tests
//! and from each other (write path → catalog, WAL, buffer; persistence and queries read the buffer).
//!
//! The catalog, the buffer, the persister and the query cache lock with `parking_lot`, whose locks
//! do not poison: a request that panicked while holding one must not make every later request fail.
pub mod buffer;
pub mod catalog;
pub mod durability;
pub mod duration;
pub mod flight;
pub mod http;
pub mod metrics;
pub mod persist;
pub mod query;
pub mod wal;
pub mod write;
