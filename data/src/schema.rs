//! The normalised attribute schema of each layer kind, and how source fields map onto it.
//!
//! Sources name their fields in many ways (`SoTo`, `SHBANDO`, `so_to`, `sheet`…). A mapping
//! profile ([`Profile`], a JSON data file) is a list of aliases per target field;
//! `--map target=source` overrides it. Fields
//! holding personal data (owner names, ID numbers) are recognised by name and dropped.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::encoding::fold;

mod profile;

pub use profile::{
    builtin_profiles, is_profile_file, profiles_named, Profile, MAX_PROFILE_FILE_BYTES,
};

/// The kinds of layer the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Cadastral parcels (thửa đất).
    Parcels,
    /// Planning zones (khu, ô quy hoạch) with planned land use and indicators.
    Zones,
    /// Red lines (chỉ giới đường đỏ).
    Redlines,
    /// Administrative boundaries (communes, districts, provinces).
    Boundaries,
    /// Road centre lines with names.
    Roads,
}

impl Kind {
    /// All kinds.
    pub const ALL: [Kind; 5] = [
        Kind::Parcels,
        Kind::Zones,
        Kind::Redlines,
        Kind::Boundaries,
        Kind::Roads,
    ];

    /// Lower-case identifier.
    pub fn id(self) -> &'static str {
        match self {
            Kind::Parcels => "parcels",
            Kind::Zones => "zones",
            Kind::Redlines => "redlines",
            Kind::Boundaries => "boundaries",
            Kind::Roads => "roads",
        }
    }

    /// Whether the kind holds areas (polygons) rather than lines.
    pub fn is_polygonal(self) -> bool {
        matches!(self, Kind::Parcels | Kind::Zones | Kind::Boundaries)
    }

    /// Whether features of this kind belong to a plan.
    pub fn needs_plan(self) -> bool {
        matches!(self, Kind::Zones | Kind::Redlines)
    }

    /// The fields of this kind's schema, in column order.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Kind::Parcels => PARCEL_FIELDS,
            Kind::Zones => ZONE_FIELDS,
            Kind::Redlines => REDLINE_FIELDS,
            Kind::Boundaries => BOUNDARY_FIELDS,
            Kind::Roads => ROAD_FIELDS,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.id() == s.trim().to_lowercase())
            .ok_or_else(|| {
                format!("unknown kind '{s}': one of parcels, zones, redlines, boundaries, roads")
            })
    }
}

/// The type of a schema field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Text.
    String,
    /// Whole number.
    Int,
    /// Real number.
    Double,
}

/// One field of a kind's schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldSpec {
    /// Column name in the store.
    pub name: &'static str,
    /// Type.
    pub ty: FieldType,
    /// What it holds.
    pub doc: &'static str,
    /// Whether the import fails without a source for it.
    pub required: bool,
    /// Whether it is read from the source (false: computed by the importer).
    pub from_source: bool,
    /// Valid range for numbers (values outside it are set to null and reported).
    pub range: Option<(f64, f64)>,
}

const fn src(name: &'static str, ty: FieldType, doc: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        doc,
        required: false,
        from_source: true,
        range: None,
    }
}
const fn req(name: &'static str, ty: FieldType, doc: &'static str) -> FieldSpec {
    FieldSpec {
        required: true,
        ..src(name, ty, doc)
    }
}
const fn ranged(
    name: &'static str,
    ty: FieldType,
    doc: &'static str,
    lo: f64,
    hi: f64,
) -> FieldSpec {
    FieldSpec {
        range: Some((lo, hi)),
        ..src(name, ty, doc)
    }
}
const fn computed(name: &'static str, ty: FieldType, doc: &'static str) -> FieldSpec {
    FieldSpec {
        from_source: false,
        ..src(name, ty, doc)
    }
}

use FieldType::{Double, Int, String as Str};

const PARCEL_FIELDS: &[FieldSpec] = &[
    req("commune_code", Str, "commune (xã/phường) code"),
    req("sheet", Int, "map sheet number (số tờ bản đồ)"),
    req("parcel", Int, "parcel number within the sheet (số thửa)"),
    computed(
        "area_m2",
        Double,
        "area in m² computed in the source metric CRS",
    ),
    ranged(
        "area_declared_m2",
        Double,
        "area declared in the source (m²)",
        0.0,
        1.0e9,
    ),
    src(
        "landuse",
        Str,
        "current land-use code(s), '+'-separated, Circular 08/2024 codes",
    ),
    computed(
        "landuse_source",
        Str,
        "the source's land-use text when a code was mapped or unknown",
    ),
    src("address", Str, "address"),
    computed("source_fid", Int, "feature id in the source file"),
];

const ZONE_FIELDS: &[FieldSpec] = &[
    src(
        "plan_id",
        Str,
        "plan the zone belongs to (from --plan or the source)",
    ),
    src("zone_id", Str, "zone or block identifier within the plan"),
    req("landuse", Str, "planned land-use code(s)"),
    computed(
        "landuse_source",
        Str,
        "the source's land-use text when a code was mapped or unknown",
    ),
    src("name", Str, "zone or block name"),
    ranged(
        "density_pct",
        Double,
        "maximum building density, % of the lot",
        0.0,
        100.0,
    ),
    ranged("floors_min", Int, "minimum number of floors", 0.0, 200.0),
    ranged("floors_max", Int, "maximum number of floors", 0.0, 200.0),
    ranged(
        "far",
        Double,
        "floor-area ratio (hệ số sử dụng đất)",
        0.0,
        100.0,
    ),
    ranged(
        "height_m",
        Double,
        "maximum building height, m",
        0.0,
        1000.0,
    ),
    computed(
        "area_m2",
        Double,
        "area in m² computed in the source metric CRS",
    ),
    computed("source_fid", Int, "feature id in the source file"),
];

const REDLINE_FIELDS: &[FieldSpec] = &[
    src("plan_id", Str, "plan the red line belongs to"),
    src("line_id", Str, "identifier within the plan"),
    src("road_name", Str, "name of the road"),
    ranged(
        "width_m",
        Double,
        "planned road width between red lines (lộ giới), m",
        0.0,
        1000.0,
    ),
    computed("length_m", Double, "length in m in the source metric CRS"),
    computed("source_fid", Int, "feature id in the source file"),
];

const BOUNDARY_FIELDS: &[FieldSpec] = &[
    src("code", Str, "administrative code"),
    req("name", Str, "name"),
    src("level", Str, "level or type (xã, phường, thị trấn, tỉnh…)"),
    src("parent", Str, "name of the parent unit"),
    computed("area_m2", Double, "area in m²"),
    computed("source_fid", Int, "feature id in the source file"),
];

const ROAD_FIELDS: &[FieldSpec] = &[
    src("name", Str, "road name"),
    src("class", Str, "road class"),
    ranged("width_m", Double, "current width, m", 0.0, 1000.0),
    computed("length_m", Double, "length in m"),
    computed("source_fid", Int, "feature id in the source file"),
];

/// Source field names that hold personal data and are dropped on import (compared after
/// [`field_key`]): owners' names, ID-card numbers, birth dates, phone numbers.
pub const PERSONAL_FIELDS: &[&str] = &[
    "tenchu",
    "chusudung",
    "tenchusudung",
    "chusohuu",
    "hoten",
    "hovaten",
    "owner",
    "ownername",
    "owners",
    "nguoisudung",
    "tennguoisudung",
    "cmnd",
    "socmnd",
    "cccd",
    "socccd",
    "sodinhdanh",
    "idnumber",
    "nationalid",
    "hochieu",
    "ngaysinh",
    "namsinh",
    "dienthoai",
    "sodienthoai",
    "sdt",
    "phone",
    "email",
    "diachithuongtru",
    "thuongtru",
];

/// Normalises a field name for comparison: accents folded, lower case, only letters and
/// digits (`Số_Tờ` → `soto`, `maThongTinQH` → `mathongtinqh`).
pub fn field_key(name: &str) -> String {
    fold(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// Whether a source field name is personal data.
pub fn is_personal(name: &str) -> bool {
    let key = field_key(name);
    PERSONAL_FIELDS.contains(&key.as_str())
}

/// Whether `target` may be mapped from a source field (`--map TARGET=SOURCE`): a field of
/// the kind that comes from the source; else the message names the fields that may.
pub fn check_map_target(kind: Kind, target: &str) -> Result<(), String> {
    if kind
        .fields()
        .iter()
        .any(|f| f.name == target && f.from_source)
    {
        return Ok(());
    }
    let names: Vec<&str> = kind
        .fields()
        .iter()
        .filter(|f| f.from_source)
        .map(|f| f.name)
        .collect();
    Err(format!(
        "'{target}' is not a field of {kind} (fields: {})",
        names.join(", ")
    ))
}

/// Matches source fields to a kind's schema: explicit mappings first, then the profiles'
/// aliases, then the target name itself. Returns, for each schema field, the index of the
/// source field that feeds it.
pub fn match_fields(
    kind: Kind,
    source_fields: &[String],
    explicit: &[(String, String)],
    profiles: &[Profile],
) -> Result<Vec<Option<usize>>, String> {
    let keys: Vec<String> = source_fields.iter().map(|f| field_key(f)).collect();
    for (target, _) in explicit {
        check_map_target(kind, target).map_err(|e| format!("--map {target}=…: {e}"))?;
    }
    let mut used = vec![false; source_fields.len()];
    let mut out = Vec::new();
    for spec in kind.fields() {
        if !spec.from_source {
            out.push(None);
            continue;
        }
        let mut found = None;
        if let Some((_, src)) = explicit.iter().find(|(t, _)| t == spec.name) {
            let k = field_key(src);
            found = keys.iter().position(|s| *s == k);
            let Some(i) = found else {
                return Err(format!(
                    "--map {}={src}: the source has no field '{src}' (it has: {})",
                    spec.name,
                    source_fields.join(", ")
                ));
            };
            // Every schema field is public (API, reports, OGC items, tiles).
            if is_personal(&source_fields[i]) {
                return Err(format!(
                    "--map {}={src}: '{}' holds personal data (owners' names, ID numbers, \
                     birth dates, phone numbers) and {} is served publicly; keep it privately \
                     with --keep-personal {} instead",
                    spec.name, source_fields[i], spec.name, source_fields[i]
                ));
            }
        }
        // Implicit matches (the target's own name, profile aliases) never take a personal field.
        if found.is_none() {
            let exact = field_key(spec.name);
            found = keys
                .iter()
                .position(|s| *s == exact)
                .filter(|i| !used[*i] && !is_personal(&source_fields[*i]));
        }
        if found.is_none() {
            'profiles: for p in profiles {
                for (target, aliases) in &p.aliases {
                    if target != spec.name {
                        continue;
                    }
                    for a in aliases {
                        if let Some(i) = keys.iter().position(|s| s == a) {
                            if !used[i] && !is_personal(&source_fields[i]) {
                                found = Some(i);
                                break 'profiles;
                            }
                        }
                    }
                }
            }
        }
        if let Some(i) = found {
            used[i] = true;
        }
        out.push(found);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn all() -> Vec<Profile> {
        profiles_named("auto").unwrap()
    }

    fn tt16() -> Vec<Profile> {
        profiles_named("tt16-2025").unwrap()
    }

    #[test]
    fn matches_cadastral_names_and_drops_nothing_silently() {
        let src = names(&[
            "MaXa", "SoTo", "SoThua", "DienTich", "LoaiDat", "DiaChi", "TenChu",
        ]);
        let m = match_fields(Kind::Parcels, &src, &[], &all()).unwrap();
        let by_name = |n: &str| {
            let i = Kind::Parcels
                .fields()
                .iter()
                .position(|f| f.name == n)
                .unwrap();
            m[i].map(|j| src[j].as_str())
        };
        assert_eq!(by_name("commune_code"), Some("MaXa"));
        assert_eq!(by_name("sheet"), Some("SoTo"));
        assert_eq!(by_name("parcel"), Some("SoThua"));
        assert_eq!(by_name("landuse"), Some("LoaiDat"));
        assert_eq!(by_name("area_declared_m2"), Some("DienTich"));
        assert!(is_personal("TenChu"));
        assert!(is_personal("So_CCCD"));
        assert!(!is_personal("DiaChi"));
    }

    #[test]
    fn tt16_profile_and_explicit_map() {
        let src = names(&[
            "maThongTinQH",
            "maHoSoQH",
            "kyHieuSDD",
            "matDoXD",
            "heSoSDD",
        ]);
        let m = match_fields(Kind::Zones, &src, &[], &tt16()).unwrap();
        let f = Kind::Zones.fields();
        let get = |n: &str| m[f.iter().position(|x| x.name == n).unwrap()];
        assert_eq!(get("zone_id"), Some(0));
        assert_eq!(get("plan_id"), Some(1));
        assert_eq!(get("landuse"), Some(2));
        assert_eq!(get("density_pct"), Some(3));
        assert_eq!(get("far"), Some(4));
        let m = match_fields(
            Kind::Zones,
            &src,
            &[("landuse".into(), "matDoXD".into())],
            &tt16(),
        )
        .unwrap();
        assert_eq!(
            m[f.iter().position(|x| x.name == "landuse").unwrap()],
            Some(3)
        );
        assert!(match_fields(Kind::Zones, &src, &[("nope".into(), "x".into())], &[]).is_err());
        assert!(match_fields(Kind::Zones, &src, &[("far".into(), "x".into())], &[]).is_err());
    }

    #[test]
    fn personal_fields_never_reach_a_public_field() {
        let src = names(&["MaXa", "SoTo", "SoThua", "Số CCCD", "owner"]);
        let err = match_fields(
            Kind::Parcels,
            &src,
            &[("address".into(), "socccd".into())],
            &all(),
        )
        .unwrap_err();
        assert!(err.contains("'Số CCCD' holds personal data"), "{err}");
        assert!(err.contains("--keep-personal Số CCCD"), "{err}");
        // No profile alias is a personal field name…
        for p in all() {
            for (target, aliases) in &p.aliases {
                for a in aliases {
                    assert!(!is_personal(a), "{} alias {a} of {target}", p.name);
                }
            }
        }
    }
}
