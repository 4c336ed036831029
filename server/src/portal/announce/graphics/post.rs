//! The post picture, 1200×630 (Zalo, Facebook and the notice link's preview): the map on
//! the left, the key facts on the right in type that reads on a phone's thumbnail.

use super::draw::{self, Anchor, Canvas, Fonts};
use super::{change_line, kind_badge, legend, map, short_landuse, MapOptions};
use crate::portal::announce::Notice;

pub const WIDTH: f64 = 1200.0;
pub const HEIGHT: f64 = 630.0;
/// The map's share of the width.
pub const MAP_WIDTH: f64 = 660.0;
/// Smallest type, px at 1200 wide (a phone shows the picture about 400 px wide).
pub const BODY_PX: f64 = 26.0;
const MAX_LEGEND: usize = 5;

pub fn svg(notice: &Notice, fonts: &Fonts) -> String {
    let mut c = Canvas::new(fonts);
    let opts = MapOptions {
        highlight: None,
        scale_bar: true,
        north_arrow: true,
        reserved: [0.0; 4],
    };
    let frame = map::MapFrame::new(map::view_bbox(notice), MAP_WIDTH, HEIGHT, opts.reserved);
    c.raw(&format!(
        r#"<svg x="0" y="0" width="{MAP_WIDTH}" height="{HEIGHT}" viewBox="0 0 {MAP_WIDTH} {HEIGHT}">{}</svg>"#,
        map::draw(notice, &frame, &opts)
    ));
    let (badge, accent) = kind_badge(notice);
    c.rect(
        MAP_WIDTH,
        0.0,
        WIDTH - MAP_WIDTH,
        HEIGHT,
        r##"fill="#FFFFFF""##,
    );
    c.rect(MAP_WIDTH, 0.0, 10.0, HEIGHT, &format!(r#"fill="{accent}""#));
    let x = MAP_WIDTH + 38.0;
    let w = WIDTH - x - 24.0;
    let mut y = 30.0;
    // The kind.
    let bw = (fonts.width(badge, BODY_PX, true) + 28.0).min(w);
    c.rect(x, y, bw, 44.0, &format!(r#"fill="{accent}" rx="6""#));
    c.text(
        x + 14.0,
        y + 31.0,
        BODY_PX,
        true,
        "#FFFFFF",
        Anchor::Start,
        bw - 28.0,
        badge,
    );
    y += 60.0;
    // The plan, smaller when that is what keeps it whole (four lines then).
    let name = &notice.plan.name;
    let (size, lines) = if fonts.wrap(name, 32.0, true, w, 4).len() <= 3 {
        (32.0, 3)
    } else {
        (29.0, 4)
    };
    y += c.para(
        x,
        y,
        size,
        true,
        "#111111",
        Anchor::Start,
        w,
        lines,
        size * 1.2,
        name,
    ) + 8.0;
    // Where, what changes, when.
    let bottom = HEIGHT - 30.0;
    let fact = |c: &mut Canvas, y: &mut f64, s: &str, bold: bool, fill: &str, lines: usize| {
        *y += c.para(
            x,
            *y,
            BODY_PX + 1.0,
            bold,
            fill,
            Anchor::Start,
            w,
            lines,
            34.0,
            s,
        ) + 4.0;
    };
    fact(&mut c, &mut y, &notice.area.name_vi, false, "#333333", 1);
    // What changes; for a plan that changes nothing, how much it plans.
    let what = change_line(notice).unwrap_or_else(|| {
        let total: f64 = notice.totals.iter().map(|t| t.area_m2).sum();
        let zones = notice.zones.iter().filter(|z| !z.road).count();
        format!("{} · {zones} ô quy hoạch", draw::area(total))
    });
    fact(&mut c, &mut y, &what, true, "#111111", 2);
    let when = match &notice.consultation {
        Some(k) => format!(
            "Góp ý: {} – {}",
            short_date(&k.opens, &k.closes),
            draw::date(&k.closes)
        ),
        None => format!(
            "{} · {}",
            notice.plan.document_number,
            draw::date(&notice.plan.document_date)
        ),
    };
    fact(&mut c, &mut y, &when, false, "#333333", 1);
    // Legend: as many land uses as fit above the address (at most five).
    let row = 36.0;
    let address_top = bottom - 72.0;
    let entries = legend(notice);
    let room = ((address_top - y - 6.0) / row).floor().max(0.0) as usize;
    let shown = entries.len().min(MAX_LEGEND).min(room);
    y += 6.0;
    for e in entries.iter().take(shown) {
        c.rect(
            x,
            y + 4.0,
            26.0,
            26.0,
            &format!(
                r##"fill="{}" stroke="#666666" stroke-width="1""##,
                draw::colour(&e.color)
            ),
        );
        let code_w = fonts.width(&e.landuse, BODY_PX, true);
        c.text(
            x + 36.0,
            y + 27.0,
            BODY_PX,
            true,
            "#111111",
            Anchor::Start,
            w - 36.0,
            &e.landuse,
        );
        c.text(
            x + 46.0 + code_w,
            y + 27.0,
            BODY_PX,
            false,
            "#333333",
            Anchor::Start,
            (w - 46.0 - code_w).max(0.0),
            &short_landuse(&e.name_vi),
        );
        y += row;
    }
    // The portal, where to look it up: whole, at the largest size that fits.
    let portal = draw::short_url(&notice.links.portal);
    let (size, bold) = [(28.0, true), (26.0, true), (28.0, false), (26.0, false)]
        .into_iter()
        .find(|(s, b)| fonts.width(&portal, *s, *b) <= w)
        .unwrap_or((26.0, false));
    let lead = if notice.consultation.is_some() {
        "Xem bản đồ và góp ý tại"
    } else {
        "Xem bản đồ, tra cứu thửa đất tại"
    };
    c.text(
        x,
        bottom - 38.0,
        BODY_PX,
        false,
        "#333333",
        Anchor::Start,
        w,
        lead,
    );
    c.text(x, bottom, size, bold, accent, Anchor::Start, w, &portal);
    c.finish(WIDTH, HEIGHT)
}

/// The first day of a window without its year when the last day has the same one.
fn short_date(opens: &str, closes: &str) -> String {
    let d = draw::date(opens);
    match (opens.get(..4), closes.get(..4), d.get(..5)) {
        (Some(a), Some(b), Some(dm)) if a == b && d != opens => dm.to_string(),
        _ => d,
    }
}
