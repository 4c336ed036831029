//! The embedded store and a PostGIS store of the same demo district, side by side: imports the
//! store's demo sources into PostGIS (with `--import`), then asks both backends for the
//! planning reports of N random parcels and says how many are byte-identical and how long
//! each backend took (the report computed in process, no HTTP).
//!
//! ```text
//! cargo run --release -p quyhoach-data --example backends -- STORE_DIR POSTGRES_URL [N] [--import]
//! ```
//!
//! STORE_DIR is a demo store (`quyhoach demo`), whose `sources/` are imported with the same
//! import as the store was. The database's layers are given the store's import times, so the
//! reports' dates agree. Exits non-zero if any report differs.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a command-line tool

use std::path::Path;
use std::time::Instant;

use quyhoach_data::demo;
use quyhoach_data::index::Index;
use quyhoach_data::pg::planning::PgData;
use quyhoach_data::planning::{self, Cancel, FeatureId, PlanningData, Site};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [store, url, rest @ ..] = positional.as_slice() else {
        eprintln!("usage: backends STORE_DIR POSTGRES_URL [N] [--import]");
        std::process::exit(2);
    };
    let n: usize = rest.first().map_or(1000, |s| s.parse().unwrap());
    let store = Path::new(store.as_str());
    if args.iter().any(|a| a == "--import") {
        let t = Instant::now();
        let sources = demo::sources_at(&store.join("sources")).unwrap();
        demo::import_sources(&sources, Path::new(url.as_str()), true, &[]).unwrap();
        println!(
            "imported into PostGIS in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    let ix = Index::load(store).unwrap();
    println!(
        "embedded store loaded in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    quyhoach_data::testing::same_import_times(url, &ix);
    let pg = PgData::open(url).unwrap();
    for id in ix.layer_ids() {
        let (a, b) = (ix.layer_entry(id).unwrap(), &pg.catalog().layers[id]);
        assert_eq!(
            (a.count, a.bounds),
            (b.count, b.bounds),
            "layer {id} differs"
        );
    }
    let count = ix.layer_entry("parcels").unwrap().count;
    // A fixed sequence of parcels (64-bit LCG), the same on every run.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let ids: Vec<FeatureId> = (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((x >> 33) % count) as FeatureId
        })
        .collect();
    let cancel = Cancel::new();
    let (mut same, mut affected) = (0, 0);
    let mut times: [[Vec<f64>; 2]; 2] = Default::default();
    for (pass, pass_times) in times.iter_mut().enumerate() {
        for &id in &ids {
            let site = Site::Parcel {
                layer: "parcels".into(),
                id,
            };
            let mut out = Vec::new();
            for (b, data) in [&ix as &dyn PlanningData, &pg].into_iter().enumerate() {
                let t = Instant::now();
                let r = planning::report(data, &site, &cancel, planning::MAX_SITE_AREA_M2);
                pass_times[b].push(t.elapsed().as_secs_f64() * 1000.0);
                out.push(match r {
                    Ok(r) => {
                        if b == 0 && pass == 0 && r.affected {
                            affected += 1;
                        }
                        serde_json::to_string(&r).unwrap()
                    }
                    Err(e) => format!("error: {e}"),
                });
            }
            if pass == 0 {
                if out[0] == out[1] {
                    same += 1;
                } else {
                    eprintln!(
                        "parcel {id} differs:\n  embedded {}\n  postgis  {}",
                        out[0], out[1]
                    );
                }
            }
        }
    }
    println!("{same} of {n} reports byte-identical ({affected} of the parcels affected by a plan)");
    for (pass, name) in [(0, "first"), (1, "again")] {
        for (b, backend) in [(0, "embedded"), (1, "postgis ")] {
            let mut t = times[pass][b].clone();
            t.sort_by(f64::total_cmp);
            println!(
                "{name:<6} {backend}: median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms",
                percentile(&t, 0.5),
                percentile(&t, 0.9),
                percentile(&t, 0.99)
            );
        }
    }
    if same != n {
        std::process::exit(1);
    }
}
