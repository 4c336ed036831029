//! The web app's page, `GET /`: the built `index.html` with what only the server knows
//! filled in before the first byte leaves, so a slow phone needs no second round trip to
//! see planning:
//!
//! - a picture of the planning map for the first view ([`crate::preview`]), which MapLibre
//!   replaces in place once it has drawn its tiles;
//! - for a shared parcel link (`/?p=31150/12/345`): the page title, the Open Graph and
//!   Twitter card that Zalo and Facebook show when the link is pasted (the parcel and the
//!   one-line answer "is this land affected?"), the same answer above the map, and a link
//!   to the text-only report.
//!
//! The page reads its markers `<!--qh:meta-->…<!--/qh:meta-->`, `<!--qh:preview-->` and
//! `<!--qh:answer-->` in `index.html`; a page without them is served as it is. Query
//! parameters other than `p` and `lang` (tracking tags that messengers append, such as
//! `fbclid`) are ignored: a link never breaks because something was added to it.
//! Rendered parts are cached per data version, parcel list and language.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use geo_types::Geometry;
use quyhoach_data::index::{Index, Site};
use quyhoach_data::schema::Kind;

use crate::glyphs::{FONT_BOLD, FONT_REGULAR};
use crate::params::encode_url_part;
use crate::preview;
use crate::state::{base_url, AppState};
use crate::text::esc;

/// Most parcels in a `p` list (a combined report of a few neighbours, not a sheet).
pub const MAX_LINK_PARCELS: usize = 20;

/// Least half-width of a parcel's view, degrees (≈ 110 m): the neighbourhood, not the lot.
const MIN_MARGIN_DEG: f64 = 0.001;

/// Glyph ranges a Vietnamese label needs: Basic Latin and Latin-1 (a, â, ê, ô…), Latin
/// Extended-A/B (ă, đ, ơ, ư) and Latin Extended Additional (ạ, ả, ấ, … ỹ).
const VIETNAMESE_RANGES: [&str; 3] = ["0-255", "256-511", "7680-7935"];

/// What the server adds to the page.
#[derive(Debug, Default)]
pub struct Rendered {
    /// `<link rel=preload>`s of what the first view's labels need.
    preload: String,
    /// Replaces the page's default title and sharing tags (None keeps them).
    meta: Option<String>,
    /// The preview element (empty for none).
    preview: String,
    /// The answer banner (empty for none).
    answer: String,
}

/// Parcels named by `p`: `commune/sheet/parcel`, comma-separated, as in the app's links.
pub fn parse_parcels(p: &str) -> Vec<(String, i64, i64)> {
    p.split(',')
        .filter_map(|s| {
            let mut it = s.split('/');
            let (c, sh, pa) = (it.next()?, it.next()?, it.next()?);
            if it.next().is_some() || c.trim().is_empty() || c.len() > 100 {
                return None;
            }
            Some((
                c.trim().to_string(),
                sh.trim().parse().ok()?,
                pa.trim().parse().ok()?,
            ))
        })
        .take(MAX_LINK_PARCELS)
        .collect()
}

/// `GET /` and `/index.html`.
pub async fn index_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(dir) = st.web_dir.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let template = match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!("reading the web page {}: {e}", dir.display());
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the web page cannot be read; see the server log",
            )
                .into_response();
        }
    };
    let pairs = query.map(|q| q.0).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let parcels = get("p").map(parse_parcels).unwrap_or_default();
    let en = get("lang") == Some("en");
    let base = base_url(&headers);
    let key = format!("{}|{parcels:?}|{en}|{base}", st.etag);
    let index = st.index.clone();
    let rendered = st
        .pages
        .get_with(key, async move {
            tokio::task::spawn_blocking(move || Arc::new(render(&index, &parcels, en, &base)))
                .await
                .unwrap_or_default()
        })
        .await;
    Html(fill(&template, &rendered)).into_response()
}

/// Puts the rendered parts into the page at its markers.
fn fill(template: &str, r: &Rendered) -> String {
    let mut page = template.to_string();
    if let Some(meta) = &r.meta {
        let (open, close) = ("<!--qh:meta-->", "<!--/qh:meta-->");
        if let (Some(a), Some(b)) = (page.find(open), page.find(close)) {
            if a < b {
                page.replace_range(a..b + close.len(), meta);
            }
        }
    }
    if let Some(at) = page.find("</head>") {
        page.insert_str(at, &r.preload);
    }
    page = page.replacen("<!--qh:preview-->", &r.preview, 1);
    page.replacen("<!--qh:answer-->", &r.answer, 1)
}

/// The parts for a page about `parcels` (none: the whole data set).
fn render(index: &Index, parcels: &[(String, i64, i64)], en: bool, base: &str) -> Rendered {
    let mut found = Vec::new();
    for (commune, sheet, parcel) in parcels {
        if let Ok(mut v) = index.parcels_by_number(commune, *sheet, *parcel) {
            if !v.is_empty() {
                found.push(((commune.clone(), *sheet, *parcel), v.swap_remove(0)));
            }
        }
    }
    let mut out = Rendered::default();
    let bounds = if found.is_empty() {
        data_bounds(index)
    } else {
        let geoms: Vec<&Geometry<f64>> = found.iter().map(|(_, f)| &f.geometry).collect();
        parcel_view(&geoms)
    };
    let highlight: Vec<Geometry<f64>> = found.iter().map(|(_, f)| f.geometry.clone()).collect();
    out.preload = glyph_preloads(!found.is_empty());
    if let Some(b) = bounds {
        if let Some(p) = preview::render(index, b, &highlight) {
            out.preview = format!(
                r#"<div id="preview" data-bounds="{:.7},{:.7},{:.7},{:.7}">{}</div>"#,
                p.bounds[0], p.bounds[1], p.bounds[2], p.bounds[3], p.svg
            );
        }
    }
    let Some(((commune, sheet, parcel), first)) = found.first() else {
        return out;
    };
    let report = index.report(&Site::Parcel {
        layer: first.layer.clone(),
        id: first.id,
    });
    let commune_name = report
        .as_ref()
        .ok()
        .and_then(|r| r.site.commune_name.clone())
        .unwrap_or_else(|| commune.clone());
    let label = match (found.len(), en) {
        (1, false) => format!("Thửa {parcel}, tờ bản đồ {sheet}, {commune_name}"),
        (1, true) => format!("Parcel {parcel}, map sheet {sheet}, {commune_name}"),
        (n, false) => format!("{n} thửa đất, {commune_name}"),
        (n, true) => format!("{n} parcels, {commune_name}"),
    };
    let summary = match (&report, found.len(), en) {
        (Ok(r), 1, false) => r.summary_vi.clone(),
        (Ok(r), 1, true) => r.summary_en.clone(),
        (_, _, false) => "Báo cáo quy hoạch của các thửa đất: mục đích sử dụng hiện trạng và theo quy hoạch, chỉ giới đỏ, quyết định phê duyệt.".into(),
        (_, _, true) => "Planning report of the parcels: current and planned land use, red lines, approving decisions.".into(),
    };
    let site = if en {
        "Planning lookup"
    } else {
        "Tra cứu quy hoạch"
    };
    let link = format!(
        "{base}/?p={}{}",
        found
            .iter()
            .map(|((c, s, p), _)| format!("{c}/{s}/{p}"))
            .collect::<Vec<_>>()
            .join(","),
        if en { "&lang=en" } else { "" }
    );
    let image = esc(&format!(
        "{base}/api/v1/parcels/{}/{sheet}/{parcel}/map.png",
        encode_url_part(commune)
    ));
    let (w, h) = crate::api::MAP_PNG_SIZE;
    let (title, summary, link, label) = (
        esc(&format!("{label} — {site}")),
        esc(&summary),
        esc(&link),
        esc(&label),
    );
    out.meta = Some(format!(
        "<title>{title}</title>\
         <meta name=\"description\" content=\"{summary}\"/>\
         <link rel=\"canonical\" href=\"{link}\"/>\
         <meta property=\"og:type\" content=\"website\"/>\
         <meta property=\"og:site_name\" content=\"{site}\"/>\
         <meta property=\"og:title\" content=\"{label}\"/>\
         <meta property=\"og:description\" content=\"{summary}\"/>\
         <meta property=\"og:url\" content=\"{link}\"/>\
         <meta property=\"og:locale\" content=\"{}\"/>\
         <meta property=\"og:image\" content=\"{image}\"/>\
         <meta property=\"og:image:type\" content=\"image/png\"/>\
         <meta property=\"og:image:width\" content=\"{w}\"/>\
         <meta property=\"og:image:height\" content=\"{h}\"/>\
         <meta property=\"og:image:alt\" content=\"{label}\"/>\
         <meta name=\"twitter:card\" content=\"summary_large_image\"/>\
         <meta name=\"twitter:title\" content=\"{label}\"/>\
         <meta name=\"twitter:description\" content=\"{summary}\"/>",
        if en { "en_GB" } else { "vi_VN" }
    ));
    let text_report = format!(
        "/api/v1/parcels/{}/{sheet}/{parcel}/report.html",
        esc(&encode_url_part(commune))
    );
    let more = if en {
        "Text-only report"
    } else {
        "Báo cáo dạng văn bản"
    };
    out.answer = format!(
        "<div id=\"preview-answer\" class=\"preview-answer\" role=\"status\"><strong>{label}</strong> \
         <span>{summary}</span> <a href=\"{text_report}\">{more}</a></div>"
    );
    out
}

/// Preloads of the label glyphs the first view draws, fetched alongside MapLibre instead of
/// after its first tiles: commune names (bold) always; zone codes, parcel numbers and road
/// names (regular) at a parcel's zoom.
fn glyph_preloads(parcel_view: bool) -> String {
    let mut fonts = vec![FONT_BOLD];
    if parcel_view {
        fonts.push(FONT_REGULAR);
    }
    let mut out = String::new();
    for font in fonts {
        for range in VIETNAMESE_RANGES {
            out.push_str(&format!(
                r#"<link rel="preload" href="/fonts/{}/{range}.pbf" as="fetch" crossorigin>"#,
                encode_url_part(font)
            ));
        }
    }
    out
}

/// The app's first view without a link: the communes' boundaries, else every layer.
fn data_bounds(index: &Index) -> Option<[f64; 4]> {
    let cat = index.catalog();
    let union = |kind: Option<Kind>| {
        cat.layers
            .values()
            .filter(|e| kind.is_none_or(|k| e.kind == k))
            .map(|e| e.bounds)
            .filter(|b| b.iter().all(|v| v.is_finite()))
            .reduce(|a, b| quyhoach_data::index::union_bbox(Some(a), b))
    };
    union(Some(Kind::Boundaries)).or_else(|| union(None))
}

/// A parcel's neighbourhood: its box grown by one and a half times its size each way, at
/// least [`MIN_MARGIN_DEG`].
pub(crate) fn parcel_view(geoms: &[&Geometry<f64>]) -> Option<[f64; 4]> {
    use geo::BoundingRect;
    let b = geoms
        .iter()
        .filter_map(|g| g.bounding_rect())
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .reduce(|a, b| quyhoach_data::index::union_bbox(Some(a), b))?;
    let m = ((b[2] - b[0]).max(b[3] - b[1]) * 1.5).max(MIN_MARGIN_DEG);
    Some([b[0] - m, b[1] - m, b[2] + m, b[3] + m])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parcel_lists_parse_like_the_app() {
        assert_eq!(
            parse_parcels("31150/12/345,31150/12/346"),
            vec![("31150".into(), 12, 345), ("31150".into(), 12, 346)]
        );
        assert_eq!(parse_parcels("31150/12"), vec![]);
        assert_eq!(parse_parcels("31150/x/1,/1/2,a/1/2/3"), vec![]);
        let many = vec!["1/1/1"; 50].join(",");
        assert_eq!(parse_parcels(&many).len(), MAX_LINK_PARCELS);
    }

    #[test]
    fn markers_are_replaced_and_missing_markers_leave_the_page() {
        let t = "<head><!--qh:meta--><title>x</title><!--/qh:meta--></head><div id=map><!--qh:preview--></div><!--qh:answer-->";
        let r = Rendered {
            preload: String::new(),
            meta: Some("<title>y</title>".into()),
            preview: "<div id=preview></div>".into(),
            answer: "<p>a</p>".into(),
        };
        assert_eq!(
            fill(t, &r),
            "<head><title>y</title></head><div id=map><div id=preview></div></div><p>a</p>"
        );
        assert_eq!(fill("<p>plain</p>", &r), "<p>plain</p>");
    }
}
