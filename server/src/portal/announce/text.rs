//! The notice in words: the Zalo/Facebook post, the commune website's HTML fragment and
//! the Atom entry.
//!
//! Everything here is written for a villager reading on a phone: short Vietnamese lines,
//! numbers in the Vietnamese way (`1.234,5 m²`, `1,1 ha`), dates `dd/mm/yyyy`, a link that
//! opens the notice (its preview shows the post's picture). Text from the record is never
//! trusted as markup: the fragment and the Atom entry escape every value.

use super::{LandUseTotal, Notice, NoticeKind};
use crate::text::{esc, number_vi};

/// Longest post (Zalo official accounts take 2,000 characters; Facebook shows "See more"
/// after about 480, so the first lines carry what and where).
pub const POST_MAX_CHARS: usize = 2_000;
/// Longest first line of a post (a phone's notification and the feed's preview show ~80).
pub const POST_FIRST_LINE_MAX: usize = 80;
/// Most characters of the official's own words in a post (the rest is on the notice page).
pub const POST_MESSAGE_MAX: usize = 400;
/// A land use whose area changes by less than this (m²) is not a change (maps drawn apart
/// leave slivers; see `quyhoach_data::planning::SLIVER_M2`).
pub const CHANGE_MIN_M2: f64 = 50.0;
/// Land uses named in one "what changes" line at most.
const MAX_NAMED: usize = 3;

/// `2025-12-31` → `31/12/2025`; anything else unchanged.
pub fn date_vi(iso: &str) -> String {
    let p: Vec<&str> = iso.trim().get(..10).unwrap_or(iso).split('-').collect();
    match p.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => format!("{d}/{m}/{y}"),
        _ => iso.to_string(),
    }
}

/// An area the way people say it: hectares from 1 ha (`1,1 ha`), else square metres
/// (`8.500 m²`).
pub fn area_vi(m2: f64) -> String {
    if m2 >= 10_000.0 {
        let ha = m2 / 10_000.0;
        let decimals = if ha >= 100.0 { 0 } else { 1 };
        format!("{} ha", number_vi(ha, decimals))
    } else {
        format!("{} m²", number_vi(m2.round(), 0))
    }
}

/// `Đất ở tại đô thị` → `đất ở tại đô thị` (inside a sentence).
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// "đất ở tại đô thị (ODT)".
fn use_name(t: &LandUseTotal) -> String {
    if t.landuse_vi.is_empty() || t.landuse_vi == t.landuse {
        t.landuse.clone()
    } else {
        format!("{} ({})", lower_first(&t.landuse_vi), t.landuse)
    }
}

/// "A", "A và B", "A, B và C", "A, B, C và 2 loại đất khác".
fn join_vi(names: &[String]) -> String {
    let shown: Vec<&String> = names.iter().take(MAX_NAMED).collect();
    let rest = names.len().saturating_sub(MAX_NAMED);
    let mut parts: Vec<String> = shown.iter().map(|s| (*s).clone()).collect();
    if rest > 0 {
        parts.push(format!("{rest} loại đất khác"));
    }
    match parts.len() {
        0 => String::new(),
        1 => parts.remove(0),
        n => format!("{} và {}", parts[..n - 1].join(", "), parts[n - 1]),
    }
}

/// What the plan changes, from the totals (`before_m2`): the uses that lose ground, the
/// uses that gain it, and how much ground changes use. `None` when the plan changes no
/// binding plan here, or nothing changes by more than [`CHANGE_MIN_M2`].
pub fn change_line(notice: &Notice) -> Option<String> {
    notice.changes_plan.as_ref()?;
    let mut lost: Vec<(&LandUseTotal, f64)> = Vec::new();
    let mut gained: Vec<(&LandUseTotal, f64)> = Vec::new();
    for t in &notice.totals {
        let before = t.before_m2?;
        let d = t.area_m2 - before;
        if d >= CHANGE_MIN_M2 {
            gained.push((t, d));
        } else if -d >= CHANGE_MIN_M2 {
            lost.push((t, -d));
        }
    }
    if gained.is_empty() && lost.is_empty() {
        return None;
    }
    lost.sort_by(|a, b| b.1.total_cmp(&a.1));
    gained.sort_by(|a, b| b.1.total_cmp(&a.1));
    let changed: f64 = gained
        .iter()
        .map(|g| g.1)
        .sum::<f64>()
        .max(lost.iter().map(|l| l.1).sum());
    let from = join_vi(&lost.iter().map(|l| use_name(l.0)).collect::<Vec<_>>());
    let to = join_vi(&gained.iter().map(|g| use_name(g.0)).collect::<Vec<_>>());
    let mut s = match (from.is_empty(), to.is_empty()) {
        (false, false) => format!("{from} → {to}"),
        (true, false) => format!("thêm {to}"),
        (false, true) => format!("bớt {from}"),
        (true, true) => return None,
    };
    s = upper_first(&s);
    Some(format!("{s}, {}", area_vi(changed)))
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The main planned uses (roads aside): "đất ở tại đô thị (ODT) 45%, …".
fn main_uses(notice: &Notice) -> Option<String> {
    let uses: Vec<String> = notice
        .totals
        .iter()
        .filter(|t| t.landuse != super::notice::ROAD_LANDUSE && t.area_m2 > 0.0)
        .take(MAX_NAMED)
        .map(|t| format!("{} {}%", use_name(t), number_vi(t.pct, 0)))
        .collect();
    (!uses.is_empty()).then(|| upper_first(&uses.join(", ")))
}

/// The first line of the post: what and where, at most [`POST_FIRST_LINE_MAX`] characters.
pub fn first_line(notice: &Notice) -> String {
    let what = match notice.kind {
        NoticeKind::Consultation if notice.changes_plan.is_some() => {
            "Lấy ý kiến dự thảo điều chỉnh quy hoạch"
        }
        NoticeKind::Consultation => "Lấy ý kiến dự thảo quy hoạch",
        NoticeKind::Adjusted => "Công bố điều chỉnh quy hoạch",
        NoticeKind::Approved => "Công bố quy hoạch",
    };
    let head = format!("📢 {what} tại ");
    let room = POST_FIRST_LINE_MAX.saturating_sub(head.chars().count());
    format!("{head}{}", clip(&notice.area.name_vi, room))
}

/// `s` in at most `max` characters (an ellipsis marks a cut).
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out = out.trim_end().to_string();
    out.push('…');
    out
}

/// The official's words on one line-group: line breaks kept, runs of blank lines as one.
fn message_lines(m: &str, max: usize) -> String {
    let joined = m
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    clip(&joined, max)
}

/// "Quyết định số 2341/QĐ-UBND ngày 12/10/2023 của UBND tỉnh Kiên Giang".
pub fn document_vi(notice: &Notice) -> String {
    let p = &notice.plan;
    let mut s = format!("{} số {}", p.document_kind_vi, p.document_number);
    if !p.document_date.is_empty() {
        s.push_str(&format!(" ngày {}", date_vi(&p.document_date)));
    }
    if !p.authority_vi.is_empty() {
        s.push_str(&format!(" của {}", p.authority_vi));
    }
    s
}

/// `post.txt`: short plain Vietnamese within the platforms' lengths, with the link.
pub fn post_text(notice: &Notice) -> String {
    post_text_at(notice, &notice.links.notices)
}

/// [`post_text`] whose link (when the notice is not a consultation) is `page` — the portal
/// gives each notice's own page, whose preview shows the post's picture.
pub fn post_text_at(notice: &Notice, page: &str) -> String {
    let mut lines: Vec<String> = vec![first_line(notice)];
    let body = post_body(notice, page);
    let fixed: usize = lines
        .iter()
        .chain(&body)
        .map(|l| l.chars().count() + 1)
        .sum();
    if let Some(m) = notice
        .message_vi
        .as_deref()
        .filter(|m| !m.trim().is_empty())
    {
        // The official's words go second; they give way to the facts when space is short.
        let room = POST_MAX_CHARS
            .saturating_sub(fixed + 1)
            .min(POST_MESSAGE_MAX);
        if room > 20 {
            lines.push(message_lines(m, room));
        }
    }
    lines.extend(body);
    let out = lines.join("\n");
    if out.chars().count() <= POST_MAX_CHARS {
        out
    } else {
        clip(&out, POST_MAX_CHARS)
    }
}

fn post_body(notice: &Notice, page: &str) -> Vec<String> {
    let p = &notice.plan;
    let mut lines = Vec::new();
    lines.push(format!("🗺️ {}", p.name));
    let mut doc = format!("📄 {}", document_vi(notice));
    if !p.binding {
        doc.push_str(" (dự thảo, chưa có giá trị pháp lý)");
    }
    lines.push(doc);
    if let Some(c) = change_line(notice) {
        lines.push(format!("🔁 {c}"));
    } else if let Some(u) = main_uses(notice) {
        lines.push(format!("🏘️ {u}"));
    }
    match (&notice.consultation, notice.kind) {
        (Some(c), NoticeKind::Consultation) => lines.push(format!(
            "🗓️ Góp ý từ {} đến hết {}",
            date_vi(&c.opens),
            date_vi(&c.closes)
        )),
        _ => match &p.valid_from {
            Some(v) => lines.push(format!("🗓️ Có hiệu lực từ {}", date_vi(v))),
            None => lines.push(format!("🗓️ Thông báo ngày {}", date_vi(&notice.date))),
        },
    }
    let mut where_ = String::new();
    if let Some(a) = notice.office.address.as_deref().filter(|a| !a.is_empty()) {
        where_.push_str(&format!(" tại {}", clip(a, 160)));
    }
    if let Some(ph) = notice.office.phone.as_deref().filter(|a| !a.is_empty()) {
        where_.push_str(&format!(", ĐT {}", clip(ph, 40)));
    }
    match (&notice.links.comment, notice.kind) {
        (Some(link), NoticeKind::Consultation) => {
            let office = if where_.is_empty() {
                String::new()
            } else {
                format!(" hoặc gửi {}{where_}", notice.office.name_vi)
            };
            lines.push(format!("✍️ Góp ý trực tuyến: {link}{office}"));
        }
        _ if !where_.is_empty() => {
            lines.push(format!("🏛️ Xem hồ sơ{where_} ({})", notice.office.name_vi))
        }
        _ => {}
    }
    lines.push(format!(
        "🔎 Tra cứu thửa đất của bạn: {}",
        notice.links.portal
    ));
    lines.push(format!("👉 Chi tiết: {page}"));
    lines
}

// ---------------------------------------------------------------- the website fragment

/// The fragment's own style, scoped to its `<article>` (a CMS keeps or drops it; the
/// fragment reads well without it).
const FRAGMENT_STYLE: &str = ".qh-notice{max-width:48em;line-height:1.5}\
.qh-notice img{max-width:100%;height:auto}\
.qh-notice table{border-collapse:collapse}\
.qh-notice th,.qh-notice td{border:1px solid #999;padding:.25em .5em;text-align:left}\
.qh-notice td.n{text-align:right}\
.qh-notice .qh-sw{display:inline-block;width:.9em;height:.9em;border:1px solid #333;vertical-align:middle;margin-right:.3em}";

/// A `#rrggbb` colour, or grey when the record holds anything else.
fn safe_colour(c: &str) -> &str {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        c
    } else {
        "#999999"
    }
}

/// `page.html`: an HTML fragment for the commune's website (no script, no outside resource).
pub fn page_fragment(notice: &Notice) -> String {
    page_fragment_at(notice, "post.png", &notice.links.notices)
}

/// [`page_fragment`] with the post picture at `picture` (the portal gives its absolute
/// URL; the CLI writes the picture beside the fragment) and the notice's page at `page`.
pub fn page_fragment_at(notice: &Notice, picture: &str, page: &str) -> String {
    let p = &notice.plan;
    let mut o = String::with_capacity(4096);
    o.push_str("<article class=\"qh-notice\" lang=\"vi\">\n");
    o.push_str(&format!("<style>{FRAGMENT_STYLE}</style>\n"));
    o.push_str(&format!(
        "<h2>{} — {}</h2>\n",
        esc(&notice.title_vi),
        esc(&notice.area.name_vi)
    ));
    o.push_str(&format!("<p><strong>{}</strong></p>\n", esc(&p.name)));
    if let Some(m) = notice
        .message_vi
        .as_deref()
        .filter(|m| !m.trim().is_empty())
    {
        for para in m.split("\n\n").map(str::trim).filter(|s| !s.is_empty()) {
            o.push_str(&format!("<p>{}</p>\n", esc(para).replace('\n', "<br>")));
        }
    }
    let alt = format!(
        "Bản đồ {} tại {}",
        lower_first(&p.level_vi),
        notice.area.name_vi
    );
    o.push_str(&format!(
        "<p><img src=\"{}\" width=\"1200\" height=\"630\" alt=\"{}\"></p>\n",
        esc(picture),
        esc(&alt)
    ));
    // The facts.
    o.push_str("<dl>\n");
    let mut fact = |k: &str, v: String| {
        o.push_str(&format!("<dt>{}</dt><dd>{v}</dd>\n", esc(k)));
    };
    fact("Quy hoạch", esc(&format!("{} ({})", p.name, p.level_vi)));
    let mut doc = esc(&document_vi(notice));
    if let Some(u) = p.document_url.as_deref().filter(|u| is_http(u)) {
        doc = format!("<a href=\"{}\">{doc}</a>", esc(u));
    }
    fact("Văn bản", doc);
    let mut status = esc(&p.status_vi);
    if !p.binding {
        status.push_str(" — dự thảo, chưa có giá trị pháp lý");
    }
    fact("Tình trạng", status);
    fact("Khu vực", esc(&notice.area.name_vi));
    if let Some(c) = change_line(notice) {
        let what = match &notice.changes_plan {
            Some((_, name)) => format!("{c} (so với {name})"),
            None => c,
        };
        fact("Thay đổi", esc(&what));
    }
    if let (Some(c), NoticeKind::Consultation) = (&notice.consultation, notice.kind) {
        fact(
            "Thời gian góp ý",
            esc(&format!(
                "từ {} đến hết {}",
                date_vi(&c.opens),
                date_vi(&c.closes)
            )),
        );
    } else if let Some(v) = &p.valid_from {
        fact("Có hiệu lực từ", esc(&date_vi(v)));
    }
    fact("Ngày thông báo", esc(&date_vi(&notice.date)));
    let mut office = esc(&notice.office.name_vi);
    if let Some(a) = notice.office.address.as_deref().filter(|a| !a.is_empty()) {
        office.push_str(&format!(", {}", esc(a)));
    }
    if let Some(ph) = notice.office.phone.as_deref().filter(|a| !a.is_empty()) {
        office.push_str(&format!(", ĐT {}", esc(ph)));
    }
    fact("Cơ quan thông báo", office);
    o.push_str("</dl>\n");

    // The land-use table.
    if !notice.totals.is_empty() {
        let with_before = notice.totals.iter().any(|t| t.before_m2.is_some());
        o.push_str("<table>\n<caption>Cơ cấu sử dụng đất theo quy hoạch</caption>\n<thead><tr><th scope=\"col\">Loại đất</th><th scope=\"col\">Diện tích</th><th scope=\"col\">Tỷ lệ</th>");
        if with_before {
            o.push_str("<th scope=\"col\">Trước điều chỉnh</th>");
        }
        o.push_str("</tr></thead>\n<tbody>\n");
        for t in &notice.totals {
            o.push_str(&format!(
                "<tr><th scope=\"row\"><span class=\"qh-sw\" style=\"background:{}\"></span>{}</th><td class=\"n\">{}</td><td class=\"n\">{}%</td>",
                safe_colour(&t.color),
                esc(&format!("{} ({})", t.landuse_vi, t.landuse)),
                esc(&area_vi(t.area_m2)),
                esc(&number_vi(t.pct, 1)),
            ));
            if with_before {
                let b = t.before_m2.map(area_vi).unwrap_or_else(|| "—".into());
                o.push_str(&format!("<td class=\"n\">{}</td>", esc(&b)));
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody>\n</table>\n");
    }

    // Where to go next.
    o.push_str("<ul>\n");
    if let (Some(link), NoticeKind::Consultation) = (&notice.links.comment, notice.kind) {
        o.push_str(&format!(
            "<li><a href=\"{}\">Gửi góp ý trực tuyến</a></li>\n",
            esc(link)
        ));
    }
    o.push_str(&format!(
        "<li><a href=\"{}\">Xem bản đồ quy hoạch</a></li>\n",
        esc(&notice.links.map)
    ));
    o.push_str(&format!(
        "<li><a href=\"{}\">Toàn văn thông báo, áp phích, tờ rơi và bản ghi âm</a></li>\n",
        esc(page)
    ));
    o.push_str(&format!(
        "<li><a href=\"{}\">Tra cứu thửa đất bằng điện thoại phổ thông</a></li>\n",
        esc(&notice.links.text_lookup)
    ));
    o.push_str("</ul>\n");
    o.push_str(&format!(
        "<p lang=\"en\"><small>{} — {}. {}</small></p>\n",
        esc(&notice.title_en),
        esc(&notice.area.name_en),
        esc(&p.name)
    ));
    o.push_str("</article>\n");
    o
}

fn is_http(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://"))
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

// ---------------------------------------------------------------- Atom

/// XML text: escaped, without the characters XML 1.0 forbids.
fn xml(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
        })
        .collect();
    esc(&clean)
}

/// An Atom `<entry>` of the notice; `id` is its permanent URL, `updated` RFC 3339.
///
/// RFC 4287: `id` (an IRI, here the notice page's URL), `title`, `updated`, a
/// `rel="alternate"` link to the page, a `rel="enclosure"` link to the loudspeaker audio
/// (`notice.mp3`, served beside the page's files), the post's text as the summary and the
/// website fragment as the content.
pub fn atom_entry(notice: &Notice, id: &str, updated: &str) -> String {
    let slug = id.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let files = format!("{}/api/v1/notices/{slug}", notice.links.portal);
    let summary = post_text_at(notice, id);
    let content = page_fragment_at(notice, &format!("{files}/post.png"), id);
    let mut o = String::with_capacity(2048 + content.len());
    o.push_str("<entry xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n");
    o.push_str(&format!("  <id>{}</id>\n", xml(id)));
    o.push_str(&format!(
        "  <title>{}</title>\n",
        xml(&format!("{} — {}", notice.title_vi, notice.area.name_vi))
    ));
    o.push_str(&format!("  <updated>{}</updated>\n", xml(updated)));
    o.push_str(&format!("  <published>{}</published>\n", xml(updated)));
    o.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        xml(&notice.office.name_vi)
    ));
    o.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml(id)
    ));
    o.push_str(&format!(
        "  <link rel=\"enclosure\" type=\"audio/mpeg\" href=\"{}\" title=\"Bản ghi âm cho loa truyền thanh\"/>\n",
        xml(&format!("{files}/notice.mp3"))
    ));
    o.push_str(&format!(
        "  <category term=\"{}\"/>\n",
        xml(notice.kind.as_str())
    ));
    o.push_str(&format!(
        "  <summary type=\"text\">{}</summary>\n",
        xml(&summary)
    ));
    o.push_str(&format!(
        "  <content type=\"html\">{}</content>\n",
        xml(&content)
    ));
    o.push_str("</entry>\n");
    o
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::*;
    use super::*;

    /// A consultation over thị trấn Vĩnh Thanh: ODT and DGD become TMD, like the demo's draft.
    pub(crate) fn sample() -> Notice {
        let total = |code: &str, vi: &str, a: f64, pct: f64, before: f64| LandUseTotal {
            landuse: code.into(),
            landuse_vi: vi.into(),
            landuse_en: code.into(),
            color: "#ff9999".into(),
            area_m2: a,
            pct,
            before_m2: Some(before),
        };
        Notice {
            kind: NoticeKind::Consultation,
            title_vi: NoticeKind::Consultation.title_vi().into(),
            title_en: NoticeKind::Consultation.title_en().into(),
            plan: NoticePlan {
                id: "qhpk-2000-dc".into(),
                name: "Điều chỉnh cục bộ quy hoạch phân khu 1/2000 khu trung tâm Vĩnh Thanh".into(),
                level_vi: "Quy hoạch phân khu tỷ lệ 1/2000".into(),
                level_en: "Zoning plan 1:2000".into(),
                status: "draft".into(),
                status_vi: "Dự thảo lấy ý kiến".into(),
                status_en: "Draft for consultation".into(),
                binding: false,
                document_number: "85/TTr-UBND".into(),
                document_kind_vi: "Tờ trình".into(),
                document_kind_en: "Submission".into(),
                document_date: "2025-11-03".into(),
                authority_vi: "UBND huyện Vĩnh Thuận".into(),
                authority_en: "Vinh Thuan District People's Committee".into(),
                valid_from: None,
                valid_to: None,
                document_url: None,
            },
            area: NoticeArea {
                commune: Some("31150".into()),
                name_vi: "thị trấn Vĩnh Thanh".into(),
                name_en: "Vinh Thanh Township".into(),
                boundary: None,
                bbox: [105.0, 9.0, 105.01, 9.01],
                area_m2: 5_000_000.0,
            },
            zones: Vec::new(),
            totals: vec![
                total("TMD", "Đất thương mại, dịch vụ", 11_234.5, 100.0, 0.0),
                total("ODT", "Đất ở tại đô thị", 0.0, 0.0, 8_000.0),
                total(
                    "DGD",
                    "Đất xây dựng cơ sở giáo dục và đào tạo",
                    0.0,
                    0.0,
                    3_234.5,
                ),
            ],
            changes_plan: Some(("qhpk-2000".into(), "Quy hoạch phân khu 1/2000".into())),
            redlines: Vec::new(),
            consultation: Some(NoticeConsultation {
                opens: "2025-12-01".into(),
                closes: "2025-12-31".into(),
            }),
            links: NoticeLinks {
                portal: "https://qh.example.vn".into(),
                map: "https://qh.example.vn/#map=15/9.005/105.005".into(),
                comment: Some("https://qh.example.vn/#/consultations/1".into()),
                notices: "https://qh.example.vn/thong-bao/31150".into(),
                text_lookup: "https://qh.example.vn/text".into(),
            },
            office: NoticeOffice {
                name_vi: "UBND thị trấn Vĩnh Thanh".into(),
                name_en: "Vinh Thanh Township People's Committee".into(),
                address: Some("Số 1 đường 30/4, khu phố 2".into()),
                phone: Some("0297 3 123 456".into()),
            },
            message_vi: None,
            message_en: None,
            date: "2025-12-01".into(),
            data_version: "W/\"x\"".into(),
        }
    }

    #[test]
    fn numbers_and_dates_are_vietnamese() {
        assert_eq!(date_vi("2025-12-31"), "31/12/2025");
        assert_eq!(area_vi(11_234.5), "1,1 ha");
        assert_eq!(area_vi(8_499.6), "8.500 m²");
        assert_eq!(area_vi(1_234_567.0), "123 ha");
    }

    #[test]
    fn the_post_says_what_where_and_what_changes() {
        let n = sample();
        let post = post_text(&n);
        let lines: Vec<&str> = post.lines().collect();
        assert_eq!(
            lines[0],
            "📢 Lấy ý kiến dự thảo điều chỉnh quy hoạch tại thị trấn Vĩnh Thanh"
        );
        assert!(lines[0].chars().count() <= POST_FIRST_LINE_MAX);
        assert!((5..=9).contains(&lines.len()), "{post}");
        assert!(
            post.contains("Tờ trình số 85/TTr-UBND ngày 03/11/2025"),
            "{post}"
        );
        assert!(post.contains("chưa có giá trị pháp lý"), "{post}");
        assert!(
            post.contains(
                "Đất ở tại đô thị (ODT) và đất xây dựng cơ sở giáo dục và đào tạo (DGD) → đất thương mại, dịch vụ (TMD), 1,1 ha"
            ),
            "{post}"
        );
        assert!(
            post.contains("Góp ý từ 01/12/2025 đến hết 31/12/2025"),
            "{post}"
        );
        assert!(
            post.contains("https://qh.example.vn/#/consultations/1"),
            "{post}"
        );
        assert!(!post.contains("2025-12"), "ISO dates: {post}");
    }

    #[test]
    fn the_post_stays_within_the_limits() {
        let mut n = sample();
        n.message_vi = Some("Nội dung rất dài. ".repeat(300));
        n.area.name_vi = "xã ".to_string() + &"Vĩnh Thanh Vân ".repeat(20);
        n.office.address = Some("đường ".repeat(400));
        let post = post_text(&n);
        assert!(
            post.chars().count() <= POST_MAX_CHARS,
            "{}",
            post.chars().count()
        );
        assert!(post.lines().next().unwrap().chars().count() <= POST_FIRST_LINE_MAX);
        assert!(post.contains("👉 Chi tiết:"), "the link survives: {post}");
    }

    #[test]
    fn the_fragment_escapes_everything_and_has_no_script() {
        let mut n = sample();
        n.plan.name = "<script>alert(1)</script>".into();
        n.message_vi = Some("a\"b <img src=x onerror=alert(1)>".into());
        n.totals[0].color = "red;background:url(x)".into();
        let f = page_fragment_at(
            &n,
            "https://qh.example.vn/api/v1/notices/x/post.png",
            "https://qh.example.vn/thong-bao/31150/x",
        );
        assert!(!f.to_lowercase().contains("<script"), "{f}");
        assert!(!f.contains("<img src=x"), "{f}");
        assert!(!f.contains("url(x)"), "{f}");
        assert!(f.contains("<img src=\"https://qh.example.vn/api/v1/notices/x/post.png\""));
        assert!(f.starts_with("<article") && f.trim_end().ends_with("</article>"));
    }

    #[test]
    fn the_atom_entry_links_the_page_and_the_audio() {
        let n = sample();
        let e = atom_entry(
            &n,
            "https://qh.example.vn/thong-bao/31150/abc",
            "2025-12-01T01:00:00Z",
        );
        assert!(e.contains("<id>https://qh.example.vn/thong-bao/31150/abc</id>"));
        assert!(e.contains("rel=\"enclosure\" type=\"audio/mpeg\" href=\"https://qh.example.vn/api/v1/notices/abc/notice.mp3\""));
        assert!(e.contains("rel=\"alternate\""));
    }
}
