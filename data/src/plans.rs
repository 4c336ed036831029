//! Plans (quy hoạch) and the decisions that approve them.
//!
//! Planning information has legal consequences: every zone and red line in the store belongs
//! to a plan, and every answer names the plan and its approving decision.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A field is missing or malformed.
    #[error("plan '{id}': {problem}")]
    Invalid {
        /// The plan id (or `?`).
        id: String,
        /// What is wrong.
        problem: String,
    },
    /// The plans file could not be parsed.
    #[error("cannot read plans file: {0}")]
    Parse(String),
}

/// Result alias of this module.
pub type Result<T> = std::result::Result<T, PlanError>;

/// The level of a plan in the Vietnamese planning system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanLevel {
    /// National master plan (quy hoạch tổng thể quốc gia).
    National,
    /// Regional plan (quy hoạch vùng).
    Regional,
    /// Provincial plan (quy hoạch tỉnh).
    Provincial,
    /// General urban plan (quy hoạch chung đô thị).
    GeneralUrban,
    /// Zoning plan at 1:2000 (quy hoạch phân khu).
    #[serde(rename = "zoning_2000")]
    Zoning2000,
    /// Detailed plan at 1:500 (quy hoạch chi tiết).
    #[serde(rename = "detailed_500")]
    Detailed500,
    /// District land-use plan (quy hoạch sử dụng đất cấp huyện).
    DistrictLandUse,
}

impl PlanLevel {
    /// All levels, from the broadest.
    pub const ALL: [PlanLevel; 7] = [
        PlanLevel::National,
        PlanLevel::Regional,
        PlanLevel::Provincial,
        PlanLevel::GeneralUrban,
        PlanLevel::Zoning2000,
        PlanLevel::Detailed500,
        PlanLevel::DistrictLandUse,
    ];

    /// The identifier used in files and URLs.
    pub fn id(self) -> &'static str {
        match self {
            PlanLevel::National => "national",
            PlanLevel::Regional => "regional",
            PlanLevel::Provincial => "provincial",
            PlanLevel::GeneralUrban => "general_urban",
            PlanLevel::Zoning2000 => "zoning_2000",
            PlanLevel::Detailed500 => "detailed_500",
            PlanLevel::DistrictLandUse => "district_land_use",
        }
    }

    /// Vietnamese name.
    pub fn name_vi(self) -> &'static str {
        match self {
            PlanLevel::National => "Quy hoạch tổng thể quốc gia",
            PlanLevel::Regional => "Quy hoạch vùng",
            PlanLevel::Provincial => "Quy hoạch tỉnh",
            PlanLevel::GeneralUrban => "Quy hoạch chung đô thị",
            PlanLevel::Zoning2000 => "Quy hoạch phân khu tỷ lệ 1/2000",
            PlanLevel::Detailed500 => "Quy hoạch chi tiết tỷ lệ 1/500",
            PlanLevel::DistrictLandUse => "Quy hoạch sử dụng đất cấp huyện",
        }
    }

    /// English name.
    pub fn name_en(self) -> &'static str {
        match self {
            PlanLevel::National => "National master plan",
            PlanLevel::Regional => "Regional plan",
            PlanLevel::Provincial => "Provincial plan",
            PlanLevel::GeneralUrban => "General urban plan",
            PlanLevel::Zoning2000 => "Zoning plan, scale 1:2000",
            PlanLevel::Detailed500 => "Detailed plan, scale 1:500",
            PlanLevel::DistrictLandUse => "District land-use plan",
        }
    }

    /// Whether the plan is a land-use plan (quy hoạch sử dụng đất, Land Law 2024): it decides
    /// what the land may be used for and converted to. The others are construction/urban plans
    /// (Law on Urban and Rural Planning 2024): they decide what may be built.
    pub fn is_land_use(self) -> bool {
        matches!(
            self,
            PlanLevel::DistrictLandUse
                | PlanLevel::Provincial
                | PlanLevel::Regional
                | PlanLevel::National
        )
    }

    /// The plan's legal role, in Vietnamese.
    pub fn role_vi(self) -> &'static str {
        if self.is_land_use() {
            "Quy hoạch sử dụng đất: xác định đất được sử dụng vào mục đích gì và được chuyển \
             mục đích sử dụng sang loại đất nào; là căn cứ giao đất, cho thuê đất, chuyển mục \
             đích sử dụng đất và thu hồi đất."
        } else {
            "Quy hoạch xây dựng, đô thị: xác định được xây dựng gì — chức năng sử dụng đất, mật \
             độ xây dựng, tầng cao, hệ số sử dụng đất, chỉ giới đường đỏ; là căn cứ cấp giấy \
             phép xây dựng."
        }
    }

    /// The plan's legal role, in English.
    pub fn role_en(self) -> &'static str {
        if self.is_land_use() {
            "Land-use plan: decides what the land may be used for and which use it may be \
             converted to; the basis for allocating, leasing, converting and recovering land."
        } else {
            "Construction and urban zoning plan: decides what may be built — the planned \
             function, building density, floors, floor-area ratio, red lines; the basis for \
             building permits."
        }
    }
}

/// The kind of document that approved (or proposed) a plan, read from its number's type
/// code (Decree 30/2020/NĐ-CP, appendix III: "số/năm/viết tắt loại văn bản-cơ quan").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Quyết định (QĐ): an approval.
    Decision,
    /// Nghị quyết (NQ), e.g. of a People's Council.
    Resolution,
    /// Tờ trình (TTr): a proposal submitted for approval — not an approval.
    Submission,
    /// Thông báo (TB).
    Notice,
    /// Kế hoạch (KH).
    PlanOfAction,
    /// Công văn: a letter, numbered without a type code ("123/UBND-KT").
    Letter,
    /// Anything else.
    Other,
}

/// A document's kind with its names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct DocumentType {
    /// Machine-readable kind.
    pub kind: DocumentKind,
    /// Vietnamese name ("Quyết định").
    pub name_vi: &'static str,
    /// English name ("Decision").
    pub name_en: &'static str,
}

impl DocumentKind {
    /// The kind of the document numbered `number` ("2341/QĐ-UBND", "85/TTr-UBND",
    /// "12/2023/NQ-HĐND", "123/UBND-KT").
    pub fn of_number(number: &str) -> DocumentKind {
        let parts: Vec<&str> = number.split('/').map(str::trim).collect();
        for part in parts.iter().skip(1) {
            let code = part.split(['-', ' ']).next().unwrap_or("");
            let folded: String = code
                .chars()
                .map(|c| if c == 'Đ' || c == 'đ' { 'D' } else { c })
                .collect::<String>()
                .to_uppercase();
            match folded.as_str() {
                "QD" => return DocumentKind::Decision,
                "NQ" => return DocumentKind::Resolution,
                "TTR" => return DocumentKind::Submission,
                "TB" => return DocumentKind::Notice,
                "KH" => return DocumentKind::PlanOfAction,
                "CV" => return DocumentKind::Letter,
                "UBND" | "HDND" | "SXD" | "STNMT" | "SNNMT" if part.contains('-') => {
                    return DocumentKind::Letter
                }
                _ => {}
            }
        }
        DocumentKind::Other
    }

    /// The kind with its Vietnamese and English names.
    pub fn named(self) -> DocumentType {
        let (name_vi, name_en) = match self {
            DocumentKind::Decision => ("Quyết định", "Decision"),
            DocumentKind::Resolution => ("Nghị quyết", "Resolution"),
            DocumentKind::Submission => ("Tờ trình", "Submission (proposal, not an approval)"),
            DocumentKind::Notice => ("Thông báo", "Notice"),
            DocumentKind::PlanOfAction => ("Kế hoạch", "Action plan"),
            DocumentKind::Letter => ("Công văn", "Official letter"),
            DocumentKind::Other => ("Văn bản", "Document"),
        };
        DocumentType {
            kind: self,
            name_vi,
            name_en,
        }
    }
}

/// The English form of an authority written the Vietnamese way: "UBND tỉnh Kiên Giang" →
/// "Kiên Giang Provincial People's Committee". `None` when the form is not recognised (the
/// caller then shows the Vietnamese name, marked as such).
pub fn authority_en(authority: &str) -> Option<String> {
    let a = authority.trim();
    let (body, rest) = [
        ("UBND ", "People's Committee"),
        ("Ủy ban nhân dân ", "People's Committee"),
        ("Uỷ ban nhân dân ", "People's Committee"),
        ("HĐND ", "People's Council"),
        ("Hội đồng nhân dân ", "People's Council"),
    ]
    .iter()
    .find_map(|(p, en)| a.strip_prefix(p).map(|r| (*en, r)))?;
    let lower = rest.to_lowercase();
    let units: [(&str, &str); 7] = [
        ("thành phố trực thuộc trung ương ", "City"),
        ("tỉnh ", "Provincial"),
        ("thành phố ", "City"),
        ("tp. ", "City"),
        ("huyện ", "District"),
        ("thị xã ", "Town"),
        ("xã ", "Commune"),
    ];
    let more: [(&str, &str); 2] = [("phường ", "Ward"), ("quận ", "District")];
    for (p, adj) in units.iter().chain(more.iter()) {
        if lower.starts_with(p) {
            let name = rest.get(p.len()..).unwrap_or("").trim();
            if name.is_empty() {
                return None;
            }
            return Some(format!("{name} {adj} {body}"));
        }
    }
    None
}

impl FromStr for PlanLevel {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        PlanLevel::ALL
            .into_iter()
            .find(|l| l.id() == s.trim().to_lowercase().replace('-', "_"))
            .ok_or_else(|| {
                let ids: Vec<&str> = PlanLevel::ALL.iter().map(|l| l.id()).collect();
                format!("unknown plan level '{s}'; one of {}", ids.join(", "))
            })
    }
}

/// The legal status of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Approved and in force (còn hiệu lực).
    InForce,
    /// Adjusted by a later decision (đã điều chỉnh).
    Adjusted,
    /// No longer in force (hết hiệu lực).
    Expired,
    /// A draft published for consultation (dự thảo lấy ý kiến): not legally binding.
    Draft,
}

impl PlanStatus {
    /// All statuses.
    pub const ALL: [PlanStatus; 4] = [
        PlanStatus::InForce,
        PlanStatus::Adjusted,
        PlanStatus::Expired,
        PlanStatus::Draft,
    ];

    /// The identifier used in files and URLs.
    pub fn id(self) -> &'static str {
        match self {
            PlanStatus::InForce => "in_force",
            PlanStatus::Adjusted => "adjusted",
            PlanStatus::Expired => "expired",
            PlanStatus::Draft => "draft",
        }
    }

    /// Vietnamese name.
    pub fn name_vi(self) -> &'static str {
        match self {
            PlanStatus::InForce => "Còn hiệu lực",
            PlanStatus::Adjusted => "Đã điều chỉnh",
            PlanStatus::Expired => "Hết hiệu lực",
            PlanStatus::Draft => "Dự thảo lấy ý kiến",
        }
    }
}

impl FromStr for PlanStatus {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        PlanStatus::ALL
            .into_iter()
            .find(|l| l.id() == s.trim().to_lowercase().replace('-', "_"))
            .ok_or_else(|| {
                let ids: Vec<&str> = PlanStatus::ALL.iter().map(|l| l.id()).collect();
                format!("unknown plan status '{s}'; one of {}", ids.join(", "))
            })
    }
}

/// The decision approving a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Decision {
    /// Number, e.g. `1195/QĐ-UBND`.
    pub number: String,
    /// Date signed, `YYYY-MM-DD`.
    pub date: String,
    /// The approving authority, e.g. `UBND tỉnh Kiên Giang`.
    pub authority: String,
}

/// A plan record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Plan {
    /// Stable identifier, `[a-z0-9-]+`, used in layer names and URLs.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Level.
    pub level: PlanLevel,
    /// Approving decision.
    pub decision: Decision,
    /// Legal status.
    pub status: PlanStatus,
    /// In force from, `YYYY-MM-DD`.
    #[serde(default)]
    pub valid_from: Option<String>,
    /// In force until, `YYYY-MM-DD`.
    #[serde(default)]
    pub valid_to: Option<String>,
    /// Link to the decision or plan documents.
    #[serde(default)]
    pub document_url: Option<String>,
}

fn check_date(id: &str, what: &str, date: &str) -> Result<()> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, &format)
        .map(|_| ())
        .map_err(|_| PlanError::Invalid {
            id: id.to_string(),
            problem: format!("{what} '{date}' is not a date YYYY-MM-DD"),
        })
}

impl Plan {
    /// Checks the fields a plan must have.
    pub fn validate(&self) -> Result<()> {
        let invalid = |problem: &str| PlanError::Invalid {
            id: if self.id.is_empty() {
                "?".into()
            } else {
                self.id.clone()
            },
            problem: problem.to_string(),
        };
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(invalid(
                "id must be lowercase ASCII letters, digits, '-' or '_' (e.g. qhpk-2000)",
            ));
        }
        if self.name.trim().is_empty() {
            return Err(invalid("name is empty"));
        }
        if self.decision.number.trim().is_empty() {
            return Err(invalid("the approving decision number is empty"));
        }
        if self.decision.authority.trim().is_empty() {
            return Err(invalid("the approving authority is empty"));
        }
        check_date(&self.id, "decision date", &self.decision.date)?;
        for (what, d) in [
            ("valid_from", &self.valid_from),
            ("valid_to", &self.valid_to),
        ] {
            if let Some(d) = d {
                check_date(&self.id, what, d)?;
            }
        }
        if let (Some(a), Some(b)) = (&self.valid_from, &self.valid_to) {
            if a > b {
                return Err(invalid("valid_from is after valid_to"));
            }
        }
        Ok(())
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} — {} ({}; {} ngày {}, {}; {})",
            self.id,
            self.name,
            self.level.name_vi(),
            self.decision.number,
            self.decision.date,
            self.decision.authority,
            self.status.name_vi()
        )
    }
}

/// Reads plans from a JSON array (or an object with a `plans` array), or from CSV with the
/// header `id,name,level,decision_number,decision_date,authority,status,valid_from,valid_to,document_url`.
pub fn parse_plans(text: &str) -> Result<Vec<Plan>> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let plans: Vec<Plan> = if trimmed.starts_with('[') {
        serde_json::from_str(trimmed).map_err(|e| PlanError::Parse(e.to_string()))?
    } else if trimmed.starts_with('{') {
        #[derive(Deserialize)]
        struct Wrapped {
            plans: Vec<Plan>,
        }
        serde_json::from_str::<Wrapped>(trimmed)
            .map_err(|e| PlanError::Parse(e.to_string()))?
            .plans
    } else {
        parse_csv(trimmed)?
    };
    for p in &plans {
        p.validate()?;
    }
    Ok(plans)
}

fn parse_csv(text: &str) -> Result<Vec<Plan>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| PlanError::Parse("empty file".into()))?
        .split(',')
        .map(|h| h.trim().to_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let required = [
        "id",
        "name",
        "level",
        "decision_number",
        "decision_date",
        "authority",
        "status",
    ];
    for r in required {
        if col(r).is_none() {
            return Err(PlanError::Parse(format!(
                "CSV header lacks '{r}' (needs {})",
                required.join(",")
            )));
        }
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            let cells = split_csv_line(line);
            let get = |name: &str| {
                col(name)
                    .and_then(|c| cells.get(c))
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
            };
            let need = |name: &str| {
                get(name)
                    .ok_or_else(|| PlanError::Parse(format!("line {}: '{name}' is empty", i + 2)))
            };
            let bad = |e: String| PlanError::Parse(format!("line {}: {e}", i + 2));
            Ok(Plan {
                id: need("id")?,
                name: need("name")?,
                level: need("level")?.parse().map_err(bad)?,
                decision: Decision {
                    number: need("decision_number")?,
                    date: need("decision_date")?,
                    authority: need("authority")?,
                },
                status: need("status")?.parse().map_err(bad)?,
                valid_from: get("valid_from"),
                valid_to: get("valid_to"),
                document_url: get("document_url"),
            })
        })
        .collect()
}

/// Splits one CSV line, honouring double quotes.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(s) = cells.last_mut() {
                    s.push('"');
                }
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(String::new()),
            c => {
                if let Some(s) = cells.last_mut() {
                    s.push(c);
                }
            }
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_kinds_come_from_the_number() {
        use DocumentKind::*;
        for (n, k) in [
            ("2341/QĐ-UBND", Decision),
            ("1195/QD-UBND", Decision),
            ("85/TTr-UBND", Submission),
            ("12/2023/NQ-HĐND", Resolution),
            ("40/TB-UBND", Notice),
            ("123/UBND-KT", Letter),
            ("QH-2030", Other),
            ("", Other),
        ] {
            assert_eq!(DocumentKind::of_number(n), k, "{n}");
        }
        assert_eq!(DocumentKind::Submission.named().name_vi, "Tờ trình");
    }

    #[test]
    fn authorities_in_english() {
        assert_eq!(
            authority_en("UBND tỉnh Kiên Giang").as_deref(),
            Some("Kiên Giang Provincial People's Committee")
        );
        assert_eq!(
            authority_en("UBND huyện Châu Thành").as_deref(),
            Some("Châu Thành District People's Committee")
        );
        assert_eq!(
            authority_en("Hội đồng nhân dân thành phố Cần Thơ").as_deref(),
            Some("Cần Thơ City People's Council")
        );
        assert_eq!(authority_en("Bộ Xây dựng"), None);
        assert_eq!(authority_en("UBND tỉnh "), None);
    }

    use super::*;

    const JSON: &str = r#"[{"id": "qhpk-2000", "name": "Quy hoạch phân khu", "level": "zoning_2000",
        "decision": {"number": "12/QĐ-UBND", "date": "2023-02-01", "authority": "UBND tỉnh Kiên Giang"},
        "status": "in_force", "valid_from": "2023-02-01", "valid_to": null, "document_url": null}]"#;

    #[test]
    fn reads_json_and_csv() {
        let plans = parse_plans(JSON).unwrap();
        assert_eq!(plans[0].level, PlanLevel::Zoning2000);
        let csv = "id,name,level,decision_number,decision_date,authority,status,valid_from\n\
                   qhsdd-2030,\"QH SDĐ, 2021–2030\",district_land_use,1195/QĐ-UBND,2022-05-20,UBND tỉnh Kiên Giang,draft,2022-05-20\n";
        let plans = parse_plans(csv).unwrap();
        assert_eq!(plans[0].name, "QH SDĐ, 2021–2030");
        assert_eq!(plans[0].status, PlanStatus::Draft);
    }

    #[test]
    fn rejects_bad_plans() {
        let bad = JSON.replace("2023-02-01\", \"authority", "2023-13-01\", \"authority");
        let err = parse_plans(&bad).unwrap_err().to_string();
        assert!(err.contains("not a date"), "{err}");
        let bad = JSON.replace("qhpk-2000", "QH PK");
        assert!(parse_plans(&bad).is_err());
        let bad = JSON.replace("zoning_2000", "zoning");
        assert!(parse_plans(&bad).is_err());
        assert!("weird".parse::<PlanStatus>().is_err());
    }
}
