//! Independent judges of our tiles and archives: GDAL's MVT driver (`ogrinfo`), Mapbox's
//! JavaScript reader (@mapbox/vector-tile), the MVT specification's fixtures
//! (@mapbox/mvt-fixtures) and Protomaps' PMTiles reader (npm `pmtiles`). The Node.js
//! packages are installed by `npm ci --prefix tiles/tests/js` (scripts/setup-judges.sh).

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use std::process::Command;

use common::*;
use quyhoach_tiles::mvt::{self, GeomType};
use quyhoach_tiles::pmtiles::PmTilesReader;
use quyhoach_tiles::{build_pyramid, encode_tile, gzip, EncodeOptions, TileCoord};
use serde_json::Value;

fn sample_tile() -> (TileCoord, Vec<u8>) {
    let t = rach_gia_z14();
    let tile = encode_tile(&sample_source(t), t, &EncodeOptions::default());
    (t, tile.bytes)
}

#[test]
fn gdal_reads_our_tiles() {
    let (t, bytes) = sample_tile();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{}/{}/{}.pbf", t.z, t.x, t.y));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-oo", "CLIP=NO"])
        .args([
            "-oo",
            &format!("X={}", t.x),
            "-oo",
            &format!("Y={}", t.y),
            "-oo",
            &format!("Z={}", t.z),
        ])
        .arg(&path)
        .output()
        .expect("ogrinfo runs (scripts/setup.sh installs gdal-bin)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ogrinfo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (layer, count) in [("zones", 2), ("parcels", 1), ("roads", 1)] {
        let section = text
            .split("Layer name: ")
            .find(|s| s.starts_with(layer))
            .unwrap_or_else(|| panic!("{layer} missing:\n{text}"));
        assert!(
            section.contains(&format!("Feature Count: {count}")),
            "{layer}:\n{section}"
        );
    }
    // Zone 7 has a hole: GDAL, which classifies rings by the spec's winding, must see one
    // polygon with two rings, not two polygons.
    // GDAL reports the MVT id as mvt_id and promotes polygons to multipolygons.
    let zone7 = text
        .split("OGRFeature(zones):")
        .find(|f| f.contains("mvt_id (Integer64) = 7"))
        .expect("zone 7 with its id");
    let wkt = zone7
        .lines()
        .find(|l| l.trim_start().starts_with("MULTIPOLYGON"))
        .unwrap();
    assert_eq!(wkt.matches(")),((").count(), 0, "one polygon: {wkt}");
    assert_eq!(
        wkt.matches("),(").count(),
        1,
        "exterior and one hole: {wkt}"
    );
    assert!(zone7.contains("name (String) = Ô phố A1"), "{zone7}");
    assert!(
        zone7.contains("floors (Integer") && zone7.contains("= 5"),
        "{zone7}"
    );
    assert!(zone7.contains("far (Real) = 2.5"), "{zone7}");
    assert!(text.contains("LINESTRING"), "road read as a line");
    // Our tile's coordinates in EPSG:3857 agree with our tile math: the zone's ring is
    // within the tile's mercator bounds.
    let [x0, y0, x1, y1] = t.bounds_mercator();
    let nums: Vec<f64> = wkt
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter_map(|s| s.parse().ok())
        .collect();
    for xy in nums.chunks(2) {
        assert!(
            xy[0] >= x0 && xy[0] <= x1 && xy[1] >= y0 && xy[1] <= y1,
            "{xy:?} outside the tile"
        );
    }
}

#[test]
fn mapbox_vector_tile_reads_our_tiles() {
    let (t, bytes) = sample_tile();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tile.pbf");
    std::fs::write(&path, &bytes).unwrap();
    let v = node(
        "decode.mjs",
        &[
            path.display().to_string(),
            t.z.to_string(),
            t.x.to_string(),
            t.y.to_string(),
        ],
    );
    let ours = mvt::decode(&bytes).unwrap();
    for l in &ours {
        let js = &v[&l.name];
        assert_eq!(js["extent"], 4096);
        assert_eq!(js["version"], 2);
        let feats = js["features"].as_array().unwrap();
        assert_eq!(feats.len(), l.features.len());
        for (f, j) in l.features.iter().zip(feats) {
            assert_eq!(j["id"].as_u64(), f.id);
            let paths: Vec<Vec<[i32; 2]>> = serde_json::from_value(j["paths"].clone()).unwrap();
            if f.geom_type == GeomType::Polygon {
                // loadGeometry repeats the first vertex at the end of each ring.
                let trimmed: Vec<Vec<[i32; 2]>> =
                    paths.iter().map(|r| r[..r.len() - 1].to_vec()).collect();
                assert_eq!(trimmed, f.paths);
                let areas: Vec<f64> = serde_json::from_value(j["areas"].clone()).unwrap();
                assert!(areas[0] > 0.0, "exterior clockwise on screen: {areas:?}");
                assert!(
                    areas[1..].iter().all(|a| *a < 0.0),
                    "holes the other way: {areas:?}"
                );
                let polys = f.polygons().unwrap().len();
                let gj = &j["geojson"];
                let gj_polys = if gj["type"] == "Polygon" {
                    1
                } else {
                    gj["coordinates"].as_array().unwrap().len()
                };
                assert_eq!(gj_polys, polys);
            } else {
                assert_eq!(paths, f.paths);
                assert_eq!(j["type"], "LineString");
            }
        }
    }
    let zone7 = v["zones"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == 7)
        .unwrap();
    assert_eq!(zone7["properties"]["far"], 2.5);
    assert_eq!(zone7["properties"]["floors"], 5);
    assert_eq!(zone7["properties"]["in_force"], true);
    assert_eq!(zone7["properties"]["name"], "Ô phố A1");
    assert_eq!(zone7["geojson"]["type"], "Polygon");
    assert_eq!(zone7["geojson"]["coordinates"].as_array().unwrap().len(), 2);
}

fn fixture(n: &str) -> (Vec<u8>, Value) {
    require_js();
    let d = fixtures_dir().join(n);
    let mvt = std::fs::read(d.join("tile.mvt")).unwrap();
    let info: Value = serde_json::from_slice(&std::fs::read(d.join("info.json")).unwrap()).unwrap();
    (mvt, info)
}

#[test]
fn our_commands_match_the_spec_fixtures() {
    // Valid line and polygon fixtures: decoding them and encoding the geometry again with
    // our command writer gives the fixture's command stream integer for integer.
    for n in ["018", "019", "021", "022", "053", "054", "055", "056"] {
        let (bytes, info) = fixture(n);
        assert_eq!(info["validity"]["v2"], true);
        let layers = mvt::decode(&bytes).unwrap_or_else(|e| panic!("fixture {n}: {e}"));
        let tile_json: Value = serde_json::from_slice(
            &std::fs::read(fixtures_dir().join(n).join("tile.json")).unwrap(),
        )
        .unwrap();
        let f = &layers[0].features[0];
        let want: Vec<u32> =
            serde_json::from_value(tile_json["layers"][0]["features"][0]["geometry"].clone())
                .unwrap();
        let ours = match f.geom_type {
            GeomType::Polygon => mvt::polygon_commands(&f.polygons().expect("fixture winding")),
            GeomType::LineString => mvt::line_commands(&f.paths),
            other => panic!("fixture {n}: {other:?}"),
        };
        assert_eq!(ours, want, "fixture {n}");
    }
    // Our full pipeline on a square exactly on a tile gives fixture 053's ring.
    let (bytes, _) = fixture("053");
    let want = &mvt::decode(&bytes).unwrap()[0].features[0].paths;
    let golden = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden/square-z14-x12974-y7734.json"),
    )
    .unwrap();
    let v: Value = serde_json::from_str(&golden).unwrap();
    let ours: Vec<Vec<[i32; 2]>> =
        serde_json::from_value(v["zones"]["features"][0]["paths"].clone()).unwrap();
    assert_eq!(&ours, want);
}

#[test]
fn our_decoder_refuses_invalid_fixtures() {
    // Fatal geometry and tag errors: ClosePath first, wrong ClosePath counts, counts past
    // the stream (a huge count must not allocate), dangling key/value indexes.
    for n in ["040", "042", "044", "047", "048", "051", "052", "058"] {
        let (bytes, info) = fixture(n);
        assert_eq!(info["validity"]["v2"], false);
        assert!(mvt::decode(&bytes).is_err(), "fixture {n} accepted");
    }
    // And reads valid ones with every value type.
    let (bytes, _) = fixture("038");
    let layers = mvt::decode(&bytes).unwrap();
    assert!(layers[0].features[0].properties.len() >= 6);
}

#[test]
fn protomaps_reader_reads_our_archive() {
    require_js();
    let t = rach_gia_z14();
    let src = sample_source(t);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample.pmtiles");
    let b = t.bounds_lonlat();
    build_pyramid(&src, "sample", b, 10, 16, &out, |_, _| {}).unwrap();
    let reader = PmTilesReader::open(&out).unwrap();
    let mut asked = Vec::new();
    for z in 10..=16 {
        for t in quyhoach_tiles::tiles_covering(b, z).unwrap().iter() {
            asked.push(t);
        }
    }
    let v = node(
        "pmtiles.mjs",
        &std::iter::once(out.display().to_string())
            .chain(asked.iter().map(|t| t.to_string()))
            .collect::<Vec<_>>(),
    );
    assert_eq!(v["header"]["specVersion"], 3);
    assert_eq!(v["header"]["minZoom"], 10);
    assert_eq!(v["header"]["maxZoom"], 16);
    assert_eq!(v["metadata"]["name"], "sample");
    assert_eq!(v["metadata"]["vector_layers"][0]["id"], "zones");
    let mut found = 0;
    for t in &asked {
        let ours = reader.tile(*t).unwrap().map(|g| gzip::gunzip(&g).unwrap());
        let js = &v["tiles"][t.to_string()];
        match ours {
            None => assert!(js.is_null(), "{t}: only the JS reader has it"),
            Some(bytes) => {
                found += 1;
                assert_eq!(js["bytes"].as_u64(), Some(bytes.len() as u64), "{t}");
                let sha: String = sha256_hex(&bytes);
                assert_eq!(js["sha256"].as_str(), Some(sha.as_str()), "{t}");
            }
        }
    }
    assert!(found >= 7, "{found}");
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}
