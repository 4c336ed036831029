//! The `quyhoach` command: import planning layers, manage plans, build the demo district.

/// jemalloc instead of glibc's malloc: a cold tile allocates per feature, and glibc spent
/// half its time in `_int_malloc`/`malloc_consolidate` (docs/benchmarks.md, cold tiles).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use quyhoach_data::encoding::TextEncoding;
use quyhoach_data::import::{self, ImportOptions};
use quyhoach_data::lookup::Store as StoreTrait;
use quyhoach_data::plans::{Decision, Plan};
use quyhoach_data::schema::Kind;
use quyhoach_data::srs::SrsSpec;
use quyhoach_data::store::{Catalog, Store};
use quyhoach_server::tiles::StoreSource;

/// quyhoach — planning-data lookup portal for Vietnam's national planning information system.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import a vector file (anything GDAL reads) as a layer of the store.
    Import(Box<ImportArgs>),
    /// Record, list and show plans and their approving decisions.
    Plans {
        #[command(subcommand)]
        command: PlansCommand,
    },
    /// List the layers and plans of a store.
    Info {
        /// Store directory or PostGIS database (postgresql://user@host/db).
        #[arg(long, env = "QUYHOACH_STORE", default_value = "demo-store", value_parser = quyhoach_server::store_location)]
        store: PathBuf,
        /// Print the catalog as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Generate the synthetic demo district (once) and import it through the real import path,
    /// then serve it.
    Demo(Box<DemoArgs>),
    /// Serve a store: parcel lookup, planning reports, OGC API - Features, vector tiles and
    /// the map style over HTTP.
    Serve(ServeArgs),
    /// Build a PMTiles archive of vector tiles from a store (the tiles the server serves), for
    /// a whole store, a box or one commune; host it on any static server or CDN.
    Tiles(TilesArgs),
    /// The portal's state database (workshops): back it up.
    Db {
        #[command(subcommand)]
        command: quyhoach_server::portal::db::DbCommand,
    },
    /// Officials' accounts (commune officers, planning offices, administrators): add, list,
    /// change a password, disable. No account exists until one is added here.
    Users {
        #[command(subcommand)]
        command: quyhoach_server::portal::accounts::UsersCommand,
    },
    /// Consultations on draft plans: open one (its window of dates), list, close.
    Consultations {
        #[command(subcommand)]
        command: quyhoach_server::portal::consult::ConsultCommand,
    },
    /// Announce a plan on every channel: bulletin-board slides, a Zalo/Facebook post and its
    /// picture, an A3 poster and A4 leaflet (PDF), spoken audio for the commune loudspeakers
    /// (Ogg/Opus, MP3) and the words it says, and the commune website's page, into --out.
    Announce(Box<quyhoach_server::portal::announce::cli::AnnounceArgs>),
    /// Workshops: pack the offline workshop kit for a trainer's laptop.
    Workshop {
        #[command(subcommand)]
        command: quyhoach_server::pack::WorkshopCommand,
    },
    /// The server's sandboxed reader of one uploaded site file (standard input → JSON on
    /// standard output); not for people.
    #[command(name = "__read-site", hide = true)]
    ReadSite {
        /// The upload's own empty directory.
        #[arg(long)]
        dir: PathBuf,
        /// The file's reference system.
        #[arg(long)]
        srs: String,
    },
    /// The server's sandboxed practice import of one trainee's upload (standard input →
    /// the import report as JSON on standard output); not for people.
    #[command(name = "__practice-import", hide = true)]
    PracticeImport {
        /// The upload's own empty directory (the throwaway store goes in it too).
        #[arg(long)]
        dir: PathBuf,
        /// The import's parameters as JSON.
        #[arg(long)]
        params: String,
    },
}

/// The public server's network settings.
#[derive(Args)]
struct NetArgs {
    /// Peers whose X-Forwarded-Host/-Proto are believed (reverse proxies): addresses or CIDR
    /// networks, repeatable or comma-separated. Others' forwarding headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "QUYHOACH_TRUSTED_PROXIES",
        value_name = "NET"
    )]
    trusted_proxy: Vec<String>,
    /// The address the public uses (http(s)://host[:port]); every link is built on it, whatever
    /// Host or X-Forwarded-* say.
    #[arg(long, env = "QUYHOACH_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Most open connections (default: the open-file limit less 128). When full, the
    /// connection idle the longest is closed for a new one.
    #[arg(long, env = "QUYHOACH_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Seconds between checks of the store for a new import (the server then serves it
    /// without a restart); 0: only on SIGHUP.
    #[arg(long, env = "QUYHOACH_RELOAD_SECONDS", default_value_t = 2)]
    reload_seconds: u64,
}

impl NetArgs {
    fn server_config(&self) -> anyhow::Result<quyhoach_server::state::ServerConfig> {
        Ok(quyhoach_server::state::ServerConfig {
            uploads: quyhoach_server::upload::Uploads::default(),
            proxies: quyhoach_server::proxy::Proxies::new(
                &self.trusted_proxy,
                self.public_url.as_deref(),
            )?,
            portal: Default::default(),
        })
    }
}

#[derive(Args)]
struct TileServeArgs {
    /// Serve a PMTiles archive as the tile set named after its file (`x.pmtiles` → `/tiles/x/…`).
    /// Repeatable.
    #[arg(long = "pmtiles", value_name = "FILE")]
    pmtiles: Vec<PathBuf>,
    /// Memory for the cache of gzipped tiles, MB, and again for each archive's cache of the
    /// tiles read from it; 0 turns the caches off (every request encodes or reads its tile;
    /// for benchmarks).
    #[arg(long, env = "QUYHOACH_TILE_CACHE_MB", default_value_t = quyhoach_server::tiles::DEFAULT_TILE_CACHE_BYTES / 1_048_576)]
    tile_cache_mb: u64,
    /// Directory holding DejaVuSans.ttf and DejaVuSans-Bold.ttf, rendered into the map's
    /// label glyphs (Debian fonts-dejavu-core).
    #[arg(long, env = "QUYHOACH_FONTS_DIR", default_value = quyhoach_server::glyphs::DEFAULT_FONTS_DIR)]
    fonts_dir: PathBuf,
    /// The web map reads the planning tiles from this PMTiles archive on a static host or CDN
    /// instead of this server: built from the same store by `quyhoach tiles --out FILE`
    /// (after every import), e.g. https://cdn.example.vn/cantho.pmtiles, or a path on this
    /// host (/static/cantho.pmtiles) that the proxy in front serves. The host must answer
    /// range requests, and send CORS headers when it is another origin.
    #[arg(long, env = "QUYHOACH_MAP_PMTILES", value_name = "URL", value_parser = quyhoach_server::tiles::map_archive_url)]
    map_pmtiles: Option<String>,
}

impl TileServeArgs {
    fn config(&self) -> quyhoach_server::tiles::TileConfig {
        quyhoach_server::tiles::TileConfig {
            cache_bytes: self.tile_cache_mb.saturating_mul(1_048_576),
            archives: self.pmtiles.clone(),
            fonts_dir: self.fonts_dir.clone(),
            map_archive: self.map_pmtiles.clone(),
        }
    }
}

#[derive(Args)]
struct TilesArgs {
    /// Store directory or PostGIS database (postgresql://user@host/db).
    #[arg(long, env = "QUYHOACH_STORE", default_value = "demo-store", value_parser = quyhoach_server::store_location)]
    store: PathBuf,
    /// The archive to write (replaced atomically).
    #[arg(long)]
    out: PathBuf,
    /// First zoom.
    #[arg(long, default_value_t = 0)]
    minzoom: u8,
    /// Last zoom (map clients overzoom beyond it).
    #[arg(long, default_value_t = quyhoach_server::tiles::DEFAULT_MAXZOOM)]
    maxzoom: u8,
    /// Tile set: `planning` (every layer) or one store layer id.
    #[arg(long, default_value = quyhoach_server::tiles::COMBINED_TILESET)]
    tileset: String,
    /// Only the tiles covering this box, west,south,east,north (WGS 84 degrees).
    #[arg(long, value_name = "W,S,E,N", conflicts_with = "commune")]
    bbox: Option<String>,
    /// Only the tiles covering this commune's boundary (its code in the boundaries layer):
    /// an offline pack for one commune.
    #[arg(long)]
    commune: Option<String>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct ServeArgs {
    /// Store directory (default `demo-store`) or PostGIS database (postgresql://user@host/db,
    /// a primary or a streaming replica). Without it but with `--pmtiles`, only the archives
    /// are served (tiles, TileJSON, `/tiles`, health): no store is loaded.
    #[arg(long, env = "QUYHOACH_STORE", value_parser = quyhoach_server::store_location)]
    store: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "QUYHOACH_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// No progress bar while loading.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    tiles: TileServeArgs,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    portal: PortalArgs,
}

/// The portal's own state and training features.
#[derive(Args)]
struct PortalArgs {
    /// The portal's state database (SQLite: workshops and their progress); default
    /// `portal.sqlite` in the store directory.
    #[arg(long, env = "QUYHOACH_DB", value_name = "FILE")]
    db: Option<PathBuf>,
    /// Directory of lesson content files (YAML with Markdown texts) to use instead of the
    /// lessons built into the binary: edit or translate lessons without touching code.
    #[arg(long, env = "QUYHOACH_LESSONS", value_name = "DIR")]
    lessons: Option<PathBuf>,
    /// Close the practice import of the data-preparation lesson (trainees' uploads).
    #[arg(long, env = "QUYHOACH_NO_PRACTICE_IMPORT")]
    no_practice_import: bool,
    /// Do not let anyone start a workshop.
    #[arg(long, env = "QUYHOACH_NO_WORKSHOPS")]
    no_workshops: bool,
    /// PostgreSQL for the two-way state — questions, comments, consultations, officials'
    /// accounts and sessions, alerts — shared by several servers
    /// (`postgresql://user[:password]@host[:port]/db`). Without it they live in the portal
    /// database (--db).
    #[arg(long = "db-url", env = "QUYHOACH_DB_URL", value_name = "URL")]
    db_url: Option<String>,
    /// Days contact details and followers' email addresses are kept before they are deleted.
    #[arg(long, env = "QUYHOACH_CONTACT_RETENTION_DAYS", default_value_t = quyhoach_server::portal::twoway::DEFAULT_CONTACT_RETENTION_DAYS)]
    contact_retention_days: i64,
    /// The SMTP server alert emails go out through (`smtp://host[:port]`); without it,
    /// alerts are Atom feeds only.
    #[arg(long, env = "QUYHOACH_SMTP_URL", value_name = "URL")]
    smtp_url: Option<String>,
    /// The From address of alert emails.
    #[arg(long, env = "QUYHOACH_MAIL_FROM", default_value = "quyhoach@localhost")]
    mail_from: String,
}

impl PortalArgs {
    fn config(&self, store: &Path) -> anyhow::Result<quyhoach_server::portal::PortalConfig> {
        // A PostGIS store has no directory for the portal's files: its state goes to the same
        // database unless --db-url names another (servers on a read-only replica must name the
        // primary), and workshops need --db FILE.
        let on_database = quyhoach_data::pg::is_url(&store.to_string_lossy());
        let db_url = match (&self.db_url, on_database) {
            (Some(u), _) => Some(u.clone()),
            (None, true) => Some(store.to_string_lossy().into_owned()),
            (None, false) => None,
        };
        if let Some(dir) = &self.lessons {
            quyhoach_server::portal::lessons::validate_dir(dir)
                .with_context(|| format!("checking the lessons in {}", dir.display()))?;
        }
        let path = match (&self.db, on_database) {
            (Some(p), _) => Some(p.clone()),
            (None, false) => Some(store.join("portal.sqlite")),
            (None, true) => None,
        };
        let opened = match &path {
            Some(path) => quyhoach_server::portal::db::Db::open(path).map(Some),
            None => {
                println!("no portal database file (the store is PostGIS): workshops answer 503 — pass --db FILE to have them");
                Ok(None)
            }
        };
        let path = path.unwrap_or_default();
        let db = match opened {
            Ok(None) => None,
            Ok(Some(db)) => {
                println!("portal database {}", path.display());
                Some(std::sync::Arc::new(db))
            }
            // The default file sits in the store directory, which may be read-only (a store
            // shipped on a read-only volume): the lookup still serves, without workshops.
            Err(e) if self.db.is_none() => {
                println!(
                    "warning: no portal database ({e:#}); workshops answer 503 — pass --db FILE \
                     on a writable disk to have them"
                );
                None
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("opening the portal database {}", path.display()))
            }
        };
        if !(1..=3650).contains(&self.contact_retention_days) {
            bail!("--contact-retention-days must be 1 to 3650");
        }
        let state = quyhoach_server::portal::sql::StateDb::open(db_url.as_deref(), db.clone())
            .context("opening the state database (--db-url)")?;
        if let Some(quyhoach_server::portal::sql::StateDb::Postgres(p)) = &state {
            println!("state database {p:?}");
        }
        if let Some(s) = &state {
            quyhoach_server::portal::twoway::start_sweeper(s.clone());
        }
        let mail = self.smtp_url.as_ref().map(|url| {
            std::sync::Arc::new(quyhoach_server::portal::alerts::MailConfig {
                smtp_url: url.clone(),
                from: self.mail_from.clone(),
            })
        });
        Ok(quyhoach_server::portal::PortalConfig {
            db,
            lessons_dir: self.lessons.clone(),
            practice_import: !self.no_practice_import,
            workshops: !self.no_workshops,
            state,
            twoway: quyhoach_server::portal::twoway::TwowayConfig {
                contact_retention_days: self.contact_retention_days,
                mail,
            },
        })
    }
}

#[derive(Args)]
struct ImportArgs {
    /// Source file: Shapefile (.shp or zipped), GeoPackage, GeoJSON, MapInfo TAB, DXF, CSV with WKT, FlatGeobuf…
    src: PathBuf,
    /// Kind of layer: parcels, zones, redlines, boundaries or roads.
    #[arg(long)]
    kind: Kind,
    /// Store directory (created if missing) or PostGIS database (postgresql://user@host/db;
    /// its tables are made if missing).
    #[arg(long, env = "QUYHOACH_STORE", value_parser = quyhoach_server::store_location)]
    store: PathBuf,
    /// Source reference system: vn2000:<province>, vn2000:tm3:<meridian>, vn2000:utm48|utm49,
    /// EPSG:<code>, or prj (trust the file).
    #[arg(long)]
    srs: SrsSpec,
    /// Plan the zones or red lines belong to (must be recorded with `plans add` first).
    #[arg(long)]
    plan: Option<String>,
    /// Store layer id (default: the kind, or kind-plan for zones and red lines).
    #[arg(long)]
    layer: Option<String>,
    /// Layer inside a multi-layer source (GeoPackage, DXF…).
    #[arg(long = "layer-name")]
    source_layer: Option<String>,
    /// Attribute text encoding: auto, utf8, tcvn3, vni, cp1258, latin1.
    #[arg(long, default_value = "auto")]
    encoding: String,
    /// Map a source field onto a schema field, TARGET=SOURCE (repeatable).
    #[arg(long = "map", value_name = "TARGET=SOURCE")]
    mappings: Vec<String>,
    /// Field-name profile: auto, cadastral, tt16-2025, generic, or a profile FILE (JSON;
    /// docs/importing.md).
    #[arg(long, default_value = "auto")]
    profile: String,
    /// Commune code for parcels whose source has no commune field.
    #[arg(long)]
    commune: Option<String>,
    /// Keep a personal-data field (stored privately, never served). Repeatable.
    #[arg(long = "keep-personal", value_name = "FIELD")]
    keep_personal: Vec<String>,
    /// Reject features whose land-use code is not in the code table.
    #[arg(long)]
    strict_codes: bool,
    /// Accept data lying far outside Vietnam (otherwise such features are rejected, and the
    /// import refused when they are the majority: usually a wrong --srs).
    #[arg(long)]
    allow_outside_vietnam: bool,
    /// Write the full import report as JSON to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Subcommand)]
enum PlansCommand {
    /// Add or replace a plan.
    Add(Box<PlanAddArgs>),
    /// Import plans from a JSON array or a CSV file.
    Import {
        /// Plans file.
        file: PathBuf,
        /// Store directory or PostGIS database (postgresql://user@host/db).
        #[arg(long, env = "QUYHOACH_STORE", value_parser = quyhoach_server::store_location)]
        store: PathBuf,
    },
    /// List plans.
    List {
        /// Store directory or PostGIS database (postgresql://user@host/db).
        #[arg(long, env = "QUYHOACH_STORE", value_parser = quyhoach_server::store_location)]
        store: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show one plan and the layers that use it.
    Show {
        /// Plan id.
        id: String,
        /// Store directory or PostGIS database (postgresql://user@host/db).
        #[arg(long, env = "QUYHOACH_STORE", value_parser = quyhoach_server::store_location)]
        store: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Remove a plan no layer uses.
    Remove {
        /// Plan id.
        id: String,
        /// Store directory or PostGIS database (postgresql://user@host/db).
        #[arg(long, env = "QUYHOACH_STORE", value_parser = quyhoach_server::store_location)]
        store: PathBuf,
    },
}

#[derive(Args)]
struct PlanAddArgs {
    /// Store directory or PostGIS database (postgresql://user@host/db).
    #[arg(long, env = "QUYHOACH_STORE", value_parser = quyhoach_server::store_location)]
    store: PathBuf,
    /// Plan id (lowercase, digits, '-').
    #[arg(long)]
    id: String,
    /// Full name of the plan.
    #[arg(long)]
    name: String,
    /// national, regional, provincial, general_urban, zoning_2000, detailed_500, district_land_use.
    #[arg(long)]
    level: String,
    /// Number of the approving decision, e.g. 1195/QĐ-UBND.
    #[arg(long)]
    decision: String,
    /// Date of the decision, YYYY-MM-DD.
    #[arg(long)]
    decision_date: String,
    /// Approving authority, e.g. "UBND tỉnh Kiên Giang".
    #[arg(long)]
    authority: String,
    /// in_force, adjusted, expired or draft.
    #[arg(long, default_value = "in_force")]
    status: String,
    /// In force from, YYYY-MM-DD.
    #[arg(long)]
    valid_from: Option<String>,
    /// In force until, YYYY-MM-DD.
    #[arg(long)]
    valid_to: Option<String>,
    /// Link to the decision or plan documents.
    #[arg(long)]
    url: Option<String>,
}

#[derive(Args)]
struct DemoArgs {
    /// Store directory for the demo.
    #[arg(long, env = "QUYHOACH_STORE", default_value = "demo-store", value_parser = quyhoach_server::store_location)]
    store: PathBuf,
    /// Address to serve on once the store is ready.
    #[arg(long, env = "QUYHOACH_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Build (or reuse) the store and exit without serving (for scripts and tests).
    #[arg(long)]
    no_serve: bool,
    /// Number of parcels in the district.
    #[arg(long, default_value_t = 20_000)]
    parcels: usize,
    /// Random seed: the same seed gives the same district.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Rebuild even if the store already holds this demo.
    #[arg(long)]
    force: bool,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    tiles: TileServeArgs,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    portal: PortalArgs,
}

fn main() -> ExitCode {
    // The upload reader runs before anything else: no logging set-up, no other work.
    let mut args = std::env::args_os();
    if args.nth(1).is_some_and(|a| {
        a == quyhoach_server::upload::CHILD_COMMAND
            || a == quyhoach_server::upload::PRACTICE_COMMAND
    }) {
        let cli = Cli::parse();
        if let Command::ReadSite { dir, srs } = cli.command {
            return quyhoach_server::upload::child_main(&dir, &srs);
        }
        if let Command::PracticeImport { dir, params } = cli.command {
            return quyhoach_server::upload::practice_child_main(&dir, &params);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QUYHOACH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Import(args) => run_import(*args),
        Command::Plans { command } => run_plans(command),
        Command::Info { store, json } => run_info(&store, json),
        Command::Demo(args) => run_demo(*args),
        Command::Serve(args) => match &args.store {
            None if !args.tiles.pmtiles.is_empty() => {
                run_serve_tiles(&args.listen, &args.tiles.config(), &args.net)
            }
            store => run_serve(
                store.as_deref().unwrap_or(Path::new("demo-store")),
                &args.listen,
                args.quiet,
                &args.tiles.config(),
                &args.net,
                &args.portal,
                false,
            ),
        },
        Command::Tiles(args) => run_tiles(&args),
        Command::Db { command } => quyhoach_server::portal::db::run(command),
        Command::Workshop { command } => quyhoach_server::pack::run(command),
        Command::Users { command } => quyhoach_server::portal::accounts::run(command),
        Command::Consultations { command } => quyhoach_server::portal::consult::run(command),
        Command::Announce(args) => quyhoach_server::portal::announce::cli::run(&args),
        Command::ReadSite { .. } => bail!("__read-site is the server's upload reader"),
        Command::PracticeImport { .. } => {
            bail!("__practice-import is the server's practice import")
        }
    }
}

fn parse_encoding(text: &str) -> anyhow::Result<Option<TextEncoding>> {
    if text == "auto" {
        return Ok(None);
    }
    Ok(Some(text.parse().map_err(|e| anyhow::anyhow!("{e}"))?))
}

fn run_import(args: ImportArgs) -> anyhow::Result<()> {
    let mut mappings = Vec::new();
    for m in &args.mappings {
        let Some((t, s)) = m.split_once('=') else {
            bail!("--map takes TARGET=SOURCE, got '{m}'");
        };
        mappings.push((t.trim().to_string(), s.trim().to_string()));
    }
    let opts = ImportOptions {
        source_layer: args.source_layer,
        plan: args.plan,
        layer: args.layer,
        encoding: parse_encoding(&args.encoding)?,
        mappings,
        profile_file: quyhoach_data::schema::is_profile_file(&args.profile)
            .then(|| PathBuf::from(&args.profile)),
        profile: args.profile,
        commune: args.commune,
        keep_personal: args.keep_personal,
        strict_codes: args.strict_codes,
        allow_outside_vietnam: args.allow_outside_vietnam,
        progress: !args.quiet,
        ..ImportOptions::new(args.src, args.kind, args.store, args.srs)
    };
    let report = import::import(&opts)?;
    print!("{}", report.summary());
    if let Some(path) = args.report {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn run_plans(command: PlansCommand) -> anyhow::Result<()> {
    match command {
        PlansCommand::Add(a) => {
            let plan = Plan {
                id: a.id,
                name: a.name,
                level: a.level.parse().map_err(anyhow::Error::msg)?,
                decision: Decision {
                    number: a.decision,
                    date: a.decision_date,
                    authority: a.authority,
                },
                status: a.status.parse().map_err(anyhow::Error::msg)?,
                valid_from: a.valid_from,
                valid_to: a.valid_to,
                document_url: a.url,
            };
            plan.validate()?;
            if quyhoach_data::pg::is_url(&a.store.to_string_lossy()) {
                let mut c = quyhoach_data::pg::connect(&a.store.to_string_lossy())?;
                quyhoach_data::pg::ensure_schema(&mut c)?;
                println!("plan {plan}");
                quyhoach_data::pg::put_plans(&mut c, &[plan])?;
                return Ok(());
            }
            let mut store = Store::open_or_create(&a.store)?;
            let lock = store.lock()?;
            store.reload()?;
            println!("plan {plan}");
            store.put_plans(&lock, vec![plan])?;
        }
        PlansCommand::Import { file, store } => {
            let n = quyhoach_server::demo::import_plans(&file, &store)?;
            println!("{n} plan(s) imported from {}", file.display());
        }
        PlansCommand::List { store, json } => {
            let catalog = catalog_of(&store)?;
            if json {
                let plans: Vec<&Plan> = catalog.plans.values().collect();
                println!("{}", serde_json::to_string_pretty(&plans)?);
            } else if catalog.plans.is_empty() {
                println!("no plans; add one with `quyhoach plans add`");
            } else {
                for p in catalog.plans.values() {
                    println!("{p}");
                }
            }
        }
        PlansCommand::Show { id, store, json } => {
            let catalog = catalog_of(&store)?;
            let Some(plan) = catalog.plans.get(&id) else {
                bail!("no plan '{id}' in {}", shown_store(&store));
            };
            let layers: Vec<(&String, u64)> = catalog
                .layers
                .iter()
                .filter(|(_, l)| l.plans.contains(&id))
                .map(|(k, l)| (k, l.count))
                .collect();
            if json {
                let v = serde_json::json!({"plan": plan, "layers": layers.iter().map(|(k, c)| serde_json::json!({"layer": k, "count": c})).collect::<Vec<_>>()});
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("{}\n  {}", plan.id, plan.name);
                println!("  level: {} ({})", plan.level.name_vi(), plan.level.id());
                println!(
                    "  decision: {} of {} by {}",
                    plan.decision.number, plan.decision.date, plan.decision.authority
                );
                println!("  status: {} ({})", plan.status.name_vi(), plan.status.id());
                println!(
                    "  valid: {} – {}",
                    plan.valid_from.as_deref().unwrap_or("?"),
                    plan.valid_to.as_deref().unwrap_or("…")
                );
                if let Some(u) = &plan.document_url {
                    println!("  documents: {u}");
                }
                for (k, c) in layers {
                    println!("  layer {k}: {c} features");
                }
            }
        }
        PlansCommand::Remove { id, store } => {
            if quyhoach_data::pg::is_url(&store.to_string_lossy()) {
                let mut c = quyhoach_data::pg::connect(&store.to_string_lossy())?;
                quyhoach_data::pg::ensure_schema(&mut c)?;
                quyhoach_data::pg::remove_plan(&mut c, &id)?;
                println!("plan {id} removed");
                return Ok(());
            }
            let mut store = Store::open(&store)?;
            let lock = store.lock()?;
            store.reload()?;
            store.remove_plan(&lock, &id)?;
            println!("plan {id} removed");
        }
    }
    Ok(())
}

/// The catalog of a store directory or a PostGIS database.
fn catalog_of(store: &Path) -> anyhow::Result<Catalog> {
    let text = store.to_string_lossy();
    if quyhoach_data::pg::is_url(&text) {
        let mut c = quyhoach_data::pg::connect(&text)?;
        quyhoach_data::pg::ensure_schema(&mut c)?;
        return Ok(quyhoach_data::pg::load_catalog(&mut c)?.0);
    }
    Ok(Store::open(store)?.catalog)
}

/// A store as shown to the user: a directory's path, a database URL without its password.
fn shown_store(store: &Path) -> String {
    let text = store.to_string_lossy();
    if !quyhoach_data::pg::is_url(&text) {
        return store.display().to_string();
    }
    quyhoach_data::pg::shown_url(&text)
}

fn run_info(store: &Path, json: bool) -> anyhow::Result<()> {
    let mut out = String::new();
    if quyhoach_data::pg::is_url(&store.to_string_lossy()) {
        let catalog = catalog_of(store)?;
        if json {
            out = serde_json::to_string_pretty(&catalog)? + "\n";
        } else {
            out = format!("store {}\n", shown_store(store));
            list_catalog(&mut out, &catalog);
        }
        return print_listing(&out);
    }
    let store = Store::open(store)?;
    // Left by a killed import; the next import removes them (under the lock).
    let temp = store.temp_files();
    let temp_bytes: u64 = temp.iter().map(|(_, b)| b).sum();
    if json {
        let mut v = serde_json::to_value(&store.catalog)?;
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "temporary_files".into(),
                serde_json::json!({"count": temp.len(), "bytes": temp_bytes}),
            );
        }
        return print_listing(&(serde_json::to_string_pretty(&v)? + "\n"));
    }
    let _ = writeln!(out, "store {}", store.dir().display());
    if !temp.is_empty() {
        let _ = writeln!(
            out,
            "  {} temporary file{} from an interrupted import ({}); the next import removes them",
            temp.len(),
            if temp.len() == 1 { "" } else { "s" },
            quyhoach_data::store::human_bytes(temp_bytes)
        );
    }
    list_catalog(&mut out, &store.catalog);
    print_listing(&out)
}

/// Writes a listing to stdout. A reader that stops early (`quyhoach info | head`) ends it
/// quietly, as other Unix tools do, instead of a panic on the closed pipe.
fn print_listing(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// The layers and plans of a catalog, one line each.
fn list_catalog(out: &mut String, catalog: &Catalog) {
    for (id, l) in &catalog.layers {
        let _ = writeln!(
            out,
            "  {id:<24} {:<10} {:>9} features  [{:.4}, {:.4}, {:.4}, {:.4}]  {} ({}, {})  imported {}",
            l.kind.id(),
            l.count,
            l.bounds[0],
            l.bounds[1],
            l.bounds[2],
            l.bounds[3],
            l.source.path,
            l.source.srs,
            l.source.encoding,
            l.imported_at
        );
    }
    for p in catalog.plans.values() {
        let _ = writeln!(out, "  plan {p}");
    }
}

/// What the demo store was built with, to reuse it next time.
#[derive(serde::Serialize, serde::Deserialize, PartialEq)]
struct DemoStamp {
    parcels: usize,
    seed: u64,
}

fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    let stamp_path = args.store.join("demo.json");
    let wanted = DemoStamp {
        parcels: args.parcels,
        seed: args.seed,
    };
    // A PostGIS store is built each time (each layer replaced in one transaction).
    let on_database = quyhoach_data::pg::is_url(&args.store.to_string_lossy());
    let existing: Option<DemoStamp> = std::fs::read_to_string(&stamp_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .filter(|_| !on_database);
    if !args.force && existing.as_ref() == Some(&wanted) && Store::open(&args.store).is_ok() {
        println!(
            "demo store {} already holds the district ({} parcels, seed {}); reusing it",
            args.store.display(),
            args.parcels,
            args.seed
        );
    } else {
        build_demo(&args)?;
        if !on_database {
            std::fs::write(&stamp_path, serde_json::to_string(&wanted)?)?;
        }
    }
    run_info(&args.store, false)?;
    if args.no_serve {
        println!(
            "the demo store is ready; serve it with `quyhoach serve --store {}`",
            shown_store(&args.store)
        );
        return Ok(());
    }
    run_serve(
        &args.store,
        &args.listen,
        args.quiet,
        &args.tiles.config(),
        &args.net,
        &args.portal,
        true,
    )
}

/// The demo's draft plan is open for comments (30 days from the first start), so "Góp ý dự
/// thảo" can be tried at once, and how to make the first official's account is said.
fn open_demo_consultation(
    store: &Path,
    state: &quyhoach_server::state::ServerConfig,
    index: &dyn quyhoach_data::lookup::Store,
) -> anyhow::Result<()> {
    let Some(db) = &state.portal.state else {
        return Ok(());
    };
    quyhoach_server::portal::consult::ensure_demo(db, index)?;
    println!(
        "officials answer at /#/official; make the first account with: \
         target/release/quyhoach users add --store {} --username admin --name \"Quản trị\" --role admin",
        shown_store(store)
    );
    Ok(())
}

/// Loads the index, prints how long it took, and serves until Ctrl-C, reloading the store
/// when an import changes it.
fn run_serve(
    store: &Path,
    listen: &str,
    quiet: bool,
    tiles: &quyhoach_server::tiles::TileConfig,
    net: &NetArgs,
    portal: &PortalArgs,
    demo: bool,
) -> anyhow::Result<()> {
    let mut config = net.server_config()?;
    config.portal = portal.config(store)?;
    let server = std::sync::Arc::new(config);
    let swept = quyhoach_server::upload::sweep_stale_dirs();
    if swept > 0 {
        println!("removed {swept} upload directories left by a stopped server");
    }
    let t0 = std::time::Instant::now();
    let source = quyhoach_server::live::Source::of(store);
    let loaded = source
        .load(!quiet)
        .with_context(|| format!("loading the store {}", source.shown()))?;
    let index = loaded.store.clone();
    let features: u64 = index.catalog().layers.values().map(|l| l.count).sum();
    println!(
        "loaded {} layers, {features} features from {} in {:.1}s",
        index.catalog().layers.len(),
        source.shown(),
        t0.elapsed().as_secs_f64()
    );
    if demo {
        open_demo_consultation(store, &server, &*index)?;
    }
    let live = quyhoach_server::live::Live::serve(source, loaded, tiles.clone(), server)?;
    for a in &tiles.archives {
        println!("serving archive {}", a.display());
    }
    if live.state().server.uploads.reader.is_none() {
        println!("warning: no upload reader found; site file uploads answer 503");
    }
    let reload =
        (net.reload_seconds > 0).then(|| std::time::Duration::from_secs(net.reload_seconds));
    serve_on(
        listen,
        net,
        |addr| {
            println!("serving on http://{addr}/  (API http://{addr}/api/v1/openapi.json, OGC API - Features http://{addr}/ogc, tiles http://{addr}/tiles, style http://{addr}/styles/planning.json)");
        },
        move |listener, limits| async move {
            quyhoach_server::serve_live(listener, std::sync::Arc::new(live), limits, reload).await
        },
    )
}

/// Starts the runtime, binds `listen`, says where it listens and runs `serve` until it stops.
fn serve_on<F, Fut>(
    listen: &str,
    net: &NetArgs,
    announce: impl FnOnce(std::net::SocketAddr),
    serve: F,
) -> anyhow::Result<()>
where
    F: FnOnce(tokio::net::TcpListener, quyhoach_server::listener::Limits) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<()>>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        announce(listener.local_addr()?);
        let limits = quyhoach_server::listener::Limits {
            max_connections: net.max_connections,
        };
        serve(listener, limits).await?;
        println!("stopped");
        anyhow::Ok(())
    })
}

/// `serve --pmtiles FILE…` without `--store`: the archives alone, no index in memory.
fn run_serve_tiles(
    listen: &str,
    tiles: &quyhoach_server::tiles::TileConfig,
    net: &NetArgs,
) -> anyhow::Result<()> {
    let server = std::sync::Arc::new(net.server_config()?);
    let mut service = quyhoach_server::tiles::TileService::archives_only(tiles.cache_bytes);
    for a in &tiles.archives {
        service.add_archive(a)?;
        println!("serving archive {}", a.display());
    }
    let router = quyhoach_server::tile_app(std::sync::Arc::new(service), server);
    serve_on(
        listen,
        net,
        |addr| {
            println!("serving tiles only (no store) on http://{addr}/  (list http://{addr}/tiles)")
        },
        move |listener, limits| quyhoach_server::serve_router(listener, router, limits),
    )
}

fn build_demo(args: &DemoArgs) -> anyhow::Result<()> {
    quyhoach_server::demo::build_demo(&quyhoach_server::demo::DemoBuild {
        store: args.store.clone(),
        parcels: args.parcels,
        seed: args.seed,
        verbose: !args.quiet,
        keep_personal: Vec::new(),
    })
}

/// Parses `w,s,e,n`.
fn parse_bbox(text: &str) -> anyhow::Result<[f64; 4]> {
    let v: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            anyhow::anyhow!("--bbox takes four numbers west,south,east,north, got '{text}'")
        })?;
    let b: [f64; 4] = v.try_into().map_err(|_| {
        anyhow::anyhow!("--bbox takes four numbers west,south,east,north, got '{text}'")
    })?;
    if !(b.iter().all(|x| x.is_finite()) && b[0] < b[2] && b[1] < b[3]) {
        bail!(
            "--bbox {text}: need west < east and south < north (WGS 84 degrees, longitude first)"
        );
    }
    Ok(b)
}

/// The box of a commune's boundary, from every boundaries layer.
fn commune_bbox(store: &dyn StoreTrait, code: &str) -> anyhow::Result<[f64; 4]> {
    use quyhoach_data::index::ValueRef;
    let mut found: Option<[f64; 4]> = None;
    for (id, e) in &store.catalog().layers {
        if e.kind != Kind::Boundaries {
            continue;
        }
        store.visit(id, e.bounds, &mut |f, g| {
            if f.value("code") != Some(ValueRef::Str(code)) {
                return;
            }
            if let Some(r) = geo::BoundingRect::bounding_rect(g) {
                let b = [r.min().x, r.min().y, r.max().x, r.max().y];
                found = Some(quyhoach_data::index::union_bbox(found, b));
            }
        })?;
    }
    found.ok_or_else(|| {
        anyhow::anyhow!(
            "no commune with code '{code}' in the store's boundaries layers (see `quyhoach info`)"
        )
    })
}

fn run_tiles(args: &TilesArgs) -> anyhow::Result<()> {
    let text = args.store.to_string_lossy();
    if quyhoach_data::pg::is_url(&text) {
        let store: std::sync::Arc<dyn StoreTrait> =
            std::sync::Arc::new(quyhoach_data::pg::planning::PgData::open(&text)?);
        return build_tiles(args, &store);
    }
    let index: std::sync::Arc<dyn StoreTrait> = std::sync::Arc::new(
        quyhoach_data::index::Index::load_with_progress(&args.store, !args.quiet)
            .with_context(|| format!("loading the store {}", args.store.display()))?,
    );
    build_tiles(args, &index)
}

/// `quyhoach tiles` from a loaded store (the index or a PostGIS store).
fn build_tiles(args: &TilesArgs, store: &std::sync::Arc<dyn StoreTrait>) -> anyhow::Result<()> {
    let Some(source) = StoreSource::for_tileset(store, &args.tileset) else {
        let layers: Vec<&str> = store.catalog().layers.keys().map(String::as_str).collect();
        bail!(
            "unknown tile set '{}': `{}` or a store layer ({})",
            args.tileset,
            quyhoach_server::tiles::COMBINED_TILESET,
            layers.join(", ")
        );
    };
    let bounds = match (&args.bbox, &args.commune) {
        (Some(b), _) => parse_bbox(b)?,
        (None, Some(c)) => commune_bbox(&**store, c)?,
        (None, None) => source
            .bounds()
            .context("the tile set's layers have no bounds (are they empty?)")?,
    };
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} tiles {pos}/{len} [{bar:30}] {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    };
    let stats = quyhoach_tiles::build_pyramid(
        &source,
        &args.tileset,
        bounds,
        args.minzoom,
        args.maxzoom,
        &args.out,
        |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )?;
    bar.finish_and_clear();
    println!(
        "{}: tile set {}, zooms {}–{}, bounds [{:.5}, {:.5}, {:.5}, {:.5}]",
        args.out.display(),
        args.tileset,
        args.minzoom,
        args.maxzoom,
        bounds[0],
        bounds[1],
        bounds[2],
        bounds[3]
    );
    for z in &stats.zooms {
        println!(
            "  z{:<2} {:>8} tiles checked {:>8} written {:>10} bytes gzipped (largest {:>7}) {:>5} reduced",
            z.z, z.tiles_checked, z.tiles_written, z.bytes, z.max_tile_bytes, z.tiles_reduced
        );
    }
    println!(
        "{} tiles addressed, {} distinct, {} bytes, in {:.1}s",
        stats.archive.addressed_tiles,
        stats.archive.tile_contents,
        stats.archive.file_bytes,
        stats.seconds
    );
    Ok(())
}
