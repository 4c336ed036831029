//! The 2025 reorganisation: which commune an old (pre-1 July 2025) commune became.
//!
//! `data/admin/renames-2025.csv` (built by `scripts/build-admin-renames.py` from the
//! MIT-licensed `vietnamadminunits` 1.0.4; see `data/admin/README.md`) is compiled in. A
//! land-use certificate issued before 2025 names the old commune, district and province; the
//! search finds the commune it is part of now.

use std::sync::OnceLock;

const CSV: &str = include_str!("../../../admin/renames-2025.csv");

/// One (old unit, new unit) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Rename {
    /// "Tỉnh Kiên Giang".
    pub old_province: String,
    /// "Huyện Châu Thành".
    pub old_district: String,
    /// "Xã Vĩnh Hòa Phú".
    pub old_ward: String,
    /// "Tỉnh An Giang".
    pub new_province: String,
    /// "Xã Bình An".
    pub new_ward: String,
    /// The new unit's code.
    pub new_code: String,
    /// Approximate centre of the new unit, WGS 84 (longitude, latitude).
    pub new_center: (f64, f64),
    /// The old unit was split between several new ones.
    pub divided: bool,
}

/// Splits one CSV line (fields never contain quotes or commas in this table, but quoted
/// fields are handled anyway).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// The table, parsed once.
pub fn renames() -> &'static [Rename] {
    static TABLE: OnceLock<Vec<Rename>> = OnceLock::new();
    TABLE.get_or_init(|| {
        CSV.lines()
            .skip(1)
            .filter_map(|line| {
                let f = fields(line);
                if f.len() < 9 {
                    return None;
                }
                Some(Rename {
                    old_province: f[0].clone(),
                    old_district: f[1].clone(),
                    old_ward: f[2].clone(),
                    new_province: f[3].clone(),
                    new_ward: f[4].clone(),
                    new_code: f[5].clone(),
                    new_center: (f[7].parse().ok()?, f[6].parse().ok()?),
                    divided: f[8] == "1",
                })
            })
            .collect()
    })
}

/// Drops the level word of a unit's name: "Xã Vĩnh Hòa Phú" → "Vĩnh Hòa Phú",
/// "Thành phố Rạch Giá" → "Rạch Giá".
pub fn bare_name(name: &str) -> &str {
    for prefix in [
        "Thành phố ",
        "Thị trấn ",
        "Thị xã ",
        "Phường ",
        "Huyện ",
        "Quận ",
        "Tỉnh ",
        "Xã ",
        "Đặc khu ",
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return rest;
        }
    }
    name
}

/// The level word of a unit's name in lower case ("xã", "phường", "thị trấn").
pub fn level_word(name: &str) -> String {
    let bare = bare_name(name);
    name[..name.len() - bare.len()].trim().to_lowercase()
}

impl Rename {
    /// What an old commune (still named so in a store) is now: "nay thuộc phường Rạch Giá,
    /// tỉnh An Giang (từ 1/7/2025)".
    pub fn note_now(&self) -> String {
        format!(
            "nay thuộc {} {}, {} {} (từ 1/7/2025){}",
            level_word(&self.new_ward),
            bare_name(&self.new_ward),
            level_word(&self.new_province),
            bare_name(&self.new_province),
            if self.divided { ", một phần" } else { "" }
        )
    }

    /// What an old commune became: "Vĩnh Hòa Phú (trước 1/7/2025) → nay là xã Bình An, tỉnh
    /// An Giang".
    pub fn note(&self) -> String {
        format!(
            "{} (trước 1/7/2025) → nay là {} {}, {} {}{}",
            bare_name(&self.old_ward),
            level_word(&self.new_ward),
            bare_name(&self.new_ward),
            level_word(&self.new_province),
            bare_name(&self.new_province),
            if self.divided { " (một phần)" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_old_unit_and_the_known_pairs() {
        let t = renames();
        assert!(t.len() > 10_000, "{} rows", t.len());
        let r = t
            .iter()
            .find(|r| r.old_ward == "Xã Vĩnh Hòa Phú" && r.old_district == "Huyện Châu Thành")
            .expect("Vĩnh Hòa Phú");
        assert_eq!(r.old_province, "Tỉnh Kiên Giang");
        assert_eq!(r.new_ward, "Xã Bình An");
        assert_eq!(r.new_province, "Tỉnh An Giang");
        assert_eq!(
            r.note(),
            "Vĩnh Hòa Phú (trước 1/7/2025) → nay là xã Bình An, tỉnh An Giang"
        );
        // Rạch Giá's old wards became phường Rạch Giá.
        let r = t
            .iter()
            .find(|r| r.old_ward == "Phường Vĩnh Thanh Vân")
            .expect("Vĩnh Thanh Vân");
        assert_eq!(r.new_ward, "Phường Rạch Giá");
        // Centres lie in Vietnam.
        assert!(t
            .iter()
            .all(|r| (102.0..118.0).contains(&r.new_center.0)
                && (8.0..24.0).contains(&r.new_center.1)));
        // Every old unit of Kiên Giang has a new one in An Giang.
        assert!(t
            .iter()
            .filter(|r| r.old_province == "Tỉnh Kiên Giang")
            .all(|r| r.new_province == "Tỉnh An Giang"));
    }

    #[test]
    fn names_and_levels() {
        assert_eq!(bare_name("Thị trấn Vĩnh Thuận"), "Vĩnh Thuận");
        assert_eq!(level_word("Thị trấn Vĩnh Thuận"), "thị trấn");
        assert_eq!(bare_name("Bình An"), "Bình An");
        assert_eq!(fields("a,\"b,c\",d"), vec!["a", "b,c", "d"]);
    }
}
