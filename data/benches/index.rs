//! Benchmarks of the query index on a deterministic demo district (seed 1).
//!
//! `QUYHOACH_BENCH_PARCELS` sets its size (default 100 000); `QUYHOACH_BENCH_STORE` points
//! at an existing store to use instead (e.g. one made by
//! `quyhoach demo --store /tmp/ix1m --parcels 1000000`). The load time and the resident
//! memory it adds are printed once before the timings.

#[path = "store.rs"]
mod store;

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use geo::InteriorPoint;
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon};
use quyhoach_data::index::Index;
use quyhoach_data::planning::Site;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn benches(c: &mut Criterion) {
    let (_tmp, dir) = store::store(100_000);
    let before = rss_kb();
    let t = Instant::now();
    let index = Index::load(&dir).expect("load");
    let secs = t.elapsed().as_secs_f64();
    let parcels = index.layer_entry("parcels").map_or(0, |e| e.count);
    eprintln!(
        "index of {parcels} parcels: loaded in {secs:.2}s, +{} MB resident ({} MB counted)",
        (rss_kb().saturating_sub(before)) / 1024,
        index.heap_bytes() / 1_000_000
    );

    let mut parts = index.heap_breakdown();
    parts.sort_by_key(|b| std::cmp::Reverse(b.1));
    let total: usize = parts.iter().map(|p| p.1).sum();
    eprintln!("heap by part (MB), total {:.1}:", total as f64 / 1e6);
    for (name, bytes) in parts.iter().filter(|p| p.1 >= 100_000) {
        eprintln!("  {:>8.1}  {name}", *bytes as f64 / 1e6);
    }
    // `QUYHOACH_BENCH_ONLY=memory` stops here; `=latency` after the single-call percentiles.
    let only = std::env::var("QUYHOACH_BENCH_ONLY").unwrap_or_default();
    if only == "memory" {
        return;
    }

    // Sample parcels spread over the layer.
    let step = (parcels as usize / 200).max(1);
    let mut points = Vec::new();
    let mut numbers = Vec::new();
    for i in (0..parcels as usize).step_by(step).take(200) {
        let Some(f) = index.feature("parcels", i as u32) else {
            continue;
        };
        if let Geometry::MultiPolygon(mp) = &f.geometry {
            if let Some(p) = mp.interior_point() {
                points.push((p.x(), p.y()));
            }
        }
        let p = &f.properties;
        if let (Some(c), Some(s), Some(n)) = (
            p["commune_code"].as_str(),
            p["sheet"].as_i64(),
            p["parcel"].as_i64(),
        ) {
            numbers.push((c.to_string(), s, n));
        }
    }
    latency_percentiles(&index);
    if only == "latency" {
        return;
    }
    let mut g = c.benchmark_group("index");
    g.sample_size(10);
    g.bench_function("load", |b| {
        b.iter(|| black_box(Index::load(&dir).expect("load")))
    });
    drop(g);

    let mut k = 0usize;
    c.bench_function("parcels_at", |b| {
        b.iter(|| {
            k = (k + 1) % points.len();
            let (x, y) = points[k];
            black_box(index.parcels_at(x, y).expect("query"))
        })
    });
    c.bench_function("parcels_by_number", |b| {
        b.iter(|| {
            k = (k + 1) % numbers.len();
            let (c, s, n) = &numbers[k];
            black_box(index.parcels_by_number(c, *s, *n).expect("query"))
        })
    });
    let (_, s, n) = numbers[numbers.len() / 2].clone();
    let parcel_query = format!("vinh thanh {s} {n}");
    for (name, q) in [
        ("search_commune", "vinh thanh"),
        ("search_road", "nguyen trung"),
        ("search_decision", "2341"),
        ("search_parcel", parcel_query.as_str()),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| black_box(index.search(black_box(q), 10).expect("search")))
        });
    }
    // A typical town parcel: under the land-use plan and the zoning plan.
    let town = index
        .layer_entry("zones-qhpk-2000")
        .map(|e| e.bounds)
        .expect("zoning plan");
    let (page, _) = index
        .features_in_bbox("parcels", Some(town), 50, 0)
        .expect("bbox");
    let site = Site::Parcel {
        layer: "parcels".into(),
        id: page[page.len() / 2].id,
    };
    c.bench_function("report_town_parcel", |b| {
        b.iter(|| black_box(index.report(&site).expect("report")))
    });
    site_reports_20k(c, &index);
    c.bench_function("features_in_bbox_page", |b| {
        b.iter(|| {
            black_box(
                index
                    .features_in_bbox("parcels", Some(town), 100, 0)
                    .expect("bbox"),
            )
        })
    });
}

/// A closed ring of `n` positions around `(cx, cy)` (degrees) at radius `r(i)` metres.
fn radial_ring(n: usize, cx: f64, cy: f64, r: impl Fn(usize) -> f64) -> LineString<f64> {
    let k = n - 1;
    let m = 1.0 / 111_000.0;
    let mut v: Vec<Coord<f64>> = (0..k)
        .map(|i| {
            let a = i as f64 / k as f64 * std::f64::consts::TAU;
            let d = r(i) * m;
            Coord {
                x: cx + d * a.cos() / cy.to_radians().cos(),
                y: cy + d * a.sin(),
            }
        })
        .collect();
    v.push(v[0]);
    LineString::new(v)
}

/// Hard but valid drawn sites of 20,000 positions over the zoning plan's centre: a star of
/// thin spikes, a smooth circle, a random-walk outline, 1,000 small lots, and a disc with
/// 100 holes.
fn hard_sites(index: &Index) -> Vec<(&'static str, MultiPolygon<f64>)> {
    let b = index
        .layer_entry("zones-qhpk-2000")
        .map(|e| e.bounds)
        .expect("zoning plan");
    let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    let m = 1.0 / 111_000.0;
    let lon_m = m / cy.to_radians().cos();
    let mut seed = 0x2545_F491_4F6C_DD1D_u64;
    let mut r = 300.0f64;
    let walk: Vec<f64> = (0..20_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let u = (seed >> 11) as f64 / (1u64 << 53) as f64;
            r = (r + (u - 0.5) * 20.0).clamp(50.0, 600.0);
            r
        })
        .collect();
    let mut lots = Vec::new();
    for gx in 0..25 {
        for gy in 0..40 {
            let (x, y) = (
                cx + (gx as f64 - 12.0) * 30.0 * lon_m,
                cy + (gy as f64 - 20.0) * 40.0 * m,
            );
            lots.push(Polygon::new(radial_ring(20, x, y, |_| 12.0), vec![]));
        }
    }
    let mut holes = Vec::new();
    for gx in 0..10 {
        for gy in 0..10 {
            let (x, y) = (
                cx + (gx as f64 - 4.5) * 60.0 * lon_m,
                cy + (gy as f64 - 4.5) * 60.0 * m,
            );
            holes.push(radial_ring(100, x, y, |_| 20.0));
        }
    }
    let one = |ring| MultiPolygon::new(vec![Polygon::new(ring, vec![])]);
    vec![
        (
            "star",
            one(radial_ring(20_000, cx, cy, |i| {
                if i % 2 == 0 {
                    450.0
                } else {
                    60.0
                }
            })),
        ),
        ("circle", one(radial_ring(20_000, cx, cy, |_| 400.0))),
        ("random_walk", one(radial_ring(20_000, cx, cy, |i| walk[i]))),
        ("lots", MultiPolygon::new(lots)),
        (
            "holes",
            MultiPolygon::new(vec![Polygon::new(
                radial_ring(10_000, cx, cy, |_| 450.0),
                holes,
            )]),
        ),
    ]
}

/// Reports on the hard 20,000-vertex sites (docs/benchmarks.md, "Site reports on 20,000-vertex
/// sites").
fn site_reports_20k(c: &mut Criterion, index: &Index) {
    let mut g = c.benchmark_group("site_report_20k");
    g.sample_size(10);
    for (name, mp) in hard_sites(index) {
        let site = Site::Geometry(mp);
        g.bench_function(name, |b| {
            b.iter(|| black_box(index.report(&site).expect("report")))
        });
    }
    g.finish();
}

/// p50/p99/max of single calls, which criterion's means do not show: 20,000 point lookups
/// at deterministic pseudo-random points over the parcel layer, and 1,000 reports.
fn latency_percentiles(index: &Index) {
    fn pct(mut v: Vec<f64>) -> String {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
        format!(
            "p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            at(0.5),
            at(0.99),
            v[v.len() - 1]
        )
    }
    let Some(entry) = index.layer_entry("parcels") else {
        return;
    };
    let [w, s, e, n] = entry.bounds;
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut times = Vec::new();
    let mut hits = 0;
    for _ in 0..20_000 {
        let (x, y) = (w + (e - w) * next(), s + (n - s) * next());
        let t = Instant::now();
        hits += black_box(index.parcels_at(x, y).expect("query")).len();
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    eprintln!(
        "parcels_at, 20000 random points ({hits} hits): {}",
        pct(times)
    );
    let count = entry.count as u32;
    let mut times = Vec::new();
    for i in 0..1000u32 {
        let site = Site::Parcel {
            layer: "parcels".into(),
            id: (i as u64 * 7919 % count as u64) as u32,
        };
        let t = Instant::now();
        black_box(index.report(&site).expect("report"));
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    eprintln!(
        "report, 1000 parcels spread over the district: {}",
        pct(times)
    );
}

criterion_group!(index_benches, benches);
criterion_main!(index_benches);
