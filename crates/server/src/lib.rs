//! linewise-server as a library: the parts the `linewise` binary is made of, reachable from tests
//! and from each other (write path → catalog, WAL, buffer; persistence and queries read the buffer).
pub mod buffer;
pub mod catalog;
pub mod durability;
pub mod flight;
pub mod http;
pub mod metrics;
pub mod persist;
pub mod query;
pub mod wal;
pub mod write;
