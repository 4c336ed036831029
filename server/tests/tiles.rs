//! Vector tiles, TileJSON, the style and its glyphs, PMTiles archives: in-process on the
//! small demo district, judged by GDAL (ogrinfo, ogr2ogr -f MVT), Mapbox's
//! @mapbox/vector-tile and MapLibre's gl-style-validate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{demo, get, get_with, send, Resp};
use quyhoach_server::tiles::{IndexSource, TileConfig};
use quyhoach_server::AppState;
use quyhoach_tiles::gzip::{gunzip, is_gzip};
use quyhoach_tiles::mvt::{decode, DecodedLayer};
use quyhoach_tiles::pmtiles::PmTilesReader;
use quyhoach_tiles::{tiles_covering, TileCoord};
use serde_json::Value;

fn bounds(layer: &str) -> [f64; 4] {
    demo().state.index.catalog().layers[layer].bounds
}

/// The z-level tiles over the town (the parcel layer's extent).
fn town_tiles(z: u8) -> Vec<TileCoord> {
    tiles_covering(bounds("parcels"), z)
        .unwrap()
        .iter()
        .collect()
}

/// The town tile at zoom z with the most parcels.
fn busiest(z: u8) -> TileCoord {
    let store: Arc<dyn quyhoach_data::lookup::Store> = demo().index.clone();
    let src = IndexSource::for_tileset(&store, "parcels").unwrap();
    town_tiles(z)
        .into_iter()
        .max_by_key(|&t| {
            let e = quyhoach_tiles::encode_tile(&src, t, &Default::default());
            (e.feature_count(), std::cmp::Reverse(t))
        })
        .unwrap()
}

fn url(set: &str, t: TileCoord) -> String {
    format!("/tiles/{set}/{}/{}/{}.mvt", t.z, t.x, t.y)
}

/// The raw MVT of a response, gunzipping when it is gzip-encoded.
fn mvt(r: &Resp) -> Vec<u8> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    if r.headers.get(header::CONTENT_ENCODING).is_some() {
        gunzip(&r.body).unwrap()
    } else {
        r.body.clone()
    }
}

fn layer<'a>(layers: &'a [DecodedLayer], name: &str) -> &'a DecodedLayer {
    layers
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no layer {name}"))
}

#[tokio::test]
async fn tiles_are_served_gzipped_or_plain() {
    let st = &demo().state;
    let t = busiest(16);
    let gz = get_with(st, &url("planning", t), &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(gz.status, StatusCode::OK);
    assert_eq!(gz.content_type(), "application/vnd.mapbox-vector-tile");
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
    assert!(is_gzip(&gz.body));
    assert_eq!(gz.headers[header::CACHE_CONTROL], "public, max-age=3600");
    assert_eq!(gz.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(gz.headers[header::VARY]
        .to_str()
        .unwrap()
        .contains("Accept-Encoding"));
    let plain = get_with(st, &url("planning", t), &[]).await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    let q0 = get_with(st, &url("planning", t), &[("accept-encoding", "gzip;q=0")]).await;
    assert!(q0.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(mvt(&gz), plain.body);
    assert_eq!(q0.body, plain.body);
    // .pbf is the same tile.
    let pbf = get_with(st, &url("planning", t).replace(".mvt", ".pbf"), &[]).await;
    assert_eq!(pbf.body, plain.body);

    // MVT layers of the combined set are named after the store layers; parcels carry
    // their numbers at z16 but not yet their area (z17).
    let layers = decode(&plain.body).unwrap();
    let names: BTreeSet<&str> = layers.iter().map(|l| l.name.as_str()).collect();
    for id in ["parcels", "roads", "communes", "zones-qhsdd-2030"] {
        assert!(names.contains(id), "{id} missing from {names:?}");
    }
    let p = &layer(&layers, "parcels").features[0];
    for k in ["landuse", "commune_code", "sheet", "parcel"] {
        assert!(
            p.properties.contains_key(k),
            "{k} missing: {:?}",
            p.properties
        );
    }
    assert!(!p.properties.contains_key("area_m2"));
    let z17 = get(st, &url("planning", busiest(17))).await;
    let l17 = decode(&mvt(&z17)).unwrap();
    assert!(layer(&l17, "parcels").features[0]
        .properties
        .contains_key("area_m2"));
    // Zone indicators from z14 on, none at z12.
    let z12 = get(st, &url("planning", town_tiles(12)[0])).await;
    let l12 = decode(&mvt(&z12)).unwrap();
    let zone = &layer(&l12, "zones-qhsdd-2030").features[0];
    assert!(zone.properties.contains_key("landuse") && zone.properties.contains_key("plan_id"));
    assert!(!zone.properties.contains_key("far"));
    assert!(
        !l12.iter().any(|l| l.name == "parcels"),
        "no parcels at z12"
    );

    // A single-layer set holds only that layer.
    let one = get(st, &url("parcels", t)).await;
    let ol = decode(&mvt(&one)).unwrap();
    assert_eq!(ol.len(), 1);
    assert_eq!(ol[0].name, "parcels");
}

#[tokio::test]
async fn empty_tiles_are_204_and_cached() {
    let st = AppState::from_arc(demo().state.index.clone());
    // Far from the district (the Atlantic), and parcels below their first zoom.
    for u in [
        "/tiles/planning/10/300/400.mvt",
        "/tiles/parcels/12/3243/1934.mvt",
    ] {
        let r = get(&st, u).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{u}");
        assert!(r.body.is_empty());
        assert!(r.headers.contains_key(header::ETAG));
    }
    let before = st.tiles.generated.load(Ordering::SeqCst);
    let r = get(&st, "/tiles/planning/10/300/400.mvt").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        st.tiles.generated.load(Ordering::SeqCst),
        before,
        "served from the cache"
    );
}

#[tokio::test]
async fn bad_tile_requests_are_problems() {
    let st = &demo().state;
    for (u, status) in [
        ("/tiles/planning/a/1/1.mvt", 400),
        ("/tiles/planning/1/b/1.mvt", 400),
        ("/tiles/planning/1/1/c.mvt", 400),
        ("/tiles/planning/-1/0/0.mvt", 400),
        ("/tiles/planning/1/-1/0.mvt", 400),
        ("/tiles/planning/1.5/0/0.mvt", 400),
        ("/tiles/planning/3/8/0.mvt", 400),
        ("/tiles/planning/3/0/8.mvt", 400),
        ("/tiles/planning/25/0/0.mvt", 400),
        ("/tiles/planning/300/0/0.mvt", 400),
        ("/tiles/planning/99999999999/0/0.mvt", 400),
        ("/tiles/planning/2/0/99999999999999.mvt", 400),
        ("/tiles/planning/19/0/0.mvt", 404),
        ("/tiles/planning/1/1/1.png", 404),
        ("/tiles/planning/1/1/1", 404),
        ("/tiles/nope/1/1/1.mvt", 404),
        ("/tiles/nope.json", 404),
        ("/tiles/planning", 404),
        ("/tiles/planning/1/1/1.mvt?x=1", 400),
        ("/fonts/Comic%20Sans/0-255.pbf", 404),
        ("/fonts/DejaVu%20Sans%20Book/0-256.pbf", 400),
        ("/fonts/DejaVu%20Sans%20Book/65536-65791.pbf", 400),
    ] {
        let r = get(st, u).await;
        assert_eq!(r.status.as_u16(), status, "{u}: {}", r.text());
        assert_eq!(r.content_type(), "application/problem+json", "{u}");
        let p = r.json();
        assert_eq!(p["status"], status);
        assert!(!p["detail"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn etags_answer_304() {
    let st = &demo().state;
    let u = url("planning", busiest(16));
    let r = get(st, &u).await;
    let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
    let t = busiest(16);
    assert!(
        etag.ends_with(&format!("-{}-{}-{}\"", t.z, t.x, t.y)),
        "{etag}"
    );
    let nm = get_with(st, &u, &[("if-none-match", &etag)]).await;
    assert_eq!(nm.status, StatusCode::NOT_MODIFIED);
    assert!(nm.body.is_empty());
    assert_eq!(nm.headers[header::ETAG], etag.as_str());
    // Another tile's tag does not match, nor does the data version alone.
    let other = get_with(
        st,
        &url("planning", busiest(17)),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
    let data = get_with(st, &u, &[("if-none-match", &st.etag)]).await;
    assert_eq!(data.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_for_a_cold_tile_generate_it_once() {
    let st = AppState::from_arc(demo().state.index.clone());
    let u = url("planning", busiest(15));
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (st, u) = (st.clone(), u.clone());
        tasks.push(tokio::spawn(async move {
            get_with(&st, &u, &[("accept-encoding", "gzip")]).await.body
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        bodies.push(t.await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(st.tiles.generated.load(Ordering::SeqCst), 1);
    // With the cache off, every request encodes.
    let cfg = TileConfig {
        cache_bytes: 0,
        ..TileConfig::default()
    };
    let off = AppState::with_config(demo().state.index.clone(), &cfg, Default::default()).unwrap();
    for _ in 0..3 {
        assert_eq!(get(&off, &u).await.status, StatusCode::OK);
    }
    assert_eq!(off.tiles.generated.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn tilejson_and_listing_have_absolute_urls() {
    let st = &demo().state;
    let tj = get(st, "/tiles/planning.json").await.json();
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"][0],
        "http://test.local/tiles/planning/{z}/{x}/{y}.mvt"
    );
    assert_eq!(tj["minzoom"], 0);
    assert_eq!(tj["maxzoom"], 18);
    let ids: Vec<&str> = tj["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    for id in demo().state.index.layer_ids() {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    let parcels = tj["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "parcels")
        .unwrap();
    assert_eq!(parcels["minzoom"], 15);
    // A one-layer set starts where its layer does: clients ask for no empty tiles.
    assert_eq!(get(st, "/tiles/parcels.json").await.json()["minzoom"], 15);
    assert_eq!(parcels["fields"]["sheet"], "Number");
    // Behind a proxy: believed only from a trusted peer.
    let forwarded = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "quyhoach.example"),
    ];
    let r = get_with(st, "/tiles/roads.json", &forwarded).await;
    assert_eq!(
        r.json()["tiles"][0],
        "http://test.local/tiles/roads/{z}/{x}/{y}.mvt"
    );
    let mut proxied = st.clone();
    proxied.server = Arc::new(quyhoach_server::state::ServerConfig {
        proxies: quyhoach_server::proxy::Proxies::new(&["10.0.0.0/8".into()], None).unwrap(),
        ..Default::default()
    });
    let mut req = Request::get("/tiles/roads.json").header(header::HOST, "test.local");
    for (k, v) in forwarded {
        req = req.header(k, v);
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [10, 1, 2, 3],
            40000,
        ))));
    let r = send(&proxied, req).await;
    assert_eq!(
        r.json()["tiles"][0],
        "https://quyhoach.example/tiles/roads/{z}/{x}/{y}.mvt"
    );
    let list = get(st, "/tiles").await.json();
    let names: Vec<&str> = list["tilesets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for n in [
        "planning",
        "parcels",
        "communes",
        "roads",
        "zones-qhsdd-2030",
        "zones-qhpk-2000",
        "zones-qhpk-2000-dc",
        "redlines-qhpk-2000",
    ] {
        assert!(names.contains(&n), "{n} not in {names:?}");
    }
    assert_eq!(list["style"], "http://test.local/styles/planning.json");
}

fn write_tile(dir: &Path, t: TileCoord, bytes: &[u8]) -> PathBuf {
    let p = dir.join(format!("{}/{}/{}.pbf", t.z, t.x, t.y));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Feature counts per layer as GDAL's MVT driver reads a tile file.
fn ogrinfo_counts(path: &Path, t: TileCoord) -> Vec<(String, usize)> {
    let out = Command::new("ogrinfo")
        .args(["-ro", "-so", "-al", "-oo", "CLIP=NO"])
        .args(["-oo", &format!("X={}", t.x), "-oo", &format!("Y={}", t.y)])
        .args(["-oo", &format!("Z={}", t.z)])
        .arg(path)
        .output()
        .expect("ogrinfo runs (scripts/setup.sh installs gdal-bin)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.split("Layer name: ")
        .skip(1)
        .map(|s| {
            let name = s.lines().next().unwrap().trim().to_string();
            let n = s
                .lines()
                .find_map(|l| l.strip_prefix("Feature Count: "))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            (name, n)
        })
        .collect()
}

#[tokio::test]
async fn gdal_and_mapbox_read_our_tiles() {
    let st = &demo().state;
    let dir = tempfile::tempdir().unwrap();
    for t in [busiest(16), busiest(17), town_tiles(13)[0]] {
        let bytes = mvt(&get(st, &url("planning", t)).await);
        let ours: Vec<(String, usize)> = decode(&bytes)
            .unwrap()
            .into_iter()
            .map(|l| (l.name, l.features.len()))
            .collect();
        let path = write_tile(dir.path(), t, &bytes);
        let mut gdal = ogrinfo_counts(&path, t);
        let mut sorted = ours.clone();
        sorted.sort();
        gdal.sort();
        assert_eq!(gdal, sorted, "GDAL reads tile {t}");

        // Mapbox's reader (the tiles crate's judge script).
        let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tiles/tests/js");
        assert!(
            js.join("node_modules/@mapbox/vector-tile").is_dir(),
            "the Node.js judges are not installed: run `npm ci --prefix tiles/tests/js` (scripts/setup-judges.sh does)"
        );
        let out = Command::new("node")
            .arg(js.join("decode.mjs"))
            .arg(&path)
            .args([t.z.to_string(), t.x.to_string(), t.y.to_string()])
            .output()
            .expect("node runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        for (name, n) in &ours {
            assert_eq!(
                v[name]["features"].as_array().unwrap().len(),
                *n,
                "{name} in {t}"
            );
            for f in v[name]["features"].as_array().unwrap() {
                assert!(f["geojson"]["type"].as_str().is_some());
            }
        }
        let p = v["parcels"]["features"].as_array();
        if let Some(p) = p.filter(|p| !p.is_empty()) {
            assert!(p[0]["properties"]["landuse"].is_string());
            assert_eq!(p[0]["type"], "Polygon");
        }
    }
}

/// A parcel's number (commune, sheet, parcel) as text, whatever integer type a writer chose.
fn parcel_key(f: &quyhoach_tiles::mvt::DecodedFeature) -> String {
    use quyhoach_tiles::PropValue;
    let v = |k: &str| match f.properties.get(k) {
        Some(PropValue::Str(s)) => s.to_string(),
        Some(PropValue::Int(i)) => i.to_string(),
        Some(PropValue::Double(d)) => format!("{}", *d as i64),
        Some(PropValue::Bool(b)) => b.to_string(),
        None => "-".into(),
    };
    format!("{}/{}/{}", v("commune_code"), v("sheet"), v("parcel"))
}

type Multiset = std::collections::BTreeMap<String, usize>;

/// The parcels of a tile, by number (a multiset: the demo has duplicate numbers, as real
/// cadastres do), split into those whose decoded geometry reaches into the tile proper and
/// all of them (the buffer included).
fn parcels_inside(bytes: &[u8]) -> (Multiset, Multiset) {
    let mut inside = Multiset::new();
    let mut all = Multiset::new();
    if bytes.is_empty() {
        return (inside, all);
    }
    let layers = decode(bytes).unwrap();
    let Some(l) = layers.iter().find(|l| l.name == "parcels") else {
        return (inside, all);
    };
    let ext = l.extent as i32;
    for f in &l.features {
        let key = parcel_key(f);
        *all.entry(key.clone()).or_default() += 1;
        let (mut x0, mut y0, mut x1, mut y1) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
        for p in f.paths.iter().flatten() {
            x0 = x0.min(p[0]);
            y0 = y0.min(p[1]);
            x1 = x1.max(p[0]);
            y1 = y1.max(p[1]);
        }
        // Inside by more than a pixel, so that a parcel whose edge lies on the tile edge
        // (rounded either way by either tool) counts for neither.
        if x1 > 1 && y1 > 1 && x0 < ext - 1 && y0 < ext - 1 {
            *inside.entry(key).or_default() += 1;
        }
    }
    (inside, all)
}

fn total(m: &Multiset) -> usize {
    m.values().sum()
}

/// Our parcel tiles against `ogr2ogr -f MVT` on the same FlatGeobuf, tile by tile at z16
/// and z17, parcels identified by their numbers (GDAL writes no feature ids). The parcels
/// compare exactly where the two tools agree by design: those that reach the tile proper. The buffer differs by design (GDAL 80 px, ours 64 px of 4096),
/// so features seen only in the buffer may differ; they are counted and bounded.
#[tokio::test]
async fn parcel_tiles_match_ogr2ogr() {
    let st = &demo().state;
    // The embedded store's file (a PostGIS store has a table instead).
    let cat = demo().index.catalog();
    let fgb = demo().store.join(&cat.layers["parcels"].file);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gdal");
    std::fs::create_dir_all(&out).unwrap();
    for z in [16u8, 17] {
        let status = Command::new("ogr2ogr")
            .args(["-f", "MVT", "-nln", "parcels"])
            .arg(out.join(z.to_string()))
            .arg(&fgb)
            .args([
                "-dsco",
                &format!("MINZOOM={z}"),
                "-dsco",
                &format!("MAXZOOM={z}"),
            ])
            .args(["-dsco", "COMPRESS=NO", "-dsco", "MAX_SIZE=5000000"])
            .args(["-dsco", "MAX_FEATURES=1000000"])
            .output()
            .expect("ogr2ogr runs");
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        let mut compared = 0;
        let mut buffer_only_diff = 0usize;
        for t in town_tiles(z) {
            let ours = get(st, &url("parcels", t)).await;
            let ours = if ours.status == StatusCode::NO_CONTENT {
                Vec::new()
            } else {
                mvt(&ours)
            };
            let gpath = out.join(format!("{z}/{z}/{}/{}.pbf", t.x, t.y));
            let theirs = std::fs::read(&gpath).unwrap_or_default();
            let (oi, oa) = parcels_inside(&ours);
            let (ti, ta) = parcels_inside(&theirs);
            assert_eq!(
                oi, ti,
                "parcels reaching the inside of tile {t}: ours vs GDAL"
            );
            // Every parcel we put in the buffer GDAL has too (its buffer is wider).
            for (k, n) in &oa {
                assert!(
                    ta.get(k).copied().unwrap_or(0) >= *n,
                    "tile {t}: GDAL lacks parcel {k}"
                );
            }
            buffer_only_diff += total(&ta) - total(&oa);
            compared += total(&oi);
        }
        eprintln!("z{z}: {compared} parcels inside tiles match GDAL; {buffer_only_diff} more in GDAL's buffers");
        assert!(compared > 100, "z{z}: only {compared} parcels compared");
        // The 16 extra pixels of GDAL's buffer hold a thin ring of parcels per tile.
        assert!(
            buffer_only_diff <= compared / 4,
            "z{z}: {buffer_only_diff} parcels differ in the buffers, {compared} compared"
        );
    }
}

/// Golden tiles: the decoded summary (layers, feature counts, ids) of two tiles of the
/// demo district; `UPDATE_GOLDEN=1` rewrites them.
#[tokio::test]
async fn golden_tiles() {
    let st = &demo().state;
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for (name, t) in [
        ("planning-busiest-z16", busiest(16)),
        ("planning-first-z14", town_tiles(14)[0]),
    ] {
        let bytes = mvt(&get(st, &url("planning", t)).await);
        let layers = decode(&bytes).unwrap();
        let summary = serde_json::json!({
            "tile": t.to_string(),
            "layers": layers.iter().map(|l| serde_json::json!({
                "name": l.name,
                "features": l.features.len(),
                "ids": l.features.iter().filter_map(|f| f.id).collect::<Vec<_>>(),
                "keys": l.features.iter().flat_map(|f| f.properties.keys().cloned()).collect::<BTreeSet<_>>(),
            })).collect::<Vec<_>>(),
        });
        let path = golden.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&summary).unwrap() + "\n";
        if std::env::var_os("UPDATE_GOLDEN").is_some() || !path.exists() {
            std::fs::create_dir_all(&golden).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "tile {t} differs from {} (UPDATE_GOLDEN=1 rewrites it after a deliberate change)",
            path.display()
        );
    }
}

/// `quyhoach tiles` writes the tiles the server serves, and `serve --pmtiles` serves them.
#[tokio::test]
async fn archives_hold_the_served_tiles() {
    let d = demo();
    let st = &d.state;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("pack.pmtiles");
    let text = commune_archive(d, 17, &archive);
    assert!(text.contains("z17"), "{text}");
    let reader = PmTilesReader::open(&archive).unwrap();
    assert_eq!(
        (reader.header().min_zoom, reader.header().max_zoom),
        (12, 17)
    );
    let meta = reader.metadata().unwrap();
    assert_eq!(meta["name"], "planning");
    let mut checked = 0;
    for z in [12u8, 14, 16, 17] {
        for t in town_tiles(z).into_iter().take(40) {
            let served = get(st, &url("planning", t)).await;
            let stored = reader.tile(t).unwrap();
            match stored {
                Some(gz) => {
                    assert_eq!(gunzip(&gz).unwrap(), mvt(&served), "tile {t}");
                    checked += 1;
                }
                None => {
                    // Outside the commune's box, or empty.
                    let [w, s, e, n] = t.bounds_lonlat();
                    let _ = (w, s, e, n);
                }
            }
        }
    }
    assert!(checked >= 10, "only {checked} tiles compared");

    // The same archive served by name, with its own TileJSON.
    let cfg = TileConfig {
        archives: vec![archive.clone()],
        ..TileConfig::default()
    };
    let served = AppState::with_config(Arc::clone(&st.index), &cfg, Default::default()).unwrap();
    let tj = get(&served, "/tiles/pack.json").await.json();
    assert_eq!(
        tj["tiles"][0],
        "http://test.local/tiles/pack/{z}/{x}/{y}.mvt"
    );
    assert_eq!(
        (tj["minzoom"].as_u64(), tj["maxzoom"].as_u64()),
        (Some(12), Some(17))
    );
    assert!(tj["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["id"] == "parcels"));
    let t = busiest(16);
    if let Some(gz) = reader.tile(t).unwrap() {
        let r = get_with(&served, &url("pack", t), &[("accept-encoding", "gzip")]).await;
        assert_eq!(r.body, gz, "archive tile served as stored");
        let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
        let nm = get_with(&served, &url("pack", t), &[("if-none-match", &etag)]).await;
        assert_eq!(nm.status, StatusCode::NOT_MODIFIED);
    }
    assert_eq!(
        get(&served, "/tiles/pack/3/0/0.mvt").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&served, "/tiles/pack/12/0/0.mvt").await.status,
        StatusCode::NO_CONTENT
    );
    // A name clash with a store tile set is refused.
    let clash = dir.path().join("parcels.pmtiles");
    std::fs::copy(&archive, &clash).unwrap();
    let cfg = TileConfig {
        archives: vec![clash],
        ..TileConfig::default()
    };
    assert!(AppState::with_config(Arc::clone(&st.index), &cfg, Default::default()).is_err());
}

#[tokio::test]
async fn the_style_validates_and_its_glyphs_are_served() {
    let st = &demo().state;
    let r = get(st, "/styles/planning.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let style = r.json();
    assert_eq!(style["version"], 8);
    // The TileJSON is inlined (no round trip before the first tile) and agrees with it.
    let tj = get(st, "/tiles/planning.json").await.json();
    let src = &style["sources"]["planning"];
    assert!(src.get("url").is_none(), "{src}");
    assert_eq!(
        src["tiles"][0],
        "http://test.local/tiles/planning/{z}/{x}/{y}.mvt"
    );
    for k in ["tiles", "minzoom", "maxzoom", "bounds"] {
        assert_eq!(src[k], tj[k], "{k}");
    }
    assert_eq!(
        style["glyphs"],
        "http://test.local/fonts/{fontstack}/{range}.pbf"
    );
    let ids: Vec<&str> = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    for id in [
        "background",
        "zones-qhsdd-2030",
        "zones-qhpk-2000",
        "zones-qhpk-2000-dc",
        "zones-qhpk-2000-dc-outline",
        "parcels",
        "parcels-landuse",
        "parcels-label",
        "roads",
        "roads-label",
        "redlines-qhpk-2000",
        "communes",
        "communes-label",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let by_id = |id: &str| {
        style["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("parcels-landuse")["layout"]["visibility"], "none");
    assert!(
        by_id("zones-qhpk-2000-dc-outline")["paint"]["line-dasharray"].is_array(),
        "draft dashed"
    );
    assert!(by_id("zones-qhpk-2000-outline")["paint"]["line-dasharray"].is_null());
    let colour = serde_json::to_string(&by_id("zones-qhsdd-2030")["paint"]["fill-color"]).unwrap();
    assert!(colour.contains("\"ODT\",\"#FFA0FF\""), "{colour}");
    assert!(colour.contains("\"BHK\""), "legacy codes coloured too");

    // MapLibre's validator.
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let validator = js.join("node_modules/.bin/gl-style-validate");
    assert!(
        validator.exists(),
        "MapLibre's style validator is not installed: run `npm ci --prefix server/tests/js` (scripts/setup-judges.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("style.json");
    std::fs::write(&path, &r.body).unwrap();
    let out = Command::new(&validator).arg(&path).output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "gl-style-validate: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Every font the style names is served, with the Vietnamese letters.
    use pbf_font_tools::prost::Message;
    let fonts: BTreeSet<String> = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["layout"]["text-font"].as_array())
        .flatten()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert!(!fonts.is_empty());
    for font in fonts {
        let enc = font.replace(' ', "%20");
        for (range, must_have) in [("0-255", 'a'), ("256-511", 'Đ'), ("7680-7935", 'ệ')] {
            let r = get(st, &format!("/fonts/{enc}/{range}.pbf")).await;
            assert_eq!(r.status, StatusCode::OK, "{font} {range}: {}", r.text());
            assert_eq!(r.content_type(), "application/x-protobuf");
            let g = pbf_font_tools::Glyphs::decode(&r.body[..]).unwrap();
            assert_eq!(g.stacks.len(), 1);
            assert_eq!(g.stacks[0].name, font);
            assert!(
                g.stacks[0]
                    .glyphs
                    .iter()
                    .any(|gl| gl.id == must_have as u32),
                "{font} {range} lacks {must_have}"
            );
        }
    }
}

/// Parcel numbers are drawn from one label point per parcel, in the one tile that holds it:
/// over a 3 × 3 block of z17 tiles every parcel of the middle tile has exactly one label,
/// and each label point lies inside its parcel.
#[tokio::test]
async fn each_parcel_has_one_label_point_inside_it() {
    let st = &demo().state;
    let mid = busiest(17);
    let mut labels: std::collections::HashMap<u64, Vec<(f64, f64)>> = Default::default();
    let mut middle_parcels = BTreeSet::new();
    let n = TileCoord::tiles_per_side(17) as f64 * 4096.0;
    for dx in -1i64..=1 {
        for dy in -1i64..=1 {
            let t = TileCoord::new_checked(
                17,
                (i64::from(mid.x) + dx) as u32,
                (i64::from(mid.y) + dy) as u32,
            )
            .unwrap();
            let r = get(st, &url("planning", t)).await;
            if r.status == StatusCode::NO_CONTENT {
                continue; // nothing there
            }
            let layers = decode(&mvt(&r)).unwrap();
            if t == mid {
                middle_parcels.extend(
                    layer(&layers, "parcels")
                        .features
                        .iter()
                        .filter_map(|f| f.id),
                );
            }
            let Some(l) = layers.iter().find(|l| l.name == "parcels-labels") else {
                continue;
            };
            for f in &l.features {
                assert!(f.properties.contains_key("parcel") && f.properties.contains_key("sheet"));
                let p = f.paths[0][0];
                assert!(
                    (0..4096).contains(&p[0]) && (0..4096).contains(&p[1]),
                    "{p:?}"
                );
                let ll = quyhoach_tiles::world_to_lonlat(
                    (f64::from(t.x) * 4096.0 + f64::from(p[0])) / n,
                    (f64::from(t.y) * 4096.0 + f64::from(p[1])) / n,
                );
                labels.entry(f.id.unwrap()).or_default().push(ll);
            }
        }
    }
    assert!(
        middle_parcels.len() > 100,
        "{} parcels",
        middle_parcels.len()
    );
    for id in &middle_parcels {
        let at = labels
            .get(id)
            .unwrap_or_else(|| panic!("parcel {id} has no label"));
        assert_eq!(at.len(), 1, "parcel {id} labelled {} times", at.len());
    }
    let mut inside = 0;
    for (id, at) in &labels {
        let (lon, lat) = at[0];
        let hits = common::demo().index.parcels_at(lon, lat).unwrap();
        inside += usize::from(hits.iter().any(|h| u64::from(h.id) == *id));
    }
    // Snapping to the tile grid (3 mm at z17) may move a point of a hair-thin parcel out.
    assert!(
        inside * 1000 >= labels.len() * 995,
        "{inside} of {} labels inside their parcel",
        labels.len()
    );
}

/// `quyhoach tiles` of the demo's first commune, zooms 12 to `maxzoom`, into `archive`;
/// what it printed.
fn commune_archive(d: &common::Demo, maxzoom: u8, archive: &Path) -> String {
    let code = {
        let f = common::demo()
            .index
            .features_in_bbox("communes", None, 10, 0)
            .unwrap()
            .0;
        f[0].properties["code"].as_str().unwrap().to_string()
    };
    let out = common::process::run_ok(
        Command::new(env!("CARGO_BIN_EXE_quyhoach"))
            .args(["tiles", "--quiet", "--minzoom", "12", "--maxzoom"])
            .arg(maxzoom.to_string())
            .args(["--commune", &code, "--store"])
            .arg(&d.store)
            .arg("--out")
            .arg(archive),
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The town's commune as an archive (z12–16), built once for the tests below.
fn town_archive() -> &'static Path {
    static ARCHIVE: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &ARCHIVE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let archive = dir.path().join("town.pmtiles");
            commune_archive(demo(), 16, &archive);
            (dir, archive)
        })
        .1
}

/// A request through a router (the tile-only one has no `AppState`).
async fn through(router: &axum::Router, req: Request<Body>) -> Resp {
    common::send_to(router.clone(), req).await
}

fn req(uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut r = Request::get(uri).header(header::HOST, "test.local");
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Body::empty()).unwrap()
}

/// Town tiles of z14–16 that the archive holds, with their stored bytes.
fn stored_tiles(reader: &PmTilesReader) -> Vec<(TileCoord, Vec<u8>)> {
    let mut v = Vec::new();
    for z in 14..=16 {
        for t in town_tiles(z) {
            if let Some(b) = reader.tile(t).unwrap() {
                v.push((t, b));
            }
        }
    }
    assert!(v.len() >= 10, "only {} tiles", v.len());
    v
}

/// `serve --pmtiles` without a store: tiles, TileJSON, the list and health, no index.
#[tokio::test]
async fn a_tile_only_server_serves_archives_without_a_store() {
    use quyhoach_server::tiles::TileService;
    let path = town_archive();
    let reader = PmTilesReader::open(path).unwrap();
    let mut service = TileService::archives_only(quyhoach_server::tiles::DEFAULT_TILE_CACHE_BYTES);
    service.add_archive(path).unwrap();
    let service = Arc::new(service);
    let app = quyhoach_server::tile_app(service.clone(), Default::default());
    let reads = || match service.tileset("town") {
        Some((_, set)) if set.source() == "pmtiles" => set.reads(),
        _ => panic!("town is an archive"),
    };

    let list = through(&app, req("/tiles", &[])).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(list["tilesets"][0]["name"], "town");
    assert_eq!(list["tilesets"][0]["source"], "pmtiles");
    let health = through(&app, req("/api/v1/health", &[])).await.json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["tilesets"][0], "town");
    // Forwarding headers of an untrusted peer are not believed.
    let tj = through(
        &app,
        req("/tiles/town.json", &[("x-forwarded-host", "evil.example")]),
    )
    .await
    .json();
    assert_eq!(
        tj["tiles"][0],
        "http://test.local/tiles/town/{z}/{x}/{y}.mvt"
    );
    assert_eq!(
        (tj["minzoom"].as_u64(), tj["maxzoom"].as_u64()),
        (Some(12), Some(16))
    );

    for (t, stored) in stored_tiles(&reader).into_iter().take(30) {
        let r = through(&app, req(&url("town", t), &[("accept-encoding", "gzip")])).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, stored, "{t} served as stored");
        assert_eq!(r.headers[header::CONTENT_ENCODING], "gzip");
        assert_eq!(r.headers["access-control-allow-origin"], "*");
        let plain = through(&app, req(&url("town", t), &[])).await;
        assert_eq!(
            plain.body,
            gunzip(&stored).unwrap(),
            "{t} for a client without gzip"
        );
        let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
        let nm = through(&app, req(&url("town", t), &[("if-none-match", &etag)])).await;
        assert_eq!(nm.status, StatusCode::NOT_MODIFIED);
    }
    // Each tile was read from the file once: the answers after the first came from memory,
    // the same bytes.
    let n = stored_tiles(&reader).len().min(30) as u64;
    assert_eq!(reads(), n);
    for (t, stored) in stored_tiles(&reader).into_iter().take(30) {
        let r = through(&app, req(&url("town", t), &[("accept-encoding", "gzip")])).await;
        assert_eq!(r.body, stored, "{t} again");
    }
    assert_eq!(reads(), n);
    // What the store routes would answer is not here; errors are problems, not cached.
    for (uri, status) in [
        ("/api/v1/parcels/at?lon=105&lat=10", StatusCode::NOT_FOUND),
        ("/styles/planning.json", StatusCode::NOT_FOUND),
        ("/tiles/town/3/0/0.mvt", StatusCode::NOT_FOUND),
        ("/tiles/town/14/0/0.mvt?x=1", StatusCode::BAD_REQUEST),
        ("/tiles/nope/14/0/0.mvt", StatusCode::NOT_FOUND),
        ("/tiles/town/14/0/99999.mvt", StatusCode::BAD_REQUEST),
    ] {
        let r = through(&app, req(uri, &[])).await;
        assert_eq!(r.status, status, "{uri}: {}", r.text());
        assert_eq!(
            r.headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{uri}"
        );
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store", "{uri}");
    }
    for _ in 0..3 {
        let empty = through(&app, req("/tiles/town/12/0/0.mvt", &[])).await;
        assert_eq!(empty.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(reads(), n + 1, "an absent tile is remembered as absent");
    let post = through(
        &app,
        Request::post(url("town", town_tiles(14)[0]))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// Archive tiles are answered before the router (no middleware): the answers carry the
/// headers the router gives a store tile, and many clients at once get the stored bytes.
#[tokio::test]
async fn archive_tiles_answer_like_the_router_and_concurrently() {
    let d = demo();
    let path = town_archive();
    let reader = PmTilesReader::open(path).unwrap();
    let cfg = TileConfig {
        archives: vec![path.to_path_buf()],
        ..TileConfig::default()
    };
    let st = AppState::with_config(Arc::clone(&d.state.index), &cfg, Default::default()).unwrap();
    let tiles = stored_tiles(&reader);
    let (t, _) = tiles[0].clone();
    let gz = [
        ("accept-encoding", "gzip"),
        ("origin", "http://elsewhere.example"),
    ];
    let fast = get_with(&st, &url("town", t), &gz).await;
    let routed = get_with(&st, &url("planning", t), &gz).await;
    assert_eq!(
        (fast.status, routed.status),
        (StatusCode::OK, StatusCode::OK)
    );
    let names = |r: &Resp| {
        r.headers
            .keys()
            .map(|k| k.as_str().to_string())
            .filter(|k| k != "content-length")
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(names(&fast), names(&routed));
    for h in fast.headers.keys() {
        if !matches!(h.as_str(), "etag" | "content-length") {
            assert_eq!(
                fast.headers.get_all(h).iter().collect::<Vec<_>>(),
                routed.headers.get_all(h).iter().collect::<Vec<_>>(),
                "{h}"
            );
        }
    }
    // Many clients at once.
    let tiles = Arc::new(tiles);
    let mut tasks = Vec::new();
    for k in 0..8 {
        let (st, tiles) = (st.clone(), tiles.clone());
        tasks.push(tokio::spawn(async move {
            for (t, stored) in tiles.iter().skip(k).step_by(3) {
                let r = get_with(&st, &url("town", *t), &[("accept-encoding", "gzip")]).await;
                assert_eq!(&r.body, stored, "{t}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Raster, Brotli and Zstandard archives are refused at start, saying what they hold.
#[test]
fn archives_of_other_tile_types_or_compressions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(town_archive()).unwrap();
    for (at, value, word) in [
        (98, 3u8, "brotli"),
        (98, 4, "zstd"),
        (99, 2, "png"),
        (99, 4, "webp"),
    ] {
        let mut b = bytes.clone();
        b[at] = value;
        let p = dir.path().join(format!("{word}.pmtiles"));
        std::fs::write(&p, &b).unwrap();
        let e = quyhoach_server::tiles::Archive::open(&p, 0)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains(word), "{e}");
        let mut service = quyhoach_server::tiles::TileService::archives_only(0);
        assert!(service.add_archive(&p).is_err());
    }
}

/// An archive truncated under the running server (a rebuild writing in place) gives error
/// answers, not a crash: the reader reads the file with `pread`, not a memory map (SIGBUS).
#[test]
fn an_archive_truncated_while_served_gives_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("town.pmtiles");
    std::fs::copy(town_archive(), &p).unwrap();
    let archive = quyhoach_server::tiles::Archive::open(&p, 0).unwrap();
    let reader = PmTilesReader::open(&p).unwrap();
    let stored: Vec<TileCoord> = stored_tiles(&reader).into_iter().map(|(t, _)| t).collect();
    assert!(!stored.is_empty());
    assert!(archive.tile(stored[0]).unwrap().is_some());
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(20_000).unwrap();
    let errors = stored.iter().filter(|&&t| archive.tile(t).is_err()).count();
    assert!(errors > 0, "no tile read failed after truncation");
}

/// A tile set of a third kind (neither the store nor an archive), as another backend would
/// add one: one fixed tile at z14, counting how often it is asked to make it.
struct OneTile {
    tile: TileCoord,
    made: std::sync::atomic::AtomicU64,
}

impl quyhoach_server::tiles::TileSet for OneTile {
    fn source(&self) -> &'static str {
        "test"
    }
    fn making(&self) -> quyhoach_server::tiles::Making {
        quyhoach_server::tiles::Making::Encoded
    }
    fn zooms(&self) -> (u8, u8) {
        (10, 14)
    }
    fn version(&self) -> Option<&str> {
        Some("v7")
    }
    fn layer_names(&self) -> Vec<String> {
        vec!["one".into()]
    }
    fn tilejson(&self, name: &str, url: &str) -> Value {
        serde_json::json!({"tilejson": "3.0.0", "name": name, "tiles": [url],
            "minzoom": 10, "maxzoom": 14, "vector_layers": [{"id": "one", "fields": {}}]})
    }
    fn tile(&self, t: TileCoord) -> quyhoach_server::error::Result<axum::body::Bytes> {
        self.made.fetch_add(1, Ordering::Relaxed);
        Ok(if t == self.tile {
            quyhoach_tiles::gzip::gzip(b"not really MVT").into()
        } else {
            axum::body::Bytes::new()
        })
    }
}

#[tokio::test]
async fn a_tile_set_of_another_kind_is_served_cached_and_listed_like_the_others() {
    use quyhoach_server::tiles::TileService;
    let t = TileCoord::new_checked(14, 12975, 7736).unwrap();
    let set = Arc::new(OneTile {
        tile: t,
        made: Default::default(),
    });
    // The store's own tile sets and the new one, side by side.
    let mut service = TileService::new(&demo().state.index, "W/\"data\"", 1 << 20);
    service.add_tileset("one", set.clone()).unwrap();
    let err = service.add_tileset("planning", set.clone()).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    let app = quyhoach_server::tile_app(Arc::new(service), Default::default());

    let gz = [("accept-encoding", "gzip")];
    let r = through(&app, req(&url("one", t), &gz)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(gunzip(&r.body).unwrap(), b"not really MVT");
    let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
    assert_eq!(
        etag,
        format!("W/\"v7-14-{}-{}\"", t.x, t.y),
        "its own version"
    );
    // Plain to a client that takes no gzip, and made once: the second answer is cached.
    let plain = through(&app, req(&url("one", t), &[])).await;
    assert_eq!(plain.body, b"not really MVT");
    assert_eq!(set.made.load(Ordering::Relaxed), 1);
    let again = through(&app, req(&url("one", t), &[("if-none-match", &etag)])).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    // No feature: 204; outside its zooms: 404 naming them.
    let empty = TileCoord::new_checked(14, 0, 0).unwrap();
    assert_eq!(
        through(&app, req(&url("one", empty), &gz)).await.status,
        StatusCode::NO_CONTENT
    );
    let z15 = TileCoord::new_checked(15, 0, 0).unwrap();
    let out = through(&app, req(&url("one", z15), &[])).await;
    assert_eq!(out.status, StatusCode::NOT_FOUND);
    assert!(out.text().contains("zooms 10–14"), "{}", out.text());
    // Its TileJSON and its row in the list, with the store's sets.
    let tj = through(&app, req("/tiles/one.json", &[])).await.json();
    assert_eq!(tj["vector_layers"][0]["id"], "one");
    assert_eq!(tj["attribution"], "quyhoach — dữ liệu quy hoạch công khai");
    let list = through(&app, req("/tiles", &[])).await.json();
    let rows = list["tilesets"].as_array().unwrap();
    let one = rows.iter().find(|r| r["name"] == "one").unwrap();
    assert_eq!(
        (one["source"].as_str(), one["layers"][0].as_str()),
        (Some("test"), Some("one"))
    );
    let planning = rows.iter().find(|r| r["name"] == "planning").unwrap();
    assert_eq!(planning["source"], "store");
}
