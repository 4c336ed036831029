//! Helpers shared by the workspace's tests (not part of the API): the shared data beside
//! the repository, and a store's files for "nothing changed" assertions.

#![allow(clippy::unwrap_used)] // test helpers fail loudly on purpose

use std::path::{Path, PathBuf};

/// A file of `../shared/data`; fails loudly when the shared data is missing (CI must have it).
pub fn shared_data(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(name);
    assert!(
        p.exists(),
        "shared test data {} is missing: clone the project with ../shared beside it",
        p.display()
    );
    p
}

/// Every file of a store with its bytes, sorted, except the lock; temporary files (which the
/// next open removes) are left out too when `skip_temporary`.
pub fn store_snapshot(dir: &Path, skip_temporary: bool) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() {
                stack.push(p);
            } else if name != ".lock" && !(skip_temporary && name.starts_with(".tmp-")) {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The planning report as JSON, or the error's text.
pub fn report_json(r: Result<crate::planning::Report, crate::planning::QueryError>) -> String {
    match r {
        Ok(r) => serde_json::to_string(&r).unwrap(),
        Err(e) => format!("error: {e}"),
    }
}

/// Asserts that two backends give byte-identical reports for every parcel of layer
/// `parcels` (ids below `count`, twice: cold, then from their caches), for 40 drawn boxes
/// over `bounds` (some across several zones and red lines), and for unknown parcels and
/// layers and a layer that is not parcels. Returns how many parcels a plan affects.
pub fn same_reports(
    a: &dyn crate::planning::PlanningData,
    b: &dyn crate::planning::PlanningData,
    count: crate::planning::FeatureId,
    bounds: [f64; 4],
) -> usize {
    use crate::planning::{report, Cancel, Site, MAX_SITE_AREA_M2};
    use geo_types::{MultiPolygon, Polygon, Rect};
    let cancel = Cancel::new();
    let both = |site: &Site| {
        (
            report_json(report(a, site, &cancel, MAX_SITE_AREA_M2)),
            report_json(report(b, site, &cancel, MAX_SITE_AREA_M2)),
        )
    };
    let mut affected = 0;
    for pass in 0..2 {
        for id in 0..count {
            let (ja, jb) = both(&Site::Parcel {
                layer: "parcels".into(),
                id,
            });
            if pass == 0 && ja.contains("\"affected\":true") {
                affected += 1;
            }
            assert_eq!(ja, jb, "parcel {id}, pass {pass}");
        }
    }
    let [w0, s0, e0, n0] = bounds;
    let (w, h) = (e0 - w0, n0 - s0);
    for i in 0..40 {
        let x = w0 + w * f64::from(i % 8) / 8.0;
        let y = s0 + h * f64::from(i / 8) / 5.0;
        let size = 0.0004 * f64::from(1 + i % 5);
        let site = Site::Geometry(MultiPolygon(vec![Polygon::from(Rect::new(
            (x, y),
            (x + size, y + size * 0.8),
        ))]));
        let (ja, jb) = both(&site);
        assert_eq!(ja, jb, "drawn site {i}");
    }
    for (layer, id) in [("parcels", count + 5), ("nope", 0), ("communes", 0)] {
        let (ja, jb) = both(&Site::Parcel {
            layer: layer.into(),
            id,
        });
        assert!(ja.starts_with("error: "), "{layer}/{id}: {ja}");
        assert_eq!(ja, jb, "{layer}/{id}");
    }
    affected
}

/// A new, empty database on the PostgreSQL server `QUYHOACH_TEST_PG` names (its URL), named
/// `prefix` + the process and a clock reading; `None` without the variable (a failure under
/// CI: scripts/test.sh starts a server with scripts/setup-postgres.sh).
pub fn new_pg_database(prefix: &str) -> Option<String> {
    let Ok(admin) = std::env::var("QUYHOACH_TEST_PG") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "QUYHOACH_TEST_PG is not set: the PostgreSQL/PostGIS tests must run \
             (scripts/test.sh starts a server with scripts/setup-postgres.sh)"
        );
        eprintln!("note: QUYHOACH_TEST_PG not set; a PostgreSQL test is skipped");
        return None;
    };
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut c = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("connecting to QUYHOACH_TEST_PG: {e}"));
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    Some(format!("{}/{name}", admin.rsplit_once('/').unwrap().0))
}

/// Gives a PostGIS store's layers the import times of the same layers in `ix` (imported from
/// the same sources a little apart): reports print the date of their data.
pub fn same_import_times(url: &str, ix: &crate::index::Index) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    for id in ix.layer_ids() {
        let at = &ix.layer_entry(id).unwrap().imported_at;
        let n = c
            .execute(
                "UPDATE quyhoach_layers SET entry = jsonb_set(entry, '{imported_at}', \
                 to_jsonb($2::text)) WHERE id = $1",
                &[&id, at],
            )
            .unwrap();
        assert_eq!(n, 1, "layer {id} is missing from the database");
    }
}

/// A demo district of about `parcels` parcels (same `seed`, same files) generated under
/// `dir/sources` and imported into each of `stores` (directories or `postgresql://` URLs).
pub fn demo_store(
    dir: &Path,
    parcels: usize,
    seed: u64,
    stores: &[&Path],
) -> crate::demo::DemoSources {
    let sources = crate::demo::generate(
        &crate::demo::DemoOptions { parcels, seed },
        &dir.join("sources"),
        &|_, _| {},
    )
    .unwrap();
    for store in stores {
        crate::demo::import_sources(&sources, store, false, &[]).unwrap();
    }
    sources
}
