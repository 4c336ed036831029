//! Building the demo store: generate the synthetic district, record its plans and import
//! every source through the real import path. Shared by `quyhoach demo` and the tests.

use std::path::{Path, PathBuf};

use anyhow::Context;
use quyhoach_data::demo::{self, DemoOptions};
use quyhoach_data::plans;
use quyhoach_data::store::Store;

/// What to build.
#[derive(Debug, Clone)]
pub struct DemoBuild {
    /// Store directory (created).
    pub store: PathBuf,
    /// About how many parcels.
    pub parcels: usize,
    /// Seed of the generator.
    pub seed: u64,
    /// Progress bars and a summary on stdout.
    pub verbose: bool,
    /// Personal-data fields of the parcel source to keep as `private_*` columns (tests use
    /// this to prove they are never served).
    pub keep_personal: Vec<String>,
}

/// Records the plans of a JSON or CSV file; returns how many.
pub fn import_plans(file: &Path, store: &Path) -> anyhow::Result<usize> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let plans = plans::parse_plans(&text)?;
    let n = plans.len();
    let url = store.to_string_lossy();
    if quyhoach_data::pg::is_url(&url) {
        let mut c = quyhoach_data::pg::connect(&url)?;
        quyhoach_data::pg::ensure_schema(&mut c)?;
        quyhoach_data::pg::put_plans(&mut c, &plans)?;
        return Ok(n);
    }
    let mut store = Store::open_or_create(store)?;
    let lock = store.lock()?;
    store.reload()?;
    store.put_plans(&lock, plans)?;
    Ok(n)
}

/// Generates the district and imports it into `b.store`.
pub fn build_demo(b: &DemoBuild) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    // A PostGIS store has no directory: the generated sources go to a temporary one.
    let on_database = quyhoach_data::pg::is_url(&b.store.to_string_lossy());
    let temp = if on_database {
        Some(tempfile::tempdir()?)
    } else {
        None
    };
    let sources_dir = match &temp {
        Some(t) => t.path().join("sources"),
        None => b.store.join("sources"),
    };
    let bar = if b.verbose {
        let bar = indicatif::ProgressBar::new(b.parcels as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "generating district [{bar:40}] {pos}/{len} parcels ({eta})",
            )?
            .progress_chars("=> "),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let sources = demo::generate(
        &DemoOptions {
            parcels: b.parcels,
            seed: b.seed,
        },
        &sources_dir,
        &progress,
    )?;
    bar.finish_and_clear();
    if b.verbose {
        println!(
            "generated {} parcels, {} communes, {} sheets, {} zones, {} red lines, {} roads in {:.1}s",
            sources.stats.parcels,
            sources.stats.communes,
            sources.stats.sheets,
            sources.stats.zones,
            sources.stats.redlines,
            sources.stats.roads,
            t0.elapsed().as_secs_f64()
        );
    }
    let reports = demo::import_sources(&sources, &b.store, b.verbose, &b.keep_personal)?;
    if b.verbose {
        for report in &reports {
            print!("{}", report.summary());
        }
    }
    if b.verbose {
        println!("demo built in {:.1}s", t0.elapsed().as_secs_f64());
    }
    Ok(())
}
