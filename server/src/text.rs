//! The planning report as plain text and as minimal HTML, in Vietnamese or English, for
//! phones on 2G: under [`MAX_REPORT_BYTES`], no scripts, no images, no external style
//! sheets. The pages around it (search, plans, help) are in [`crate::textsite`].
//!
//! Rendering works on the report's JSON so the wording follows the fields the query
//! library fills, and an absent field is left out rather than guessed. A report is a
//! [`Doc`]: the one-line answer on top, the site's facts, one section per plan (binding
//! plans apart from drafts and expired plans), and a footer (data date, legal notice,
//! links) that is never cut; when the budget is short, the plan sections lose their last
//! lines first.

use quyhoach_data::speech::MONTHS_EN;
use std::fmt::Write;

use serde_json::Value;

/// Size budget of a text or HTML page: about 2 s on a 2G (EDGE, ~25 kB/s) link before
/// compression. Long lists are cut to stay within it.
pub const MAX_REPORT_BYTES: usize = 5 * 1024;

/// Zones listed per binding plan; the rest are summed up in one line.
const MAX_ZONES: usize = 4;
/// Zones listed per draft or expired plan (shown for reference, more briefly).
const MAX_ZONES_REFERENCE: usize = 2;
/// Red lines listed per plan.
const MAX_REDLINES: usize = 3;

/// The page's language: Vietnamese first, English on `?lang=en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Tiếng Việt (the default).
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// `en` is English; anything else (absent, `vi`, nonsense) is Vietnamese, so a link
    /// never breaks on its language.
    pub fn from_param(v: Option<&str>) -> Lang {
        match v {
            Some(l) if l.eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// Picks the text of this language.
    pub fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// The name of this language in itself (the switch link's text).
    pub fn own_name(self) -> &'static str {
        self.t("Tiếng Việt", "English")
    }

    /// A number in this language's notation.
    pub fn number(self, x: f64, decimals: usize) -> String {
        match self {
            Lang::Vi => number_vi(x, decimals),
            Lang::En => number_en(x, decimals),
        }
    }

    /// A `YYYY-MM-DD` date (or a timestamp starting with one) as people write it:
    /// "12/10/2023" in Vietnamese, "12 October 2023" in English. Anything else is returned
    /// as it is.
    pub fn date(self, iso: &str) -> String {
        let Some((y, m, d)) = parse_date(iso) else {
            return iso.to_string();
        };
        match self {
            Lang::Vi => format!("{d:02}/{m:02}/{y}"),
            Lang::En => format!("{d} {} {y}", MONTHS_EN[(m - 1) as usize]),
        }
    }

    /// "ngày 12/10/2023" / "12 October 2023": a date inside a sentence.
    pub fn on_date(self, iso: &str) -> String {
        match self {
            Lang::Vi => format!("ngày {}", self.date(iso)),
            Lang::En => self.date(iso),
        }
    }

    /// `path` with this language's parameter (nothing for Vietnamese).
    pub fn href(self, path: &str) -> String {
        match self {
            Lang::Vi => path.to_string(),
            Lang::En if path.contains('?') => format!("{path}&lang=en"),
            Lang::En => format!("{path}?lang=en"),
        }
    }
}

/// `YYYY-MM-DD…` → (year, month, day), checked for a real calendar day.
fn parse_date(s: &str) -> Option<(i32, u8, u8)> {
    let head = s.get(..10)?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(head, &fmt).ok()?;
    Some((d.year(), u8::from(d.month()), d.day()))
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn f(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

fn i(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(Value::as_i64)
}

fn b(v: &Value, k: &str) -> Option<bool> {
    v.get(k).and_then(Value::as_bool)
}

fn group(int: &str, sep: char) -> String {
    let mut grouped = String::new();
    for (n, ch) in int.chars().enumerate() {
        if n > 0 && (int.len() - n).is_multiple_of(3) {
            grouped.push(sep);
        }
        grouped.push(ch);
    }
    grouped
}

fn number_with(x: f64, decimals: usize, thousands: char, point: char) -> String {
    let t = format!("{:.*}", decimals, x.abs());
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    let grouped = group(int, thousands);
    let sign = if x < 0.0 && t.chars().any(|c| c != '0' && c != '.') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{frac}")
    }
}

/// `1234.5` → `1.234,5` (Vietnamese digit grouping).
pub fn number_vi(x: f64, decimals: usize) -> String {
    number_with(x, decimals, '.', ',')
}

/// `1234.5` → `1,234.5`.
pub fn number_en(x: f64, decimals: usize) -> String {
    number_with(x, decimals, ',', '.')
}

/// The Vietnamese and English names of the kind of document numbered `number`, from its
/// type code (the report's own [`DocumentKind`](quyhoach_data::plans::DocumentKind) rule). A
/// Tờ trình (TTr) is a proposal, never a Quyết định.
pub fn document_names(number: &str) -> (&'static str, &'static str) {
    let d = quyhoach_data::plans::DocumentKind::of_number(number).named();
    (d.name_vi, d.name_en)
}

/// "Quyết định 2341/QĐ-UBND ngày 12/10/2023 của UBND tỉnh Kiên Giang" from a plan's JSON
/// (`decision`) and, when the report gives it, the document's own type (`document`).
pub fn document_line(plan: &Value, document: Option<&Value>, lang: Lang) -> Option<String> {
    let d = plan.get("decision")?;
    let number = s(d, "number").unwrap_or("?");
    let (vi, en) = document_names(number);
    let name = match document {
        Some(doc) => lang
            .t(
                s(doc, "name_vi").unwrap_or(vi),
                s(doc, "name_en").unwrap_or(en),
            )
            .to_string(),
        None => lang.t(vi, en).to_string(),
    };
    let mut t = format!("{name} {number}");
    if let Some(date) = s(d, "date") {
        match lang {
            Lang::Vi => {
                let _ = write!(t, " {}", lang.on_date(date));
            }
            Lang::En => {
                let _ = write!(t, " of {}", lang.date(date));
            }
        }
    }
    if let Some(a) = s(d, "authority") {
        match lang {
            Lang::Vi => {
                let _ = write!(t, " của {a}");
            }
            Lang::En => {
                let _ = write!(t, ", {a} (Vietnamese name)");
            }
        }
    }
    Some(t)
}

/// A name that only exists in Vietnamese, marked as such on English pages.
pub fn vi_name(name: &str, lang: Lang) -> String {
    match lang {
        Lang::Vi => name.to_string(),
        Lang::En => format!("{name} (Vietnamese name)"),
    }
}

/// Whether a plan binds (in force or adjusted): from the report's `binding`, else from the
/// plan's status.
pub fn is_binding(pr: &Value, plan: &Value) -> bool {
    b(pr, "binding").unwrap_or_else(|| matches!(s(plan, "status"), Some("in_force" | "adjusted")))
}

/// One piece of a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading of level 1–3.
    H(u8, String),
    /// A paragraph.
    P(String),
    /// The one-line answer, set apart.
    Answer(String),
    /// A paragraph about something not binding (drafts), set apart.
    Note(String),
    /// A link (relative href, text).
    Link(String, String),
    /// Raw HTML made by this crate (forms); left out of text output.
    Html(String),
}

/// A page: title, body (cut from the end when over budget) and footer (kept whole).
#[derive(Debug, Clone, Default)]
pub struct Doc {
    /// The `<title>`, and the `h1` unless the body starts with its own.
    pub title: String,
    /// The content.
    pub body: Vec<Block>,
    /// Kept whole whatever the budget: data date, legal notice, links.
    pub foot: Vec<Block>,
}

/// Links a report points to (relative to the site's root), in its language.
#[derive(Debug, Clone, Default)]
pub struct ReportLinks {
    /// The full map page of the parcel (`/?p=…`).
    pub map: Option<String>,
    /// The same report in the other language.
    pub other_lang: Option<String>,
    /// The same report in the other format (text ↔ HTML): href and link text.
    pub other_format: Option<(String, String)>,
}

fn current_uses(site: &Value, lang: Lang) -> Option<String> {
    if let Some(Value::Array(uses)) = site.get("current_landuse").or_else(|| site.get("landuse")) {
        let names: Vec<String> = uses
            .iter()
            .filter_map(|u| match u {
                Value::String(c) => Some(c.clone()),
                o => {
                    let code = s(o, "code").or_else(|| s(o, "landuse"))?;
                    Some(match s(o, lang.t("name_vi", "name_en")) {
                        Some(n) => format!("{code} – {n}"),
                        None => code.to_string(),
                    })
                }
            })
            .collect();
        (!names.is_empty()).then(|| names.join("; "))
    } else {
        s(site, "landuse").map(str::to_string)
    }
}

/// The heading of a report: the parcel, or the drawn site.
pub fn site_title(site: &Value, lang: Lang) -> String {
    match (i(site, "sheet"), i(site, "parcel")) {
        (Some(sh), Some(p)) => {
            let commune = s(site, "commune_name")
                .or_else(|| s(site, "commune"))
                .or_else(|| s(site, "commune_code"))
                .unwrap_or("?");
            let code = s(site, "commune_code")
                .filter(|c| *c != commune)
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            match lang {
                Lang::Vi => format!("Thửa đất số {p}, tờ bản đồ số {sh}, {commune}{code}"),
                Lang::En => format!("Parcel {p}, map sheet {sh}, {commune}{code}"),
            }
        }
        _ => lang
            .t(
                "Khu đất do người dùng vẽ / tải lên",
                "Site drawn or uploaded by the user",
            )
            .into(),
    }
}

fn zone_line(z: &Value, lang: Lang) -> String {
    let code = s(z, "landuse").unwrap_or("?");
    let name = s(z, lang.t("landuse_name_vi", "landuse_name_en"))
        .map(|n| format!(" – {n}"))
        .unwrap_or_default();
    let mut t = format!(
        "• {code}{name}: {} m² ({}%)",
        lang.number(f(z, "overlap_m2").unwrap_or(0.0), 1),
        lang.number(f(z, "overlap_pct").unwrap_or(0.0), 1),
    );
    if let Some(d) = f(z, "density_pct") {
        let _ = write!(
            t,
            "; {} {}%",
            lang.t("mật độ XD tối đa", "max. site coverage"),
            lang.number(d, 0)
        );
    }
    match (i(z, "floors_min"), i(z, "floors_max")) {
        (Some(a), Some(b)) if a != b => {
            let _ = write!(t, "; {a}–{b} {}", lang.t("tầng", "floors"));
        }
        (_, Some(b)) => {
            let _ = write!(
                t,
                "; {} {b} {}",
                lang.t("tối đa", "max."),
                lang.t("tầng", "floors")
            );
        }
        _ => {}
    }
    if let Some(h) = f(z, "height_m") {
        let _ = write!(
            t,
            "; {} {} m",
            lang.t("cao tối đa", "max. height"),
            lang.number(h, 1)
        );
    }
    if let Some(x) = f(z, "far") {
        let _ = write!(
            t,
            "; {} {}",
            lang.t("hệ số SDĐ", "floor area ratio"),
            lang.number(x, 2)
        );
    }
    if b(z, "same_as_current") == Some(false) {
        t.push_str(lang.t(" [khác hiện trạng]", " [differs from current use]"));
    }
    t
}

fn redline_line(rl: &Value, lang: Lang) -> String {
    let road = s(rl, "road_name")
        .map(|r| vi_name(r, lang))
        .unwrap_or_else(|| lang.t("đường quy hoạch", "planned road").into());
    let m2 = f(rl, "area_in_road_m2").unwrap_or(0.0);
    if b(rl, "crosses_site") == Some(true) || m2 > 0.0 {
        let (a, p) = (
            lang.number(m2, 1),
            lang.number(f(rl, "area_in_road_pct").unwrap_or(0.0), 1),
        );
        match lang {
            Lang::Vi => {
                format!("• Chỉ giới đường đỏ {road}: {a} m² ({p}%) khu đất nằm trong lộ giới")
            }
            Lang::En => format!("• Red line of {road}: {a} m² ({p}%) of the site is in the road"),
        }
    } else {
        let d = lang.number(f(rl, "distance_m").unwrap_or(0.0), 1);
        match lang {
            Lang::Vi => format!("• Chỉ giới đường đỏ {road} cách khu đất {d} m"),
            Lang::En => format!("• Red line of {road}: {d} m from the site"),
        }
    }
}

/// One plan's section.
fn plan_section(pr: &Value, binding: bool, lang: Lang, out: &mut Vec<Block>) {
    let plan = pr.get("plan").cloned().unwrap_or(Value::Null);
    let para = |t: String| if binding { Block::P(t) } else { Block::Note(t) };
    out.push(Block::H(
        3,
        vi_name(
            s(&plan, "name").unwrap_or(lang.t("Quy hoạch", "Plan")),
            lang,
        ),
    ));
    let level = s(pr, lang.t("level_name_vi", "level_name_en")).or_else(|| match lang {
        Lang::Vi => s(&plan, "level_name_vi"),
        Lang::En => None,
    });
    let role = s(pr, lang.t("role_vi", "role_en"));
    match (level, role) {
        (Some(l), Some(r)) => out.push(para(format!("{l}: {r}"))),
        (Some(x), None) | (None, Some(x)) => out.push(para(x.to_string())),
        _ => {}
    }
    if let Some(line) = document_line(&plan, pr.get("document"), lang) {
        out.push(para(line));
    }
    if !binding {
        let status = match s(&plan, "status") {
            Some("draft") => lang.t(
                "Dự thảo lấy ý kiến — chưa có giá trị pháp lý",
                "Draft for consultation — not legally binding",
            ),
            Some("expired") => lang.t(
                "Hết hiệu lực — chỉ để tham khảo",
                "Expired — for reference only",
            ),
            _ => lang.t("Không có giá trị pháp lý", "Not legally binding"),
        };
        out.push(Block::Note(status.to_string()));
    }
    let verdict = pr
        .get("verdict")
        .and_then(|v| s(v, lang.t("vi", "en")))
        .map(str::to_string);
    match verdict {
        Some(v) => out.push(para(format!(
            "{}: {v}",
            lang.t("Theo quy hoạch này", "Under this plan")
        ))),
        None => {
            if let Some(c) = f(pr, "coverage_pct") {
                out.push(para(format!(
                    "{}: {}%",
                    lang.t(
                        "Phần khu đất thuộc quy hoạch",
                        "Share of the site in the plan"
                    ),
                    lang.number(c.min(100.0), 1)
                )));
            }
        }
    }
    let zones: Vec<&Value> = pr
        .get("zones")
        .and_then(Value::as_array)
        .map(|z| z.iter().collect())
        .unwrap_or_default();
    let (real, slivers): (Vec<&Value>, Vec<&Value>) = zones
        .into_iter()
        .partition(|z| b(z, "sliver") != Some(true));
    let max = if binding {
        MAX_ZONES
    } else {
        MAX_ZONES_REFERENCE
    };
    for z in real.iter().take(max) {
        out.push(para(zone_line(z, lang)));
    }
    if real.len() > max {
        out.push(para(match lang {
            Lang::Vi => format!("… và {} khu khác (xem bản đồ đầy đủ)", real.len() - max),
            Lang::En => format!("… and {} more zones (see the full map)", real.len() - max),
        }));
    }
    if !slivers.is_empty() {
        let m2: f64 = slivers.iter().filter_map(|z| f(z, "overlap_m2")).sum();
        out.push(para(match lang {
            Lang::Vi => format!(
                "• Sai lệch ranh giới với {} khu lân cận: {} m² (không phải thay đổi mục đích)",
                slivers.len(),
                lang.number(m2, 1)
            ),
            Lang::En => format!(
                "• Edge mismatch with {} neighbouring zones: {} m² (not a change of use)",
                slivers.len(),
                lang.number(m2, 1)
            ),
        }));
    }
    let reds: Vec<&Value> = pr
        .get("redlines")
        .and_then(Value::as_array)
        .map(|r| r.iter().collect())
        .unwrap_or_default();
    for rl in reds.iter().take(MAX_REDLINES) {
        out.push(para(redline_line(rl, lang)));
    }
    if reds.len() > MAX_REDLINES {
        out.push(para(match lang {
            Lang::Vi => format!("… và {} chỉ giới khác", reds.len() - MAX_REDLINES),
            Lang::En => format!("… and {} more red lines", reds.len() - MAX_REDLINES),
        }));
    }
}

/// The report as a page: the answer on top, the site, the plans (binding, then drafts
/// apart, then expired), the footer.
pub fn report_doc(r: &Value, lang: Lang, links: &ReportLinks) -> Doc {
    let site = r.get("site").cloned().unwrap_or(Value::Null);
    let mut body = vec![Block::H(1, site_title(&site, lang))];
    if let Some(sum) = s(r, lang.t("summary_vi", "summary_en")) {
        body.push(Block::Answer(format!(
            "{}: {sum}",
            lang.t("Kết luận", "Answer")
        )));
    }
    if let Some(a) = s(&site, "address") {
        body.push(Block::P(format!(
            "{}: {}",
            lang.t("Địa chỉ", "Address"),
            vi_name(a, lang)
        )));
    }
    if let Some(a) = f(&site, "area_m2") {
        body.push(Block::P(format!(
            "{}: {} m²",
            lang.t("Diện tích", "Area"),
            lang.number(a, 1)
        )));
    }
    if let Some(u) = current_uses(&site, lang) {
        body.push(Block::P(format!(
            "{}: {u}",
            lang.t("Hiện trạng sử dụng đất", "Current land use")
        )));
    }
    if let Some(m2) = f(r, "road_area_m2").filter(|m| *m > 0.0) {
        body.push(Block::P(format!(
            "{}: {} m² ({}%)",
            lang.t("Trong chỉ giới đường đỏ", "Inside red lines"),
            lang.number(m2, 1),
            lang.number(f(r, "road_area_pct").unwrap_or(0.0), 1)
        )));
    }
    let plans: Vec<Value> = r
        .get("plans")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if plans.is_empty() {
        body.push(Block::P(
            lang.t(
                "Không có quy hoạch nào trong dữ liệu chạm tới khu đất này.",
                "No plan in the data reaches this site.",
            )
            .into(),
        ));
    }
    let (binding, other): (Vec<&Value>, Vec<&Value>) = plans.iter().partition(|pr| {
        let plan = pr.get("plan").cloned().unwrap_or(Value::Null);
        is_binding(pr, &plan)
    });
    let status = |pr: &Value| {
        pr.get("plan")
            .and_then(|p| s(p, "status"))
            .unwrap_or("")
            .to_string()
    };
    let (drafts, expired): (Vec<&Value>, Vec<&Value>) =
        other.into_iter().partition(|pr| status(pr) != "expired");
    let groups = [
        (
            binding,
            true,
            lang.t("Quy hoạch có giá trị pháp lý", "Binding plans"),
        ),
        (
            drafts,
            false,
            lang.t(
                "Dự thảo lấy ý kiến — chưa có giá trị pháp lý",
                "Drafts for consultation — not legally binding",
            ),
        ),
        (
            expired,
            false,
            lang.t(
                "Quy hoạch hết hiệu lực (tham khảo)",
                "Expired plans (for reference)",
            ),
        ),
    ];
    for (group, binding, heading) in groups {
        if group.is_empty() {
            continue;
        }
        body.push(Block::H(2, heading.to_string()));
        for pr in group {
            plan_section(pr, binding, lang, &mut body);
        }
    }
    let mut foot = Vec::new();
    if let Some(d) = s(r, "data_date") {
        foot.push(Block::P(format!(
            "{}: {}",
            lang.t("Dữ liệu cập nhật", "Data updated"),
            lang.date(d)
        )));
    }
    if let Some(d) = s(r, lang.t("disclaimer_vi", "disclaimer_en")) {
        foot.push(Block::P(d.to_string()));
    }
    if let Some(m) = &links.map {
        foot.push(Block::Link(
            m.clone(),
            lang.t("Xem trên bản đồ đầy đủ", "See on the full map")
                .into(),
        ));
    }
    if let Some((href, label)) = &links.other_format {
        foot.push(Block::Link(href.clone(), label.clone()));
    }
    Doc {
        title: site_title(&site, lang),
        body,
        foot,
    }
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The one style line of every text page.
const STYLE: &str = "body{font:16px/1.4 sans-serif;max-width:40em;margin:auto;padding:8px;color:#111}h1{font-size:1.25em}h2{font-size:1.1em;border-top:2px solid #555;padding-top:4px}h3{font-size:1em;margin-bottom:0}.a{font-weight:bold;background:#ffd;border:1px solid #aa6;padding:6px}.d{color:#444;border-left:4px solid #999;padding-left:6px}nav,footer{font-size:.9em}";

/// What frames a page: its language, the same page in the other language, the full map
/// page and the other format (`rel=alternate` links), the navigation.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// The page's language.
    pub lang: Lang,
    /// The same page in the other language.
    pub other_lang: String,
    /// The full (map) version of this page.
    pub full: String,
    /// The other format of this page (text/plain), if any.
    pub text: Option<String>,
}

fn nav(frame: &Frame) -> Vec<(String, String)> {
    let l = frame.lang;
    vec![
        (l.href("/text"), l.t("Tìm kiếm", "Search").to_string()),
        (
            l.href("/text/plans"),
            l.t("Các quy hoạch", "Plans").to_string(),
        ),
        (l.href("/text/help"), l.t("Hướng dẫn", "Help").to_string()),
        (
            frame.full.clone(),
            l.t("Bản đồ đầy đủ", "Full map").to_string(),
        ),
        (frame.other_lang.clone(), l.other().own_name().to_string()),
    ]
}

/// One block as HTML; a level-1 heading stays `h1` only while `h1_left`.
fn block_html(bl: &Block, h1_left: &mut bool) -> String {
    match bl {
        Block::H(level, t) => {
            let level = if *level == 1 && !*h1_left { 2 } else { *level };
            if level == 1 {
                *h1_left = false;
            }
            format!("<h{level}>{}</h{level}>", esc(t))
        }
        Block::P(t) => format!("<p>{}", esc(t)),
        Block::Answer(t) => format!("<p class=a>{}", esc(t)),
        Block::Note(t) => format!("<p class=d>{}", esc(t)),
        Block::Link(h, t) => format!("<p><a href=\"{}\">{}</a>", esc(h), esc(t)),
        Block::Html(h) => h.clone(),
    }
}

/// A page as minimal HTML, at most [`MAX_REPORT_BYTES`]: one inline style line, no
/// scripts, no images.
pub fn page_html(doc: &Doc, frame: &Frame) -> String {
    let l = frame.lang;
    let other = l.other();
    let mut head = format!(
        "<!doctype html><html lang={}><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <title>{}</title>\
         <link rel=alternate hreflang={} href=\"{}\">\
         <link rel=alternate href=\"{}\" title=\"{}\">",
        l.code(),
        esc(&doc.title),
        other.code(),
        esc(&frame.other_lang),
        esc(&frame.full),
        l.t("Bản đồ đầy đủ", "Full map"),
    );
    if let Some(t) = &frame.text {
        let _ = write!(
            head,
            "<link rel=alternate type=text/plain href=\"{}\">",
            esc(t)
        );
    }
    let _ = write!(head, "<style>{STYLE}</style>");
    let links: Vec<String> = nav(frame)
        .iter()
        .map(|(h, t)| format!("<a href=\"{}\">{}</a>", esc(h), esc(t)))
        .collect();
    let _ = write!(head, "<nav>{}</nav>", links.join(" · "));
    let foot: String = doc
        .foot
        .iter()
        .map(|bl| block_html(bl, &mut false))
        .collect();
    let tail = format!("<footer>{foot}</footer></html>\n");
    let mut body = String::new();
    // One h1: the body's own, else the title.
    let mut h1_left = doc.body.iter().any(|b| matches!(b, Block::H(1, _)));
    if !h1_left {
        let _ = write!(body, "<h1>{}</h1>", esc(&doc.title));
    }
    let cut = l.t(
        "<p>… (rút gọn; xem bản đồ đầy đủ)",
        "<p>… (shortened; see the full map)",
    );
    let budget = MAX_REPORT_BYTES.saturating_sub(head.len() + tail.len() + cut.len());
    for bl in &doc.body {
        let h = block_html(bl, &mut h1_left);
        if body.len() + h.len() > budget {
            body.push_str(cut);
            break;
        }
        body.push_str(&h);
    }
    format!("{head}{body}{tail}")
}

fn block_text(bl: &Block, base: &str) -> Option<String> {
    Some(match bl {
        Block::H(1, t) => format!("{t}\n{}", "=".repeat(t.chars().count().min(60))),
        Block::H(_, t) => format!("\n== {t} =="),
        Block::P(t) => t.clone(),
        Block::Answer(t) => format!(">> {t}"),
        Block::Note(t) => format!("  | {t}"),
        Block::Link(h, t) => format!("{t}: {base}{h}"),
        Block::Html(_) => return None,
    })
}

/// A page as plain text, at most [`MAX_REPORT_BYTES`]; links are written out in full
/// (`base` is the site's address).
pub fn page_text(doc: &Doc, frame: &Frame, base: &str) -> String {
    let l = frame.lang;
    let mut foot = String::from("\n");
    for bl in &doc.foot {
        if let Some(t) = block_text(bl, base) {
            let _ = writeln!(foot, "{t}");
        }
    }
    let _ = writeln!(foot, "{}: {base}{}", l.other().own_name(), frame.other_lang);
    let cut = l.t(
        "… (rút gọn; xem bản đồ đầy đủ)\n",
        "… (shortened; see the full map)\n",
    );
    let budget = MAX_REPORT_BYTES.saturating_sub(foot.len() + cut.len());
    let mut body = String::new();
    if !doc.body.iter().any(|b| matches!(b, Block::H(1, _))) {
        let _ = writeln!(body, "{}", doc.title);
    }
    for bl in &doc.body {
        let Some(t) = block_text(bl, base) else {
            continue;
        };
        if body.len() + t.len() + 1 > budget {
            body.push_str(cut);
            break;
        }
        let _ = writeln!(body, "{t}");
    }
    format!("{body}{foot}")
}

fn links_of(r: &Value) -> (ReportLinks, Frame) {
    let path = r
        .get("links")
        .and_then(Value::as_array)
        .and_then(|ls| ls.iter().find(|l| s(l, "rel") == Some("about")))
        .and_then(|l| s(l, "href"))
        .map(str::to_string);
    let frame = Frame {
        lang: Lang::Vi,
        other_lang: path
            .as_ref()
            .map(|p| format!("{p}/report.html?lang=en"))
            .unwrap_or_else(|| "/text?lang=en".into()),
        full: "/".into(),
        text: path.as_ref().map(|p| format!("{p}/report.txt")),
    };
    (ReportLinks::default(), frame)
}

/// The report as plain Vietnamese text (`POST /api/v1/report?format=txt`).
pub fn report_text(r: &Value) -> String {
    let (links, frame) = links_of(r);
    page_text(&report_doc(r, Lang::Vi, &links), &frame, "")
}

/// The report as minimal Vietnamese HTML (`POST /api/v1/report?format=html`).
pub fn report_html(r: &Value) -> String {
    let (links, frame) = links_of(r);
    page_html(&report_doc(r, Lang::Vi, &links), &frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vietnamese_and_english_numbers() {
        assert_eq!(number_vi(1234.5, 1), "1.234,5");
        assert_eq!(number_vi(999.0, 0), "999");
        assert_eq!(number_vi(1_000_000.0, 0), "1.000.000");
        assert_eq!(number_vi(-12.25, 2), "-12,25");
        assert_eq!(number_en(1776.0, 0), "1,776");
        assert_eq!(number_en(60.54, 1), "60.5");
    }

    #[test]
    fn dates_as_people_write_them() {
        assert_eq!(Lang::Vi.date("2023-10-12"), "12/10/2023");
        assert_eq!(Lang::Vi.on_date("2023-10-12"), "ngày 12/10/2023");
        assert_eq!(Lang::En.date("2023-10-12"), "12 October 2023");
        assert_eq!(Lang::En.date("2026-12-01T21:28:56.6Z"), "1 December 2026");
        assert_eq!(Lang::Vi.date("2023-02-30"), "2023-02-30", "not a day");
        assert_eq!(Lang::Vi.date("?"), "?");
    }

    #[test]
    fn documents_are_named_by_their_type_code() {
        assert_eq!(document_names("2341/QĐ-UBND").0, "Quyết định");
        assert_eq!(document_names("85/TTr-UBND").0, "Tờ trình");
        assert_eq!(document_names("12/2023/NQ-HĐND").0, "Nghị quyết");
        assert_eq!(document_names("7/TB-UBND").0, "Thông báo");
        assert_eq!(document_names("123/UBND-KT").0, "Công văn");
        assert_eq!(document_names("abc").0, "Văn bản");
        let plan = json!({"decision": {"number": "85/TTr-UBND", "date": "2025-03-10", "authority": "UBND huyện Châu Thành"}});
        let l = document_line(&plan, None, Lang::Vi).unwrap();
        assert_eq!(
            l,
            "Tờ trình 85/TTr-UBND ngày 10/03/2025 của UBND huyện Châu Thành"
        );
        assert!(!l.contains("Quyết định"));
    }

    #[test]
    fn huge_reports_fit_the_budget() {
        let zone = json!({"landuse": "ODT", "landuse_name_vi": "Đất ở tại đô thị <b>&", "overlap_m2": 12.0, "overlap_pct": 1.0, "same_as_current": false});
        let plan = json!({"plan": {"name": "Quy hoạch ".repeat(200), "status": "in_force", "decision": {"number": "1/QĐ", "date": "2024-01-01", "authority": "UBND"}},
            "zones": vec![zone; 100], "redlines": [], "coverage_pct": 100.0});
        let r = json!({"site": {"sheet": 1, "parcel": 2, "commune_code": "31150", "area_m2": 100.0},
            "summary_vi": "Thửa đất bị ảnh hưởng.", "summary_en": "Affected.", "disclaimer_vi": "Tham khảo.",
            "plans": vec![plan; 30]});
        for lang in [Lang::Vi, Lang::En] {
            let frame = Frame {
                lang,
                other_lang: "/x".into(),
                full: "/".into(),
                text: None,
            };
            let doc = report_doc(&r, lang, &ReportLinks::default());
            let t = page_text(&doc, &frame, "http://h");
            let h = page_html(&doc, &frame);
            assert!(
                t.len() <= MAX_REPORT_BYTES && h.len() <= MAX_REPORT_BYTES,
                "{} {}",
                t.len(),
                h.len()
            );
            assert!(!h.contains("<script") && !h.contains("<b>"));
            assert!(h.ends_with("</footer></html>\n"), "the footer is kept");
        }
        let t = report_text(&r);
        assert!(t.contains("Thửa đất số 2, tờ bản đồ số 1"), "{t}");
        assert!(t.contains("Tham khảo."), "the notice is never cut");
    }

    #[test]
    fn drafts_are_apart_from_binding_plans() {
        let dec = json!({"number": "2341/QĐ-UBND", "date": "2023-10-12", "authority": "UBND tỉnh"});
        let r = json!({"site": {"sheet": 1, "parcel": 2, "commune_name": "Vĩnh Thanh"},
        "summary_vi": "Có.", "plans": [
            {"plan": {"name": "QH A", "status": "in_force", "decision": dec}, "zones": []},
            {"plan": {"name": "QH B", "status": "draft", "decision": {"number": "85/TTr-UBND", "date": "2025-03-10", "authority": "UBND"}}, "zones": []},
        ]});
        let h = page_html(
            &report_doc(&r, Lang::Vi, &ReportLinks::default()),
            &Frame::default(),
        );
        let binding = h.find("Quy hoạch có giá trị pháp lý").unwrap();
        let drafts = h
            .find("<h2>Dự thảo lấy ý kiến — chưa có giá trị pháp lý")
            .unwrap();
        assert!(binding < h.find("QH A").unwrap() && h.find("QH A").unwrap() < drafts);
        assert!(drafts < h.find("QH B").unwrap());
        assert!(h.contains("<p class=d>Tờ trình 85/TTr-UBND ngày 10/03/2025"));
        assert!(h.find("class=a").unwrap() < binding, "the answer on top");
    }
}
