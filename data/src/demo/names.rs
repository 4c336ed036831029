//! Place, street and person names for the demo district (real-sounding, from the
//! Rạch Giá area; owners are fake).

/// Commune names, the first one holds the town centre (the web tests search it).
pub(crate) const COMMUNES: &[&str] = &[
    "Vĩnh Thanh",
    "Vĩnh Thanh Vân",
    "Vĩnh Lạc",
    "Vĩnh Quang",
    "Vĩnh Hiệp",
    "Phi Thông",
    "Rạch Sỏi",
    "An Hòa",
    "Vĩnh Lợi",
    "Vĩnh Bảo",
    "Mong Thọ",
    "Giục Tượng",
    "Minh Hòa",
    "Bình An",
    "Thạnh Lộc",
];

/// Stems for generated commune names ("Vĩnh Hòa 2", …) once the list above runs out.
const COMMUNE_STEMS: &[&str] = &[
    "Vĩnh Hòa",
    "Tân Hiệp",
    "Thạnh Đông",
    "Mong Thọ",
    "Bình An",
    "Minh Lương",
    "Thạnh Trị",
    "Vĩnh Hòa Hiệp",
];

/// The name of commune number `i` (0-based), unique for any `i`.
pub(crate) fn commune_name(i: usize) -> String {
    if let Some(n) = COMMUNES.get(i) {
        return (*n).to_string();
    }
    let j = i - COMMUNES.len();
    format!(
        "{} {}",
        COMMUNE_STEMS[j % COMMUNE_STEMS.len()],
        j / COMMUNE_STEMS.len() + 2
    )
}

/// Named streets of the town, then "Đường số N".
pub const STREETS: &[&str] = &[
    "Nguyễn Trung Trực",
    "Lâm Quang Ky",
    "Mạc Cửu",
    "Ngô Quyền",
    "Trần Phú",
    "Quang Trung",
    "Lê Lợi",
    "Nguyễn Hùng Sơn",
    "Chi Lăng",
    "Mạc Đĩnh Chi",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Phan Chu Trinh",
    "Hùng Vương",
    "Lê Hồng Phong",
    "Nguyễn Văn Cừ",
    "Tôn Đức Thắng",
    "Điện Biên Phủ",
    "30 Tháng 4",
    "Ngô Gia Tự",
    "Huỳnh Thúc Kháng",
    "Lạc Hồng",
    "Mai Thị Hồng Hạnh",
    "Phó Cơ Điều",
    "Lê Thánh Tôn",
    "Trần Quang Khải",
];

/// The name of the `i`-th town street (0-based).
pub(crate) fn street_name(i: usize) -> String {
    match STREETS.get(i) {
        Some(s) => (*s).to_string(),
        None => format!("Đường số {}", i - STREETS.len() + 1),
    }
}

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
    "Dương", "Lý", "Trương", "Danh", "Thạch", "Lâm", "Phan", "Châu",
];
const MIDDLE_M: &[&str] = &["Văn", "Minh", "Hữu", "Thanh", "Quốc", "Hoàng", "Công"];
const MIDDLE_F: &[&str] = &["Thị", "Ngọc", "Kim", "Thị Thu", "Mỹ", "Thanh"];
const GIVEN_M: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Hùng", "Nam", "Phúc", "Quang", "Sơn", "Tuấn", "Hiếu", "Khánh",
    "Long", "Tài", "Thành", "Lộc",
];
const GIVEN_F: &[&str] = &[
    "Lan", "Mai", "Thảo", "Vy", "Xuân", "Hòa", "Hạnh", "Hương", "Linh", "Trang", "Yến", "Nhung",
];

/// A fake owner name and a fake 12-digit citizen identity number (CCCD) from a key:
/// province code 091 (Kiên Giang), a sex/century digit, the birth year and six digits.
pub(crate) fn owner(k: u64) -> (String, String) {
    let pick =
        |list: &[&'static str], shift: u32| list[((k >> shift) % list.len() as u64) as usize];
    let female = (k >> 60) & 1 == 1;
    let family = pick(FAMILY, 0);
    let (middle, given) = if female {
        (pick(MIDDLE_F, 8), pick(GIVEN_F, 16))
    } else {
        (pick(MIDDLE_M, 8), pick(GIVEN_M, 16))
    };
    let year = 1940 + (k >> 24) % 66;
    let century = if year >= 2000 { 2 } else { 0 } + u64::from(female);
    let serial = (k >> 32) % 1_000_000;
    (
        format!("{family} {middle} {given}"),
        format!("091{century}{:02}{serial:06}", year % 100),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_names_are_unique_and_ids_have_12_digits() {
        let names: std::collections::HashSet<String> = (0..500).map(commune_name).collect();
        assert_eq!(names.len(), 500);
        assert_eq!(commune_name(0), "Vĩnh Thanh");
        let (_, id) = owner(0xDEAD_BEEF_1234_5678);
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c.is_ascii_digit()));
    }
}
