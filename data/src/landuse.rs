//! Land-use category codes of Circular 08/2024/TT-BTNMT, with the mapping of the legacy
//! codes of Circular 27/2018/TT-BTNMT that older data still uses.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One land-use category.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct LandUse {
    /// Short code, e.g. `ODT`.
    pub code: String,
    /// Group: `NNP` agricultural, `PNN` non-agricultural, `CSD` unused.
    pub group: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Default map colour, `#RRGGBB`.
    pub color: String,
}

const CODES_CSV: &str = include_str!("../landuse-codes.csv");

/// Legacy codes of Circular 27/2018 and what they became in Circular 08/2024.
///
/// BHK (flat land for other annual crops) and NHK (upland fields) merged into HNK; DDT
/// (historical relics) and DDL (scenic sites) into DDD; DSH (community halls) into DKV;
/// the coastal water-surface codes: MVT (coastal aquaculture) → NTS, MVR (coastal water
/// with forest, mostly mangrove protection forest) → RPH, MVK and MVB (other coastal water
/// surface) → MNC; SKT (export-processing zones) → SKK; SKX (building-material production)
/// → SKC; DTS and TSN (public-service organisations' offices) → DSK.
pub const LEGACY_CODES: &[(&str, &str)] = &[
    ("BHK", "HNK"),
    ("NHK", "HNK"),
    ("DDT", "DDD"),
    ("DDL", "DDD"),
    ("DSH", "DKV"),
    ("MVT", "NTS"),
    ("MVR", "RPH"),
    ("MVK", "MNC"),
    ("MVB", "MNC"),
    ("SKT", "SKK"),
    ("SKX", "SKC"),
    ("DTS", "DSK"),
    ("TSN", "DSK"),
];

/// The code table, parsed once, in file order.
pub fn codes() -> &'static [LandUse] {
    static TABLE: OnceLock<Vec<LandUse>> = OnceLock::new();
    TABLE.get_or_init(|| {
        CODES_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split(',').collect();
                Some(LandUse {
                    code: cols.first()?.trim().to_string(),
                    group: cols.get(1)?.trim().to_string(),
                    name_vi: cols.get(2)?.trim().to_string(),
                    name_en: cols.get(3)?.trim().to_string(),
                    color: cols.get(4)?.trim().to_string(),
                })
            })
            .collect()
    })
}

/// Looks a current code up.
pub fn lookup(code: &str) -> Option<&'static LandUse> {
    static INDEX: OnceLock<BTreeMap<&'static str, &'static LandUse>> = OnceLock::new();
    INDEX
        .get_or_init(|| codes().iter().map(|c| (c.code.as_str(), c)).collect())
        .get(code)
        .copied()
}

/// What became of one code found in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    /// A current code.
    Current(String),
    /// A legacy code mapped to a current one: (legacy, current).
    Mapped(String, String),
    /// Not in either table.
    Unknown(String),
}

/// Normalises a source's land-use text into current codes.
///
/// Parcels often carry several uses ("ONT+CLN", "ONT, CLN", "ONT/CLN"); each is upper-cased,
/// trimmed, mapped if legacy, and checked. Returns the checks in order; an empty text gives
/// an empty list.
pub fn check_codes(text: &str) -> Vec<CodeCheck> {
    text.split(['+', ',', ';', '/', ' ', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|raw| {
            let code = raw.to_uppercase();
            if lookup(&code).is_some() {
                CodeCheck::Current(code)
            } else if let Some((_, new)) = LEGACY_CODES.iter().find(|(old, _)| *old == code) {
                CodeCheck::Mapped(code, (*new).to_string())
            } else {
                CodeCheck::Unknown(raw.to_string())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_all_codes() {
        assert_eq!(codes().len(), 51);
        assert_eq!(lookup("ODT").unwrap().name_en, "Urban residential");
        assert_eq!(lookup("LUC").unwrap().color, "#FFFC8C");
        // Every legacy code maps to a code of the current table.
        for (old, new) in LEGACY_CODES {
            assert!(lookup(old).is_none(), "{old} is not legacy");
            assert!(lookup(new).is_some(), "{new} is not current");
        }
    }

    #[test]
    fn checks_multi_codes_and_legacy() {
        assert_eq!(
            check_codes("ont+cln"),
            vec![
                CodeCheck::Current("ONT".into()),
                CodeCheck::Current("CLN".into())
            ]
        );
        assert_eq!(
            check_codes("BHK"),
            vec![CodeCheck::Mapped("BHK".into(), "HNK".into())]
        );
        assert_eq!(
            check_codes("XYZ, ODT"),
            vec![
                CodeCheck::Unknown("XYZ".into()),
                CodeCheck::Current("ODT".into())
            ]
        );
        assert!(check_codes("  ").is_empty());
    }
}
