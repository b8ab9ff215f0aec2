//! `linewise write` (owner fills in per DESIGN.md).
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    todo!()
}
