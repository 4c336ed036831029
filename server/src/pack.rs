//! (being written) `quyhoach workshop pack`: the offline workshop kit.

use clap::Subcommand;

/// `quyhoach workshop …`
#[derive(Subcommand)]
pub enum WorkshopCommand {}

/// Runs a `workshop` command.
pub fn run(command: WorkshopCommand) -> anyhow::Result<()> {
    match command {}
}
