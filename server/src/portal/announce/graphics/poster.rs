//! The poster (A3) and the leaflet (A4): one portrait page each, the same content in the
//! same order, laid out in points from the paper's size and one body size. Every block is
//! measured before it is placed; the tables take the height that is left and are cut with
//! "… và N ô khác", so nothing runs off the page.

use super::draw::{self, Anchor, Canvas, Fonts};
use super::{change_line, legend, map, MapOptions, Paper};
use crate::portal::announce::Notice;

/// Sizes of one paper.
struct Layout {
    w: f64,
    h: f64,
    /// Margin, pt.
    m: f64,
    /// Body type, pt.
    f: f64,
    /// The map's height as a share of the page's.
    map_share: f64,
}

impl Layout {
    fn of(paper: Paper) -> Layout {
        let (w, h) = paper.size_pt();
        match paper {
            Paper::A3 => Layout {
                w,
                h,
                m: 40.0,
                f: 14.0,
                map_share: 0.34,
            },
            Paper::A4 => Layout {
                w,
                h,
                m: 28.0,
                f: 9.0,
                map_share: 0.30,
            },
        }
    }
}

/// Table rows, in body sizes.
const ROW: f64 = 1.5;
const INK: &str = "#111111";
const GREY: &str = "#4A4A4A";
const ACCENT: &str = "#0B3D91";
const DRAFT: &str = "#B71C1C";
const IN_FORCE: &str = "#1B5E20";

/// "UBND thị trấn Vĩnh Thanh" → ("ỦY BAN NHÂN DÂN", "THỊ TRẤN VĨNH THANH").
fn office_lines(name: &str) -> (String, Option<String>) {
    match name.strip_prefix("UBND ") {
        Some(rest) => ("ỦY BAN NHÂN DÂN".into(), Some(rest.to_uppercase())),
        None => (name.to_uppercase(), None),
    }
}

/// The place of the date line: the office's unit without its level word.
fn place(office: &str) -> String {
    let s = office.strip_prefix("UBND ").unwrap_or(office);
    for level in [
        "thị trấn ",
        "thành phố ",
        "phường ",
        "xã ",
        "đặc khu ",
        "huyện ",
        "tỉnh ",
        "quận ",
        "thị xã ",
    ] {
        if let Some(rest) = s.strip_prefix(level) {
            return rest.to_string();
        }
    }
    s.to_string()
}

fn cut_version(v: &str) -> String {
    let v = v.trim_start_matches("W/").trim_matches('"');
    v.chars().take(12).collect()
}

/// A table `total_w` wide: header, rows, and a last row saying how many were left out when
/// they do not all fit in `max_h`. Columns take their text's width; column `flex` (a name)
/// takes what is left, or gives it up (its cells ellipsised). Returns the height used.
#[allow(clippy::too_many_arguments)]
fn table(
    c: &mut Canvas,
    x: f64,
    y: f64,
    total_w: f64,
    flex: usize,
    aligns: &[Anchor],
    header: &[&str],
    rows: &[Vec<String>],
    f: f64,
    max_h: f64,
    more: &dyn Fn(usize) -> String,
) -> f64 {
    let size = 0.85 * f;
    let rh = ROW * f;
    let pad = 0.35 * f;
    let fits = ((max_h / rh).floor().max(0.0) as usize).saturating_sub(1);
    if fits == 0 {
        return 0.0;
    }
    let (shown, left) = if rows.len() <= fits {
        (rows.len(), 0)
    } else {
        (fits - 1, rows.len() - (fits - 1))
    };
    let mut widths: Vec<f64> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .take(shown)
                .filter_map(|r| r.get(i))
                .map(|t| c.fonts.width(t, size, false))
                .fold(c.fonts.width(h, size, true), f64::max)
                + 2.0 * pad
                + 0.5
        })
        .collect();
    let sum: f64 = widths.iter().sum();
    if let Some(fw) = widths.get_mut(flex) {
        *fw = (*fw + total_w - sum).max(3.0 * f);
    }
    let sum: f64 = widths.iter().sum();
    if sum > total_w + 0.01 {
        for w in &mut widths {
            *w *= total_w / sum;
        }
    }
    let cell = |c: &mut Canvas, row_y: f64, cells: &[&str], bold: bool, fill: &str| {
        let mut cx = x;
        for (i, t) in cells.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0.0);
            let a = aligns.get(i).copied().unwrap_or(Anchor::Start);
            let tx = match a {
                Anchor::Start => cx + pad,
                Anchor::Middle => cx + w / 2.0,
                Anchor::End => cx + w - pad,
            };
            c.text(
                tx,
                row_y + rh * 0.68,
                size,
                bold,
                fill,
                a,
                (w - 2.0 * pad).max(0.0),
                t,
            );
            cx += w;
        }
    };
    c.rect(x, y, total_w, rh, r##"fill="#E6E9F0""##);
    cell(c, y, header, true, INK);
    let mut ry = y + rh;
    for (i, r) in rows.iter().take(shown).enumerate() {
        if i % 2 == 1 {
            c.rect(x, ry, total_w, rh, r##"fill="#F5F6F8""##);
        }
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        cell(c, ry, &cells, false, INK);
        ry += rh;
    }
    if left > 0 {
        c.text(
            x + pad,
            ry + rh * 0.68,
            size,
            false,
            GREY,
            Anchor::Start,
            total_w - 2.0 * pad,
            &more(left),
        );
        ry += rh;
    }
    c.line(
        x,
        ry,
        x + total_w,
        ry,
        r##"stroke="#9AA3B5" stroke-width="0.6""##,
    );
    ry - y
}

fn opt_num(v: Option<f64>, decimals: usize, unit: &str) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{}{unit}", draw::num(v, decimals)),
        _ => "—".into(),
    }
}

fn floors(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (_, Some(b)) => b.to_string(),
        (Some(a), None) => format!("≥ {a}"),
        (None, None) => "—".into(),
    }
}

pub fn svg(notice: &Notice, fonts: &Fonts, paper: Paper) -> String {
    let l = Layout::of(paper);
    let (w, h, m, f) = (l.w, l.h, l.m, l.f);
    let cw = w - 2.0 * m;
    let mut c = Canvas::new(fonts);
    c.rect(0.0, 0.0, w, h, r##"fill="#FFFFFF""##);
    let draft = !notice.plan.binding && notice.plan.status == "draft";
    let mut y = m;

    // Header: the office and the national motto, the date.
    let left_w = cw * 0.42;
    let right_w = cw - left_w;
    let lh = 1.45 * f;
    let (o1, o2) = office_lines(&notice.office.name_vi);
    let lx = m + left_w / 2.0;
    c.text(lx, y + f, f, true, INK, Anchor::Middle, left_w, &o1);
    let mut ly = y + f;
    if let Some(o2) = o2 {
        ly += lh;
        c.text(lx, ly, f, true, INK, Anchor::Middle, left_w, &o2);
    }
    let rx = m + left_w + right_w / 2.0;
    c.text(
        rx,
        y + f,
        0.95 * f,
        true,
        INK,
        Anchor::Middle,
        right_w,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    );
    c.text(
        rx,
        y + f + lh,
        f,
        true,
        INK,
        Anchor::Middle,
        right_w,
        "Độc lập - Tự do - Hạnh phúc",
    );
    let rule = |c: &mut Canvas, cx: f64, yy: f64, half: f64| {
        c.line(
            cx - half,
            yy,
            cx + half,
            yy,
            r##"stroke="#111111" stroke-width="0.8""##,
        );
    };
    rule(&mut c, lx, ly + 0.5 * f, 0.18 * left_w);
    rule(
        &mut c,
        rx,
        y + f + lh + 0.5 * f,
        fonts.width("Độc lập - Tự do - Hạnh phúc", f, true) / 2.0,
    );
    let dated = format!(
        "{}, {}",
        place(&notice.office.name_vi),
        draw::date_words(&notice.date)
    );
    c.text(
        rx,
        y + f + 2.6 * lh,
        0.95 * f,
        false,
        GREY,
        Anchor::Middle,
        right_w,
        &dated,
    );
    y += f + 3.2 * lh;

    // Title, English under it, the plan's name.
    let title = notice.title_vi.to_uppercase();
    y += c.para(
        w / 2.0,
        y,
        1.9 * f,
        true,
        ACCENT,
        Anchor::Middle,
        cw,
        2,
        2.3 * f,
        &title,
    );
    let en = format!("{} — {}", notice.title_en, notice.area.name_en);
    y += c.para(
        w / 2.0,
        y,
        0.9 * f,
        false,
        GREY,
        Anchor::Middle,
        cw,
        1,
        1.3 * f,
        &en,
    ) + 0.5 * f;
    y += c.para(
        w / 2.0,
        y,
        1.35 * f,
        true,
        INK,
        Anchor::Middle,
        cw,
        3,
        1.65 * f,
        &notice.plan.name,
    ) + 0.6 * f;

    // Status.
    let (status, fill) = if draft {
        ("DỰ THẢO — CHƯA CÓ GIÁ TRỊ PHÁP LÝ".to_string(), DRAFT)
    } else if notice.plan.binding {
        let from = notice
            .plan
            .valid_from
            .as_deref()
            .unwrap_or(&notice.plan.document_date);
        (
            format!("ĐÃ PHÊ DUYỆT — CÓ HIỆU LỰC TỪ {}", draw::date(from)),
            IN_FORCE,
        )
    } else {
        (notice.plan.status_vi.to_uppercase(), GREY)
    };
    let bh = 2.1 * f;
    c.rect(m, y, cw, bh, &format!(r#"fill="{fill}" rx="3""#));
    c.text(
        w / 2.0,
        y + 1.45 * f,
        1.1 * f,
        true,
        "#FFFFFF",
        Anchor::Middle,
        cw - 2.0 * f,
        &status,
    );
    y += bh + 0.7 * f;

    // The document, the area, what it changes, the official's words.
    let p = &notice.plan;
    let facts = [
        format!(
            "Văn bản: {} số {} ngày {} của {}",
            p.document_kind_vi,
            p.document_number,
            draw::date(&p.document_date),
            p.authority_vi
        ),
        format!(
            "Khu vực: {}{} ({})",
            if notice.area.commune.is_none() {
                "toàn bộ "
            } else {
                ""
            },
            notice.area.name_vi,
            draw::area(notice.area.area_m2)
        ),
    ];
    for s in &facts {
        y += c.para(m, y, f, false, INK, Anchor::Start, cw, 2, 1.35 * f, s);
    }
    if let Some((id, name)) = &notice.changes_plan {
        let s = format!("Thay đổi so với: {name} ({id})");
        y += c.para(m, y, f, false, INK, Anchor::Start, cw, 2, 1.35 * f, &s);
    }
    if let Some(ch) = change_line(notice) {
        y += c.para(
            m,
            y,
            f,
            true,
            INK,
            Anchor::Start,
            cw,
            1,
            1.35 * f,
            &format!("Chuyển đổi chức năng: {ch}"),
        );
    }
    if let Some(msg) = notice
        .message_vi
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        let s = format!("Nội dung chính: {msg}");
        y += c.para(m, y, f, false, INK, Anchor::Start, cw, 4, 1.35 * f, &s);
    }
    y += 0.7 * f;

    // The map and its legend.
    let mh = l.map_share * h;
    let gap = 1.2 * f;
    let mw = cw * 0.64;
    let opts = MapOptions {
        highlight: None,
        scale_bar: true,
        north_arrow: true,
        reserved: [0.0; 4],
    };
    let frame = map::MapFrame::new(map::view_bbox(notice), mw, mh, opts.reserved);
    c.raw(&format!(
        r#"<svg x="{m:.2}" y="{y:.2}" width="{mw:.2}" height="{mh:.2}" viewBox="0 0 {mw:.2} {mh:.2}">{}</svg>"#,
        map::draw(notice, &frame, &opts)
    ));
    c.rect(
        m,
        y,
        mw,
        mh,
        r##"fill="none" stroke="#555555" stroke-width="0.8""##,
    );
    // Beside the map: the legend, then when and where to comment if it fits there.
    let (sx, sw) = (m + mw + gap, cw - mw - gap);
    let when = when_items(notice);
    let when_h = block_height(&c, &when, sw, f);
    let legend_h = legend_block(&mut c, notice, sx, y, sw, mh, f);
    let when_beside = legend_h + 0.8 * f + when_h <= mh;
    if when_beside {
        draw_block(&mut c, &when, sx, y + legend_h + 0.8 * f, sw, y + mh, f);
    }
    y += mh + 1.2 * f;

    // Footer first: the columns end above it.
    let fs = 0.78 * f;
    let footer_h = 4.0 * 1.3 * fs + 0.8 * f;
    let foot = h - m - footer_h;
    footer(&mut c, notice, m, foot, cw, f);

    // Right column: dates and where to comment, how to look up a parcel, the QR code.
    let lw = cw * 0.57;
    let rxx = m + lw + gap;
    let rw = cw - lw - gap;
    let mut ry = y;
    if !when_beside {
        ry += draw_block(&mut c, &when, rxx, ry, rw, foot - 0.6 * f, f) + 0.6 * f;
    }
    lookup_block(&mut c, notice, rxx, ry, rw, foot - 0.6 * f, f);

    // Left column: what changes, then the largest zones' indicators.
    let mut ly = y;
    ly += heading(
        &mut c,
        m,
        ly,
        lw,
        f,
        if notice.totals.iter().any(|t| t.before_m2.is_some()) {
            "NỘI DUNG THAY ĐỔI"
        } else {
            "CƠ CẤU SỬ DỤNG ĐẤT"
        },
    );
    let has_before = notice.totals.iter().any(|t| t.before_m2.is_some());
    let rows: Vec<Vec<String>> = notice
        .totals
        .iter()
        .map(|t| {
            if has_before {
                let before = t.before_m2.unwrap_or(0.0);
                let d = t.area_m2 - before;
                vec![
                    t.landuse.clone(),
                    t.landuse_vi.clone(),
                    draw::area(before),
                    draw::area(t.area_m2),
                    if d.abs() < 1.0 {
                        "0".into()
                    } else if d > 0.0 {
                        format!("+{}", draw::area(d))
                    } else {
                        draw::area(d)
                    },
                ]
            } else {
                vec![
                    t.landuse.clone(),
                    t.landuse_vi.clone(),
                    draw::area(t.area_m2),
                    format!("{} %", draw::num(t.pct, 1)),
                ]
            }
        })
        .collect();
    // The land-use table takes at most 10 rows' height; the zones get the rest.
    let room = (foot - 0.8 * f - ly).max(0.0);
    // The zones' table keeps its heading and five rows when there are zones to show.
    let zones_min = if notice.zones.iter().any(|z| !z.road) {
        1.9 * f + 1.0 * f + ROW * f * 6.0
    } else {
        0.0
    };
    let changes_h = (room - zones_min)
        .max(ROW * f * 4.0 + 0.1)
        .min(ROW * f * 11.0 + 0.1);
    ly += if has_before {
        use Anchor::*;
        table(
            &mut c,
            m,
            ly,
            lw,
            1,
            &[Start, Start, End, End, End],
            &["Mã", "Loại đất", "Trước", "Sau", "Tăng/giảm"],
            &rows,
            f,
            changes_h,
            &|n| format!("… và {n} loại đất khác"),
        )
    } else {
        use Anchor::*;
        table(
            &mut c,
            m,
            ly,
            lw,
            1,
            &[Start, Start, End, End],
            &["Mã", "Loại đất", "Diện tích", "Tỷ lệ"],
            &rows,
            f,
            changes_h,
            &|n| format!("… và {n} loại đất khác"),
        )
    };
    ly += 1.0 * f;
    let zones: Vec<Vec<String>> = notice
        .zones
        .iter()
        .filter(|z| !z.road)
        .map(|z| {
            vec![
                z.zone_id
                    .clone()
                    .or_else(|| z.name.clone())
                    .unwrap_or_else(|| "—".into()),
                z.landuse.clone(),
                draw::area(z.area_m2),
                opt_num(z.density_pct, 0, " %"),
                floors(z.floors_min, z.floors_max),
                opt_num(z.far, 1, ""),
                opt_num(z.height_m, 0, " m"),
            ]
        })
        .collect();
    let head_h = 1.9 * f;
    if !zones.is_empty() && foot - 0.8 * f - ly > head_h + 3.2 * f {
        ly += heading(&mut c, m, ly, lw, f, "CHỈ TIÊU CÁC Ô QUY HOẠCH CHÍNH");
        use Anchor::*;
        table(
            &mut c,
            m,
            ly,
            lw,
            0,
            &[Start, Start, End, End, End, End, End],
            &["Ô", "Đất", "Diện tích", "Mật độ", "Tầng", "HSSDĐ", "Cao"],
            &zones,
            f,
            foot - 0.8 * f - ly,
            &|n| format!("… và {n} ô khác (xem trên cổng thông tin)"),
        );
    }
    c.finish(w, h)
}

/// A section heading with a rule; returns its height.
fn heading(c: &mut Canvas, x: f64, y: f64, w: f64, f: f64, s: &str) -> f64 {
    c.text(x, y + f, f, true, ACCENT, Anchor::Start, w, s);
    c.line(
        x,
        y + 1.35 * f,
        x + w,
        y + 1.35 * f,
        r##"stroke="#0B3D91" stroke-width="0.8""##,
    );
    1.9 * f
}

/// Every land use on the map (colour, code, name, area), then the lines; compact rows when
/// the full ones do not fit, and "… và N loại khác" past that.
fn legend_block(c: &mut Canvas, notice: &Notice, x: f64, y: f64, w: f64, h: f64, f: f64) -> f64 {
    let entries = legend(notice);
    let mut yy = y + heading(c, x, y, w, f, "CHÚ GIẢI");
    let sw = 1.1 * f;
    let mut lines: Vec<(&str, String)> = Vec::new();
    if !notice.redlines.is_empty() {
        lines.push(("redline", "Chỉ giới đường đỏ".into()));
    }
    if notice.area.boundary.is_some() {
        lines.push(("boundary", format!("Ranh giới {}", notice.area.name_vi)));
    }
    let line_h = 1.5 * f;
    let full_h = 3.5 * f;
    let compact_h = 1.5 * f;
    let avail = h - (yy - y) - lines.len() as f64 * line_h;
    let full = entries.len() as f64 * full_h <= avail;
    let row_h = if full { full_h } else { compact_h };
    let fits = (avail / row_h).floor().max(0.0) as usize;
    let (shown, left) = if entries.len() <= fits {
        (entries.len(), 0)
    } else {
        (
            fits.saturating_sub(1),
            entries.len() - fits.saturating_sub(1),
        )
    };
    let size = 0.9 * f;
    for e in entries.iter().take(shown) {
        c.rect(
            x,
            yy + 0.15 * f,
            sw,
            sw,
            &format!(
                r##"fill="{}" stroke="#666666" stroke-width="0.5""##,
                draw::colour(&e.color)
            ),
        );
        let area = draw::area(e.area_m2);
        let area_w = c.fonts.width(&area, size, false);
        c.text(
            x + w,
            yy + f,
            size,
            false,
            GREY,
            Anchor::End,
            w * 0.4,
            &area,
        );
        let tx = x + sw + 0.5 * f;
        if full {
            c.text(
                tx,
                yy + f,
                f,
                true,
                INK,
                Anchor::Start,
                w - sw - area_w - 1.2 * f,
                &e.landuse,
            );
            c.para(
                tx,
                yy + 1.25 * f,
                0.8 * f,
                false,
                GREY,
                Anchor::Start,
                w - sw - 0.5 * f,
                2,
                1.0 * f,
                &e.name_vi,
            );
        } else {
            let code_w = c.fonts.width(&e.landuse, size, true);
            c.text(tx, yy + f, size, true, INK, Anchor::Start, w, &e.landuse);
            let nx = tx + code_w + 0.4 * f;
            c.text(
                nx,
                yy + f,
                0.8 * f,
                false,
                GREY,
                Anchor::Start,
                (x + w - area_w - 0.6 * f - nx).max(0.0),
                &super::short_landuse(&e.name_vi),
            );
        }
        yy += row_h;
    }
    if left > 0 {
        c.text(
            x,
            yy + f,
            size,
            false,
            GREY,
            Anchor::Start,
            w,
            &format!("… và {left} loại đất khác"),
        );
        yy += row_h;
    }
    for (kind, label) in lines {
        let ly = yy + 0.7 * f;
        match kind {
            "redline" => c.line(
                x,
                ly,
                x + sw * 1.4,
                ly,
                &format!(r#"stroke="{}" stroke-width="{:.2}""#, map::REDLINE, 0.2 * f),
            ),
            _ => c.line(
                x,
                ly,
                x + sw * 1.4,
                ly,
                &format!(
                    r#"stroke="{}" stroke-width="{:.2}" stroke-dasharray="{:.1} {:.1}""#,
                    map::BOUNDARY,
                    0.12 * f,
                    0.4 * f,
                    0.2 * f
                ),
            ),
        }
        c.text(
            x + sw * 1.4 + 0.5 * f,
            yy + f,
            size,
            false,
            INK,
            Anchor::Start,
            w - sw * 1.4 - 0.5 * f,
            &label,
        );
        yy += line_h;
    }
    yy - y
}

/// A heading and its lines (text, bold, most lines).
struct Block {
    heading: &'static str,
    lines: Vec<(String, bool, usize)>,
}

/// When and where to comment (a consultation) or when it was published and where the
/// documents are.
fn when_items(notice: &Notice) -> Block {
    let mut lines = Vec::new();
    let heading = match &notice.consultation {
        Some(k) => {
            lines.push((
                format!(
                    "Từ {} đến hết {}",
                    draw::date(&k.opens),
                    draw::date(&k.closes)
                ),
                true,
                2,
            ));
            if let Some(url) = &notice.links.comment {
                lines.push((
                    format!("Góp ý trực tuyến: {}", draw::short_url(url)),
                    false,
                    3,
                ));
            }
            "THỜI GIAN VÀ CÁCH GÓP Ý"
        }
        None => {
            lines.push((
                format!("Ngày công bố: {}", draw::date(&notice.date)),
                true,
                1,
            ));
            if let Some(url) = &notice.plan.document_url {
                lines.push((format!("Văn bản: {}", draw::short_url(url)), false, 2));
            }
            "THÔNG TIN CÔNG BỐ"
        }
    };
    let verb = if notice.consultation.is_some() {
        "Góp ý trực tiếp"
    } else {
        "Xem hồ sơ"
    };
    let at = match &notice.office.address {
        Some(a) => format!("{verb} tại {}: {a}", notice.office.name_vi),
        None => format!("{verb} tại trụ sở {}", notice.office.name_vi),
    };
    lines.push((at, false, 4));
    if let Some(phone) = &notice.office.phone {
        lines.push((format!("Điện thoại: {phone}"), false, 1));
    }
    Block { heading, lines }
}

const BLOCK_SIZE: f64 = 0.95;
const BLOCK_LH: f64 = 1.3;

fn block_height(c: &Canvas, b: &Block, w: f64, f: f64) -> f64 {
    1.9 * f
        + b.lines
            .iter()
            .map(|(s, bold, max)| {
                c.fonts.wrap(s, BLOCK_SIZE * f, *bold, w, *max).len() as f64 * BLOCK_LH * f
            })
            .sum::<f64>()
}

/// Draws `b` from `y`, never past `bottom`; returns the height used.
fn draw_block(c: &mut Canvas, b: &Block, x: f64, y: f64, w: f64, bottom: f64, f: f64) -> f64 {
    if bottom - y < 1.9 * f + BLOCK_LH * f {
        return 0.0;
    }
    let mut yy = y + heading(c, x, y, w, f, b.heading);
    let lh = BLOCK_LH * f;
    for (s, bold, max) in &b.lines {
        let room = ((bottom - yy) / lh).floor().max(0.0) as usize;
        yy += c.para(
            x,
            yy,
            BLOCK_SIZE * f,
            *bold,
            INK,
            Anchor::Start,
            w,
            (*max).min(room),
            lh,
            s,
        );
    }
    yy - y
}

/// How to look up a parcel, and the QR code with what it opens.
fn lookup_block(c: &mut Canvas, notice: &Notice, x: f64, y: f64, w: f64, bottom: f64, f: f64) {
    let steps = Block {
        heading: "TRA CỨU THỬA ĐẤT CỦA BẠN",
        lines: vec![
            (
                format!(
                    "1. Mở {} hoặc quét mã QR bên dưới.",
                    draw::short_url(&notice.links.portal)
                ),
                false,
                2,
            ),
            (
                "2. Chọn xã, gõ số tờ và số thửa ghi trên Giấy chứng nhận.".to_string(),
                false,
                2,
            ),
            (
                "3. Đọc kết quả: loại đất quy hoạch, chỉ tiêu, chỉ giới đường đỏ.".to_string(),
                false,
                2,
            ),
        ],
    };
    let mut yy = y + draw_block(c, &steps, x, y, w, bottom, f) + 0.6 * f;
    let comment = notice
        .links
        .comment
        .as_deref()
        .filter(|_| notice.consultation.is_some());
    let (url, caption) = match comment {
        Some(u) => (u, "Quét mã để góp ý về dự thảo"),
        None => (notice.links.map.as_str(), "Quét mã để xem bản đồ quy hoạch"),
    };
    let q = (w * 0.42).min(bottom - yy);
    if q >= 4.0 * f {
        if let Some(svg) = draw::qr(url, x, yy, q) {
            c.raw(&svg);
            let tx = x + q + 0.6 * f;
            let tw = (w - q - 0.6 * f).max(0.0);
            let mut ty = yy + 0.6 * f;
            ty += c.para(tx, ty, f, true, INK, Anchor::Start, tw, 3, 1.3 * f, caption);
            let max_lines = ((yy + q - ty - 0.3 * f) / (1.05 * f)).floor().max(0.0) as usize;
            c.para(
                tx,
                ty + 0.3 * f,
                0.75 * f,
                false,
                GREY,
                Anchor::Start,
                tw,
                max_lines.min(5),
                1.05 * f,
                url,
            );
            yy += q;
        }
    }
    let _ = yy;
}

fn footer(c: &mut Canvas, notice: &Notice, x: f64, y: f64, w: f64, f: f64) {
    let fs = 0.78 * f;
    let lh = 1.3 * fs;
    c.line(x, y, x + w, y, r##"stroke="#9AA3B5" stroke-width="0.6""##);
    let mut yy = y + 0.4 * f;
    let legal = if notice.plan.binding {
        format!("quyết định phê duyệt số {}", notice.plan.document_number)
    } else {
        format!(
            "{} số {} và hồ sơ dự thảo; dự thảo chưa có giá trị pháp lý",
            notice.plan.document_kind_vi.to_lowercase(),
            notice.plan.document_number
        )
    };
    let lines = [
        format!(
            "Nguồn: {} · dữ liệu phiên bản {} · lập ngày {}",
            draw::short_url(&notice.links.portal),
            cut_version(&notice.data_version),
            draw::date(&notice.date)
        ),
        format!("Thông tin tham khảo; văn bản pháp lý là {legal}."),
        "For information only; the legal text is the approving decision (a draft has no legal effect).".to_string(),
    ];
    for (i, s) in lines.iter().enumerate() {
        let max = if i == 1 { 2 } else { 1 };
        yy += c.para(x, yy, fs, i == 1, GREY, Anchor::Start, w, max, lh, s);
    }
}
