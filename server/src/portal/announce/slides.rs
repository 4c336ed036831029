//! Bulletin-board slides: one self-contained HTML deck for the commune's public screen.
//!
//! The deck is a 1920×1080 stage scaled to the window (every length is a multiple of
//! `--u`, 1/1920 of the slide's width, through container query units), so the same file
//! reads the same on a Full HD board, a 4K television or a laptop previewing it. Seen from
//! several metres: no text under [`MIN_TEXT_PX`] at 1920 wide, titles larger, dark text on
//! white or white on dark navy (contrast ≥ 7:1, WCAG AAA). Nothing is fetched: the CSS and
//! the script are inline, the maps ([`super::graphics::map_svg`]) and QR codes are inline
//! SVG. Without the script (or a browser that blocks it) every slide is shown, one under
//! the other.
//!
//! Slides of a notice, in order: the notice (kind, plan, document, status, area); the
//! official's message, if any; the land use (what changes against the plan it adjusts, or
//! the land-use structure), with the map; one slide per significant zone (largest first, at
//! most [`MAX_ZONE_SLIDES`], never a road corridor), the zone outlined on the map and kept
//! clear of the card; dates and how to comment or look up one's parcel. Every slide has a
//! QR code (the comment page of a consultation, else the map), a counter and a progress bar.
//! Each map slide marks its map (`data-map`), its card (`data-card`), its QR code
//! (`data-qr`) and its legend (`data-legend`, with one `data-code` per land use drawn) so
//! tests can measure them.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

use super::graphics::{map_svg, MapOptions};
use super::{Notice, NoticeKind, NoticeZone};
use crate::portal::handouts::qr_svg;
use crate::text::esc;

/// The smallest text of a deck, px at 1920 wide: read from 5–6 m on a 55-inch board.
/// (Labels drawn inside the map, such as zone ids, are part of the picture, not text.)
pub const MIN_TEXT_PX: u32 = 40;

/// Most zone slides per notice: a screen cycles; more zones are on the map and the portal.
pub const MAX_ZONE_SLIDES: usize = 5;

/// A zone smaller than this share of the notice's zones gets no slide of its own.
const MIN_ZONE_SHARE: f64 = 0.01;

/// Shortest and longest interval between slides a deck accepts, seconds (its `?interval=`).
pub const INTERVAL_RANGE: (u32, u32) = (3, 600);

/// Options of a deck.
#[derive(Debug, Clone)]
pub struct DeckOptions {
    /// Seconds per slide.
    pub interval_s: u32,
    /// `vi` or `en`.
    pub lang: String,
    /// Title over the deck ("Thông báo quy hoạch — xã Vĩnh Thanh").
    pub heading: String,
    /// Reload the deck every so many seconds, at the end of a round of slides, when the
    /// address still answers (a commune's screen left on picks up new notices); `None` for a
    /// file (`slides.html`).
    pub reload_s: Option<u32>,
    /// The portal's address: the empty deck's QR code ("no new notices") points there.
    pub portal: Option<String>,
}

impl Default for DeckOptions {
    fn default() -> Self {
        DeckOptions {
            interval_s: 12,
            lang: "vi".into(),
            heading: "Thông báo quy hoạch".into(),
            reload_s: None,
            portal: None,
        }
    }
}

/// The slides of several notices (a commune's current ones), cycling.
pub fn deck_html(notices: &[&Notice], opts: &DeckOptions) -> String {
    let l = Lang::of(&opts.lang);
    let mut slides: Vec<Slide> = Vec::new();
    for n in notices {
        slides.extend(notice_slides(n, l));
    }
    if slides.is_empty() {
        slides.push(empty_slide(opts, l));
    }
    let total = slides.len();
    let interval = opts.interval_s.clamp(INTERVAL_RANGE.0, INTERVAL_RANGE.1);
    let mut body = String::new();
    for (k, s) in slides.iter().enumerate() {
        let counter = format!("{} / {total}", k + 1);
        let _ = write!(
            body,
            r#"<section class="slide slide-{kind}{on}" data-slide="{kind}" data-index="{k}"{zone} aria-roledescription="{rd}" aria-label="{label}">{inner}<footer class="foot"><p class="foot-h">{heading}</p><p class="foot-n">{counter}</p><div class="bar" style="width:{pct:.2}%"></div></footer></section>"#,
            kind = s.kind,
            on = if k == 0 { " on" } else { "" },
            zone = s
                .zone
                .as_deref()
                .map(|z| format!(r#" data-zone="{}""#, esc(z)))
                .unwrap_or_default(),
            rd = l.pick("trang trình chiếu", "slide"),
            label = esc(&format!("{counter}: {}", s.label)),
            inner = s.html,
            heading = esc(&opts.heading),
            pct = (k + 1) as f64 / total as f64 * 100.0,
        );
    }
    let reload = match opts.reload_s {
        Some(r) => format!(
            r#"<noscript><meta http-equiv="refresh" content="{}"></noscript>"#,
            r.max(60)
        ),
        None => String::new(),
    };
    let script = deck_script(interval, opts.reload_s.map(|r| r.max(60)));
    format!(
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title>{reload}<style>{CSS}</style></head><body><main data-slides="{total}" data-interval="{interval}"><h1 class="vh">{title}</h1>{body}</main><script>{script}</script></body></html>"#,
        lang = l.code(),
        title = esc(&opts.heading),
    )
}

/// The slides of one notice (`slides.html`).
pub fn slides_html(notice: &Notice) -> String {
    deck_html(
        &[notice],
        &DeckOptions {
            interval_s: 12,
            lang: "vi".into(),
            heading: format!("{} — {}", notice.title_vi, notice.area.name_vi),
            reload_s: None,
            portal: Some(notice.links.portal.clone()),
        },
    )
}

/// The Content-Security-Policy a server sends with a deck of these options: nothing from
/// outside, the inline styles, and only the deck's own script (by its hash); `connect-src
/// 'self'` for the reload's check that the address still answers.
pub fn content_security_policy(opts: &DeckOptions) -> String {
    let interval = opts.interval_s.clamp(INTERVAL_RANGE.0, INTERVAL_RANGE.1);
    let script = deck_script(interval, opts.reload_s.map(|r| r.max(60)));
    let hash = base64(&Sha256::digest(script.as_bytes()));
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{hash}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    )
}

/// The language of a deck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Vi,
    En,
}

impl Lang {
    fn of(s: &str) -> Self {
        if s.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Vi
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

/// One slide: its kind (`notice`, `message`, `landuse`, `zone`, `howto`, `empty`), its
/// accessible label, and its content (card, map, legend).
struct Slide {
    kind: &'static str,
    label: String,
    zone: Option<String>,
    html: String,
}

/// Stage units: the deck is laid out on 1920×1080.
const W: f64 = 1920.0;
const H: f64 = 1080.0;
/// Margin around the card and legend.
const M: f64 = 32.0;
/// Height of the footer (heading, counter, progress bar).
const FOOT: f64 = 96.0;
/// Width of the card on a map slide, and on the land-use slide (a table).
const CARD_W: f64 = 760.0;
const CARD_W_TABLE: f64 = 1180.0;
/// A legend entry's width (swatch and code) and the legend's line height and padding.
const CHIP_W: f64 = 196.0;
const LEGEND_LINE: f64 = 50.0;
const LEGEND_GAP: f64 = 8.0;
const LEGEND_PAD: f64 = 12.0;

fn notice_slides(n: &Notice, l: Lang) -> Vec<Slide> {
    let mut out = Vec::new();
    let draft = n.kind == NoticeKind::Consultation || !n.plan.binding;
    let (qr_url, qr_caption) = match &n.links.comment {
        Some(c) if n.kind == NoticeKind::Consultation => (
            c.as_str(),
            l.pick(
                "Quét mã để góp ý trên cổng thông tin",
                "Scan to comment on the portal",
            ),
        ),
        _ => (
            n.links.map.as_str(),
            l.pick(
                "Quét mã để xem bản đồ quy hoạch",
                "Scan to open the plan's map",
            ),
        ),
    };
    let qr = qr_box(qr_url, qr_caption, l);
    let tag = kind_tag(n, l, draft);
    let title = match l {
        Lang::Vi => &n.title_vi,
        Lang::En => &n.title_en,
    };
    let plan_name = name_span(&n.plan.name, l);
    let area_name = match l {
        Lang::Vi => &n.area.name_vi,
        Lang::En => &n.area.name_en,
    };
    let all_codes = codes_of(n.zones.iter());

    // 1. The notice.
    {
        let status = if draft {
            format!(
                r#"<p class="status draft">{}</p>"#,
                l.pick(
                    "Dự thảo — chưa có giá trị pháp lý",
                    "Draft — not legally binding"
                )
            )
        } else {
            let s = match l {
                Lang::Vi => &n.plan.status_vi,
                Lang::En => &n.plan.status_en,
            };
            format!(r#"<p class="status">{}</p>"#, esc(s))
        };
        let card = format!(
            r#"<div class="card" data-card>{tag}<h2 class="title">{plan_name}</h2><p class="doc">{doc}</p>{status}<p>{area_label}: {area}</p>{qr}</div>"#,
            doc = esc(&document_line(n, l)),
            area_label = l.pick("Khu vực", "Area"),
            area = esc(area_name),
        );
        out.push(map_slide(
            "notice",
            format!("{title}: {}", n.plan.name),
            None,
            n,
            None,
            card,
            CARD_W_TABLE,
            &all_codes,
            l,
        ));
    }

    // 2. The official's own words.
    let message = match l {
        Lang::Vi => n.message_vi.as_ref(),
        Lang::En => n.message_en.as_ref().or(n.message_vi.as_ref()),
    };
    if let Some(m) = message.filter(|m| !m.trim().is_empty()) {
        let lang_attr = if l == Lang::En && n.message_en.is_none() {
            r#" lang="vi""#
        } else {
            ""
        };
        let paras: String = m
            .lines()
            .filter(|p| !p.trim().is_empty())
            .map(|p| format!("<p>{}</p>", esc(p.trim())))
            .collect();
        let card = format!(
            r#"<div class="card wide" data-card><div class="col">{tag}<h2 class="title">{head}</h2><div class="message"{lang_attr}>{paras}</div></div>{qr}</div>"#,
            head = l.pick("Nội dung chính", "What the plan is for"),
        );
        out.push(Slide {
            kind: "message",
            label: l.pick("Nội dung chính", "What the plan is for").to_string(),
            zone: None,
            html: card,
        });
    }

    // 3. The land use: what changes, or the structure.
    if !n.totals.is_empty() {
        let changes = n.totals.iter().any(|t| t.before_m2.is_some());
        let head = if changes {
            l.pick("Thay đổi sử dụng đất", "What changes in land use")
        } else {
            l.pick("Cơ cấu sử dụng đất", "Land use in the area")
        };
        let mut rows = String::new();
        for t in &n.totals {
            let name = match l {
                Lang::Vi => &t.landuse_vi,
                Lang::En => &t.landuse_en,
            };
            let figures = if changes {
                let before = t.before_m2.unwrap_or(0.0);
                format!(
                    r#"<td class="num">{}</td><td class="arrow" aria-hidden="true">→</td><td class="num">{}</td>"#,
                    esc(&area_text(before, l)),
                    esc(&area_text(t.area_m2, l)),
                )
            } else {
                format!(
                    r#"<td class="num">{}</td><td class="num">{}</td>"#,
                    esc(&area_text(t.area_m2, l)),
                    esc(&pct_text(t.pct, l)),
                )
            };
            let _ = write!(
                rows,
                r#"<tr><th scope="row"><span class="sw" style="background:{c}"></span>{code}</th><td class="name">{name}</td>{figures}</tr>"#,
                c = colour(&t.color),
                code = esc(&t.landuse),
                name = esc(name),
            );
        }
        let headers = if changes {
            format!(
                r#"<th scope="col" class="num">{}</th><th scope="col" class="arrow"><span class="vh">{}</span></th><th scope="col" class="num">{}</th>"#,
                l.pick("Trước", "Before"),
                l.pick("thành", "becomes"),
                l.pick("Sau", "After"),
            )
        } else {
            format!(
                r#"<th scope="col" class="num">{}</th><th scope="col" class="num">%</th>"#,
                l.pick("Diện tích", "Area"),
            )
        };
        let sub = match (&n.changes_plan, changes) {
            (Some((_, name)), true) => format!(
                r#"<p class="doc">{} {}</p>"#,
                l.pick("So với", "Against"),
                name_span(name, l)
            ),
            _ => String::new(),
        };
        let card = format!(
            r#"<div class="card" data-card>{tag}<h2 class="title">{head}</h2>{sub}<table class="landuse"><thead><tr><th scope="col">{code_h}</th><th scope="col" class="name">{name_h}</th>{headers}</tr></thead><tbody>{rows}</tbody></table>{qr}</div>"#,
            code_h = l.pick("Mã", "Code"),
            name_h = l.pick("Loại đất", "Land use"),
        );
        out.push(map_slide(
            "landuse",
            head.to_string(),
            None,
            n,
            None,
            card,
            CARD_W_TABLE,
            &all_codes,
            l,
        ));
    }

    // 4. The significant zones, largest first; never a road corridor.
    for (i, z) in zone_slide_indices(n) {
        let label = zone_label(z, l);
        let (vi_en_name, code) = (
            match l {
                Lang::Vi => &z.landuse_vi,
                Lang::En => &z.landuse_en,
            },
            &z.landuse,
        );
        let mut facts = String::new();
        if let (Some(id), Some(_)) = (&z.zone_id, &z.name) {
            let _ = write!(facts, "<li>{}: {}</li>", l.pick("Mã ô", "Zone id"), esc(id));
        }
        let _ = write!(
            facts,
            "<li>{}: {}</li>",
            l.pick("Diện tích trong khu vực", "Area in the area announced"),
            esc(&area_text(z.area_m2, l))
        );
        if let Some(d) = z.density_pct {
            let _ = write!(
                facts,
                "<li>{}: {} %</li>",
                l.pick("Mật độ xây dựng", "Building coverage"),
                esc(&num(d, 0, l))
            );
        }
        match (z.floors_min, z.floors_max) {
            (Some(a), Some(b)) if a != b => {
                let _ = write!(
                    facts,
                    "<li>{}: {a}–{b}{}</li>",
                    l.pick("Tầng cao", "Floors"),
                    l.pick(" tầng", "")
                );
            }
            (_, Some(b)) | (Some(b), None) => {
                let _ = write!(
                    facts,
                    "<li>{}: {b}{}</li>",
                    l.pick("Tầng cao tối đa", "Floors, at most"),
                    l.pick(" tầng", "")
                );
            }
            _ => {}
        }
        if let Some(f) = z.far {
            let _ = write!(
                facts,
                "<li>{}: {}</li>",
                l.pick("Hệ số sử dụng đất", "Floor area ratio"),
                esc(&num(f, 2, l))
            );
        }
        if let Some(h) = z.height_m {
            let _ = write!(
                facts,
                "<li>{}: {} m</li>",
                l.pick("Chiều cao tối đa", "Height, at most"),
                esc(&num(h, 0, l))
            );
        }
        let card = format!(
            r#"<div class="card" data-card>{tag}<h2 class="title">{label}</h2><p class="use"><span class="sw" style="background:{c}"></span>{code} — {use_name}</p><ul class="facts">{facts}</ul>{qr}</div>"#,
            label = esc(&label),
            c = colour(&z.color),
            code = esc(code),
            use_name = esc(vi_en_name),
        );
        // The map of this slide: the zone and its surroundings, the zone entirely in view.
        let view = zone_view(n, z);
        let codes = codes_of(n.zones.iter().filter(|o| intersects(&bbox(o), &view)));
        out.push(map_slide(
            "zone",
            format!("{label}: {code} — {vi_en_name}"),
            z.zone_id.clone().or_else(|| Some(i.to_string())),
            n,
            Some((i, view)),
            card,
            CARD_W,
            &codes,
            l,
        ));
    }

    // 5. Dates, how to comment, how to look up one's parcel.
    out.push(howto_slide(n, l, &tag, qr_url));
    out
}

/// The label over every card: the kind of notice, in dark red for a draft.
fn kind_tag(n: &Notice, l: Lang, draft: bool) -> String {
    let text = match (n.kind, l) {
        (NoticeKind::Consultation, Lang::Vi) => "Dự thảo — lấy ý kiến nhân dân",
        (NoticeKind::Consultation, Lang::En) => "Draft — public consultation",
        (NoticeKind::Adjusted, Lang::Vi) => "Công bố điều chỉnh quy hoạch",
        (NoticeKind::Adjusted, Lang::En) => "Plan adjustment approved",
        (NoticeKind::Approved, Lang::Vi) => "Công bố quy hoạch",
        (NoticeKind::Approved, Lang::En) => "Plan approved",
    };
    format!(
        r#"<p class="tag{}">{}</p>"#,
        if draft { " draft" } else { "" },
        text
    )
}

/// "Tờ trình số 85/TTr-UBND ngày 12/03/2026 của UBND tỉnh Kiên Giang".
fn document_line(n: &Notice, l: Lang) -> String {
    let p = &n.plan;
    match l {
        Lang::Vi => format!(
            "{} số {} ngày {} của {}",
            p.document_kind_vi,
            p.document_number,
            date_text(&p.document_date, l),
            p.authority_vi
        ),
        Lang::En => format!(
            "{} {} of {}, {}",
            p.document_kind_en,
            p.document_number,
            date_text(&p.document_date, l),
            p.authority_en
        ),
    }
}

/// A name from the agency's files, marked Vietnamese inside an English deck.
fn name_span(name: &str, l: Lang) -> String {
    match l {
        Lang::Vi => esc(name),
        Lang::En => format!(r#"<span lang="vi">{}</span>"#, esc(name)),
    }
}

/// The zone's name as the plan writes it ("Ô phố A8"), else "Ô C1" from its id.
fn zone_label(z: &NoticeZone, l: Lang) -> String {
    match (&z.name, &z.zone_id) {
        (Some(name), _) if !name.trim().is_empty() => name.clone(),
        (_, Some(id)) => format!("{} {id}", l.pick("Ô", "Zone")),
        _ => l.pick("Ô quy hoạch", "Planned zone").to_string(),
    }
}

/// The zones given a slide: the largest, never a road corridor nor a sliver.
fn zone_slide_indices(n: &Notice) -> Vec<(usize, &NoticeZone)> {
    let total: f64 = n.zones.iter().map(|z| z.area_m2).sum();
    let mut zones: Vec<(usize, &NoticeZone)> = n
        .zones
        .iter()
        .enumerate()
        .filter(|(_, z)| !z.road && z.area_m2 > 0.0 && z.area_m2 >= total * MIN_ZONE_SHARE)
        .collect();
    zones.sort_by(|a, b| b.1.area_m2.total_cmp(&a.1.area_m2));
    zones.truncate(MAX_ZONE_SLIDES);
    zones
}

/// The land-use codes of `zones`, in the order of first appearance (zones come largest first).
fn codes_of<'a>(zones: impl Iterator<Item = &'a NoticeZone>) -> Vec<(String, String)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for z in zones {
        if seen.insert(z.landuse.clone()) {
            out.push((z.landuse.clone(), z.color.clone()));
        }
    }
    out
}

/// `[w, s, e, n]` of a zone's geometry.
fn bbox(z: &NoticeZone) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in &z.geometry.0 {
        for c in p.exterior().coords() {
            b[0] = b[0].min(c.x);
            b[1] = b[1].min(c.y);
            b[2] = b[2].max(c.x);
            b[3] = b[3].max(c.y);
        }
    }
    b
}

fn intersects(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

/// What a zone's slide shows: the zone with as much again around it, at least a fifth of
/// the area announced, never cutting the zone (zones are whole, they may reach outside the
/// area's box).
fn zone_view(n: &Notice, z: &NoticeZone) -> [f64; 4] {
    let b = bbox(z);
    if !b.iter().all(|v| v.is_finite()) {
        return n.area.bbox;
    }
    let a = n.area.bbox;
    let min_w = ((a[2] - a[0]) / 5.0).max(0.002);
    let min_h = ((a[3] - a[1]) / 5.0).max(0.002);
    let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    let w = ((b[2] - b[0]) * 2.0).max(min_w) / 2.0;
    let h = ((b[3] - b[1]) * 2.0).max(min_h) / 2.0;
    [cx - w, cy - h, cx + w, cy + h]
}

/// A slide with the map under a card on the left, a legend at the bottom right and the
/// footer: the map's features are fitted to the part neither covers.
#[allow(clippy::too_many_arguments)]
fn map_slide(
    kind: &'static str,
    label: String,
    zone: Option<String>,
    n: &Notice,
    highlight: Option<(usize, [f64; 4])>,
    card: String,
    card_w: f64,
    codes: &[(String, String)],
    l: Lang,
) -> Slide {
    let left = M + card_w;
    let legend_w = W - left - 2.0 * M;
    let per_row = (((legend_w - 2.0 * LEGEND_PAD) / CHIP_W).floor() as usize).max(1);
    let rows = codes.len().div_ceil(per_row);
    let legend_h = if rows == 0 {
        0.0
    } else {
        rows as f64 * LEGEND_LINE + (rows - 1) as f64 * LEGEND_GAP + 2.0 * LEGEND_PAD
    };
    let bottom = FOOT + M + if rows == 0 { 0.0 } else { legend_h + M / 2.0 };
    let opts = MapOptions {
        highlight: highlight.map(|(i, _)| i),
        scale_bar: true,
        north_arrow: true,
        reserved: [left + M / 2.0, M / 2.0, M / 2.0, bottom],
    };
    let svg = match highlight {
        Some((_, view)) => {
            let mut v = n.clone();
            v.area.bbox = view;
            map_svg(&v, W, H, &opts)
        }
        None => map_svg(n, W, H, &opts),
    };
    let area = match l {
        Lang::Vi => &n.area.name_vi,
        Lang::En => &n.area.name_en,
    };
    let map_label = match &zone {
        Some(_) => format!("{}: {label}, {area}", l.pick("Bản đồ", "Map")),
        None => format!(
            "{}: {}, {area}",
            l.pick("Bản đồ quy hoạch", "Map of the plan"),
            n.plan.name
        ),
    };
    let mut legend = String::new();
    if !codes.is_empty() {
        let _ = write!(
            legend,
            r#"<ul class="legend" data-legend style="left:calc({left}*var(--u));width:calc({legend_w}*var(--u))" aria-label="{}">"#,
            l.pick("Chú giải", "Legend"),
            left = left + M,
        );
        for (code, color) in codes {
            let _ = write!(
                legend,
                r#"<li data-code="{c}"><span class="sw" style="background:{col}"></span>{c}</li>"#,
                c = esc(code),
                col = colour(color),
            );
        }
        legend.push_str("</ul>");
    }
    let width_class = if card_w > CARD_W { " card-table" } else { "" };
    let card = card.replacen(
        r#"<div class="card" data-card>"#,
        &format!(r#"<div class="card{width_class}" data-card>"#),
        1,
    );
    Slide {
        kind,
        label,
        zone,
        html: format!(
            r#"<div class="map" data-map role="img" aria-label="{}">{svg}</div>{card}{legend}"#,
            esc(&map_label)
        ),
    }
}

fn qr_box(url: &str, caption: &str, l: Lang) -> String {
    let svg = qr_svg(url, &format!("{}: {url}", l.pick("Mã QR", "QR code")));
    format!(
        r#"<div class="qr" data-qr>{svg}<p>{}</p></div>"#,
        esc(caption)
    )
}

fn howto_slide(n: &Notice, l: Lang, tag: &str, qr_url: &str) -> Slide {
    let office = match l {
        Lang::Vi => &n.office.name_vi,
        Lang::En => &n.office.name_en,
    };
    let mut where_ = esc(office);
    if let Some(a) = n.office.address.as_deref().filter(|a| !a.trim().is_empty()) {
        let _ = write!(where_, ", {}", esc(a));
    }
    if let Some(p) = n.office.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        let _ = write!(where_, ", {} {}", l.pick("điện thoại", "phone"), esc(p));
    }
    let (head, mut body) = match &n.consultation {
        Some(c) if n.kind == NoticeKind::Consultation => (
            match l {
                Lang::Vi => format!(
                    "Góp ý từ {} đến hết {}",
                    date_text(&c.opens, l),
                    date_text(&c.closes, l)
                ),
                Lang::En => format!(
                    "Comments from {} to {}",
                    date_text(&c.opens, l),
                    date_text(&c.closes, l)
                ),
            },
            format!(
                "<p>{}: <span class=\"url\">{}</span></p><p>{}: {where_}</p>",
                l.pick(
                    "Góp ý trên cổng thông tin: quét mã hoặc mở",
                    "Comment on the portal: scan the code or open"
                ),
                esc(&short_url(qr_url)),
                l.pick("Hoặc trực tiếp tại", "Or in person at"),
            ),
        ),
        _ => (
            match l {
                Lang::Vi => format!("Công bố ngày {}", date_text(&n.date, l)),
                Lang::En => format!("Announced on {}", date_text(&n.date, l)),
            },
            format!(
                "<p>{}: {where_}</p>",
                l.pick(
                    "Hồ sơ quy hoạch được công khai tại",
                    "The plan's documents can be seen at"
                ),
            ),
        ),
    };
    let _ = write!(
        body,
        r#"<h3>{}</h3><ol><li>{} <span class="url">{}</span> {}</li><li>{}</li><li>{}</li></ol><p>{}: <span class="url">{}</span></p>"#,
        l.pick("Tra cứu thửa đất của bạn", "Look up your parcel"),
        l.pick("Mở", "Open"),
        esc(&short_url(&n.links.portal)),
        l.pick("hoặc quét mã", "or scan the code"),
        l.pick(
            "Nhập xã, số tờ, số thửa trên giấy chứng nhận",
            "Type the commune, sheet and parcel number from your land certificate"
        ),
        l.pick(
            "Đọc kết quả: thửa đất thuộc ô nào, đất gì",
            "Read the answer: which zone, which land use"
        ),
        l.pick("Điện thoại phổ thông", "On a basic phone"),
        esc(&short_url(&n.links.text_lookup)),
    );
    let caption = if n.kind == NoticeKind::Consultation && n.links.comment.is_some() {
        l.pick("Quét mã để góp ý", "Scan to comment")
    } else {
        l.pick("Quét mã để xem bản đồ", "Scan to open the map")
    };
    Slide {
        kind: "howto",
        label: head.clone(),
        zone: None,
        html: format!(
            r#"<div class="card wide" data-card><div class="col">{tag}<h2 class="title">{}</h2>{body}</div>{}</div>"#,
            esc(&head),
            qr_box(qr_url, caption, l)
        ),
    }
}

fn empty_slide(opts: &DeckOptions, l: Lang) -> Slide {
    let head = l.pick("Chưa có thông báo quy hoạch mới", "No new planning notices");
    let (qr, line) = match opts.portal.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => (
            qr_box(p, l.pick("Quét mã để tra cứu", "Scan to look up"), l),
            format!(
                r#"<p>{} <span class="url">{}</span></p>"#,
                l.pick(
                    "Tra cứu quy hoạch thửa đất của bạn tại",
                    "Look up the planning of your parcel at"
                ),
                esc(&short_url(p))
            ),
        ),
        None => (String::new(), String::new()),
    };
    Slide {
        kind: "empty",
        label: head.to_string(),
        zone: None,
        html: format!(
            r#"<div class="card wide calm" data-card><div class="col"><h2 class="title">{head}</h2>{line}</div>{qr}</div>"#
        ),
    }
}

/// A colour from the code table, or grey if it is not `#rrggbb`.
fn colour(c: &str) -> &str {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|x| x.is_ascii_hexdigit());
    if ok {
        c
    } else {
        "#bbbbbb"
    }
}

/// A number with `decimals` decimals and grouped thousands, Vietnamese (1.234,5) or English
/// (1,234.5); trailing zero decimals dropped.
fn num(v: f64, decimals: usize, l: Lang) -> String {
    let (group, point) = match l {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// An area: m² under a hectare, else hectares with two decimals.
fn area_text(m2: f64, l: Lang) -> String {
    if m2 <= 0.0 {
        "0".into()
    } else if m2 < 10_000.0 {
        format!("{} m²", num(m2, 0, l))
    } else {
        format!("{} ha", num(m2 / 10_000.0, 2, l))
    }
}

fn pct_text(p: f64, l: Lang) -> String {
    format!("{} %", num(p, 1, l))
}

/// `YYYY-MM-DD` as people write it: 31/12/2026, or 31 December 2026.
fn date_text(ymd: &str, l: Lang) -> String {
    let mut it = ymd.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (it.next(), it.next(), it.next()) else {
        return ymd.to_string();
    };
    let month: usize = m.parse().unwrap_or(0);
    match l {
        Lang::Vi => format!("{d}/{m}/{y}"),
        Lang::En => match quyhoach_data::speech::MONTHS_EN.get(month.wrapping_sub(1)) {
            Some(name) => format!("{} {name} {y}", d.trim_start_matches('0')),
            None => ymd.to_string(),
        },
    }
}

/// An address as printed: without the scheme and a trailing slash.
fn short_url(u: &str) -> String {
    let s = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or(u);
    s.strip_suffix('/').unwrap_or(s).to_string()
}

/// Standard base64 (RFC 4648 §4), for the script's CSP hash.
fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= c.len() {
                out.push(T[(n >> shift) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The cycling: one slide at a time every `interval` seconds (`?interval=` overrides, within
/// [`INTERVAL_RANGE`]); the arrow keys step, the space bar pauses (a touch on a kiosk does not); after
/// `reload` seconds the deck reloads at the end of a round if its address still answers
/// (an unreachable server keeps the slides showing, never an error page).
fn deck_script(interval: u32, reload: Option<u32>) -> String {
    format!(
        "(function(){{var d=document.documentElement;d.classList.add('js');\
var s=[].slice.call(document.querySelectorAll('.slide'));if(!s.length)return;\
var q=/[?&]interval=(\\d+)/.exec(location.search);var iv=q?Math.min({max},Math.max({min},+q[1])):{interval};\
var r={reload};var due=r?Date.now()+r*1000:0;var i=0,paused=false,t=null;\
function show(n){{s[i].classList.remove('on');i=(n+s.length)%s.length;s[i].classList.add('on');d.setAttribute('data-current',i);}}\
function tick(){{if(i===s.length-1&&r&&Date.now()>due){{due=Date.now()+60000;\
fetch(location.href,{{cache:'no-store'}}).then(function(x){{if(x.ok)location.reload();}}).catch(function(){{}});}}show(i+1);}}\
function go(){{clearInterval(t);t=paused?null:setInterval(tick,iv*1000);}}\
d.setAttribute('data-current',0);go();\
document.addEventListener('keydown',function(e){{if(e.key==='ArrowRight'){{show(i+1);go();}}else if(e.key==='ArrowLeft'){{show(i-1);go();}}else if(e.key===' '){{paused=!paused;go();e.preventDefault();}}}});\
window.quyhoachDeck={{index:function(){{return i;}},count:s.length,interval:iv,show:show}};}})();",
        min = INTERVAL_RANGE.0,
        max = INTERVAL_RANGE.1,
        reload = reload.unwrap_or(0),
    )
}

/// The deck's style. Lengths are stage pixels times `--u` (1/1920 of the slide's width).
const CSS: &str = "\
*{box-sizing:border-box}\
html,body{margin:0;background:#111;color:#111;font-family:'DejaVu Sans','Noto Sans',Arial,sans-serif}\
main{display:flex;flex-direction:column;align-items:center;gap:16px;padding:0}\
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap;margin:0}\
.slide{position:relative;flex:none;width:min(100vw,calc(100vh*16/9));height:min(100vh,calc(100vw*9/16));container-type:size;overflow:hidden;background:#eef1f4}\
.slide>*{--u:calc(100cqw/1920)}\
.js body{overflow:hidden}\
.js main{display:grid;place-items:center;height:100vh}\
.js .slide{display:none;grid-area:1/1}\
.js .slide.on{display:block;animation:fade .8s ease-out}\
@keyframes fade{from{opacity:0}to{opacity:1}}\
@media (prefers-reduced-motion:reduce){.js .slide.on{animation:none}}\
.map{position:absolute;inset:0}\
.map svg{display:block;width:100%;height:100%}\
.card{position:absolute;left:calc(32*var(--u));top:calc(32*var(--u));bottom:calc(128*var(--u));width:calc(760*var(--u));background:#fff;border-radius:calc(18*var(--u));padding:calc(28*var(--u)) calc(34*var(--u));display:flex;flex-direction:column;gap:calc(10*var(--u));overflow:hidden;box-shadow:0 calc(6*var(--u)) calc(28*var(--u)) rgba(0,0,0,.28);font-size:calc(40*var(--u));line-height:1.25}\
.card.card-table{width:calc(1180*var(--u))}\
.card.wide{right:calc(32*var(--u));width:auto;flex-direction:row;gap:calc(48*var(--u))}\
.card.wide .col{flex:1;display:flex;flex-direction:column;gap:calc(14*var(--u));min-width:0}\
.card.wide .qr{flex-direction:column;align-items:center;justify-content:center;margin:0;width:calc(460*var(--u));flex:none;text-align:center}\
.card.wide .qr svg{width:calc(400*var(--u));height:calc(400*var(--u))}\
.card.calm{justify-content:center;align-items:center}\
.card.calm .col{justify-content:center}\
.card p,.card h2,.card h3,.card ul,.card ol,.card table{margin:0}\
.card>*,.card .col>*{flex:none}\
.tag{font-weight:700;color:#0b3d91;font-size:calc(40*var(--u))}\
.tag.draft,.status.draft{color:#8b0000}\
.status{font-weight:700}\
.title{font-size:calc(58*var(--u));line-height:1.15;font-weight:700;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:4;overflow:hidden}\
.card.wide .title{font-size:calc(64*var(--u))}\
.calm .title{font-size:calc(72*var(--u))}\
.doc{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:3;overflow:hidden}\
.message{display:flex;flex-direction:column;gap:calc(14*var(--u));overflow:hidden}\
.card h3{font-size:calc(48*var(--u));margin-top:calc(12*var(--u))}\
.card ol,.card ul.facts{padding-left:calc(56*var(--u))}\
.card ul.facts{padding-left:0;list-style:none;display:flex;flex-direction:column;gap:calc(2*var(--u))}\
.url{font-weight:700;overflow-wrap:anywhere}\
.use{font-weight:700;display:flex;align-items:center;gap:calc(14*var(--u))}\
.sw{display:inline-block;flex:none;width:calc(40*var(--u));height:calc(40*var(--u));border:calc(2*var(--u)) solid #333;border-radius:calc(6*var(--u));vertical-align:middle;margin-right:calc(12*var(--u))}\
.use .sw{margin-right:0}\
table.landuse{border-collapse:collapse;width:100%;table-layout:fixed}\
.landuse th,.landuse td{text-align:left;padding:calc(4*var(--u)) calc(8*var(--u));white-space:nowrap;overflow:hidden;text-overflow:ellipsis;border-bottom:calc(2*var(--u)) solid #ccc}\
.landuse thead th{font-weight:700;color:#333;border-bottom:calc(3*var(--u)) solid #333}\
.landuse th:first-child{width:calc(200*var(--u))}\
.landuse .num{text-align:right;width:calc(200*var(--u))}\
.landuse .arrow{width:calc(50*var(--u));text-align:center;padding:0}\
.landuse td.name{font-weight:400}\
.qr{margin-top:auto;display:flex;align-items:center;gap:calc(24*var(--u))}\
.qr svg{flex:none;width:calc(200*var(--u));height:calc(200*var(--u));background:#fff}\
.qr p{font-weight:700}\
.legend{position:absolute;bottom:calc(128*var(--u));margin:0;padding:calc(12*var(--u)) calc(12*var(--u));list-style:none;display:flex;flex-wrap:wrap;row-gap:calc(8*var(--u));background:#fff;border-radius:calc(14*var(--u));box-shadow:0 calc(4*var(--u)) calc(18*var(--u)) rgba(0,0,0,.25);font-size:calc(40*var(--u));line-height:calc(50*var(--u));font-weight:700}\
.legend li{width:calc(196*var(--u));display:flex;align-items:center;white-space:nowrap;overflow:hidden}\
.foot{position:absolute;left:0;right:0;bottom:0;height:calc(96*var(--u));background:#0b2545;color:#fff;display:flex;align-items:center;justify-content:space-between;gap:calc(32*var(--u));padding:0 calc(32*var(--u)) calc(8*var(--u));font-size:calc(40*var(--u))}\
.foot p{margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\
.foot-n{flex:none;font-weight:700}\
.bar{position:absolute;left:0;bottom:0;height:calc(10*var(--u));background:#ffd23f}\
";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::portal::announce::{
        LandUseTotal, NoticeArea, NoticeConsultation, NoticeLinks, NoticeOffice, NoticePlan,
    };
    use geo_types::{polygon, MultiPolygon};

    fn zone(id: &str, code: &str, road: bool, area: f64, x: f64) -> NoticeZone {
        NoticeZone {
            zone_id: Some(id.into()),
            name: None,
            landuse: code.into(),
            landuse_vi: format!("Đất {code}"),
            landuse_en: format!("{code} land"),
            color: "#ff8800".into(),
            area_m2: area,
            density_pct: Some(40.0),
            floors_min: Some(2),
            floors_max: Some(5),
            far: Some(1.8),
            height_m: None,
            road,
            geometry: MultiPolygon(vec![polygon![
                (x: x, y: 10.0), (x: x + 0.001, y: 10.0), (x: x + 0.001, y: 10.001), (x: x, y: 10.001)
            ]]),
        }
    }

    fn notice(kind: NoticeKind) -> Notice {
        let zones = vec![
            zone("G1", "DGT", true, 90_000.0, 105.0),
            zone("C1", "TMD", false, 30_000.0, 105.001),
            zone("C2", "ODT", false, 20_000.0, 105.002),
            zone("C3", "ODT", false, 10.0, 105.003),
        ];
        Notice {
            kind,
            title_vi: kind.title_vi().into(),
            title_en: kind.title_en().into(),
            plan: NoticePlan {
                id: "p".into(),
                name: "Quy hoạch <script>alert(1)</script> & co".into(),
                level_vi: "Quy hoạch phân khu".into(),
                level_en: "Zoning plan".into(),
                status: "draft".into(),
                status_vi: "Dự thảo".into(),
                status_en: "Draft".into(),
                binding: kind != NoticeKind::Consultation,
                document_number: "85/TTr-UBND".into(),
                document_kind_vi: "Tờ trình".into(),
                document_kind_en: "Submission".into(),
                document_date: "2026-03-12".into(),
                authority_vi: "UBND tỉnh Kiên Giang".into(),
                authority_en: "Kien Giang Provincial People's Committee".into(),
                valid_from: None,
                valid_to: None,
                document_url: None,
            },
            area: NoticeArea {
                commune: Some("31150".into()),
                name_vi: "thị trấn Vĩnh Thanh".into(),
                name_en: "Vinh Thanh township".into(),
                boundary: None,
                bbox: [105.0, 10.0, 105.004, 10.001],
                area_m2: 1e6,
            },
            totals: vec![LandUseTotal {
                landuse: "TMD".into(),
                landuse_vi: "Đất thương mại, dịch vụ".into(),
                landuse_en: "Commercial land".into(),
                color: "red;background:url(x)".into(),
                area_m2: 30_000.0,
                pct: 100.0,
                before_m2: Some(0.0),
            }],
            zones,
            changes_plan: Some(("old".into(), "Quy hoạch cũ".into())),
            redlines: vec![],
            consultation: Some(NoticeConsultation {
                opens: "2026-12-01".into(),
                closes: "2026-12-31".into(),
            }),
            links: NoticeLinks {
                portal: "https://quyhoach.example.vn".into(),
                map: "https://quyhoach.example.vn/#map=15/10/105".into(),
                comment: Some("https://quyhoach.example.vn/#/consultations/3".into()),
                notices: "https://quyhoach.example.vn/thong-bao/31150".into(),
                text_lookup: "https://quyhoach.example.vn/text".into(),
            },
            office: NoticeOffice {
                name_vi: "UBND thị trấn Vĩnh Thanh".into(),
                name_en: "Vinh Thanh People's Committee".into(),
                address: Some("12 đường Lê Lợi".into()),
                phone: None,
            },
            message_vi: None,
            message_en: None,
            date: "2026-12-01".into(),
            data_version: "v1".into(),
        }
    }

    #[test]
    fn slides_of_a_consultation() {
        let n = notice(NoticeKind::Consultation);
        let html = slides_html(&n);
        assert!(html.starts_with("<!doctype html><html lang=\"vi\">"));
        assert!(
            !html.contains("<script>alert"),
            "the plan's name is escaped"
        );
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
        assert!(
            !html.contains("url(x)"),
            "a colour that is not #rrggbb is dropped"
        );
        assert!(html.contains("Dự thảo — chưa có giá trị pháp lý"));
        assert!(html.contains("Góp ý từ 01/12/2026 đến hết 31/12/2026"));
        assert!(
            html.contains("aria-label=\"Mã QR: https://quyhoach.example.vn/#/consultations/3\"")
        );
        // Zones C1 and C2 get a slide; the road corridor G1 and the sliver C3 do not.
        let zones: Vec<&str> = html
            .split("data-zone=\"")
            .skip(1)
            .map(|s| &s[..2])
            .collect();
        assert_eq!(zones, ["C1", "C2"]);
        let kinds: Vec<&str> = html
            .split("data-slide=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect();
        assert_eq!(kinds, ["notice", "landuse", "zone", "zone", "howto"]);
        assert!(html.contains(">1 / 5<") && html.contains(">5 / 5<"));
        // Every slide has a QR code; no outside address is fetched.
        assert_eq!(html.matches("data-qr").count(), 5);
        assert!(!html.contains("src=") && !html.contains("href="));
        // The legend of a zone slide lists the codes drawn around it, roads included.
        let zone_slide = html.split("data-zone=\"C1\"").nth(1).unwrap();
        let legend = &zone_slide[zone_slide.find("data-legend").unwrap()..];
        let legend = &legend[..legend.find("</ul>").unwrap()];
        for c in ["DGT", "TMD", "ODT"] {
            assert!(
                legend.contains(&format!("data-code=\"{c}\"")),
                "{c} in {legend}"
            );
        }
    }

    #[test]
    fn english_and_approved() {
        let mut n = notice(NoticeKind::Approved);
        n.message_vi = Some("Mở rộng <b>khu</b> dân cư".into());
        let html = deck_html(
            &[&n],
            &DeckOptions {
                lang: "en".into(),
                heading: "Planning notices".into(),
                ..DeckOptions::default()
            },
        );
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("Plan approved"));
        assert!(html.contains("Submission 85/TTr-UBND of 12 March 2026"));
        assert!(html.contains("Announced on 1 December 2026"));
        assert!(html.contains("aria-label=\"QR code: https://quyhoach.example.vn/#map=15/10/105\""));
        assert!(html.contains(
            "<div class=\"message\" lang=\"vi\"><p>Mở rộng &lt;b&gt;khu&lt;/b&gt; dân cư</p>"
        ));
        assert!(!html.contains("Draft — not legally binding"));
    }

    #[test]
    fn an_empty_deck_is_never_blank() {
        let html = deck_html(
            &[],
            &DeckOptions {
                portal: Some("https://quyhoach.example.vn".into()),
                reload_s: Some(300),
                ..DeckOptions::default()
            },
        );
        assert!(html.contains("Chưa có thông báo quy hoạch mới"));
        assert!(html.contains("data-slide=\"empty\""));
        assert!(html.contains("svg class=\"qr\""));
        assert!(html.contains("<noscript><meta http-equiv=\"refresh\" content=\"300\"></noscript>"));
        assert!(html.contains("var r=300;"));
    }

    #[test]
    fn the_policy_allows_exactly_the_script() {
        let opts = DeckOptions::default();
        let html = deck_html(&[], &opts);
        let script = &html[html.find("<script>").unwrap() + 8..html.find("</script>").unwrap()];
        let csp = content_security_policy(&opts);
        let hash = base64(&Sha256::digest(script.as_bytes()));
        assert!(csp.contains(&format!("'sha256-{hash}'")));
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(area_text(12_345.0, Lang::Vi), "1,23 ha");
        assert_eq!(area_text(8_450.0, Lang::Vi), "8.450 m²");
        assert_eq!(area_text(8_450.0, Lang::En), "8,450 m²");
        assert_eq!(area_text(1_234_567.0, Lang::En), "123.46 ha");
        assert_eq!(num(1.5, 2, Lang::Vi), "1,5");
        assert_eq!(date_text("2026-12-31", Lang::Vi), "31/12/2026");
        assert_eq!(date_text("bad", Lang::En), "bad");
    }

    /// Writes the decks of the demo's two notices over 31150 into `$QUYHOACH_SLIDES_OUT`
    /// from the store `$QUYHOACH_SLIDES_STORE`, to look at (run with `--ignored`).
    #[test]
    #[ignore]
    fn demo_decks() {
        use crate::portal::announce::notice::{build, BuildOptions};
        let (Ok(store), Ok(out)) = (
            std::env::var("QUYHOACH_SLIDES_STORE"),
            std::env::var("QUYHOACH_SLIDES_OUT"),
        ) else {
            return;
        };
        let index = quyhoach_data::index::Index::load(std::path::Path::new(&store)).unwrap();
        for (plan, closes) in [("qhpk-2000-dc", Some("2026-12-31")), ("qhpk-2000", None)] {
            let n = build(
                &index,
                &BuildOptions {
                    plan: plan.into(),
                    commune: Some("31150".into()),
                    consultation: closes.map(|c| NoticeConsultation {
                        opens: "2026-12-01".into(),
                        closes: c.into(),
                    }),
                    public_url: "http://127.0.0.1:8080".into(),
                    date: "2026-12-01".into(),
                    ..BuildOptions::default()
                },
            )
            .unwrap();
            let dir = std::path::Path::new(&out).join(plan);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("notice.json"),
                serde_json::to_vec_pretty(&n).unwrap(),
            )
            .unwrap();
            std::fs::write(dir.join("slides.html"), slides_html(&n)).unwrap();
            let en = deck_html(
                &[&n],
                &DeckOptions {
                    lang: "en".into(),
                    ..DeckOptions::default()
                },
            );
            std::fs::write(dir.join("slides-en.html"), en).unwrap();
        }
    }
}
