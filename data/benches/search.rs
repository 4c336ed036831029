//! Type-ahead search at a province's scale: 1,000,000 synthetic parcels with house
//! addresses, hamlets and streets in the communes of An Giang (names from the 2025 table),
//! the pre-2025 names of the area, and a fixed mix of what people type (prefixes of commune
//! names as they are typed, house addresses, parcel forms, typos, hamlets, old names).
//!
//! `cargo bench -p quyhoach-data --bench search` prints, before criterion's groups, the
//! median, p99 and maximum of the whole mix (each query timed alone, 30 rounds), which is
//! what the type-ahead budget (p99 under 10 ms) is about.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use quyhoach_data::index::{renames, Found, SearchBuilder, SearchIndex};

const PARCELS: usize = 1_000_000;

/// The demo district's street names.
const STREETS: &[&str] = quyhoach_data::demo::STREET_NAMES;

struct World {
    index: SearchIndex,
    /// (commune, sheet, parcel) sorted, as the store's parcel keys.
    keys: Vec<(u32, i64, i64, u32)>,
    communes: Vec<String>,
}

fn world() -> World {
    let mut names: Vec<String> = renames()
        .iter()
        .filter(|r| r.new_province == "Tỉnh An Giang")
        .map(|r| {
            r.new_ward
                .trim_start_matches("Xã ")
                .trim_start_matches("Phường ")
                .to_string()
        })
        .collect();
    names.sort();
    names.dedup();
    let mut b = SearchBuilder::default();
    let per = PARCELS / names.len();
    let mut keys = Vec::with_capacity(PARCELS);
    let mut rng = quyhoach_data::demo::Rng::new(2025);
    let (lon0, lat0) = (104.8, 9.9);
    let mut id = 0u32;
    for (c, name) in names.iter().enumerate() {
        let (cx, cy) = (lon0 + (c % 12) as f64 * 0.08, lat0 + (c / 12) as f64 * 0.08);
        b.add_commune(
            c as u32,
            &format!("{}", 30000 + c),
            name,
            Some("Xã"),
            Some("Tỉnh An Giang"),
            None,
            Some([cx, cy, cx + 0.07, cy + 0.07]),
        );
    }
    for (c, name) in names.iter().enumerate() {
        let (cx, cy) = (lon0 + (c % 12) as f64 * 0.08, lat0 + (c / 12) as f64 * 0.08);
        for k in 0..per {
            let sheet = (k / 400 + 1) as i64;
            let parcel = (k % 400 + 1) as i64;
            let hamlet = rng.below(12) + 1;
            let addr = match rng.below(3) {
                0 => format!(
                    "{} {}, {name}",
                    rng.below(400) + 1,
                    STREETS[rng.below(STREETS.len())]
                ),
                1 => format!(
                    "{} Đường số {}, ấp {hamlet}, {name}",
                    rng.below(300) + 1,
                    rng.below(40) + 1
                ),
                _ => format!("Ấp {hamlet}, {name}"),
            };
            let x = cx + (k % 1000) as f64 * 7e-5;
            let y = cy + (k / 1000) as f64 * 7e-5;
            b.add_address(c as u32, &addr, 0, id, [x, y, x + 6e-5, y + 6e-5]);
            keys.push((c as u32, sheet, parcel, id));
            id += 1;
        }
    }
    b.add_renames(Some([lon0, lat0, lon0 + 1.0, lat0 + 1.0]));
    keys.sort_unstable();
    World {
        index: b.finish(),
        keys,
        communes: names,
    }
}

fn fold(s: &str) -> String {
    quyhoach_data::encoding::fold(s)
}

/// The mix: every prefix of a few commune names as typed, house addresses, parcel forms,
/// typos, hamlets and old names.
fn queries(w: &World) -> Vec<String> {
    let mut q = Vec::new();
    for name in w.communes.iter().step_by(17) {
        let chars: Vec<char> = name.chars().collect();
        for n in 1..=chars.len() {
            q.push(chars[..n].iter().collect());
        }
        let plain = fold(name);
        q.push(format!("thửa đất số 345, tờ bản đồ số 2, xã {name}"));
        q.push(format!("{plain} sheet 2 parcel 345"));
        q.push(format!("{plain} 2 345"));
        q.push(format!("ap 5 {plain}"));
        q.push(format!("UBND xã {name}"));
        // A typo: two neighbouring letters swapped in the longest word.
        let words: Vec<&str> = plain.split(' ').collect();
        if let Some(long) = words.iter().max_by_key(|w| w.len()) {
            if long.len() >= 4 {
                let mut c: Vec<char> = long.chars().collect();
                c.swap(1, 2);
                q.push(plain.replacen(long, &c.iter().collect::<String>(), 1));
            }
        }
    }
    for s in STREETS.iter().step_by(3) {
        q.push(format!("223 {s}"));
        q.push(format!("12 {}", fold(s)));
        let p: String = fold(s).chars().take(6).collect();
        q.push(format!("45 {p}"));
    }
    q.extend(
        [
            "345/12",
            "12/345",
            "parcel 345 sheet 12",
            "vinh hoa phu",
            "xa vinh hoa phu huyen chau thanh tinh kien giang",
            "223 30 thang 4",
            "duong so 12",
            "vinh tahnh",
            "rach gia",
            "khong co dia danh nay xyz",
        ]
        .map(str::to_string),
    );
    q
}

fn run(w: &World, q: &str) -> usize {
    let mut n = 0;
    for f in w.index.find(q, 10) {
        match f {
            Found::Number {
                communes,
                sheet,
                parcel,
                ..
            } => {
                let syms: Vec<u32> = communes.unwrap_or_else(|| (0..w.index.communes()).collect());
                for c in syms {
                    let lo = w
                        .keys
                        .partition_point(|k| (k.0, k.1, k.2) < (c, sheet, parcel));
                    n += w.keys[lo..]
                        .iter()
                        .take_while(|k| (k.0, k.1, k.2) == (c, sheet, parcel))
                        .count();
                }
            }
            _ => n += 1,
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let t = Instant::now();
    let w = world();
    let (terms, entries, houses) = w.index.stats();
    eprintln!(
        "search index: {PARCELS} parcels, {} communes, {terms} terms, {entries} entries, {houses} houses, {:.0} MB, built in {:.2} s",
        w.communes.len(),
        w.index.heap_bytes() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let qs = queries(&w);
    for q in &qs {
        black_box(run(&w, q));
    }
    let mut times = Vec::new();
    for _ in 0..30 {
        for q in &qs {
            let t = Instant::now();
            black_box(run(&w, q));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    eprintln!(
        "mix of {} queries × 30: median {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        qs.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
    let mut g = c.benchmark_group("search_1m");
    g.bench_function("prefix_v", |b| b.iter(|| run(&w, black_box("v"))));
    g.bench_function("commune_typo", |b| {
        b.iter(|| run(&w, black_box("vinh tahnh")))
    });
    g.bench_function("address", |b| {
        b.iter(|| run(&w, black_box("223 30 thang 4")))
    });
    g.bench_function("certificate", |b| {
        b.iter(|| run(&w, black_box("thửa đất số 345, tờ bản đồ số 2, xã Bình An")))
    });
    g.bench_function("slash", |b| b.iter(|| run(&w, black_box("345/12"))));
    g.bench_function("old_name", |b| {
        b.iter(|| run(&w, black_box("vinh hoa phu")))
    });
    g.bench_function("whole_mix", |b| {
        b.iter(|| qs.iter().map(|q| run(&w, q)).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
