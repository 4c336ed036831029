//! Field-name profiles: for each schema field, the source field names that feed it.
//!
//! A profile is a JSON file (format in `docs/importing.md`):
//!
//! ```json
//! {
//!   "name": "my-province",
//!   "doc": "what the profile is for",
//!   "aliases": { "sheet": ["SoTo", "SHBANDO"], "parcel": ["SoThua"] }
//! }
//! ```
//!
//! The built-in profiles are such files (`data/profiles/*.json`), compiled in and parsed on
//! first use; `--profile FILE` reads one more. Aliases are compared after [`field_key`], so a
//! file may spell them as the source does (`Số Tờ`, `SoTo`, `so_to` are one alias).

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{field_key, is_personal, Kind};

/// Largest profile file read: 1 MB. The built-in profiles are 2–3 kB; a file a thousand times
/// larger is not a profile, and its aliases are compared with every source field.
pub const MAX_PROFILE_FILE_BYTES: u64 = 1_000_000;

/// The built-in profiles' names and files, in the order `auto` tries them.
const BUILT_IN: [(&str, &str); 3] = [
    ("cadastral", include_str!("../../profiles/cadastral.json")),
    ("tt16-2025", include_str!("../../profiles/tt16-2025.json")),
    ("generic", include_str!("../../profiles/generic.json")),
];

/// A mapping profile: aliases of source field names for each target field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Name used with `--profile` (a file's own name when it gives none).
    #[serde(default)]
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub doc: String,
    /// (target field, aliases), in the file's order. Aliases are keys ([`field_key`]).
    #[serde(
        serialize_with = "serialize_aliases",
        deserialize_with = "deserialize_aliases"
    )]
    pub aliases: Vec<(String, Vec<String>)>,
}

impl Profile {
    /// Reads a profile from JSON text: every target must be a schema field read from sources
    /// and every alias a non-personal field name; aliases become keys. `origin` names the
    /// text in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Profile, String> {
        let mut p: Profile = serde_json::from_str(text)
            .map_err(|e| format!("profile {origin}: not a valid profile file: {e}"))?;
        let targets = targets();
        for (target, aliases) in &mut p.aliases {
            if !targets.contains(target.as_str()) {
                return Err(format!(
                    "profile {origin}: '{target}' is not a schema field (fields: {})",
                    targets.iter().copied().collect::<Vec<_>>().join(", ")
                ));
            }
            for alias in aliases.iter_mut() {
                let key = field_key(alias);
                if key.is_empty() {
                    return Err(format!(
                        "profile {origin}: alias '{alias}' of {target} has no letters or digits"
                    ));
                }
                if is_personal(&key) {
                    return Err(format!(
                        "profile {origin}: alias '{alias}' of {target} is personal data \
                         (owners' names, ID numbers, birth dates, phone numbers), which is never \
                         matched to a public field; keep it privately with --keep-personal"
                    ));
                }
                *alias = key;
            }
        }
        Ok(p)
    }

    /// Reads a profile file (at most [`MAX_PROFILE_FILE_BYTES`]); a file without a name is
    /// named after itself.
    pub fn load(path: &Path) -> Result<Profile, String> {
        let shown = path.display();
        let toml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        if toml {
            return Err(format!(
                "profile {shown}: profile files are JSON (see docs/importing.md), not TOML"
            ));
        }
        let file =
            std::fs::File::open(path).map_err(|e| format!("profile {shown}: cannot open: {e}"))?;
        let meta = file
            .metadata()
            .map_err(|e| format!("profile {shown}: cannot read: {e}"))?;
        if !meta.is_file() {
            return Err(format!("profile {shown}: not a file"));
        }
        let too_large = || {
            format!(
                "profile {shown}: larger than {} kB; a profile is a short list of field names",
                MAX_PROFILE_FILE_BYTES / 1000
            )
        };
        if meta.len() > MAX_PROFILE_FILE_BYTES {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        file.take(MAX_PROFILE_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("profile {shown}: cannot read: {e}"))?;
        if bytes.len() as u64 > MAX_PROFILE_FILE_BYTES {
            return Err(too_large());
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("profile {shown}: not UTF-8 text (a profile is a JSON file)"))?;
        let mut p = Profile::parse(&text, &shown.to_string())?;
        if p.name.trim().is_empty() {
            p.name = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
        }
        Ok(p)
    }
}

/// The schema fields a profile may feed: those read from sources, of any kind.
fn targets() -> BTreeSet<&'static str> {
    Kind::ALL
        .iter()
        .flat_map(|k| k.fields())
        .filter(|f| f.from_source)
        .map(|f| f.name)
        .collect()
}

/// The built-in profiles, parsed once. An error means a damaged build (a test parses them).
pub fn builtin_profiles() -> Result<&'static [Profile], String> {
    static PARSED: OnceLock<Result<Vec<Profile>, String>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            BUILT_IN
                .iter()
                .map(|(name, text)| Profile::parse(text, &format!("{name} (built in)")))
                .collect()
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// Finds a built-in profile by name; `auto` means all of them, in order.
pub fn profiles_named(name: &str) -> Result<Vec<Profile>, String> {
    let all = builtin_profiles()?;
    if name == "auto" {
        return Ok(all.to_vec());
    }
    all.iter()
        .find(|p| p.name == name)
        .map(|p| vec![p.clone()])
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
            format!("unknown profile '{name}': auto, {}", names.join(", "))
        })
}

/// Whether a `--profile` argument names a profile file rather than a built-in profile: not a
/// built-in name (nor `auto`), and an existing file, or text with a `/` or ending in `.json`
/// (or `.toml`, to say that profiles are JSON). A built-in name always means the built-in
/// profile, even where a file of that name exists.
pub fn is_profile_file(arg: &str) -> bool {
    let builtin = arg == "auto" || BUILT_IN.iter().any(|(name, _)| *name == arg);
    let lower = arg.to_lowercase();
    !builtin
        && (arg.contains('/')
            || lower.ends_with(".json")
            || lower.ends_with(".toml")
            || Path::new(arg).is_file())
}

fn serialize_aliases<S: Serializer>(
    aliases: &[(String, Vec<String>)],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(aliases.len()))?;
    for (target, names) in aliases {
        map.serialize_entry(target, names)?;
    }
    map.end()
}

/// The `aliases` object in the file's order; a target named twice is an error (a JSON
/// object's later member would silently replace the earlier one).
fn deserialize_aliases<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<(String, Vec<String>)>, D::Error> {
    struct Aliases;
    impl<'de> Visitor<'de> for Aliases {
        type Value = Vec<(String, Vec<String>)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of schema field → list of source field names")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out: Vec<(String, Vec<String>)> = Vec::new();
            while let Some((target, names)) = map.next_entry::<String, Vec<String>>()? {
                if out.iter().any(|(t, _)| *t == target) {
                    return Err(serde::de::Error::custom(format!(
                        "'{target}' is given twice"
                    )));
                }
                out.push((target, names));
            }
            Ok(out)
        }
    }
    d.deserialize_map(Aliases)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Aliases = &'static [(&'static str, &'static [&'static str])];

    /// `CADASTRAL` as `schema.rs` had it before the profiles became files.
    const OLD_CADASTRAL: Aliases = &[
        (
            "commune_code",
            &[
                "maxa",
                "madvhc",
                "maphuongxa",
                "maxaphuong",
                "madonvihanhchinh",
            ],
        ),
        (
            "sheet",
            &[
                "soto",
                "sohieutobando",
                "shbando",
                "tobando",
                "sotobando",
                "soto_bd",
                "shto",
            ],
        ),
        (
            "parcel",
            &["sothua", "sothututhua", "shthua", "thuaso", "sothuadat"],
        ),
        (
            "area_declared_m2",
            &["dientich", "dtich", "dientichphaply", "dientichpl"],
        ),
        (
            "landuse",
            &[
                "loaidat",
                "mdsd",
                "kyhieumdsd",
                "maloaidat",
                "mucdichsudung",
                "kyhieuloaidat",
                "kyhieu",
                "loaidatqh",
                "chucnang",
            ],
        ),
        ("address", &["diachi", "diachithua"]),
        (
            "zone_id",
            &["makhu", "maoquyhoach", "maoqh", "kyhieuo", "malo"],
        ),
        (
            "name",
            &[
                "tenkhu", "tenlo", "tenxa", "tendvhc", "tenduong", "ten", "tentinh", "tenhuyen",
            ],
        ),
        ("plan_id", &["maquyhoach", "maqh"]),
        ("density_pct", &["matdo", "matdoxaydung", "matdoxd", "mdxd"]),
        ("floors_min", &["tangcaomin", "tangcaotoithieu", "socaomin"]),
        (
            "floors_max",
            &["tangcaomax", "tangcaotoida", "tangcao", "socaomax"],
        ),
        ("far", &["hesosdd", "hesosudungdat", "hsdd"]),
        (
            "height_m",
            &["chieucao", "chieucaomax", "chieucaotoida", "docao"],
        ),
        ("road_name", &["tenduong"]),
        (
            "width_m",
            &[
                "logioi",
                "rongduong",
                "rongqh",
                "berong",
                "chieurong",
                "rongmatduong",
                "ronght",
            ],
        ),
        ("code", &["maxa", "madvhc", "ma", "matinh", "mahuyen"]),
        ("level", &["loai", "cap", "loaidvhc", "capdvhc"]),
        ("parent", &["tentinh", "tenhuyen", "thuoc"]),
        ("class", &["loaiduong", "capduong", "phanloai"]),
        ("line_id", &["maduong", "machigioi"]),
    ];

    /// `TT16_2025` as `schema.rs` had it before the profiles became files.
    const OLD_TT16_2025: Aliases = &[
        ("zone_id", &["mathongtinqh"]),
        ("line_id", &["mathongtinqh"]),
        ("plan_id", &["mahosoqh"]),
        (
            "landuse",
            &["kyhieusdd", "maloaidat", "kyhieuchucnang", "chucnangsdd"],
        ),
        ("name", &["tenlo", "tenkhu", "tenoquyhoach", "ten"]),
        (
            "density_pct",
            &["matdoxd", "matdoxaydung", "matdoxaydungtoida"],
        ),
        ("floors_min", &["tangcaomin", "tangcaotoithieu"]),
        ("floors_max", &["tangcaomax", "tangcaotoida"]),
        ("far", &["hesosdd", "hesosudungdat", "hesosudungdattoida"]),
        ("height_m", &["chieucaomax", "chieucaotoida", "chieucao"]),
        ("road_name", &["tenduong", "tentuyen"]),
        ("width_m", &["logioi", "bronglogioi", "chieurong"]),
    ];

    /// `GENERIC` as `schema.rs` had it before the profiles became files.
    const OLD_GENERIC: Aliases = &[
        ("commune_code", &["communecode", "commune", "wardcode"]),
        ("sheet", &["sheet", "sheetno", "sheetnumber", "mapsheet"]),
        (
            "parcel",
            &["parcel", "parcelno", "parcelnumber", "lot", "lotno"],
        ),
        (
            "area_declared_m2",
            &["areadeclaredm2", "arealegal", "declaredarea"],
        ),
        (
            "landuse",
            &["landuse", "lucode", "use", "zoning", "landusecode"],
        ),
        ("address", &["address", "addr"]),
        ("zone_id", &["zoneid", "zone", "block", "blockid"]),
        ("plan_id", &["planid", "plan"]),
        ("name", &["name", "tentinh", "label"]),
        ("density_pct", &["densitypct", "density", "coverage"]),
        ("floors_min", &["floorsmin", "minfloors"]),
        ("floors_max", &["floorsmax", "maxfloors", "floors"]),
        ("far", &["far", "floorarearatio"]),
        ("height_m", &["heightm", "height", "maxheight"]),
        ("road_name", &["roadname", "road", "street"]),
        ("width_m", &["widthm", "width"]),
        ("code", &["code", "wardcode", "gid"]),
        ("level", &["level", "type", "adminlevel"]),
        ("parent", &["parent", "province", "district"]),
        ("class", &["class", "highway", "roadclass"]),
        ("line_id", &["lineid", "id"]),
    ];

    #[test]
    fn built_in_files_parse_to_what_the_consts_had() {
        let old = [
            ("cadastral", OLD_CADASTRAL),
            ("tt16-2025", OLD_TT16_2025),
            ("generic", OLD_GENERIC),
        ];
        let parsed = builtin_profiles().unwrap();
        assert_eq!(parsed.len(), old.len());
        for (p, (name, aliases)) in parsed.iter().zip(old) {
            assert_eq!(p.name, name);
            assert!(!p.doc.is_empty(), "{name}");
            // Aliases are keys now; the consts' one alias that was not (`soto_bd`) could never
            // equal a source field's key, and now matches `SoTo_BD` as it was meant to.
            let want: Vec<(String, Vec<String>)> = aliases
                .iter()
                .map(|(t, a)| (t.to_string(), a.iter().map(|s| field_key(s)).collect()))
                .collect();
            assert_eq!(p.aliases, want, "{name}");
        }
        let not_keys = old
            .iter()
            .flat_map(|(_, aliases)| aliases.iter().flat_map(|(_, a)| a.iter()))
            .filter(|a| field_key(a) != **a)
            .collect::<Vec<_>>();
        assert_eq!(not_keys, [&"soto_bd"]);
        assert_eq!(profiles_named("auto").unwrap(), parsed);
        assert_eq!(profiles_named("generic").unwrap(), [parsed[2].clone()]);
        let err = profiles_named("nope").unwrap_err();
        assert_eq!(
            err,
            "unknown profile 'nope': auto, cadastral, tt16-2025, generic"
        );
    }

    #[test]
    fn a_profile_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        for p in builtin_profiles().unwrap() {
            let path = dir.path().join(format!("{}.json", p.name));
            std::fs::write(&path, serde_json::to_string_pretty(p).unwrap()).unwrap();
            assert_eq!(&Profile::load(&path).unwrap(), p);
        }
        // Aliases as the source spells them; the name from the file's.
        let path = dir.path().join("tinh-x.json");
        std::fs::write(
            &path,
            r#"{"aliases": {"sheet": ["Số Tờ", "SO_TO_BD"], "parcel": ["Thửa số"]}}"#,
        )
        .unwrap();
        let p = Profile::load(&path).unwrap();
        assert_eq!(p.name, "tinh-x");
        assert_eq!(
            p.aliases,
            [
                (
                    "sheet".to_string(),
                    vec!["soto".to_string(), "sotobd".to_string()]
                ),
                ("parcel".to_string(), vec!["thuaso".to_string()]),
            ]
        );
        let src: Vec<String> = ["SO_TO_BD", "THUA_SO", "MaXa"].map(String::from).into();
        let m = super::super::match_fields(Kind::Parcels, &src, &[], &[p]).unwrap();
        assert_eq!(&m[..3], [None, Some(0), Some(1)]);
    }

    /// The error of loading a file holding `text`.
    fn load_error(name: &str, text: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let err = Profile::load(&path).unwrap_err();
        assert!(
            err.starts_with(&format!("profile {}: ", path.display())),
            "{err}"
        );
        err
    }

    #[test]
    fn bad_profile_files_are_refused_with_a_clear_reason() {
        let err = load_error("p.json", br#"{"aliases": {"sheeet": ["soto"]}}"#);
        assert!(
            err.ends_with(
                "'sheeet' is not a schema field (fields: address, area_declared_m2, class, \
                 code, commune_code, density_pct, far, floors_max, floors_min, height_m, \
                 landuse, level, line_id, name, parcel, parent, plan_id, road_name, sheet, \
                 width_m, zone_id)"
            ),
            "{err}"
        );
        // Computed fields are not read from sources.
        let err = load_error("p.json", br#"{"aliases": {"area_m2": ["dt"]}}"#);
        assert!(err.contains("'area_m2' is not a schema field"), "{err}");
        let err = load_error("p.json", br#"{"aliases": {"sheet": ["soto"],}"#);
        assert!(
            err.contains("not a valid profile file: trailing comma at line 1"),
            "{err}"
        );
        let err = load_error("p.json", br#"{"alias": {"sheet": ["soto"]}}"#);
        assert!(err.contains("unknown field `alias`"), "{err}");
        let err = load_error("p.json", br#"{"name": "x"}"#);
        assert!(err.contains("missing field `aliases`"), "{err}");
        let err = load_error("p.json", br#"{"aliases": ["sheet", "soto"]}"#);
        assert!(err.contains("an object of schema field"), "{err}");
        let err = load_error(
            "p.json",
            br#"{"aliases": {"sheet": ["a"], "sheet": ["b"]}}"#,
        );
        assert!(err.contains("'sheet' is given twice"), "{err}");
        let err = load_error(
            "p.json",
            r#"{"aliases": {"address": ["Số CCCD"]}}"#.as_bytes(),
        );
        assert!(
            err.contains("alias 'Số CCCD' of address is personal data"),
            "{err}"
        );
        let err = load_error("p.json", br#"{"aliases": {"sheet": ["__"]}}"#);
        assert!(
            err.contains("alias '__' of sheet has no letters or digits"),
            "{err}"
        );
        let err = load_error("p.json", b"{\"aliases\": {\"sheet\": [\"\xff\"]}}");
        assert!(err.contains("not UTF-8"), "{err}");
        let err = load_error("p.toml", b"[aliases]\nsheet = [\"soto\"]\n");
        assert!(err.contains("profile files are JSON"), "{err}");
        // Over the cap: refused before it is parsed.
        let mut big = br#"{"aliases": {"sheet": ["soto"]}}"#.to_vec();
        big.resize(MAX_PROFILE_FILE_BYTES as usize + 1, b' ');
        let err = load_error("p.json", &big);
        assert!(err.contains("larger than 1000 kB"), "{err}");
        // Not a file, no file.
        let dir = tempfile::tempdir().unwrap();
        let err = Profile::load(dir.path()).unwrap_err();
        assert!(err.ends_with("not a file"), "{err}");
        let err = Profile::load(&dir.path().join("none.json")).unwrap_err();
        assert!(err.contains("cannot open"), "{err}");
    }

    #[test]
    fn built_in_names_are_never_files() {
        for name in ["auto", "cadastral", "tt16-2025", "generic"] {
            assert!(!is_profile_file(name), "{name}");
        }
        assert!(!is_profile_file("cadastrl"));
        for file in ["mine.json", "MINE.JSON", "profiles/mine", "./x", "x.toml"] {
            assert!(is_profile_file(file), "{file}");
        }
    }
}
