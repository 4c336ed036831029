//! (being written) The portal's state database.

/// The open database.
pub struct Db {}

/// `quyhoach db …`
#[derive(clap::Subcommand)]
pub enum DbCommand {}

/// Runs a `db` command.
pub fn run(command: DbCommand) -> anyhow::Result<()> {
    match command {}
}

impl Db {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(_path: &std::path::Path) -> anyhow::Result<Db> {
        Ok(Db {})
    }
}
