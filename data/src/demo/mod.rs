//! The synthetic demo district.
//!
//! [`generate`] writes a realistic district east of Rạch Giá (Kiên Giang) as the files a
//! Vietnamese agency would deliver: cadastral parcels and commune boundaries as Shapefiles
//! (the boundaries in legacy TCVN3 text without a `.cpg`), road centre lines without a
//! `.prj`, the district land-use plan and a 1:2000 zoning plan (Circular 16/2025/TT-BXD
//! layer names) as GeoPackages, and `plans.json` describing the plans and their decisions.
//!
//! Layout: a jittered grid of superblocks (about 800 m, smaller for small districts)
//! between roads on every grid line (Quốc lộ 80 and 61, Đường tỉnh 961 and 963, district
//! and canal-bank roads). The main town grows from the south-west corner next to Rạch Giá
//! (commune Vĩnh Thanh); its superblocks are cut by town streets into blocks of two
//! back-to-back rows of street-front lots. Other communes may have a small town at their
//! seat. Rural superblocks have house lots along the roads and farmland in bands between
//! field roads, cut into long rice and orchard strips. Communes are staggered bands of
//! superblocks; map sheets are a 1:1000 grid (about 400 × 250 m) over town superblocks and
//! a 1:2000 grid (about 1000 × 600 m) over the rest, numbered per commune from the
//! north-west, town sheets first.
//!
//! Every coordinate is VN-2000 / TM-3 zone, central meridian 104°30′, k = 0.9999,
//! x_0 = 500 000 m, in metres (easting, northing). Same seed and options, same bytes in
//! the `.shp` and `.dbf` files.

mod layout;
mod names;
mod parcels;
mod plans;
mod rng;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gdal::spatial_ref::SpatialRef;
use gdal::vector::{
    Feature, FieldDefn, Layer, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use gdal::{Dataset, DriverManager};
use geo::{Area, Centroid};
use geo_types::{LineString, Polygon};

pub use names::STREETS as STREET_NAMES;
pub use rng::Rng;

use layout::District;
use parcels::{Addr, Kind, StreetRef, Warp};
use rng::{key, unit};

/// Options of the demo district.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// About how many parcels to generate (the result is within a few per cent).
    pub parcels: usize,
    /// Seed of every random choice: same seed, same files.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            parcels: 20_000,
            seed: 1,
        }
    }
}

/// Errors of the demo generator.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// GDAL failed to create or write a file.
    #[error("GDAL: {0}")]
    Gdal(#[from] gdal::errors::GdalError),
    /// Creating the directory or writing a file failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A name could not be written in TCVN3 (a generator bug: all names are chosen to fit).
    #[error("TCVN3 encoding: {0}")]
    Encoding(#[from] crate::encoding::EncodingError),
    /// Writing plans.json failed.
    #[error("plans.json: {0}")]
    Json(#[from] serde_json::Error),
    /// plans.json does not parse as plans (a generator bug).
    #[error("plans.json: {0}")]
    Plans(#[from] crate::plans::PlanError),
    /// The store refused the plans.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Importing one of the generated sources failed.
    #[error("importing demo source {path}: {source}")]
    Import {
        /// The source file.
        path: PathBuf,
        /// Why.
        source: Box<crate::import::ImportError>,
    },
    /// A source's kind, SRS or encoding text is wrong (a generator bug).
    #[error("demo source {path}: {problem}")]
    Source {
        /// The source file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A PostGIS store refused the plans.
    #[error("{0}")]
    Postgres(String),
}

/// Records the generated plans in `store` (a directory or a `postgresql://` URL), then imports every source through the real import
/// path, in order, exactly as a user would with `quyhoach plans import` and `quyhoach import`.
/// `keep_personal` fields are kept (as `private_*` columns) in the parcels layer: tests use it
/// to prove they are never served.
pub fn import_sources(
    sources: &DemoSources,
    store: &Path,
    progress: bool,
    keep_personal: &[String],
) -> Result<Vec<crate::import::ImportReport>, DemoError> {
    let text = std::fs::read_to_string(&sources.plans_file)?;
    let plans = crate::plans::parse_plans(&text)?;
    let url = store.to_string_lossy();
    if crate::pg::is_url(&url) {
        let put = |plans: &[crate::plans::Plan]| {
            let mut c = crate::pg::connect(&url)?;
            crate::pg::ensure_schema(&mut c)?;
            crate::pg::put_plans(&mut c, plans)
        };
        put(&plans).map_err(|e| DemoError::Postgres(e.to_string()))?;
    } else {
        let mut s = crate::store::Store::open_or_create(store)?;
        let lock = s.lock()?;
        s.reload()?;
        s.put_plans(&lock, plans)?;
    }
    let mut reports = Vec::new();
    for imp in &sources.imports {
        let bad = |problem: String| DemoError::Source {
            path: imp.path.clone(),
            problem,
        };
        let encoding = match imp.encoding.as_deref() {
            None | Some("auto") => None,
            Some(e) => Some(e.parse().map_err(|e| bad(format!("{e}")))?),
        };
        let kind: crate::schema::Kind = imp.kind.parse().map_err(bad)?;
        let srs = imp.srs.parse().map_err(|e| bad(format!("{e}")))?;
        let opts = crate::import::ImportOptions {
            source_layer: imp.source_layer.clone(),
            plan: imp.plan.clone(),
            layer: Some(imp.layer.clone()),
            encoding,
            keep_personal: if kind == crate::schema::Kind::Parcels {
                keep_personal.to_vec()
            } else {
                Vec::new()
            },
            progress,
            ..crate::import::ImportOptions::new(imp.path.clone(), kind, store, srs)
        };
        let report = crate::import::import(&opts).map_err(|e| DemoError::Import {
            path: imp.path.clone(),
            source: Box::new(e),
        })?;
        reports.push(report);
    }
    Ok(reports)
}

/// One file (or layer) to import, with what the user would pass on the command line.
#[derive(Debug, Clone)]
pub struct DemoImport {
    /// Source file.
    pub path: PathBuf,
    /// Layer inside a multi-layer file (GeoPackage).
    pub source_layer: Option<String>,
    /// "parcels" | "zones" | "redlines" | "boundaries" | "roads".
    pub kind: &'static str,
    /// Store layer id, e.g. "parcels", "communes", "zones-qhsdd-2030".
    pub layer: String,
    /// What the user would pass to `--srs`: "prj" when the file carries its CRS,
    /// "vn2000:kien-giang" for the road file that has no `.prj`.
    pub srs: String,
    /// Plan id for zones and red lines.
    pub plan: Option<String>,
    /// `None`: auto-detect (the importer must find TCVN3 itself).
    pub encoding: Option<String>,
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoStats {
    pub parcels: usize,
    pub communes: usize,
    /// Map sheets over all communes.
    pub sheets: usize,
    /// Zones of all plans (district land-use plan, zoning plan and its draft).
    pub zones: usize,
    pub redlines: usize,
    pub roads: usize,
    pub parcels_with_holes: usize,
    /// Parcels whose number repeats another's in the same sheet.
    pub duplicate_parcel_numbers: usize,
    /// Parcels deliberately written as self-intersecting "bow-ties" to exercise repair.
    pub invalid_parcels: usize,
}

/// The generated sources.
#[derive(Debug, Clone)]
pub struct DemoSources {
    pub dir: PathBuf,
    /// `plans.json`: the plans and their approving decisions.
    pub plans_file: PathBuf,
    /// In import order: communes, roads, parcels, zones of each plan, red lines.
    pub imports: Vec<DemoImport>,
    pub stats: DemoStats,
}

/// ESRI WKT as ArcGIS writes it for VN-2000 / TM-3 104°30′ (no TOWGS84: the importer must
/// be told, or know, the datum shift).
pub(crate) const ESRI_PRJ: &str = concat!(
    r#"PROJCS["VN_2000_KienGiang_TM3_104_30",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000","#,
    r#"SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],"#,
    r#"UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],"#,
    r#"PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],"#,
    r#"PARAMETER["Central_Meridian",104.5],PARAMETER["Scale_Factor",0.9999],"#,
    r#"PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#
);

/// The same CRS for the GeoPackages, with the datum shift of Decision 05/2007/QĐ-BTNMT.
pub(crate) const PROJ4: &str = "+proj=tmerc +lat_0=0 +lon_0=104.5 +k=0.9999 +x_0=500000 +y_0=0 \
     +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,\
     0.00427372,0.252906278 +units=m +no_defs";

/// Fixed DBF header date so the same options give the same bytes on any day.
const DBF_DATE: &str = "DBF_DATE_LAST_UPDATE=2024-01-01";

const PARCELS_FILE: &str = "thua_dat";
const COMMUNES_FILE: &str = "ranh_gioi_xa";
const ROADS_FILE: &str = "duong_giao_thong";
const LAND_USE_FILE: &str = "qhsdd_2030.gpkg";
const ZONING_FILE: &str = "qhpk_2000.gpkg";
const DRAFT_FILE: &str = "qhpk_2000_dc.gpkg";

/// Writes the source files into `dir` (created if needed); deterministic for a seed (same
/// bytes in the .shp/.dbf for the same options). `progress` is called with (done, total)
/// parcels so the CLI can show a bar.
pub fn generate(
    opts: &DemoOptions,
    dir: &Path,
    progress: &dyn Fn(u64, u64),
) -> Result<DemoSources, DemoError> {
    std::fs::create_dir_all(dir)?;
    clean(dir)?;
    let d = District::new(opts.parcels, opts.seed);
    let mut stats = DemoStats {
        communes: d.communes.len(),
        ..DemoStats::default()
    };

    write_communes(&d, dir)?;
    let roads = plans::roads(&d);
    stats.roads = roads.len();
    write_roads(&roads, dir)?;
    write_parcels(&d, opts, dir, progress, &mut stats)?;

    let target = (opts.parcels / 60).max(40);
    let land_use = plans::land_use_zones(&d, target);
    let (zones, redlines, draft) = plans::zoning(&d);
    stats.zones = land_use.len() + zones.len() + draft.len();
    stats.redlines = redlines.len();
    write_land_use(&land_use, &dir.join(LAND_USE_FILE))?;
    write_zoning(&zones, Some(&redlines), &dir.join(ZONING_FILE))?;
    write_zoning(&draft, None, &dir.join(DRAFT_FILE))?;
    let plans_file = dir.join("plans.json");
    std::fs::write(&plans_file, serde_json::to_vec_pretty(&plans_json(&d))?)?;

    Ok(DemoSources {
        dir: dir.to_path_buf(),
        plans_file,
        imports: import_list(dir),
        stats,
    })
}

/// The sources [`generate`] wrote into `dir` earlier (e.g. a demo store's `sources/`), to
/// import them again elsewhere; their statistics are not known (zero).
pub fn sources_at(dir: &Path) -> Result<DemoSources, DemoError> {
    let imports = import_list(dir);
    for imp in &imports {
        if !imp.path.is_file() {
            return Err(DemoError::Source {
                path: imp.path.clone(),
                problem: "missing: generate the demo sources first".into(),
            });
        }
    }
    Ok(DemoSources {
        dir: dir.to_path_buf(),
        plans_file: dir.join("plans.json"),
        imports,
        stats: DemoStats::default(),
    })
}

/// The imports of the sources in `dir`, in order.
fn import_list(dir: &Path) -> Vec<DemoImport> {
    let import = |file: &str,
                  source_layer: Option<&str>,
                  kind,
                  layer: &str,
                  srs: &str,
                  plan: Option<&str>| {
        DemoImport {
            path: dir.join(file),
            source_layer: source_layer.map(str::to_string),
            kind,
            layer: layer.to_string(),
            srs: srs.to_string(),
            plan: plan.map(str::to_string),
            encoding: None,
        }
    };
    vec![
        import(
            "ranh_gioi_xa.shp",
            None,
            "boundaries",
            "communes",
            "prj",
            None,
        ),
        import(
            "duong_giao_thong.shp",
            None,
            "roads",
            "roads",
            "vn2000:kien-giang",
            None,
        ),
        import("thua_dat.shp", None, "parcels", "parcels", "prj", None),
        import(
            LAND_USE_FILE,
            Some("KhuQuyHoach"),
            "zones",
            "zones-qhsdd-2030",
            "prj",
            Some("qhsdd-2030"),
        ),
        import(
            ZONING_FILE,
            Some("SuDungDat_A"),
            "zones",
            "zones-qhpk-2000",
            "prj",
            Some("qhpk-2000"),
        ),
        import(
            DRAFT_FILE,
            Some("SuDungDat_A"),
            "zones",
            "zones-qhpk-2000-dc",
            "prj",
            Some("qhpk-2000-dc"),
        ),
        import(
            ZONING_FILE,
            Some("ChiGioiDuongDo_L"),
            "redlines",
            "redlines-qhpk-2000",
            "prj",
            Some("qhpk-2000"),
        ),
    ]
}

/// Removes files of an earlier run (GDAL will not overwrite them).
fn clean(dir: &Path) -> Result<(), DemoError> {
    for base in [PARCELS_FILE, COMMUNES_FILE, ROADS_FILE] {
        for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
            remove(&dir.join(format!("{base}.{ext}")))?;
        }
    }
    for f in [LAND_USE_FILE, ZONING_FILE, DRAFT_FILE, "plans.json"] {
        remove(&dir.join(f))?;
    }
    Ok(())
}

fn remove(path: &Path) -> Result<(), DemoError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// A field: name, type, width (0 = driver default), precision.
type FieldSpec = (&'static str, OGRFieldType::Type, i32, i32);

/// Creates a layer with its fields.
fn new_layer<'a>(
    ds: &'a mut Dataset,
    options: LayerOptions<'_>,
    fields: &[FieldSpec],
) -> Result<Layer<'a>, DemoError> {
    let layer = ds.create_layer(options)?;
    for &(name, ty, width, precision) in fields {
        let f = FieldDefn::new(name, ty)?;
        if width > 0 {
            f.set_width(width);
            f.set_precision(precision);
        }
        f.add_to_layer(&layer)?;
    }
    Ok(layer)
}

/// A new GeoPackage at `path` and the demo's VN-2000 reference system for its layers.
fn geopackage(path: &Path) -> Result<(Dataset, SpatialRef), DemoError> {
    let driver = DriverManager::get_driver_by_name("GPKG")?;
    Ok((
        driver.create_vector_only(path)?,
        SpatialRef::from_proj4(PROJ4)?,
    ))
}

fn shapefile(dir: &Path, base: &str) -> Result<Dataset, DemoError> {
    let driver = DriverManager::get_driver_by_name("ESRI Shapefile")?;
    Ok(driver.create_vector_only(dir.join(format!("{base}.shp")))?)
}

/// Commune boundaries with TCVN3 text and no `.cpg`, as legacy files come. GDAL only takes
/// UTF-8, so each TCVN3 byte goes in as the Latin-1 character of the same value and the
/// layer is created with ENCODING=ISO-8859-1: GDAL writes the bytes back unchanged.
fn write_communes(d: &District, dir: &Path) -> Result<(), DemoError> {
    let latin1 = |s: &str| -> Result<String, DemoError> {
        Ok(crate::encoding::encode_tcvn3(s)?
            .into_iter()
            .map(char::from)
            .collect())
    };
    {
        let mut ds = shapefile(dir, COMMUNES_FILE)?;
        let layer = new_layer(
            &mut ds,
            LayerOptions {
                name: COMMUNES_FILE,
                srs: None,
                ty: OGRwkbGeometryType::wkbPolygon,
                options: Some(&["ENCODING=ISO-8859-1", DBF_DATE]),
            },
            &[
                ("MaXa", OGRFieldType::OFTString, 5, 0),
                ("TenXa", OGRFieldType::OFTString, 50, 0),
                ("Loai", OGRFieldType::OFTString, 20, 0),
            ],
        )?;
        for (c, commune) in d.communes.iter().enumerate() {
            let mut f = Feature::new(layer.defn())?;
            f.set_field_string(0, &commune.code)?;
            f.set_field_string(1, &latin1(&commune.name)?)?;
            f.set_field_string(2, &latin1(commune.kind)?)?;
            f.set_geometry(d.commune_polygon(c).to_gdal()?)?;
            f.create(&layer)?;
        }
    }
    remove(&dir.join(format!("{COMMUNES_FILE}.cpg")))?;
    std::fs::write(dir.join(format!("{COMMUNES_FILE}.prj")), ESRI_PRJ)?;
    Ok(())
}

/// Road centre lines, UTF-8 with a `.cpg` but no `.prj`.
fn write_roads(roads: &[plans::RoadLine], dir: &Path) -> Result<(), DemoError> {
    let mut ds = shapefile(dir, ROADS_FILE)?;
    let layer = new_layer(
        &mut ds,
        LayerOptions {
            name: ROADS_FILE,
            srs: None,
            ty: OGRwkbGeometryType::wkbLineString,
            options: Some(&["ENCODING=UTF-8", DBF_DATE]),
        },
        &[
            ("TenDuong", OGRFieldType::OFTString, 80, 0),
            ("LoaiDuong", OGRFieldType::OFTString, 30, 0),
            ("RongHT", OGRFieldType::OFTReal, 6, 1),
        ],
    )?;
    for r in roads {
        let mut f = Feature::new(layer.defn())?;
        f.set_field_string(0, &r.name)?;
        f.set_field_string(1, r.class)?;
        f.set_field_double(2, r.width)?;
        f.set_geometry(r.geom.to_gdal()?)?;
        f.create(&layer)?;
    }
    Ok(())
}

/// A parcel waiting for its sheet and number.
struct Rec {
    poly: Polygon,
    cx: f64,
    cy: f64,
    area: f64,
    code: &'static str,
    kind: Kind,
    addr: Addr,
    urban: bool,
    hamlet: usize,
}

/// A map-sheet grid over a rectangle: columns west to east, rows north to south.
struct SheetGrid {
    x0: f64,
    y1: f64,
    w: f64,
    h: f64,
    cols: usize,
    rows: usize,
}

impl SheetGrid {
    /// A grid of about `sw` × `sh` metre sheets fitted to the bounding box.
    fn new(bbox: (f64, f64, f64, f64), sw: f64, sh: f64) -> SheetGrid {
        let (x0, y0, x1, y1) = bbox;
        let cols = ((x1 - x0) / sw).ceil().max(1.0) as usize;
        let rows = ((y1 - y0) / sh).ceil().max(1.0) as usize;
        SheetGrid {
            x0,
            y1,
            w: (x1 - x0) / cols as f64,
            h: (y1 - y0) / rows as f64,
            cols,
            rows,
        }
    }

    fn cell(&self, x: f64, y: f64) -> (usize, usize) {
        let col = (((x - self.x0) / self.w).floor().max(0.0) as usize).min(self.cols - 1);
        let row = (((self.y1 - y) / self.h).floor().max(0.0) as usize).min(self.rows - 1);
        (row, col)
    }
}

fn bbox_of(
    d: &District,
    cells: impl Iterator<Item = (usize, usize)>,
) -> Option<(f64, f64, f64, f64)> {
    let mut b: Option<(f64, f64, f64, f64)> = None;
    for (i, j) in cells {
        let q = d.quad(i, j);
        for c in [q.sw, q.se, q.ne, q.nw] {
            b = Some(match b {
                None => (c.x, c.y, c.x, c.y),
                Some((a, e, f, g)) => (a.min(c.x), e.min(c.y), f.max(c.x), g.max(c.y)),
            });
        }
    }
    b
}

/// How many of the first inner parcels are written as bow-ties.
const BOW_TIES: usize = 3;

/// Parcels, one commune at a time: generate, give sheets and numbers, write, forget.
fn write_parcels(
    d: &District,
    opts: &DemoOptions,
    dir: &Path,
    progress: &dyn Fn(u64, u64),
    stats: &mut DemoStats,
) -> Result<(), DemoError> {
    {
        let mut ds = shapefile(dir, PARCELS_FILE)?;
        let layer = new_layer(
            &mut ds,
            LayerOptions {
                name: PARCELS_FILE,
                srs: None,
                ty: OGRwkbGeometryType::wkbPolygon,
                options: Some(&["ENCODING=UTF-8", DBF_DATE]),
            },
            &[
                ("MaXa", OGRFieldType::OFTString, 5, 0),
                ("SoTo", OGRFieldType::OFTInteger, 4, 0),
                ("SoThua", OGRFieldType::OFTInteger, 6, 0),
                ("DienTich", OGRFieldType::OFTReal, 12, 1),
                ("LoaiDat", OGRFieldType::OFTString, 12, 0),
                ("DiaChi", OGRFieldType::OFTString, 120, 0),
                ("TenChu", OGRFieldType::OFTString, 60, 0),
                ("SoCCCD", OGRFieldType::OFTString, 12, 0),
            ],
        )?;
        let total = opts.parcels as u64;
        let mut done = 0u64;
        for (c, commune) in d.communes.iter().enumerate() {
            let recs = commune_parcels(d, c, stats);
            let order = number(d, c, &recs, stats);
            for (idx, sheet, no) in order {
                let r = &recs[idx];
                let mut f = Feature::new(layer.defn())?;
                f.set_field_string(0, &commune.code)?;
                f.set_field_integer(1, sheet as i32)?;
                f.set_field_integer(2, no as i32)?;
                f.set_field_double(3, (r.area * 10.0).round() / 10.0)?;
                f.set_field_string(4, r.code)?;
                f.set_field_string(5, &address(d, c, r))?;
                if matches!(r.kind, Kind::Public | Kind::Road) {
                    let who = format!("UBND {} {}", commune.kind.to_lowercase(), commune.name);
                    f.set_field_string(6, &who)?;
                } else {
                    let (name, id) =
                        names::owner(key(&[d.seed, 50, c as u64, sheet as u64, idx as u64]));
                    f.set_field_string(6, &name)?;
                    f.set_field_string(7, &id)?;
                }
                f.set_geometry(r.poly.to_gdal()?)?;
                f.create(&layer)?;
            }
            done += recs.len() as u64;
            stats.parcels += recs.len();
            progress(done, total.max(done));
        }
    }
    std::fs::write(dir.join(format!("{PARCELS_FILE}.prj")), ESRI_PRJ)?;
    Ok(())
}

/// All parcels of commune `c`, in world coordinates.
fn commune_parcels(d: &District, c: usize, stats: &mut DemoStats) -> Vec<Rec> {
    let mut recs = Vec::new();
    for &(i, j) in &d.communes[c].cells {
        let cell = d.cell(i, j);
        let q = d.quad(i, j);
        let local = if cell.urban {
            let plan = parcels::urban_plan(d, i, j, &q);
            parcels::urban_parcels(d, i, j, &plan)
        } else {
            parcels::rural_parcels(d, i, j, &q)
        };
        let warp = Warp {
            quad: &q,
            key: key(&[d.seed, 20, i as u64, j as u64]),
            jitter: if cell.urban { 0.12 } else { 0.3 },
            bend: if cell.urban { 4 } else { 10 },
        };
        let polys = parcels::to_world(&local, &warp);
        for (p, mut poly) in local.into_iter().zip(polys) {
            let area = poly.unsigned_area();
            let Some(centre) = poly.centroid() else {
                continue;
            };
            if p.hole.is_some() {
                stats.parcels_with_holes += 1;
            }
            if p.kind == Kind::Inner && stats.invalid_parcels < BOW_TIES {
                poly = bow_tie(&poly);
                stats.invalid_parcels += 1;
            }
            recs.push(Rec {
                poly,
                cx: centre.x(),
                cy: centre.y(),
                area,
                code: p.code,
                kind: p.kind,
                addr: p.addr,
                urban: cell.urban,
                hamlet: cell.hamlet,
            });
        }
    }
    recs
}

/// A self-intersecting "bow-tie" through the four corners of a (near-rectangular) parcel:
/// south-west, north-east, south-east, north-west.
pub(crate) fn bow_tie(p: &Polygon) -> Polygon {
    let cs = &p.exterior().0;
    let by = |f: &dyn Fn(&geo_types::Coord) -> f64| {
        cs.iter()
            .copied()
            .max_by(|a, b| f(a).total_cmp(&f(b)))
            .unwrap_or_default()
    };
    let sw = by(&|c| -(c.x + c.y));
    let ne = by(&|c| c.x + c.y);
    let se = by(&|c| c.x - c.y);
    let nw = by(&|c| c.y - c.x);
    Polygon::new(LineString::new(vec![sw, ne, se, nw, sw]), vec![])
}

/// Sheets and parcel numbers of one commune: sheets numbered town (1:1000) first, then
/// rural (1:2000), each from the north-west row by row; parcels numbered within their
/// sheet in bands from the north, west to east. About 0.3 % repeat the previous number.
/// Returns (index into `recs`, sheet, parcel number) in writing order.
fn number(
    d: &District,
    c: usize,
    recs: &[Rec],
    stats: &mut DemoStats,
) -> Vec<(usize, usize, usize)> {
    let commune = &d.communes[c];
    let all = bbox_of(d, commune.cells.iter().copied()).unwrap_or((0.0, 0.0, 1.0, 1.0));
    let town = bbox_of(
        d,
        commune
            .cells
            .iter()
            .copied()
            .filter(|&(i, j)| d.cell(i, j).urban),
    )
    .unwrap_or(all);
    let grids = [
        SheetGrid::new(town, 400.0, 250.0),
        SheetGrid::new(all, 1000.0, 600.0),
    ];
    // (scale, sheet row, sheet column, band in the sheet, easting in dm) → parcel index.
    type SortKey = (usize, usize, usize, i64, i64);
    let mut keyed: Vec<(SortKey, usize)> = recs
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let scale = usize::from(!r.urban);
            let g = &grids[scale];
            let (row, col) = g.cell(r.cx, r.cy);
            let top = g.y1 - row as f64 * g.h;
            let band = ((top - r.cy) / (g.h / 8.0)).floor() as i64;
            ((scale, row, col, band, (r.cx * 10.0) as i64), k)
        })
        .collect();
    keyed.sort_unstable();
    let mut out = Vec::with_capacity(recs.len());
    let mut sheets: HashMap<(usize, usize, usize), usize> = HashMap::new();
    let mut last_sheet = None;
    let mut no = 0;
    for (pos, ((scale, row, col, _, _), k)) in keyed.into_iter().enumerate() {
        let next = sheets.len() + 1;
        let sheet = *sheets.entry((scale, row, col)).or_insert(next);
        if last_sheet != Some(sheet) {
            last_sheet = Some(sheet);
            no = 0;
        }
        let dup = no > 0 && unit(key(&[d.seed, 60, c as u64, pos as u64])) < 0.003;
        if dup {
            stats.duplicate_parcel_numbers += 1;
        } else {
            no += 1;
        }
        out.push((k, sheet, no));
    }
    stats.sheets += sheets.len();
    out
}

fn address(d: &District, c: usize, r: &Rec) -> String {
    let commune = &d.communes[c];
    match r.addr {
        Addr::Street(s, n) => {
            let street = match s {
                StreetRef::Town(id) => d.streets[id].as_str(),
                StreetRef::HLine(j) => d.hroads[j].name.as_str(),
                StreetRef::VLine(i) => d.vroads[i].name.as_str(),
            };
            if r.urban {
                format!("{n} {street}, {}", commune.name)
            } else {
                format!("{n} {street}, ấp {}, {}", r.hamlet, commune.name)
            }
        }
        Addr::Hamlet if r.urban => format!("Khu phố {}, {}", r.hamlet, commune.name),
        Addr::Hamlet => format!("Ấp {}, {}", r.hamlet, commune.name),
    }
}

fn write_land_use(zones: &[plans::LandUseZone], path: &Path) -> Result<(), DemoError> {
    let (mut ds, srs) = geopackage(path)?;
    new_layer(
        &mut ds,
        LayerOptions {
            name: "KhuQuyHoach",
            srs: Some(&srs),
            ty: OGRwkbGeometryType::wkbMultiPolygon,
            options: None,
        },
        &[
            ("MaKhu", OGRFieldType::OFTString, 0, 0),
            ("MaLoaiDat", OGRFieldType::OFTString, 0, 0),
            ("TenKhu", OGRFieldType::OFTString, 0, 0),
        ],
    )?;
    let txn = ds.start_transaction()?;
    {
        let layer = txn.layer_by_name("KhuQuyHoach")?;
        for z in zones {
            let mut f = Feature::new(layer.defn())?;
            f.set_field_string(0, &z.id)?;
            f.set_field_string(1, z.code)?;
            f.set_field_string(2, &z.name)?;
            f.set_geometry(z.geom.to_gdal()?)?;
            f.create(&layer)?;
        }
    }
    txn.commit()?;
    Ok(())
}

/// A zoning plan's GeoPackage with Circular 16/2025/TT-BXD layer names.
fn write_zoning(
    zones: &[plans::PlanZone],
    redlines: Option<&[plans::RedLine]>,
    path: &Path,
) -> Result<(), DemoError> {
    let (mut ds, srs) = geopackage(path)?;
    new_layer(
        &mut ds,
        LayerOptions {
            name: "SuDungDat_A",
            srs: Some(&srs),
            ty: OGRwkbGeometryType::wkbPolygon,
            options: None,
        },
        &[
            ("maThongTinQH", OGRFieldType::OFTString, 0, 0),
            ("maHoSoQH", OGRFieldType::OFTString, 0, 0),
            ("kyHieuSDD", OGRFieldType::OFTString, 0, 0),
            ("matDoXD", OGRFieldType::OFTReal, 0, 0),
            ("tangCaoMin", OGRFieldType::OFTInteger, 0, 0),
            ("tangCaoMax", OGRFieldType::OFTInteger, 0, 0),
            ("heSoSDD", OGRFieldType::OFTReal, 0, 0),
            ("chieuCaoMax", OGRFieldType::OFTReal, 0, 0),
            ("tenLo", OGRFieldType::OFTString, 0, 0),
        ],
    )?;
    if redlines.is_some() {
        new_layer(
            &mut ds,
            LayerOptions {
                name: "ChiGioiDuongDo_L",
                srs: Some(&srs),
                ty: OGRwkbGeometryType::wkbLineString,
                options: None,
            },
            &[
                ("maThongTinQH", OGRFieldType::OFTString, 0, 0),
                ("maHoSoQH", OGRFieldType::OFTString, 0, 0),
                ("tenDuong", OGRFieldType::OFTString, 0, 0),
                ("loGioi", OGRFieldType::OFTReal, 0, 0),
            ],
        )?;
    }
    let txn = ds.start_transaction()?;
    {
        let layer = txn.layer_by_name("SuDungDat_A")?;
        for z in zones {
            let mut f = Feature::new(layer.defn())?;
            f.set_field_string(0, &z.id)?;
            f.set_field_string(1, z.plan)?;
            f.set_field_string(2, z.code)?;
            let opt_f = |f: &mut Feature, i: usize, v: Option<f64>| match v {
                Some(v) => f.set_field_double(i, v),
                None => f.set_field_null(i),
            };
            let opt_i = |f: &mut Feature, i: usize, v: Option<i32>| match v {
                Some(v) => f.set_field_integer(i, v),
                None => f.set_field_null(i),
            };
            opt_f(&mut f, 3, z.density)?;
            opt_i(&mut f, 4, z.floors_min)?;
            opt_i(&mut f, 5, z.floors_max)?;
            opt_f(&mut f, 6, z.far)?;
            opt_f(&mut f, 7, z.height)?;
            f.set_field_string(8, &z.block)?;
            f.set_geometry(z.geom.to_gdal()?)?;
            f.create(&layer)?;
        }
        if let Some(lines) = redlines {
            let layer = txn.layer_by_name("ChiGioiDuongDo_L")?;
            for l in lines {
                let mut f = Feature::new(layer.defn())?;
                f.set_field_string(0, &l.id)?;
                f.set_field_string(1, "qhpk-2000")?;
                f.set_field_string(2, &l.street)?;
                f.set_field_double(3, l.width)?;
                f.set_geometry(l.geom.to_gdal()?)?;
                f.create(&layer)?;
            }
        }
    }
    txn.commit()?;
    Ok(())
}

/// plans.json: the plans and their approving decisions (read by `plans import`).
fn plans_json(d: &District) -> serde_json::Value {
    let town = &d.communes[0].name;
    serde_json::json!([
        {
            "id": "qhsdd-2030",
            "name": "Quy hoạch sử dụng đất thời kỳ 2021–2030 huyện Châu Thành",
            "level": "district_land_use",
            "decision": {"number": "1195/QĐ-UBND", "date": "2022-05-20", "authority": "UBND tỉnh Kiên Giang"},
            "status": "in_force",
            "valid_from": "2022-05-20",
            "valid_to": "2030-12-31",
            "document_url": null
        },
        {
            "id": "qhpk-2000",
            "name": format!("Quy hoạch phân khu tỷ lệ 1/2000 khu đô thị mới {town}"),
            "level": "zoning_2000",
            "decision": {"number": "2341/QĐ-UBND", "date": "2023-10-12", "authority": "UBND tỉnh Kiên Giang"},
            "status": "in_force",
            "valid_from": "2023-10-12",
            "valid_to": null,
            "document_url": null
        },
        {
            "id": "qhpk-2000-dc",
            "name": format!("Điều chỉnh cục bộ quy hoạch phân khu tỷ lệ 1/2000 khu đô thị mới {town} (dự thảo lấy ý kiến)"),
            "level": "zoning_2000",
            "decision": {"number": "85/TTr-UBND", "date": "2025-03-10", "authority": "UBND huyện Châu Thành"},
            "status": "draft",
            "valid_from": null,
            "valid_to": null,
            "document_url": null
        }
    ])
}
