//! Tests of the demo district generator (small districts; timings live in the report).

use std::collections::{HashMap, HashSet};

use gdal::vector::LayerAccess;
use gdal::Dataset;
use geo::{Area, BooleanOps, BoundingRect, Intersects, Validation};
use geo_types::{Geometry, LineString, MultiPolygon, Polygon};

use super::layout::District;
use super::parcels::{rural_parcels, to_world, urban_parcels, urban_plan, Warp};
use super::rng::key;
use super::*;

const SMALL: usize = 3_000;

fn small(seed: u64) -> (tempfile::TempDir, DemoSources) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let s = generate(
        &DemoOptions {
            parcels: SMALL,
            seed,
        },
        tmp.path(),
        &|_, _| {},
    )
    .expect("generate");
    (tmp, s)
}

/// One parcel read back from the Shapefile.
struct Row {
    commune: String,
    sheet: i32,
    number: i32,
    area: f64,
    code: String,
    address: String,
    owner: String,
    id: String,
    geom: Polygon,
}

fn read_parcels(path: &Path) -> Vec<Row> {
    let ds = Dataset::open(path).expect("open parcels");
    let mut layer = ds.layer(0).expect("layer");
    let idx = |name: &str| layer.defn().field_index(name).expect(name);
    let (a, b, c, d, e, f, g, h) = (
        idx("MaXa"),
        idx("SoTo"),
        idx("SoThua"),
        idx("DienTich"),
        idx("LoaiDat"),
        idx("DiaChi"),
        idx("TenChu"),
        idx("SoCCCD"),
    );
    layer
        .features()
        .map(|feat| {
            let s = |i| feat.field_as_string(i).expect("field").unwrap_or_default();
            let geom = match feat.geometry().expect("geometry").to_geo().expect("to geo") {
                Geometry::Polygon(p) => p,
                other => panic!("not a polygon: {other:?}"),
            };
            Row {
                commune: s(a),
                sheet: feat.field_as_integer(b).expect("SoTo").unwrap_or(0),
                number: feat.field_as_integer(c).expect("SoThua").unwrap_or(0),
                area: feat.field_as_double(d).expect("DienTich").unwrap_or(0.0),
                code: s(e),
                address: s(f),
                owner: s(g),
                id: s(h),
                geom,
            }
        })
        .collect()
}

fn read_polygons(path: &Path, layer_name: &str) -> Vec<(HashMap<String, String>, Geometry)> {
    let ds = Dataset::open(path).expect("open");
    let mut layer = ds.layer_by_name(layer_name).expect("layer");
    let names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    layer
        .features()
        .map(|feat| {
            let attrs = names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let v = feat
                        .field(i)
                        .expect("field")
                        .and_then(|v| match v {
                            gdal::vector::FieldValue::StringValue(s) => Some(s),
                            gdal::vector::FieldValue::RealValue(r) => Some(r.to_string()),
                            gdal::vector::FieldValue::IntegerValue(r) => Some(r.to_string()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    (n.clone(), v)
                })
                .collect();
            (
                attrs,
                feat.geometry().expect("geometry").to_geo().expect("geo"),
            )
        })
        .collect()
}

#[test]
fn demo_counts_match_stats_and_every_parcel_is_identified() {
    let (_tmp, s) = small(1);
    let rows = read_parcels(&s.dir.join("thua_dat.shp"));
    assert_eq!(rows.len(), s.stats.parcels);
    assert!(
        (SMALL * 8 / 10..SMALL * 12 / 10).contains(&rows.len()),
        "{}",
        rows.len()
    );
    let codes: HashSet<&str> = rows.iter().map(|r| r.commune.as_str()).collect();
    assert_eq!(codes.len(), s.stats.communes);
    assert!(s.stats.communes >= 4);
    let sheets: HashSet<(&str, i32)> = rows.iter().map(|r| (r.commune.as_str(), r.sheet)).collect();
    assert_eq!(sheets.len(), s.stats.sheets);
    for r in &rows {
        assert_eq!(r.commune.len(), 5);
        assert!(r.sheet >= 1 && r.number >= 1);
        assert!(!r.address.is_empty() && !r.owner.is_empty());
        assert!(r.id.is_empty() || (r.id.len() == 12 && r.id.chars().all(|c| c.is_ascii_digit())));
        assert!((r.area - r.geom.unsigned_area()).abs() < 0.06 || !r.geom.is_valid());
    }
    // Sheets are numbered 1..n in each commune, parcels 1..m in each sheet.
    let mut per_commune: HashMap<&str, HashSet<i32>> = HashMap::new();
    for r in &rows {
        per_commune.entry(&r.commune).or_default().insert(r.sheet);
    }
    for set in per_commune.values() {
        assert_eq!(set.iter().max().copied(), Some(set.len() as i32));
    }
    // Duplicate numbers inside a sheet, as real registers have.
    let mut seen: HashMap<(&str, i32, i32), usize> = HashMap::new();
    for r in &rows {
        *seen.entry((&r.commune, r.sheet, r.number)).or_default() += 1;
    }
    let dups: usize = seen.values().map(|n| n - 1).sum();
    assert_eq!(dups, s.stats.duplicate_parcel_numbers);
    assert!(dups > 0);
    // Codes, with some legacy ones and compound ones.
    let used: HashSet<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    for c in [
        "ODT", "ONT", "ONT+CLN", "LUC", "LUK", "CLN", "NTS", "DGT", "BHK",
    ] {
        assert!(used.contains(c), "no {c} parcel");
    }
    let legacy = rows
        .iter()
        .filter(|r| matches!(r.code.as_str(), "BHK" | "NHK" | "DDT" | "DSH"))
        .count();
    assert!(
        legacy * 1000 > rows.len() * 3 && legacy * 100 < rows.len() * 3,
        "{legacy}"
    );
    let counts = &s.stats;
    assert!(
        counts.roads > 10 && counts.zones > 40 && counts.redlines > 4,
        "{counts:?}"
    );
}

#[test]
fn demo_parcel_sizes_holes_and_validity() {
    let (_tmp, s) = small(2);
    let rows = read_parcels(&s.dir.join("thua_dat.shp"));
    let mut town = 0;
    let mut farm = 0;
    for r in &rows {
        let a = r.geom.unsigned_area();
        match r.code.as_str() {
            "ODT" => {
                assert!((40.0..=400.0).contains(&a), "town lot of {a} m²");
                town += 1;
            }
            "LUC" | "LUK" | "HNK" | "CLN" | "BHK" | "NHK" => {
                assert!((500.0..=20_000.0).contains(&a), "{} plot of {a} m²", r.code);
                farm += 1;
            }
            _ => {}
        }
    }
    assert!(town > 100 && farm > 100, "{town} {farm}");
    let with_holes = rows
        .iter()
        .filter(|r| !r.geom.interiors().is_empty())
        .count();
    assert_eq!(with_holes, s.stats.parcels_with_holes);
    assert!(with_holes > 0);
    let invalid = rows.iter().filter(|r| !r.geom.is_valid()).count();
    assert_eq!(invalid, s.stats.invalid_parcels);
    assert!(invalid > 0 && invalid <= 3);
}

/// Pairs of polygons whose interiors overlap by more than a square centimetre.
fn overlaps(polys: &[Polygon]) -> usize {
    let mut n = 0;
    let boxes: Vec<_> = polys
        .iter()
        .map(|p| p.bounding_rect().expect("bbox"))
        .collect();
    for a in 0..polys.len() {
        for b in a + 1..polys.len() {
            let (ra, rb) = (boxes[a], boxes[b]);
            if ra.max().x < rb.min().x
                || rb.max().x < ra.min().x
                || ra.max().y < rb.min().y
                || rb.max().y < ra.min().y
            {
                continue;
            }
            if polys[a].intersection(&polys[b]).unsigned_area() > 1e-4 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn demo_neighbours_share_boundaries_without_gaps_or_overlaps() {
    let d = District::new(SMALL, 3);
    for urban in [true, false] {
        let (i, j) = (0..d.ny)
            .flat_map(|j| (0..d.nx).map(move |i| (i, j)))
            .find(|&(i, j)| d.cell(i, j).urban == urban)
            .expect("a superblock of each kind");
        let q = d.quad(i, j);
        let local = if urban {
            urban_parcels(&d, i, j, &urban_plan(&d, i, j, &q))
        } else {
            rural_parcels(&d, i, j, &q)
        };
        let warp = Warp {
            quad: &q,
            key: key(&[d.seed, 20, i as u64, j as u64]),
            jitter: 0.3,
            bend: 10,
        };
        let polys = to_world(&local, &warp);
        assert!(polys.iter().all(|p| p.is_valid()));
        // Sample: the first few hundred parcels of the superblock.
        let sample: Vec<Polygon> = polys.iter().take(400).cloned().collect();
        assert_eq!(overlaps(&sample), 0, "overlaps in urban={urban}");
        if !urban {
            // A rural superblock is tiled completely: the union has no holes.
            let union = geo::unary_union(polys.iter());
            assert_eq!(union.0.len(), 1, "rural superblock falls apart");
            assert!(union.0[0]
                .interiors()
                .iter()
                .all(|r| LineString::unsigned_area_ring(r) < 1e-3));
            let sum: f64 = polys.iter().map(|p| p.unsigned_area()).sum();
            assert!((sum - union.unsigned_area()).abs() < 1e-3 * sum);
        }
    }
}

trait RingArea {
    fn unsigned_area_ring(r: &LineString) -> f64;
}
impl RingArea for LineString {
    fn unsigned_area_ring(r: &LineString) -> f64 {
        Polygon::new(r.clone(), vec![]).unsigned_area()
    }
}

#[test]
fn demo_is_deterministic() {
    let (_a, sa) = small(7);
    let (_b, sb) = small(7);
    assert_eq!(sa.stats, sb.stats);
    for f in [
        "thua_dat.shp",
        "thua_dat.dbf",
        "ranh_gioi_xa.dbf",
        "duong_giao_thong.shp",
    ] {
        let x = std::fs::read(sa.dir.join(f)).expect("read");
        let y = std::fs::read(sb.dir.join(f)).expect("read");
        assert!(x == y, "{f} differs");
    }
    let (_c, sc) = small(8);
    let x = std::fs::read(sa.dir.join("thua_dat.shp")).expect("read");
    let z = std::fs::read(sc.dir.join("thua_dat.shp")).expect("read");
    assert_ne!(x, z, "another seed, another district");
}

#[test]
fn demo_files_look_like_agency_deliveries() {
    let (_tmp, s) = small(1);
    let dir = &s.dir;
    let prj = std::fs::read_to_string(dir.join("thua_dat.prj")).expect("prj");
    assert!(prj.contains("GCS_VN_2000") && prj.contains("104.5") && !prj.contains("TOWGS84"));
    assert_eq!(
        std::fs::read_to_string(dir.join("thua_dat.cpg"))
            .expect("cpg")
            .trim(),
        "UTF-8"
    );
    assert!(!dir.join("duong_giao_thong.prj").exists());
    assert!(dir.join("duong_giao_thong.cpg").exists());
    assert!(dir.join("ranh_gioi_xa.prj").exists());
    assert!(!dir.join("ranh_gioi_xa.cpg").exists());
    // TCVN3 bytes of "Vĩnh Thanh" and "Phường"/"Xã"/"Thị trấn" are in the .dbf.
    let dbf = std::fs::read(dir.join("ranh_gioi_xa.dbf")).expect("dbf");
    let find = |needle: &[u8]| dbf.windows(needle.len()).any(|w| w == needle);
    let vt = crate::encoding::encode_tcvn3("Vĩnh Thanh").expect("tcvn3");
    assert!(vt.iter().any(|&b| b >= 0x80));
    assert!(find(&vt));
    assert!(!find("Vĩnh".as_bytes()), "UTF-8 text in the legacy file");
    // Reading the fields back.
    let ds = Dataset::open(dir.join("duong_giao_thong.shp")).expect("roads");
    let layer = ds.layer(0).expect("layer");
    let names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    assert_eq!(names, ["TenDuong", "LoaiDuong", "RongHT"]);
    assert_eq!(layer.feature_count() as usize, s.stats.roads);
    let zones = read_polygons(&dir.join("qhpk_2000.gpkg"), "SuDungDat_A");
    let keys: HashSet<&str> = zones[0].0.keys().map(String::as_str).collect();
    for k in [
        "maThongTinQH",
        "maHoSoQH",
        "kyHieuSDD",
        "matDoXD",
        "tangCaoMin",
        "tangCaoMax",
        "heSoSDD",
        "chieuCaoMax",
        "tenLo",
    ] {
        assert!(keys.contains(k), "{k}");
    }
    assert!(zones.iter().any(|(a, _)| a["kyHieuSDD"] == "DGT"));
    assert!(zones
        .iter()
        .any(|(a, _)| a["kyHieuSDD"] == "ODT" && !a["heSoSDD"].is_empty()));
    let draft = read_polygons(&dir.join("qhpk_2000_dc.gpkg"), "SuDungDat_A");
    assert!(!draft.is_empty() && draft.iter().all(|(a, _)| a["maHoSoQH"] == "qhpk-2000-dc"));
    let ds = Dataset::open(dir.join("qhsdd_2030.gpkg")).expect("gpkg");
    let srs = ds
        .layer_by_name("KhuQuyHoach")
        .expect("layer")
        .spatial_ref()
        .expect("srs");
    assert!(srs.to_proj4().expect("proj4").contains("+lon_0=104.5"));
    // plans.json parses with the plan reader and names the three plans.
    let plans = crate::plans::parse_plans(&std::fs::read_to_string(&s.plans_file).expect("plans"))
        .expect("valid plans.json");
    let ids: Vec<&str> = plans.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["qhsdd-2030", "qhpk-2000", "qhpk-2000-dc"]);
    // Import order: communes, roads, parcels, zones of each plan, red lines.
    let kinds: Vec<&str> = s.imports.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [
            "boundaries",
            "roads",
            "parcels",
            "zones",
            "zones",
            "zones",
            "redlines"
        ]
    );
    assert!(s.imports.iter().all(|i| i.path.exists()));
}

#[test]
fn demo_land_use_zones_cover_the_district_and_red_lines_cut_lots() {
    let (_tmp, s) = small(4);
    let communes: Vec<Polygon> = read_polygons(&s.dir.join("ranh_gioi_xa.shp"), "ranh_gioi_xa")
        .into_iter()
        .map(|(_, g)| match g {
            Geometry::Polygon(p) => p,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(communes.iter().all(|p| p.is_valid()));
    let district: f64 = communes.iter().map(|p| p.unsigned_area()).sum();
    let zones = read_polygons(&s.dir.join("qhsdd_2030.gpkg"), "KhuQuyHoach");
    let zone_polys: Vec<MultiPolygon> = zones
        .iter()
        .map(|(_, g)| match g {
            Geometry::MultiPolygon(m) => m.clone(),
            Geometry::Polygon(p) => MultiPolygon::new(vec![p.clone()]),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(zone_polys.iter().all(|z| z.is_valid()));
    let covered: f64 = zone_polys.iter().map(|z| z.unsigned_area()).sum();
    assert!(
        (covered - district).abs() < 1e-6 * district,
        "{covered} vs {district}"
    );
    let codes: HashSet<&str> = zones.iter().map(|(a, _)| a["MaLoaiDat"].as_str()).collect();
    assert!(codes.contains("ODT") && codes.contains("LUC"), "{codes:?}");

    // Zones ignore parcel boundaries: many parcels straddle two zones.
    let rows = read_parcels(&s.dir.join("thua_dat.shp"));
    let straddling = rows
        .iter()
        .take(2_000)
        .filter(|r| zone_polys.iter().filter(|z| z.intersects(&r.geom)).count() > 1)
        .count();
    assert!(straddling > 20, "{straddling}");

    let lines = read_polygons(&s.dir.join("qhpk_2000.gpkg"), "ChiGioiDuongDo_L");
    assert_eq!(lines.len(), s.stats.redlines);
    let cut = rows
        .iter()
        .filter(|r| r.code == "ODT" && lines.iter().any(|(_, l)| l.intersects(&r.geom)))
        .count();
    assert!(cut > 50, "{cut} lots behind red lines");
}

/// The web tests search "Vĩnh Thanh tờ 12 thửa 345" in the default district.
#[test]
fn demo_default_district_has_vinh_thanh_sheet_12_parcel_345() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let s = generate(&DemoOptions::default(), tmp.path(), &|_, _| {}).expect("generate");
    // Legacy text: read the raw bytes as Latin-1 characters, as the importer has to.
    let ds = Dataset::open_ex(
        tmp.path().join("ranh_gioi_xa.shp"),
        gdal::DatasetOptions {
            open_options: Some(&["ENCODING=ISO-8859-1"]),
            ..Default::default()
        },
    )
    .expect("communes");
    let mut layer = ds.layer(0).expect("layer");
    let vt = crate::encoding::encode_tcvn3("Vĩnh Thanh").expect("tcvn3");
    let code = layer
        .features()
        .find(|f| {
            let name = f.field_as_string(1).ok().flatten().unwrap_or_default();
            crate::encoding::legacy_bytes(&name).as_deref() == Some(vt.as_slice())
        })
        .and_then(|f| f.field_as_string(0).ok().flatten())
        .expect("Vĩnh Thanh is a commune");
    let rows = read_parcels(&tmp.path().join("thua_dat.shp"));
    let hit: Vec<&Row> = rows
        .iter()
        .filter(|r| r.commune == code && r.sheet == 12 && r.number == 345)
        .collect();
    assert!(!hit.is_empty(), "no Vĩnh Thanh tờ 12 thửa 345");
    assert!(hit[0].address.ends_with("Vĩnh Thanh"));
    assert!((19_000..22_000).contains(&s.stats.parcels), "{:?}", s.stats);
}

#[test]
#[ignore = "prints the parcel count for several sizes; timing belongs to benchmarks"]
fn demo_calibration() {
    for n in [1_000, 3_000, 10_000, 20_000, 50_000, 100_000] {
        let tmp = tempfile::tempdir().expect("temp dir");
        let t = std::time::Instant::now();
        let s = generate(
            &DemoOptions {
                parcels: n,
                seed: 1,
            },
            tmp.path(),
            &|_, _| {},
        )
        .expect("generate");
        let d = District::new(n, 1);
        let urban = d.cells.iter().filter(|c| c.urban).count();
        eprintln!(
            "{n}: {} parcels, {}x{} cells, {urban} urban, size {:.0}, {:?}, {:?}",
            s.stats.parcels,
            d.nx,
            d.ny,
            d.size,
            s.stats,
            t.elapsed()
        );
    }
}

#[test]
#[ignore = "writes a district to $DEMO_DIR (default /tmp/demo) with $DEMO_N parcels, for looking at"]
fn demo_write_for_inspection() {
    let dir = std::env::var("DEMO_DIR").unwrap_or_else(|_| "/tmp/demo".into());
    let n = std::env::var("DEMO_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let t = std::time::Instant::now();
    let s = generate(
        &DemoOptions {
            parcels: n,
            seed: 1,
        },
        Path::new(&dir),
        &|_, _| {},
    )
    .expect("generate");
    eprintln!("{:?} in {:?}", s.stats, t.elapsed());
}
