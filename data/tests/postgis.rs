//! The PostGIS backend against the embedded store: the same demo sources imported into a
//! store directory and into a PostGIS database (through the same import, `COPY` sink) give
//! the same feature ids and the same planning reports, byte for byte.
//!
//! Needs `QUYHOACH_TEST_PG` (a PostgreSQL server with PostGIS, as `scripts/test.sh` starts
//! with `scripts/setup-postgres.sh`); skipped without it, a failure under CI.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::path::Path;

use quyhoach_data::demo;
use quyhoach_data::import::{import, ImportError, ImportOptions};
use quyhoach_data::index::{FeatureOut, Index};
use quyhoach_data::lookup::Lookup;
use quyhoach_data::pg::planning::PgData;
use quyhoach_data::planning::{self, Cancel, FeatureId, PlanningData, QueryError, Site};
use quyhoach_data::schema::Kind;
use quyhoach_data::testing::report_json;

#[test]
fn postgis_gives_the_embedded_stores_answers() {
    let Some(url) = quyhoach_data::testing::new_pg_database("qh_gis") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let sources = quyhoach_data::testing::demo_store(dir.path(), 3000, 1, &[&store]);
    let reports = demo::import_sources(&sources, Path::new(&url), false, &[]).unwrap();
    assert_eq!(reports.len(), sources.imports.len());
    let ix = Index::load(&store).unwrap();
    quyhoach_data::testing::same_import_times(&url, &ix);
    let pg = PgData::open(&url).unwrap();
    // The same catalog: layers, counts, bounds, columns, plans.
    assert_eq!(
        pg.catalog().layers.keys().collect::<Vec<_>>(),
        ix.layer_ids().iter().collect::<Vec<_>>()
    );
    for id in ix.layer_ids() {
        let (a, b) = (ix.layer_entry(id).unwrap(), &pg.catalog().layers[id]);
        assert_eq!(
            (a.kind, a.count, a.bounds, &a.columns, &a.plans),
            (b.kind, b.count, b.bounds, &b.columns, &b.plans),
            "layer {id}"
        );
    }
    assert_eq!(ix.catalog().plans, pg.catalog().plans);

    // Every parcel's report (cold, then from each backend's cache), drawn sites, refusals.
    let n = ix.layer_entry("parcels").unwrap().count as FeatureId;
    let bounds = ix.layer_entry("parcels").unwrap().bounds;
    let affected = quyhoach_data::testing::same_reports(&ix, &pg, n, bounds);
    assert!(
        affected > 100,
        "only {affected} parcels are affected by a plan"
    );
    lookups_agree(&ix, &pg);
}

#[test]
fn a_postgis_import_replaces_a_layer_whole_or_not_at_all() {
    let Some(url) = quyhoach_data::testing::new_pg_database("qh_gis") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sources = quyhoach_data::testing::demo_store(dir.path(), 300, 2, &[Path::new(&url)]);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let tables = |c: &mut postgres::Client| -> i64 {
        c.query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename ~ '^quyhoach_l_[0-9]+$'",
            &[],
        )
        .unwrap()
        .get(0)
    };
    let layers: i64 = c
        .query_one("SELECT count(*) FROM quyhoach_layers", &[])
        .unwrap()
        .get(0);
    assert_eq!(tables(&mut c), layers, "one table per layer");

    // Importing the parcels again replaces their table: same count, the old table gone.
    let parcels = sources
        .imports
        .iter()
        .find(|i| i.kind == "parcels")
        .unwrap();
    let before: String = c
        .query_one("SELECT tbl FROM quyhoach_layers WHERE id = 'parcels'", &[])
        .unwrap()
        .get(0);
    let opts = ImportOptions {
        layer: Some("parcels".into()),
        ..ImportOptions::new(
            parcels.path.clone(),
            Kind::Parcels,
            url.clone(),
            parcels.srs.parse().unwrap(),
        )
    };
    let report = import(&opts).unwrap();
    let after: String = c
        .query_one("SELECT tbl FROM quyhoach_layers WHERE id = 'parcels'", &[])
        .unwrap()
        .get(0);
    assert_ne!(before, after);
    assert_eq!(tables(&mut c), layers, "the old table was dropped");
    let rows: i64 = c
        .query_one(&format!("SELECT count(*) FROM {after}"), &[])
        .unwrap()
        .get(0);
    assert_eq!(rows as u64, report.written);

    // A failing import (a plan the database does not know) changes nothing.
    let zones = sources.imports.iter().find(|i| i.kind == "zones").unwrap();
    let opts = ImportOptions {
        plan: Some("no-such-plan".into()),
        layer: Some("zones-new".into()),
        ..ImportOptions::new(
            zones.path.clone(),
            Kind::Zones,
            url.clone(),
            zones.srs.parse().unwrap(),
        )
    };
    let err = import(&opts).unwrap_err();
    assert!(
        matches!(err, ImportError::Store(_)),
        "unexpected error: {err}"
    );
    assert!(err.to_string().contains("no-such-plan"), "{err}");
    let n: i64 = c
        .query_one("SELECT count(*) FROM quyhoach_layers", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, layers);
    assert_eq!(tables(&mut c), layers);

    // A server that is not there: a clear error, nothing written anywhere.
    let opts = ImportOptions::new(
        parcels.path.clone(),
        Kind::Parcels,
        "postgresql://quyhoach@127.0.0.1:1/none",
        parcels.srs.parse().unwrap(),
    );
    let err = import(&opts).unwrap_err().to_string();
    assert!(err.contains("PostgreSQL"), "{err}");
}

#[test]
fn text_with_tabs_newlines_backslashes_and_sql_round_trips() {
    let Some(url) = quyhoach_data::testing::new_pg_database("qh_gis") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "Xã\tVĩnh Thanh",
        "dòng 1\ndòng 2",
        "C:\\dữ liệu\\",
        "\\N",
        "'); DROP TABLE quyhoach_layers; --",
        "\"trích dẫn\" ; \\. kết thúc",
    ];
    let features: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (x, y) = (105.1 + i as f64 * 0.01, 10.0);
            serde_json::json!({
                "type": "Feature",
                "properties": {"ma": format!("9{i}"), "ten": name},
                "geometry": {"type": "Polygon", "coordinates": [[
                    [x, y], [x + 0.005, y], [x + 0.005, y + 0.005], [x, y + 0.005], [x, y]
                ]]}
            })
        })
        .collect();
    let src = dir.path().join("xa.geojson");
    std::fs::write(
        &src,
        serde_json::json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    let store = dir.path().join("store");
    for target in [store.to_str().unwrap(), url.as_str()] {
        let opts = ImportOptions {
            mappings: vec![("code".into(), "ma".into()), ("name".into(), "ten".into())],
            ..ImportOptions::new(&src, Kind::Boundaries, target, "EPSG:4326".parse().unwrap())
        };
        let r = import(&opts).unwrap();
        assert_eq!(r.written, names.len() as u64, "{target}");
    }
    let ix = Index::load(&store).unwrap();
    let pg = PgData::open(&url).unwrap();
    for i in 0..names.len() {
        let code = format!("9{i}");
        let a = PlanningData::commune_name(&ix, &code);
        assert!(a.is_some(), "no name for {code} in the embedded store");
        assert_eq!(a, pg.commune_name(&code), "commune {code}");
    }
    // The catalog table is still there.
    assert_eq!(pg.catalog().layers.len(), 1);
}

/// `url` with its database name replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    format!("{}/{db}", url.rsplit_once('/').unwrap().0)
}

#[test]
fn a_streaming_replica_serves_what_the_primary_imported() {
    let Ok(replica) = std::env::var("QUYHOACH_TEST_PG_REPLICA") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "QUYHOACH_TEST_PG_REPLICA is not set (scripts/test.sh starts a replica with \
             scripts/setup-postgres-replica.sh)"
        );
        eprintln!("note: QUYHOACH_TEST_PG_REPLICA not set; replica test skipped");
        return;
    };
    let Some(url) = quyhoach_data::testing::new_pg_database("qh_gis") else {
        return;
    };
    let db = url.rsplit_once('/').unwrap().1.to_string();
    let replica = with_database(&replica, &db);
    let dir = tempfile::tempdir().unwrap();
    let sources = quyhoach_data::testing::demo_store(dir.path(), 500, 3, &[]);
    // The database itself reaches the replica first.
    let connect = |u: &str| {
        let t = std::time::Instant::now();
        loop {
            match postgres::Client::connect(u, postgres::NoTls) {
                Ok(c) => return c,
                Err(e) if t.elapsed().as_secs() > 20 => panic!("replica: {e}"),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
    };
    demo::import_sources(&sources, Path::new(&url), false, &[]).unwrap();
    let mut primary = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let tables = |c: &mut postgres::Client| -> Vec<String> {
        match c.query("SELECT tbl FROM quyhoach_layers ORDER BY id", &[]) {
            Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
            Err(_) => Vec::new(),
        }
    };
    let want = tables(&mut primary);
    let mut standby = connect(&replica);
    let read_only: bool = standby
        .query_one("SELECT pg_is_in_recovery()", &[])
        .unwrap()
        .get(0);
    assert!(read_only, "QUYHOACH_TEST_PG_REPLICA is not a standby");
    // Every layer committed on the primary shows on the replica within seconds.
    let wait = |standby: &mut postgres::Client, want: &[String]| -> f64 {
        let t = std::time::Instant::now();
        while tables(standby) != want {
            assert!(t.elapsed().as_secs() < 20, "the replica did not catch up");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        t.elapsed().as_secs_f64()
    };
    let lag = wait(&mut standby, &want);
    eprintln!("replica caught up {lag:.3} s after the last import's commit");
    let cancel = Cancel::new();
    let compare = |a: &PgData, b: &PgData| {
        let n = a.catalog().layers["parcels"].count as FeatureId;
        for id in 0..n {
            let site = Site::Parcel {
                layer: "parcels".into(),
                id,
            };
            assert_eq!(
                report_json(planning::report(a, &site, &cancel, 1e8)),
                report_json(planning::report(b, &site, &cancel, 1e8)),
                "parcel {id}"
            );
        }
    };
    compare(
        &PgData::open(&url).unwrap(),
        &PgData::open(&replica).unwrap(),
    );

    // A new import of the zones on the primary: the replica shows the new table, whole.
    let zones = sources.imports.iter().find(|i| i.kind == "zones").unwrap();
    let opts = ImportOptions {
        plan: zones.plan.clone(),
        layer: Some(zones.layer.clone()),
        source_layer: zones.source_layer.clone(),
        ..ImportOptions::new(
            zones.path.clone(),
            Kind::Zones,
            url.clone(),
            zones.srs.parse().unwrap(),
        )
    };
    import(&opts).unwrap();
    let want2 = tables(&mut primary);
    assert_ne!(want, want2);
    let lag = wait(&mut standby, &want2);
    eprintln!("replica showed the re-imported layer {lag:.3} s after its commit");
    compare(
        &PgData::open(&url).unwrap(),
        &PgData::open(&replica).unwrap(),
    );
    // The replica refuses writes: an import aimed at it fails and says so.
    let err = import(&ImportOptions::new(
        zones.path.clone(),
        Kind::Zones,
        replica.clone(),
        zones.srs.parse().unwrap(),
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("read-only"), "{err}");
}

fn features(r: Result<Vec<FeatureOut>, QueryError>) -> String {
    match r {
        Ok(f) => serde_json::to_string(&f).unwrap(),
        Err(e) => format!("error: {e}"),
    }
}

/// Every lookup a citizen makes, asked of both stores: each feature of each layer, the
/// parcels at points inside, on the boundary of and between parcels, and each parcel by its
/// number and its commune's code and name.
fn lookups_agree(ix: &Index, pg: &PgData) {
    let (a, b): (&dyn Lookup, &dyn Lookup) = (ix, pg);
    // (The entries' file and hash are the storage's own; the rest was compared above.)
    assert_eq!(a.catalog().plans, b.catalog().plans);
    assert!(a.catalog().layers.keys().eq(b.catalog().layers.keys()));
    let mut numbers = Vec::new();
    let mut points = Vec::new();
    for layer in ix.layer_ids() {
        let count = ix.layer_entry(layer).unwrap().count as FeatureId;
        for id in 0..count + 2 {
            let fa = a.feature(layer, id).unwrap();
            let fb = b.feature(layer, id).unwrap();
            assert_eq!(
                serde_json::to_string(&fa).unwrap(),
                serde_json::to_string(&fb).unwrap(),
                "{layer}/{id}"
            );
            let Some(f) = fa else { continue };
            assert!(id < count);
            assert!(f.properties.keys().all(|k| !k.starts_with("private_")));
            if layer == "parcels" {
                let p = &f.properties;
                if let (Some(c), Some(s), Some(n)) = (
                    p["commune_code"].as_str(),
                    p["sheet"].as_i64(),
                    p["parcel"].as_i64(),
                ) {
                    numbers.push((c.to_string(), s, n));
                }
                if let geo_types::Geometry::MultiPolygon(mp) = &f.geometry {
                    let ring = &mp.0[0].exterior().0;
                    use geo::InteriorPoint;
                    let inner = mp.interior_point().unwrap();
                    points.push((inner.x(), inner.y()));
                    // A corner (on the boundary, often shared) and the middle of an edge.
                    points.push((ring[0].x, ring[0].y));
                    points.push(((ring[0].x + ring[1].x) / 2.0, (ring[0].y + ring[1].y) / 2.0));
                }
            }
        }
    }
    assert!(numbers.len() > 1000 && points.len() > 3000);
    for (i, &(x, y)) in points.iter().enumerate() {
        assert_eq!(
            features(a.parcels_at(x, y)),
            features(b.parcels_at(x, y)),
            "point {i}"
        );
    }
    for (x, y) in [(0.0, 0.0), (f64::NAN, 10.0), (200.0, 10.0), (105.2, 9.9)] {
        assert_eq!(
            features(a.parcels_at(x, y)),
            features(b.parcels_at(x, y)),
            "{x},{y}"
        );
    }
    let mut hits = 0;
    for (code, sheet, parcel) in numbers.iter().step_by(3) {
        let fa = features(a.parcels_by_number(code, *sheet, *parcel));
        assert_eq!(fa, features(b.parcels_by_number(code, *sheet, *parcel)));
        hits += usize::from(fa.starts_with('['));
        // By the commune's name, written as a citizen types it.
        if let Some(name) = PlanningData::commune_name(ix, code) {
            for text in [name.to_string(), format!("xã {}", name.to_lowercase())] {
                assert_eq!(
                    features(a.parcels_by_number(&text, *sheet, *parcel)),
                    features(b.parcels_by_number(&text, *sheet, *parcel)),
                    "{text} {sheet} {parcel}"
                );
            }
        }
    }
    assert!(hits > 300);
    for (commune, sheet, parcel) in [
        ("", 1, 1),
        ("nowhere", 1, 1),
        ("  ", 1, 1),
        ("31150", 999, 9),
    ] {
        assert_eq!(
            features(a.parcels_by_number(commune, sheet, parcel)),
            features(b.parcels_by_number(commune, sheet, parcel)),
            "{commune:?}"
        );
    }
}

#[test]
fn a_connection_the_database_closed_is_made_again() {
    let Some(url) = quyhoach_data::testing::new_pg_database("qh_gis") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    quyhoach_data::testing::demo_store(dir.path(), 100, 5, &[Path::new(&url)]);
    let pg = PgData::open(&url).unwrap();
    let site = Site::Parcel {
        layer: "parcels".into(),
        id: 7,
    };
    let before = report_json(planning::report(&pg, &site, &Cancel::new(), 1e8));
    assert!(before.starts_with('{'), "{before}");
    // The database ends every other session on it, as a restart or a failover would.
    let db = url.rsplit_once('/').unwrap().1.to_string();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let ended: i64 = admin
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()) t",
            &[&db],
        )
        .unwrap()
        .get(0);
    assert!(ended >= 1, "no session ended");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let after = report_json(planning::report(&pg, &site, &Cancel::new(), 1e8));
    assert_eq!(before, after);
}
