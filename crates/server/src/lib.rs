//! linewise-server as a library: the parts the `linewise` binary is made of, reachable from tests.
pub mod query;
