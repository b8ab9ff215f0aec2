//! One module per subcommand; each owns its `Args` and `run`.
pub mod check;
pub mod convert;
mod input;
pub mod query;
pub mod serve;
pub mod write;
