//! Sample files of the data-preparation lesson's practice import, generated from the store's
//! own parcels so that the lesson works on any province's store.
//!
//! Each sample is a zipped Shapefile of [`SAMPLE_PARCELS`] real parcels of the store, next to
//! each other, in VN-2000 TM-3 of the store's province, written with GDAL the way agencies'
//! files come:
//! - [`TCVN3_SAMPLE`]: agency-style field names (`MAXA`, `SOTO`, `SOTHUA`, `DIENTICH`, `MDSD`,
//!   `DIACHI`, and `TENCHU`, the owner's name: personal data the import must not publish),
//!   texts in TCVN3 (ABC) with no `.cpg`, **no `.prj`** (the trainee must choose the SRS), and
//!   one self-intersecting "bow-tie" parcel that the import repairs;
//! - [`VNI_SAMPLE`]: texts in VNI, a `.prj` (ESRI WKT, as ArcGIS writes it), and field names
//!   no mapping profile knows for the sheet and the parcel number (`TO_SO`, `SO_HIEU`), so the
//!   import needs `map=sheet=TO_SO` and `map=parcel=SO_HIEU`; two personal fields
//!   (`CHUSUDUNG`, `DIEN_THOAI`; DBF names have at most 10 letters).
//!
//! The bytes depend only on the store's data (fixed DBF date, fixed zip times, parcels picked
//! by position, owners' names drawn from a seed): one data version, one set of files. The
//! owners' names and phone numbers are made up here; the store holds none.

use std::io::Write;
use std::path::Path;

use gdal::vector::{
    FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use gdal::DriverManager;
use geo::BoundingRect;
use geo_types::{Coord, Geometry, LineString, Polygon};

use crate::demo::Rng;
use crate::encoding::{encode_tcvn3, encode_vni, TextEncoding};
use crate::lookup::Store;
use crate::schema::Kind;
use crate::srs::{find_province, provinces, Province, ResolvedSrs, SrsSpec};

/// Parcels in each sample.
pub const SAMPLE_PARCELS: usize = 20;
/// The TCVN3 sample without a `.prj`, with a bow-tie parcel.
pub const TCVN3_SAMPLE: &str = "thua-dat-tcvn3.zip";
/// The VNI sample with a `.prj` and field names that need mapping.
pub const VNI_SAMPLE: &str = "thua-dat-vni.zip";
/// Every sample's file name.
pub const SAMPLE_NAMES: [&str; 2] = [TCVN3_SAMPLE, VNI_SAMPLE];

/// Most features a practice upload may hold: a lesson's file is a few dozen parcels; a
/// commune's worth is still welcome, a province's is not.
pub const MAX_PRACTICE_FEATURES: u64 = 10_000;
/// Most vertices of a practice upload, all features together (bounded from each geometry's
/// WKB size before any geometry is parsed).
pub const MAX_PRACTICE_VERTICES: usize = 50_000;

/// Refuses an upload written at `path` that holds more than [`MAX_PRACTICE_FEATURES`]
/// features or [`MAX_PRACTICE_VERTICES`] vertices, counted with only `driver` allowed to open
/// it, before the import reads it. A file GDAL cannot open passes: the import then says why
/// in its own words.
pub fn check_practice_size(path: &Path, driver: &str) -> Result<(), String> {
    crate::import::take_gdal_errors();
    let Ok(ds) = gdal::Dataset::open_ex(
        path,
        gdal::DatasetOptions {
            open_flags: gdal::GdalOpenFlags::GDAL_OF_VECTOR | gdal::GdalOpenFlags::GDAL_OF_READONLY,
            allowed_drivers: Some(&[driver]),
            open_options: None,
            sibling_files: None,
        },
    ) else {
        crate::import::take_gdal_errors();
        return Ok(());
    };
    let mut features = 0u64;
    let mut vertices = 0usize;
    for mut layer in ds.layers() {
        for f in layer.features() {
            features += 1;
            if features > MAX_PRACTICE_FEATURES {
                return Err(format!(
                    "the file holds more than {MAX_PRACTICE_FEATURES} features; the practice import takes small files (a few dozen parcels is plenty)"
                ));
            }
            // 16 bytes per 2D vertex bounds the count from above.
            vertices += f
                .geometry()
                .filter(|g| !crate::import::geometry_is_null(g))
                .and_then(|g| g.wkb().ok())
                .map_or(0, |w| w.len() / 16);
            if vertices > MAX_PRACTICE_VERTICES {
                return Err(format!(
                    "the file's geometries have more than {MAX_PRACTICE_VERTICES} vertices; the practice import takes small files (simplify it or send fewer features)"
                ));
            }
        }
    }
    crate::import::take_gdal_errors();
    Ok(())
}

/// Why samples cannot be made from a store.
#[derive(Debug, thiserror::Error)]
pub enum PracticeError {
    /// The store has no parcels (or too few simple ones).
    #[error("the store has no parcels layer with at least {SAMPLE_PARCELS} simple parcels")]
    NoParcels,
    /// The store's parcels lie in no known province.
    #[error("the store's parcels lie in no province of the VN-2000 meridian table")]
    NoProvince,
    /// GDAL or PROJ failed.
    #[error("writing the sample: {0}")]
    Gdal(String),
    /// A file could not be written or read back.
    #[error("writing the sample: {0}")]
    Io(#[from] std::io::Error),
}

impl From<gdal::errors::GdalError> for PracticeError {
    fn from(e: gdal::errors::GdalError) -> Self {
        PracticeError::Gdal(e.to_string())
    }
}

impl From<crate::srs::SrsError> for PracticeError {
    fn from(e: crate::srs::SrsError) -> Self {
        PracticeError::Gdal(e.to_string())
    }
}

/// One generated sample and how it is meant to be imported.
#[derive(Debug, Clone)]
pub struct Sample {
    /// File name (one of [`SAMPLE_NAMES`]).
    pub name: &'static str,
    /// The zip's bytes.
    pub bytes: Vec<u8>,
    /// The `srs` that reads it right (`vn2000:<province>` or `prj`).
    pub srs: String,
    /// The `map=TARGET=SOURCE` pairs it needs.
    pub mappings: Vec<(String, String)>,
    /// The encoding its texts are written in.
    pub encoding: TextEncoding,
    /// Its personal-data fields.
    pub personal_fields: Vec<&'static str>,
    /// The store's province, whose TM-3 zone the coordinates are in.
    pub province: &'static Province,
    /// How many parcels were made self-intersecting.
    pub bow_ties: usize,
}

/// The province of the store's parcels: the one its parcels layer was imported with
/// (`vn2000:<province>`), else the one whose box holds the parcels' centre and whose meridian
/// is the one the source was in (the smallest such box), else the smallest box holding it.
pub fn store_province(index: &dyn Store) -> Option<&'static Province> {
    let entry = parcels_layer(index).and_then(|l| index.layer_entry(l))?;
    if let Some(p) = entry
        .source
        .srs
        .strip_prefix("vn2000:")
        .and_then(find_province)
    {
        return Some(p);
    }
    let [w, s, e, n] = entry.bounds;
    let (cx, cy) = ((w + e) / 2.0, (s + n) / 2.0);
    let meridian: Option<f64> = entry
        .source
        .srs_definition
        .split_whitespace()
        .find_map(|p| p.strip_prefix("+lon_0="))
        .and_then(|v| v.parse().ok());
    let holding = |p: &&Province| {
        p.bounds
            .is_some_and(|b| (b[0]..=b[2]).contains(&cx) && (b[1]..=b[3]).contains(&cy))
    };
    let area = |p: &&'static Province| p.bounds.map_or(f64::MAX, |b| (b[2] - b[0]) * (b[3] - b[1]));
    let smallest = |it: Vec<&'static Province>| {
        it.into_iter()
            .min_by(|a, b| area(a).total_cmp(&area(b)).then(a.slug.cmp(&b.slug)))
    };
    let with_meridian: Vec<&'static Province> = provinces()
        .iter()
        .filter(holding)
        .filter(|p| meridian.is_some_and(|m| (p.meridian - m).abs() < 1e-6))
        .collect();
    smallest(with_meridian).or_else(|| smallest(provinces().iter().filter(holding).collect()))
}

/// The store's first parcels layer.
fn parcels_layer(index: &dyn Store) -> Option<&str> {
    index.layer_ids().into_iter().find(|l| {
        index
            .layer_entry(l)
            .is_some_and(|e| e.kind == Kind::Parcels)
    })
}

/// A parcel picked for the samples, in WGS 84.
struct Picked {
    poly: Polygon<f64>,
    commune: String,
    sheet: i64,
    parcel: i64,
    area: f64,
    landuse: String,
    address: String,
}

/// [`SAMPLE_PARCELS`] neighbouring simple parcels (one polygon, no hole, at most 64 vertices)
/// around the parcel in the middle of the layer's order.
fn pick_parcels(index: &dyn Store) -> Result<Vec<Picked>, PracticeError> {
    let layer = parcels_layer(index).ok_or(PracticeError::NoParcels)?;
    let entry = index.layer_entry(layer).ok_or(PracticeError::NoParcels)?;
    if (entry.count as usize) < SAMPLE_PARCELS {
        return Err(PracticeError::NoParcels);
    }
    let simple = |g: &Geometry<f64>| -> Option<Polygon<f64>> {
        let p = match g {
            Geometry::Polygon(p) => p.clone(),
            Geometry::MultiPolygon(mp) if mp.0.len() == 1 => mp.0[0].clone(),
            _ => return None,
        };
        (p.interiors().is_empty() && (5..=65).contains(&p.exterior().0.len())).then_some(p)
    };
    let centre_of = |p: &Polygon<f64>| p.bounding_rect().map(|r| r.center());
    // The middle parcel of the layer that is simple, looking forward from the middle.
    let mut centre = None;
    let mid = entry.count as u32 / 2;
    for id in (mid..entry.count as u32).chain(0..mid).take(5000) {
        if let Ok(Some(f)) = index.feature(layer, id) {
            if let Some(c) = simple(&f.geometry).as_ref().and_then(centre_of) {
                centre = Some(c);
                break;
            }
        }
    }
    let c = centre.ok_or(PracticeError::NoParcels)?;
    let mut r = 0.001;
    while r <= 0.1 {
        let (page, _) = index
            .features_in_bbox(layer, Some([c.x - r, c.y - r, c.x + r, c.y + r]), 1000, 0)
            .map_err(|e| PracticeError::Gdal(e.to_string()))?;
        let mut found: Vec<(f64, u32, Picked)> = page
            .into_iter()
            .filter_map(|f| {
                let poly = simple(&f.geometry)?;
                let pc = centre_of(&poly)?;
                let prop = |k: &str| f.properties.get(k);
                let text = |k: &str| prop(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                let int = |k: &str| prop(k).and_then(|v| v.as_i64());
                let area = prop("area_declared_m2")
                    .and_then(|v| v.as_f64())
                    .or_else(|| prop("area_m2").and_then(|v| v.as_f64()))?;
                let d = (pc.x - c.x).hypot(pc.y - c.y);
                Some((
                    d,
                    f.id,
                    Picked {
                        poly,
                        commune: text("commune_code"),
                        sheet: int("sheet")?,
                        parcel: int("parcel")?,
                        area,
                        landuse: text("landuse"),
                        address: text("address"),
                    },
                ))
            })
            .filter(|(_, _, p)| !p.commune.is_empty() && p.commune.len() <= 10)
            .collect();
        if found.len() >= SAMPLE_PARCELS {
            found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            found.truncate(SAMPLE_PARCELS);
            // In the order of the store, as an agency's export would be.
            found.sort_by_key(|f| f.1);
            return Ok(found.into_iter().map(|f| f.2).collect());
        }
        r *= 2.0;
    }
    Err(PracticeError::NoParcels)
}

/// Made-up owners: family, middle and given names (every capital untoned, as TCVN3 has no
/// toned capitals).
const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô",
];
const MIDDLE: &[&str] = &["Văn", "Thị", "Minh", "Ngọc", "Hữu", "Thanh", "Quốc"];
const GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Hạnh", "Hoa", "Khánh", "Lan", "Long", "Mai", "Nam", "Phúc",
    "Quang", "Tâm", "Thảo", "Trung", "Yến", "Hùng", "Tuấn", "Ngân",
];

fn owner(rng: &mut Rng) -> String {
    format!(
        "{} {} {}",
        FAMILY[rng.below(FAMILY.len())],
        MIDDLE[rng.below(MIDDLE.len())],
        GIVEN[rng.below(GIVEN.len())]
    )
}

/// Text in a legacy encoding as GDAL takes it (each byte as the Latin-1 character of the same
/// value, written with ENCODING=ISO-8859-1). A character the encoding lacks (TCVN3 has no
/// toned capitals) is written in lower case, or without its marks.
fn legacy(s: &str, enc: TextEncoding) -> String {
    let encode = |t: &str| match enc {
        TextEncoding::Vni => encode_vni(t).ok(),
        _ => encode_tcvn3(t).ok(),
    };
    let bytes = encode(s).unwrap_or_else(|| {
        s.chars()
            .flat_map(|ch| {
                let one = ch.to_string();
                encode(&one)
                    .or_else(|| encode(&ch.to_lowercase().collect::<String>()))
                    .or_else(|| encode(&crate::encoding::fold(&one)))
                    .unwrap_or_else(|| vec![b'?'])
            })
            .collect()
    });
    bytes.into_iter().map(char::from).collect()
}

/// ESRI WKT as ArcGIS writes it for VN-2000 / TM-3 on a meridian (no TOWGS84).
fn esri_prj(p: &Province) -> String {
    let slug: String = p
        .slug
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!(
        concat!(
            r#"PROJCS["VN_2000_{slug}_TM3",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000","#,
            r#"SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],"#,
            r#"UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],"#,
            r#"PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],"#,
            r#"PARAMETER["Central_Meridian",{m}],PARAMETER["Scale_Factor",0.9999],"#,
            r#"PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#
        ),
        slug = slug,
        m = p.meridian
    )
}

/// How one sample's table is laid out.
struct Layout {
    name: &'static str,
    encoding: TextEncoding,
    prj: bool,
    bow_tie: bool,
    /// Field names: commune, sheet, parcel, area, land use, address.
    fields: [&'static str; 6],
    /// Personal fields: the owner's name and, when given, a phone number.
    owner: &'static str,
    phone: Option<&'static str>,
    mappings: &'static [(&'static str, &'static str)],
    seed: u64,
}

const LAYOUTS: [Layout; 2] = [
    Layout {
        name: TCVN3_SAMPLE,
        encoding: TextEncoding::Tcvn3,
        prj: false,
        bow_tie: true,
        fields: ["MAXA", "SOTO", "SOTHUA", "DIENTICH", "MDSD", "DIACHI"],
        owner: "TENCHU",
        phone: None,
        mappings: &[],
        seed: 0x7C7E_3001,
    },
    // DBF field names have at most 10 characters: longer ones are cut by GDAL (and then are
    // no longer the names the import knows).
    Layout {
        name: VNI_SAMPLE,
        encoding: TextEncoding::Vni,
        prj: true,
        bow_tie: false,
        fields: [
            "MA_XA",
            "TO_SO",
            "SO_HIEU",
            "DIEN_TICH",
            "LOAI_DAT",
            "DIA_CHI",
        ],
        owner: "CHUSUDUNG",
        phone: Some("DIEN_THOAI"),
        mappings: &[("sheet", "TO_SO"), ("parcel", "SO_HIEU")],
        seed: 0x7C7E_3002,
    },
];

/// Writes the samples of a store (deterministic for its data).
pub fn samples(index: &dyn Store) -> Result<Vec<Sample>, PracticeError> {
    let province = store_province(index).ok_or(PracticeError::NoProvince)?;
    let parcels = pick_parcels(index)?;
    let spec = SrsSpec::Vn2000Tm3 {
        meridian: province.meridian,
        province: Some(province.slug.clone()),
    };
    let ct = ResolvedSrs::resolve(&spec, None)?.from_wgs84()?;
    // In TM-3, rounded to the millimetre as survey files are.
    let mut projected = Vec::with_capacity(parcels.len());
    for p in &parcels {
        let ring = &p.poly.exterior().0;
        let mut xs: Vec<f64> = ring.iter().map(|c| c.x).collect();
        let mut ys: Vec<f64> = ring.iter().map(|c| c.y).collect();
        let mut zs = vec![0.0; xs.len()];
        ct.transform_coords(&mut xs, &mut ys, &mut zs)?;
        let coords: Vec<Coord<f64>> = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| Coord {
                x: (x * 1000.0).round() / 1000.0,
                y: (y * 1000.0).round() / 1000.0,
            })
            .collect();
        projected.push(Polygon::new(LineString::new(coords), vec![]));
    }
    LAYOUTS
        .iter()
        .map(|l| write_sample(l, &parcels, &projected, province, &spec))
        .collect()
}

fn write_sample(
    l: &Layout,
    parcels: &[Picked],
    projected: &[Polygon<f64>],
    province: &'static Province,
    spec: &SrsSpec,
) -> Result<Sample, PracticeError> {
    let dir = tempfile::Builder::new()
        .prefix("quyhoach-sample-")
        .tempdir()?;
    let base = "thua_dat";
    {
        let driver = DriverManager::get_driver_by_name("ESRI Shapefile")?;
        let mut ds = driver.create_vector_only(dir.path().join(format!("{base}.shp")))?;
        let layer = ds.create_layer(LayerOptions {
            name: base,
            srs: None,
            ty: OGRwkbGeometryType::wkbPolygon,
            options: Some(&["ENCODING=ISO-8859-1", "DBF_DATE_LAST_UPDATE=2024-01-01"]),
        })?;
        let [commune, sheet, parcel, area, landuse, address] = l.fields;
        let mut defs: Vec<(&str, OGRFieldType::Type, i32, i32)> = vec![
            (commune, OGRFieldType::OFTString, 10, 0),
            (sheet, OGRFieldType::OFTInteger, 4, 0),
            (parcel, OGRFieldType::OFTInteger, 6, 0),
            (area, OGRFieldType::OFTReal, 12, 1),
            (landuse, OGRFieldType::OFTString, 20, 0),
            (address, OGRFieldType::OFTString, 160, 0),
            (l.owner, OGRFieldType::OFTString, 60, 0),
        ];
        if let Some(phone) = l.phone {
            defs.push((phone, OGRFieldType::OFTString, 12, 0));
        }
        for (name, ty, width, precision) in defs {
            let f = FieldDefn::new(name, ty)?;
            f.set_width(width);
            f.set_precision(precision);
            f.add_to_layer(&layer)?;
        }
        let mut rng = Rng::new(l.seed);
        // The bow-tie is a middling parcel of the list, not the first or the last.
        let tie = l.bow_tie.then_some(parcels.len() / 3);
        for (i, (p, poly)) in parcels.iter().zip(projected).enumerate() {
            let mut f = gdal::vector::Feature::new(layer.defn())?;
            f.set_field_string(0, &p.commune)?;
            f.set_field_integer(1, p.sheet as i32)?;
            f.set_field_integer(2, p.parcel as i32)?;
            f.set_field_double(3, (p.area * 10.0).round() / 10.0)?;
            f.set_field_string(4, &p.landuse)?;
            f.set_field_string(5, &legacy(&p.address, l.encoding))?;
            f.set_field_string(6, &legacy(&owner(&mut rng), l.encoding))?;
            if l.phone.is_some() {
                f.set_field_string(7, &format!("0900000{:03}", rng.below(1000)))?;
            }
            let g = if tie == Some(i) {
                crate::demo::bow_tie(poly)
            } else {
                poly.clone()
            };
            f.set_geometry(Geometry::Polygon(g).to_gdal()?)?;
            f.create(&layer)?;
        }
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for ext in ["shp", "shx", "dbf"] {
        let name = format!("{base}.{ext}");
        files.push((name.clone(), std::fs::read(dir.path().join(&name))?));
    }
    if l.prj {
        files.push((format!("{base}.prj"), esri_prj(province).into_bytes()));
    }
    Ok(Sample {
        name: l.name,
        bytes: zip_files(&files)?,
        srs: if l.prj {
            "prj".into()
        } else {
            spec.to_string()
        },
        mappings: l
            .mappings
            .iter()
            .map(|(t, s)| (t.to_string(), s.to_string()))
            .collect(),
        encoding: l.encoding,
        personal_fields: std::iter::once(l.owner).chain(l.phone).collect(),
        province,
        bow_ties: usize::from(l.bow_tie),
    })
}

/// A zip of the files, in order, with fixed times (the same bytes every time).
fn zip_files(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, PracticeError> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        for (name, data) in files {
            w.start_file(name.as_str(), opts)
                .map_err(|e| PracticeError::Io(std::io::Error::other(e)))?;
            w.write_all(data)?;
        }
        w.finish()
            .map_err(|e| PracticeError::Io(std::io::Error::other(e)))?;
    }
    Ok(out.into_inner())
}
