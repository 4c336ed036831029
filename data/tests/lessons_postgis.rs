//! The lessons on PostGIS against the embedded store: the same demo imported into a store
//! directory and into a PostGIS database gives, for every seed tried, the same target and
//! placeholders from every picker and the same expected answer to every question.
//!
//! Needs `QUYHOACH_TEST_PG` (skipped without it, a failure under CI). The ignored
//! `lessons_on_large_stores` times both on a store built beforehand (see its docs).

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use quyhoach_data::index::lessons::{LessonData, ANSWERS, PICKERS};
use quyhoach_data::index::Index;
use quyhoach_data::lookup::Store;
use quyhoach_data::pg::planning::PgData;

/// Every picker's target and placeholders, and every answer to each, as text.
fn everything(d: &mut LessonData<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (p, _) in PICKERS {
        match d.pick(p) {
            Ok(picked) => {
                out.push(format!("{p}: {:?} {:?}", picked.target, picked.vars));
                for (a, _) in ANSWERS {
                    out.push(format!("{p} → {a}: {:?}", d.answer(a, &picked)));
                }
            }
            Err(m) => out.push(format!("{p}: missing {m:?}")),
        }
    }
    out
}

fn compare(ix: &Index, pg: &PgData, seed: u64) -> (f64, f64) {
    let t = Instant::now();
    let a = everything(&mut LessonData::new(ix, seed, BTreeMap::new()));
    let embedded = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let b = everything(&mut LessonData::of_store(pg as &dyn Store, seed, BTreeMap::new()).unwrap());
    let postgis = t.elapsed().as_secs_f64();
    assert_eq!(a.len(), b.len(), "seed {seed}");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            x, y,
            "seed {seed}: the embedded store (left) and PostGIS differ"
        );
    }
    (embedded, postgis)
}

#[test]
fn lessons_on_postgis_are_the_embedded_stores() {
    let Some(url) = quyhoach_data::testing::new_pg_database("qh_lessons") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    quyhoach_data::testing::demo_store(dir.path(), 1500, 5, &[&store, Path::new(&url)]);
    let ix = Index::load(&store).unwrap();
    quyhoach_data::testing::same_import_times(&url, &ix);
    let pg = PgData::open(&url).unwrap();
    let mut found = 0;
    for seed in 0..8 {
        compare(&ix, &pg, seed);
        let mut d = LessonData::new(&ix, seed, BTreeMap::new());
        found += PICKERS.iter().filter(|(p, _)| d.pick(p).is_ok()).count();
    }
    // Every picker finds its target on this district, whatever the seed.
    assert_eq!(found, 8 * PICKERS.len());
}

/// Both stores of a large district, timed: `QUYHOACH_LESSONS_DIR` (a store directory) and
/// `QUYHOACH_LESSONS_PG` (the same district in PostGIS), e.g. both made by `quyhoach demo
/// --parcels 1000000 --no-serve --store …`.
#[test]
#[ignore]
fn lessons_on_large_stores() {
    let (Ok(dir), Ok(url)) = (
        std::env::var("QUYHOACH_LESSONS_DIR"),
        std::env::var("QUYHOACH_LESSONS_PG"),
    ) else {
        panic!("set QUYHOACH_LESSONS_DIR and QUYHOACH_LESSONS_PG");
    };
    let ix = Index::load(Path::new(&dir)).unwrap();
    let pg = PgData::open(&url).unwrap();
    for seed in [1, 2, 3] {
        let (a, b) = compare(&ix, &pg, seed);
        eprintln!("seed {seed}: every picker and answer in {a:.2}s embedded, {b:.2}s PostGIS");
    }
}
