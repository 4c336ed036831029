//! Spatial reference systems: VN-2000 provincial TM-3 zones, UTM, EPSG codes and `.prj` files.
//!
//! VN-2000 (Decision 83/2000/QĐ-TTg) shares the WGS 84 ellipsoid but not its datum. Every
//! transformation from VN-2000 to WGS 84 made here uses the seven parameters of EPSG:6960
//! "VN-2000 to WGS 84 (2)" (Decision 05/2007/QĐ-BTNMT), written in PROJ's position-vector
//! convention, i.e. with the rotation signs opposite to the decision's table. The parameters
//! are attached to the source CRS as a `+towgs84` bound, so PROJ has exactly one way to go to
//! WGS 84 and never picks another (for southern Vietnam its default would be EPSG:5194, about
//! 0.8 m off). A `.prj` file's own TOWGS84, if any, is ignored: GDAL drops it from ESRI WKT.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};

use crate::encoding::fold;

/// The EPSG:6960 parameters in PROJ's `+towgs84` (position-vector) convention.
pub const VN2000_TOWGS84: &str = "-191.90441429,-39.30318279,-111.45032835,\
0.00928836,-0.01975479,0.00427372,0.252906278";

/// Scale factor on the central meridian of the VN-2000 TM-3 zones of large-scale maps.
pub const TM3_SCALE: f64 = 0.9999;

/// Longitude/latitude box that any coordinate of Vietnamese data (mainland and islands,
/// Trường Sa included) falls in; a point outside it means the coordinates were read in the
/// wrong reference system.
pub const VIETNAM_ENVELOPE: [f64; 4] = [100.0, 5.0, 118.5, 24.5];

/// Largest coordinate magnitude, in source units, that any map of the Earth can have: 10⁹.
/// The Earth's circumference is 4×10⁷ m (1.3×10⁸ US feet) and the largest false eastings (a
/// Gauss–Krüger zone prefix) are under 10⁸. Beyond it a coordinate is garbage, and a dangerous
/// one: GDAL 3.6's Web Mercator → WGS 84 shortcut wraps longitudes 360° at a time, so an easting
/// of 10²⁰ m in EPSG:3857 keeps the transformation busy for hours.
pub const MAX_COORDINATE_ABS: f64 = 1e9;

/// A number for a message: fixed with 3 decimals, or scientific when huge.
fn coord_text(v: f64) -> String {
    if v.abs() < 1e7 {
        format!("{v:.3}")
    } else {
        format!("{v:.3e}")
    }
}

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum SrsError {
    /// The `--srs` text matches none of the accepted forms.
    #[error(
        "unknown SRS '{0}': use vn2000:<province> (e.g. vn2000:kien-giang), \
         vn2000:tm3:<meridian> (e.g. vn2000:tm3:104.5 or vn2000:tm3:104:30), \
         vn2000:utm48, vn2000:utm49, EPSG:<code> or prj"
    )]
    Unknown(String),
    /// The province name is not one of the 63 provinces of the meridian table.
    #[error("unknown province '{0}' for VN-2000: see docs/importing.md for the 63 names, or give the meridian with vn2000:tm3:<degrees>")]
    UnknownProvince(String),
    /// A central meridian outside Vietnam's zones or not a number.
    #[error("bad central meridian '{0}': give decimal degrees (104.5) or degrees:minutes (104:30) between 102 and 118")]
    BadMeridian(String),
    /// `--srs prj` was asked for but the source has no CRS.
    #[error("the source has no coordinate reference system (.prj missing): pass --srs vn2000:<province> or another explicit SRS")]
    MissingPrj,
    /// GDAL or PROJ refused a definition.
    #[error("coordinate reference system error: {0}")]
    Gdal(#[from] gdal::errors::GdalError),
    /// A CRS that does not place points on a map: geocentric, vertical, engineering (local).
    #[error("{srs} is {what}, not a 2D horizontal reference system: planning layers need longitude/latitude or a map projection (e.g. --srs vn2000:<province> or EPSG:4326)")]
    NotHorizontal {
        /// The CRS as the user named it.
        srs: String,
        /// What kind of CRS it is.
        what: &'static str,
    },
    /// Coordinates that cannot belong to the SRS (e.g. degrees read as metres).
    #[error("coordinates are impossible for {srs}: {detail}")]
    Impossible {
        /// The SRS label.
        srs: String,
        /// What was seen.
        detail: String,
    },
}

/// Result alias of this module.
pub type Result<T> = std::result::Result<T, SrsError>;

/// One of the 63 pre-2025 provinces with its VN-2000 TM-3 central meridian (Circular 973/2001).
#[derive(Debug, Clone, PartialEq)]
pub struct Province {
    /// ASCII slug, e.g. `kien-giang`.
    pub slug: String,
    /// Vietnamese name, e.g. `Kiên Giang`.
    pub name_vi: String,
    /// Central meridian in decimal degrees.
    pub meridian: f64,
    /// Approximate WGS 84 bounding box `[west, south, east, north]`, for warnings only.
    pub bounds: Option<[f64; 4]>,
}

const MERIDIANS_CSV: &str = include_str!("../vn2000-meridians.csv");
const BOUNDS_CSV: &str = include_str!("../vn2000-province-bounds.csv");

/// The province table, parsed once.
pub fn provinces() -> &'static [Province] {
    static TABLE: OnceLock<Vec<Province>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let bounds: Vec<(String, [f64; 4])> = BOUNDS_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split(',').collect();
                let num = |i: usize| cols.get(i)?.trim().parse::<f64>().ok();
                Some((
                    cols.first()?.trim().to_string(),
                    [num(1)?, num(2)?, num(3)?, num(4)?],
                ))
            })
            .collect();
        MERIDIANS_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split(',').collect();
                let slug = cols.first()?.trim().to_string();
                let b = bounds.iter().find(|(s, _)| *s == slug).map(|(_, b)| *b);
                Some(Province {
                    name_vi: cols.get(1)?.trim().to_string(),
                    meridian: cols.get(2)?.trim().parse().ok()?,
                    bounds: b,
                    slug,
                })
            })
            .collect()
    })
}

/// Finds a province by slug or by name, with or without accents, case-insensitively
/// ("kien-giang", "Kiên Giang", "kien giang", "tp ho chi minh", "hcm" are all accepted).
pub fn find_province(name: &str) -> Option<&'static Province> {
    let key = province_key(name);
    let key = match key.as_str() {
        "hcm" | "tphcm" | "hochiminh" | "saigon" | "tphochiminh" => "hochiminh".to_string(),
        "hue" | "thuathienhue" => "thuathienhue".to_string(),
        "brvt" | "vungtau" => "bariavungtau".to_string(),
        _ => key,
    };
    provinces()
        .iter()
        .find(|p| province_key(&p.slug) == key || province_key(&p.name_vi) == key)
}

fn province_key(name: &str) -> String {
    let folded = fold(name);
    let key: String = folded
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    key.strip_prefix("tp").map(str::to_string).unwrap_or(key)
}

/// What the user asked for with `--srs`.
#[derive(Debug, Clone, PartialEq)]
pub enum SrsSpec {
    /// VN-2000, Transverse Mercator 3° zone, k = 0.9999, on a central meridian.
    Vn2000Tm3 {
        /// Central meridian in decimal degrees.
        meridian: f64,
        /// The province it came from, when given by name.
        province: Option<String>,
    },
    /// VN-2000 / UTM zone 48N (EPSG:3405) or 49N (EPSG:3406).
    Vn2000Utm(u8),
    /// Any EPSG code; VN-2000-based ones get the pinned transformation.
    Epsg(u32),
    /// Trust the file's own CRS (`.prj`, GeoPackage srs, …).
    Prj,
}

impl FromStr for SrsSpec {
    type Err = SrsError;

    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        let lower = t.to_lowercase();
        if lower == "prj" || lower == "file" {
            return Ok(SrsSpec::Prj);
        }
        if let Some(code) = lower.strip_prefix("epsg:") {
            return code
                .trim()
                .parse()
                .map(SrsSpec::Epsg)
                .map_err(|_| SrsError::Unknown(s.to_string()));
        }
        let Some(rest) = lower.strip_prefix("vn2000:") else {
            return Err(SrsError::Unknown(s.to_string()));
        };
        match rest {
            "utm48" | "utm:48" => return Ok(SrsSpec::Vn2000Utm(48)),
            "utm49" | "utm:49" => return Ok(SrsSpec::Vn2000Utm(49)),
            _ => {}
        }
        if let Some(m) = rest.strip_prefix("tm3:") {
            return Ok(SrsSpec::Vn2000Tm3 {
                meridian: parse_meridian(m)?,
                province: None,
            });
        }
        // Province names keep their original case and accents in `t`.
        let name = &t["vn2000:".len()..];
        let p = find_province(name).ok_or_else(|| SrsError::UnknownProvince(name.to_string()))?;
        Ok(SrsSpec::Vn2000Tm3 {
            meridian: p.meridian,
            province: Some(p.slug.clone()),
        })
    }
}

impl fmt::Display for SrsSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SrsSpec::Vn2000Tm3 {
                province: Some(p), ..
            } => write!(f, "vn2000:{p}"),
            SrsSpec::Vn2000Tm3 { meridian, .. } => write!(f, "vn2000:tm3:{meridian}"),
            SrsSpec::Vn2000Utm(z) => write!(f, "vn2000:utm{z}"),
            SrsSpec::Epsg(c) => write!(f, "EPSG:{c}"),
            SrsSpec::Prj => write!(f, "prj"),
        }
    }
}

/// Parses a central meridian: `104.5`, `104:30`, `104°30'` or `104d30`.
pub fn parse_meridian(s: &str) -> Result<f64> {
    let bad = || SrsError::BadMeridian(s.to_string());
    let cleaned: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '°' | 'd' | '\'' | '′' | ':' | ' ' => ':',
            c => c,
        })
        .collect();
    let parts: Vec<&str> = cleaned.split(':').filter(|p| !p.is_empty()).collect();
    let value = match parts.as_slice() {
        [deg] => deg.parse::<f64>().map_err(|_| bad())?,
        [deg, min] => {
            let d = deg.parse::<f64>().map_err(|_| bad())?;
            let m = min.parse::<f64>().map_err(|_| bad())?;
            if !(0.0..60.0).contains(&m) {
                return Err(bad());
            }
            d + m / 60.0
        }
        _ => return Err(bad()),
    };
    if !(102.0..=118.0).contains(&value) {
        return Err(bad());
    }
    Ok(value)
}

/// PROJ string of a VN-2000 TM-3 zone with the pinned EPSG:6960 transformation.
pub fn vn2000_tm3_proj4(meridian: f64) -> String {
    format!(
        "+proj=tmerc +lat_0=0 +lon_0={meridian} +k={TM3_SCALE} +x_0=500000 +y_0=0 \
         +ellps=WGS84 +towgs84={VN2000_TOWGS84} +units=m +no_defs"
    )
}

/// PROJ string of VN-2000 / UTM zone 48N or 49N with the pinned transformation.
pub fn vn2000_utm_proj4(zone: u8) -> String {
    format!("+proj=utm +zone={zone} +ellps=WGS84 +towgs84={VN2000_TOWGS84} +units=m +no_defs")
}

/// PROJ string of geographic VN-2000 (EPSG:4756) with the pinned transformation.
pub fn vn2000_geographic_proj4() -> String {
    format!("+proj=longlat +ellps=WGS84 +towgs84={VN2000_TOWGS84} +no_defs")
}

/// How a feature's area (and a line's length) is measured.
#[derive(
    Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Measure {
    /// Planar, in the source's projected units multiplied by this many metres per unit.
    Planar {
        /// Metres per source unit (1 for metres, 0.3048 for feet, …).
        unit_m: f64,
    },
    /// Geodesic on the WGS 84 ellipsoid, for sources whose projection does not preserve area
    /// at parcel scale (geographic degrees, Mercator).
    Geodesic,
}

/// A source CRS made ready: its definition and how to reach WGS 84.
pub struct ResolvedSrs {
    /// What the user asked for, as text.
    pub label: String,
    /// The definition actually used (a PROJ string for VN-2000, WKT otherwise).
    pub definition: String,
    /// Whether the pinned VN-2000 transformation is in use.
    pub vn2000: bool,
    /// How areas are measured.
    pub measure: Measure,
    /// The province named, for the out-of-province warning.
    pub province: Option<&'static Province>,
    source: SpatialRef,
}

impl fmt::Debug for ResolvedSrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedSrs")
            .field("label", &self.label)
            .field("definition", &self.definition)
            .field("measure", &self.measure)
            .finish()
    }
}

fn traditional(mut srs: SpatialRef) -> SpatialRef {
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    srs
}

/// WGS 84 longitude/latitude (EPSG:4326) in longitude-first order.
pub fn wgs84() -> Result<SpatialRef> {
    Ok(traditional(SpatialRef::from_epsg(4326)?))
}

/// Whether a CRS is based on the VN-2000 datum (EPSG:4756), by authority code or datum name.
fn is_vn2000(srs: &SpatialRef) -> bool {
    if let Ok(geog) = srs.geog_cs() {
        if geog.auth_code().ok() == Some(4756) {
            return true;
        }
    }
    let datum = srs
        .get_attr_value("DATUM", 0)
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_lowercase();
    datum.contains("vn_2000")
        || datum.contains("vn-2000")
        || datum.contains("vietnam_2000")
        || datum.contains("vietnam 2000")
}

/// Refuses a CRS that is not 2D horizontal: a geocentric one (X, Y, Z from the Earth's centre:
/// read as a map, every point lands near latitude 0), a vertical one (heights only), an
/// engineering or local one (a site grid with no place on the Earth). A compound CRS is
/// accepted for its horizontal part.
pub fn check_horizontal(srs: &SpatialRef, label: &str) -> Result<()> {
    let what = if srs.is_geocentric() {
        "a geocentric system (X, Y, Z from the Earth's centre)"
    } else if srs.is_local() {
        "an engineering (local) system with no place on the Earth"
    } else if srs.is_projected() || srs.is_geographic() {
        return Ok(());
    } else if srs.is_vertical() {
        "a vertical system (heights only)"
    } else {
        "neither geographic nor projected"
    };
    Err(SrsError::NotHorizontal {
        srs: label.to_string(),
        what,
    })
}

/// Replaces whatever datum shift a VN-2000 CRS carries with the pinned EPSG:6960 parameters.
fn pin_vn2000(srs: &SpatialRef) -> Result<String> {
    let proj4 = srs.to_proj4()?;
    let mut parts: Vec<String> = proj4
        .split_whitespace()
        .filter(|p| {
            !p.starts_with("+towgs84=")
                && !p.starts_with("+datum=")
                && !p.starts_with("+nadgrids=")
                && !p.starts_with("+ellps=")
                && !p.starts_with("+no_defs")
                && !p.starts_with("+type=")
        })
        .map(str::to_string)
        .collect();
    parts.push("+ellps=WGS84".into());
    parts.push(format!("+towgs84={VN2000_TOWGS84}"));
    parts.push("+no_defs".into());
    Ok(parts.join(" "))
}

/// PROJ projections (`+proj=` names) drawn for maps of the world, never for a zone: over
/// Vietnam their scale is far from 1 and none of them preserves area (Mercator's area scale is
/// sec²φ: 1.5 % too much at 7° N, 19 % at 23° N; Web Mercator also puts WGS 84 latitudes on a
/// sphere). Sources in them are measured geodesically on the WGS 84 geometry instead.
/// Conformal projections designed for a zone (transverse Mercator, UTM, a state-plane Lambert)
/// stay planar: that is the legal area of a VN-2000 parcel, and equal-area projections are
/// right by construction.
const WORLD_MAP_PROJECTIONS: &[&str] = &[
    "merc",      // Mercator, EPSG:3395, and Web Mercator, EPSG:3857 (GDAL's PROJ string)
    "webmerc",   // Web Mercator as PROJ itself names it
    "eqc",       // Plate Carrée (EPSG:4087, 32662)
    "mill",      // Miller
    "gall",      // Gall stereographic
    "robin",     // Robinson
    "wintri",    // Winkel tripel
    "natearth",  // Natural Earth
    "natearth2", // Natural Earth II
    "patterson", // Patterson
    "kav7",      // Kavrayskiy VII
    "vandg",     // van der Grinten
    "times",     // Times
];

/// Geographic (degrees) as a PROJ string says it.
const GEOGRAPHIC_PROJ: &[&str] = &["longlat", "latlong", "lonlat", "latlon"];

/// The `+proj=` name of a PROJ string.
fn proj_name(proj4: &str) -> Option<&str> {
    proj4
        .split_whitespace()
        .find_map(|p| p.strip_prefix("+proj="))
}

/// Picks the area measure for a CRS: geodesic on WGS 84 for geographic sources and world-map
/// projections ([`WORLD_MAP_PROJECTIONS`]), planar in the source's units otherwise.
fn measure_for(srs: &SpatialRef, definition: &str) -> Measure {
    let proj4 = srs.to_proj4().unwrap_or_default();
    let names = [proj_name(definition), proj_name(&proj4)];
    if srs.is_geographic() || names.iter().flatten().any(|n| GEOGRAPHIC_PROJ.contains(n)) {
        return Measure::Geodesic;
    }
    if names
        .iter()
        .flatten()
        .any(|n| WORLD_MAP_PROJECTIONS.contains(n))
    {
        return Measure::Geodesic;
    }
    let unit = srs.linear_units();
    Measure::Planar {
        unit_m: if unit > 0.0 { unit } else { 1.0 },
    }
}

impl ResolvedSrs {
    /// Resolves a spec, given the source file's own CRS if it has one.
    pub fn resolve(spec: &SrsSpec, file_srs: Option<&SpatialRef>) -> Result<Self> {
        let (definition, vn2000, province) = match spec {
            SrsSpec::Vn2000Tm3 { meridian, province } => (
                vn2000_tm3_proj4(*meridian),
                true,
                province.as_deref().and_then(find_province),
            ),
            SrsSpec::Vn2000Utm(z) => (vn2000_utm_proj4(*z), true, None),
            SrsSpec::Epsg(code) => {
                let srs = SpatialRef::from_epsg(*code)?;
                check_horizontal(&srs, &spec.to_string())?;
                if is_vn2000(&srs) {
                    (pin_vn2000(&srs)?, true, None)
                } else {
                    (srs.to_wkt()?, false, None)
                }
            }
            SrsSpec::Prj => {
                let srs = file_srs.ok_or(SrsError::MissingPrj)?;
                check_horizontal(
                    srs,
                    &format!(
                        "the source's own CRS ('{}', --srs prj)",
                        srs.name().unwrap_or_default()
                    ),
                )?;
                if is_vn2000(srs) {
                    (pin_vn2000(srs)?, true, None)
                } else {
                    (srs.to_wkt()?, false, None)
                }
            }
        };
        let source = if definition.starts_with('+') {
            SpatialRef::from_proj4(&definition)?
        } else {
            SpatialRef::from_wkt(&definition)?
        };
        let source = traditional(source);
        let measure = measure_for(&source, &definition);
        Ok(ResolvedSrs {
            label: spec.to_string(),
            definition,
            vn2000,
            measure,
            province,
            source,
        })
    }

    /// The source CRS (longitude/easting first).
    pub fn spatial_ref(&self) -> &SpatialRef {
        &self.source
    }

    /// A transformation from this CRS to WGS 84 longitude/latitude.
    pub fn to_wgs84(&self) -> Result<CoordTransform> {
        Ok(CoordTransform::new(&self.source, &wgs84()?)?)
    }

    /// A transformation from WGS 84 longitude/latitude to this CRS.
    pub fn from_wgs84(&self) -> Result<CoordTransform> {
        Ok(CoordTransform::new(&wgs84()?, &self.source)?)
    }

    /// Checks a source extent `[minx, miny, maxx, maxy]` before reading features: refuses
    /// coordinates that cannot be in Vietnam in this CRS, and returns a warning when the data
    /// lies outside the named province.
    pub fn check_extent(&self, extent: [f64; 4]) -> Result<Option<String>> {
        let shown = extent.map(coord_text).join(", ");
        if extent
            .iter()
            .any(|v| !v.is_finite() || v.abs() > MAX_COORDINATE_ABS)
        {
            // Not even handed to PROJ (see MAX_COORDINATE_ABS).
            return Err(SrsError::Impossible {
                srs: self.label.clone(),
                detail: format!("the data extent [{shown}] is on no map of the Earth"),
            });
        }
        let ct = self.to_wgs84()?;
        let mut xs = [extent[0], extent[2], extent[0], extent[2]];
        let mut ys = [extent[1], extent[1], extent[3], extent[3]];
        let mut zs = [0.0; 4];
        let ok = ct.transform_coords(&mut xs, &mut ys, &mut zs).is_ok();
        let finite = ok
            && xs.iter().zip(&ys).all(|(x, y)| {
                x.is_finite() && y.is_finite() && x.abs() <= 180.0 && y.abs() <= 90.0
            });
        let [w, s, e, n] = VIETNAM_ENVELOPE;
        let in_vietnam = finite
            && xs
                .iter()
                .zip(&ys)
                .all(|(x, y)| (w..=e).contains(x) && (s..=n).contains(y));
        let looks_like_degrees = self.measure != Measure::Geodesic
            && extent[0].abs() <= 180.0
            && extent[2].abs() <= 180.0
            && extent[1].abs() <= 90.0
            && extent[3].abs() <= 90.0;
        // VN-2000 data must be in Vietnam; other data must at least be on the globe.
        if !finite || (self.vn2000 && !in_vietnam) {
            let hint = if looks_like_degrees {
                " — these look like degrees; did you mean --srs EPSG:4326 (or EPSG:4756 for VN-2000 degrees)?"
            } else {
                " — check the SRS (the meridian or zone) and that X/Y are not swapped"
            };
            return Err(SrsError::Impossible {
                srs: self.label.clone(),
                detail: format!("the data extent [{shown}] does not fall in Vietnam{hint}"),
            });
        }
        if !in_vietnam {
            return Ok(Some(format!("the data extent [{shown}] is not in Vietnam")));
        }
        let lon = (xs.iter().sum::<f64>()) / 4.0;
        let lat = (ys.iter().sum::<f64>()) / 4.0;
        let margin = 0.1;
        let contains = |p: &Province| {
            p.bounds.is_some_and(|[pw, ps, pe, pn]| {
                (pw - margin..=pe + margin).contains(&lon)
                    && (ps - margin..=pn + margin).contains(&lat)
            })
        };
        if let Some(p) = self.province {
            return Ok((!contains(p)).then(|| {
                format!(
                    "the data (centre {lon:.4}°E {lat:.4}°N) is not inside {} — is the province (meridian {}°) right?",
                    p.name_vi, p.meridian
                )
            }));
        }
        // No province named (a .prj, an EPSG code, a bare meridian): the data should lie in a
        // province that uses this TM-3 meridian.
        let Some(meridian) = self.tm3_meridian() else {
            return Ok(None);
        };
        let same: Vec<&Province> = provinces()
            .iter()
            .filter(|p| (p.meridian - meridian).abs() < 1e-6)
            .collect();
        if same.iter().any(|p| contains(p)) {
            return Ok(None);
        }
        let here: Vec<String> = provinces()
            .iter()
            .filter(|p| contains(p))
            .map(|p| format!("{} ({}°)", p.name_vi, p.meridian))
            .collect();
        Ok(Some(format!(
            "the data (centre {lon:.4}°E {lat:.4}°N) is in no province that uses the TM-3 meridian {meridian}°{}",
            if here.is_empty() {
                String::new()
            } else {
                format!("; it lies in {} — check the meridian", here.join(", "))
            }
        )))
    }

    /// The central meridian of a VN-2000 TM-3 definition (k = 0.9999), if this is one.
    fn tm3_meridian(&self) -> Option<f64> {
        if !self.vn2000 || !self.definition.contains("+proj=tmerc") {
            return None;
        }
        if !self.definition.contains("+k=0.9999 ") && !self.definition.contains("+k_0=0.9999 ") {
            return None;
        }
        self.definition
            .split_whitespace()
            .find_map(|p| p.strip_prefix("+lon_0="))
            .and_then(|v| v.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            "vn2000:kien-giang".parse::<SrsSpec>().unwrap(),
            SrsSpec::Vn2000Tm3 {
                meridian: 104.5,
                province: Some("kien-giang".into())
            }
        );
        for name in [
            "vn2000:Kiên Giang",
            "vn2000:kien giang",
            "VN2000:KIEN-GIANG",
        ] {
            assert!(matches!(
                name.parse::<SrsSpec>().unwrap(),
                SrsSpec::Vn2000Tm3 { meridian, .. } if meridian == 104.5
            ));
        }
        assert!(matches!(
            "vn2000:TP Hồ Chí Minh".parse::<SrsSpec>().unwrap(),
            SrsSpec::Vn2000Tm3 { meridian, .. } if meridian == 105.75
        ));
        assert_eq!(
            "vn2000:tm3:104:30".parse::<SrsSpec>().unwrap(),
            SrsSpec::Vn2000Tm3 {
                meridian: 104.5,
                province: None
            }
        );
        assert_eq!(parse_meridian("105°45'").unwrap(), 105.75);
        assert_eq!(
            "vn2000:utm48".parse::<SrsSpec>().unwrap(),
            SrsSpec::Vn2000Utm(48)
        );
        assert_eq!("EPSG:9210".parse::<SrsSpec>().unwrap(), SrsSpec::Epsg(9210));
        assert_eq!("prj".parse::<SrsSpec>().unwrap(), SrsSpec::Prj);
        assert!("vn2000:atlantis".parse::<SrsSpec>().is_err());
        assert!("vn2000:tm3:12".parse::<SrsSpec>().is_err());
        assert!("mercator".parse::<SrsSpec>().is_err());
    }

    #[test]
    fn all_63_provinces_have_meridians() {
        assert_eq!(provinces().len(), 63);
        assert!(provinces()
            .iter()
            .all(|p| (102.0..110.0).contains(&p.meridian)));
    }

    #[test]
    fn epsg_vn2000_codes_get_the_pinned_parameters() {
        let r = ResolvedSrs::resolve(&SrsSpec::Epsg(9210), None).unwrap();
        assert!(r.vn2000);
        assert!(r.definition.contains(VN2000_TOWGS84), "{}", r.definition);
        assert!(r.definition.contains("+lon_0=105.75"), "{}", r.definition);
        let r = ResolvedSrs::resolve(&SrsSpec::Epsg(3857), None).unwrap();
        assert!(!r.vn2000);
        assert_eq!(r.measure, Measure::Geodesic);
        let r = ResolvedSrs::resolve(&SrsSpec::Epsg(2263), None).unwrap();
        match r.measure {
            Measure::Planar { unit_m } => assert!((unit_m - 0.3048006096).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn world_maps_and_degrees_are_measured_geodesically() {
        // Degrees (WGS 84, VN-2000), Mercator, Web Mercator, Plate Carrée.
        for code in [4326, 4756, 3395, 3857, 4087, 32662] {
            let r = ResolvedSrs::resolve(&SrsSpec::Epsg(code), None).unwrap();
            assert_eq!(r.measure, Measure::Geodesic, "EPSG:{code}");
        }
        // Zone projections (VN-2000 TM-3, UTM 48N) and an equal-area one (EASE-Grid 2.0).
        for code in [9210, 32648, 6933] {
            let r = ResolvedSrs::resolve(&SrsSpec::Epsg(code), None).unwrap();
            assert_eq!(r.measure, Measure::Planar { unit_m: 1.0 }, "EPSG:{code}");
        }
        // A Web Mercator .prj as ESRI writes it, and PROJ's own webmerc.
        let esri = SpatialRef::from_wkt(
            r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#,
        )
        .unwrap();
        let r = ResolvedSrs::resolve(&SrsSpec::Prj, Some(&esri)).unwrap();
        assert_eq!(r.measure, Measure::Geodesic, "{}", r.definition);
        let webmerc =
            SpatialRef::from_proj4("+proj=webmerc +datum=WGS84 +units=m +no_defs").unwrap();
        let r = ResolvedSrs::resolve(&SrsSpec::Prj, Some(&webmerc)).unwrap();
        assert_eq!(r.measure, Measure::Geodesic, "{}", r.definition);
    }

    #[test]
    fn only_horizontal_crss_are_accepted() {
        for (code, what) in [(4978, "geocentric"), (5773, "vertical"), (5714, "vertical")] {
            let err = ResolvedSrs::resolve(&SrsSpec::Epsg(code), None).unwrap_err();
            assert!(
                err.to_string().contains(what) && err.to_string().contains("not a 2D horizontal"),
                "EPSG:{code}: {err}"
            );
        }
        let local = SpatialRef::from_wkt(
            r#"LOCAL_CS["site grid",LOCAL_DATUM["site",32767],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]"#,
        )
        .unwrap();
        let err = ResolvedSrs::resolve(&SrsSpec::Prj, Some(&local)).unwrap_err();
        assert!(err.to_string().contains("engineering"), "{err}");
        assert!(err.to_string().contains("site grid"), "{err}");
        // Geographic 3D, projected, compound (projected + height) are fine.
        for code in [4326, 4979, 3405, 9210] {
            ResolvedSrs::resolve(&SrsSpec::Epsg(code), None).unwrap();
        }
        // EPSG:7405, British National Grid + ODN height.
        let compound = SpatialRef::from_epsg(7405).unwrap();
        assert!(compound.is_compound());
        assert!(check_horizontal(&compound, "EPSG:7405").is_ok());
    }

    #[test]
    fn degrees_given_as_metres_are_refused() {
        let r = ResolvedSrs::resolve(&"vn2000:kien-giang".parse().unwrap(), None).unwrap();
        let err = r.check_extent([105.0, 10.0, 105.2, 10.1]).unwrap_err();
        assert!(err.to_string().contains("look like degrees"), "{err}");
        // Garbage magnitudes are refused before PROJ sees them (GDAL's Web Mercator shortcut
        // would spin on them), and shown briefly.
        let mercator = ResolvedSrs::resolve(&SrsSpec::Epsg(3857), None).unwrap();
        let err = mercator
            .check_extent([1.2e7, 1e6, 1e20, 1.1e6])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("[1.200e7, 1000000.000, 1.000e20, 1100000.000] is on no map"),
            "{err}"
        );
        // Rạch Giá in Kiên Giang's zone is fine and inside the province.
        let warn = r
            .check_extent([563_000.0, 1_107_000.0, 565_000.0, 1_108_000.0])
            .unwrap();
        assert_eq!(warn, None);
        // The same metres declared on Hà Nội's meridian land outside Hà Nội.
        let r = ResolvedSrs::resolve(&"vn2000:ha-noi".parse().unwrap(), None).unwrap();
        let warn = r
            .check_extent([563_000.0, 1_107_000.0, 565_000.0, 1_108_000.0])
            .unwrap();
        assert!(warn.is_some_and(|w| w.contains("Hà Nội")));
        // A bare meridian: Kiên Giang's 104°30′ fits Rạch Giá; Đà Nẵng's 107°45′ (EPSG:5899) does not.
        let r = ResolvedSrs::resolve(&"vn2000:tm3:104:30".parse().unwrap(), None).unwrap();
        assert_eq!(
            r.check_extent([563_000.0, 1_107_000.0, 565_000.0, 1_108_000.0])
                .unwrap(),
            None
        );
        let r = ResolvedSrs::resolve(&SrsSpec::Epsg(5899), None).unwrap();
        let warn = r
            .check_extent([563_000.0, 1_107_000.0, 565_000.0, 1_108_000.0])
            .unwrap()
            .unwrap_or_default();
        assert!(
            warn.contains("no province that uses the TM-3 meridian 107.75"),
            "{warn}"
        );
    }
}
