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
//! parameters other than `p`, `at`, `far`, `near` and `lang` (tracking tags that messengers
//! append, such as `fbclid`) are ignored: a link never breaks because something was added
//! to it.
//! Rendered parts are cached per data version, parcel list and language.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use geo_types::Geometry;
use quyhoach_data::index::FeatureOut;
use quyhoach_data::lookup::Store;
use quyhoach_data::planning::Site;
use quyhoach_data::schema::Kind;

use crate::glyphs::{FONT_BOLD, FONT_REGULAR};
use crate::params::encode_url_part;
use crate::preview;
use crate::proxy::base_url;
use crate::text::{esc, Lang};

/// Most parcels in a `p` list (a combined report of a few neighbours, not a sheet).
pub const MAX_LINK_PARCELS: usize = 20;

/// Least half-width of a parcel's view, degrees (≈ 110 m): the neighbourhood, not the lot.
const MIN_MARGIN_DEG: f64 = 0.001;

/// Glyph ranges a Vietnamese label needs: Basic Latin and Latin-1 (a, â, ê, ô…), Latin
/// Extended-A/B (ă, đ, ơ, ư) and Latin Extended Additional (ạ, ả, ấ, … ỹ).
const VIETNAMESE_RANGES: [&str; 3] = ["0-255", "256-511", "7680-7935"];

/// What the page's handler reads: the store, its data version, the built web app and the
/// rendered parts of this data version.
#[derive(Clone)]
pub struct PageState {
    /// The loaded store.
    pub index: Arc<dyn quyhoach_data::lookup::Store>,
    /// The data version's weak ETag.
    pub etag: Arc<str>,
    /// The built web app (`web/dist`), when present.
    pub web_dir: Option<Arc<std::path::PathBuf>>,
    /// The page's server-rendered parts, per data version, link and language.
    pub pages: Arc<PageCache>,
}

/// Rendered pages by data version, link and language.
pub type PageCache = moka::future::Cache<String, Arc<Rendered>>;

/// Rendered pages kept: the default view and the most shared parcel links.
const PAGE_CACHE_ENTRIES: u64 = 512;

/// An empty page cache.
pub fn page_cache() -> Arc<PageCache> {
    Arc::new(moka::future::Cache::new(PAGE_CACHE_ENTRIES))
}

/// What the server adds to the page.
#[derive(Debug, Default)]
pub struct Rendered {
    /// `<link rel=preload>`s of what the first view's labels need.
    preload: String,
    /// `<link rel=alternate>` to the text-only version of the page.
    alternate: String,
    /// Replaces the page's default title and sharing tags (None keeps them).
    meta: Option<String>,
    /// The preview element (empty for none).
    preview: String,
    /// The answer banner (empty for none).
    answer: String,
}

/// A parcel named in a link: commune, sheet, parcel and, for one of several parcels
/// sharing a number (a duplicate in the cadastral map), which one (1-based, in the order of
/// the report's 409 `matches`).
pub type ParcelRef = (String, i64, i64, Option<u32>);

/// Most duplicates a link can choose among (as `n` of the report).
const MAX_N: u32 = 1_000;

/// Parcels named by `p`: `commune/sheet/parcel[/n]`, comma-separated, as in the app's links.
pub fn parse_parcels(p: &str) -> Vec<ParcelRef> {
    p.split(',')
        .filter_map(|s| {
            let mut it = s.split('/');
            let (c, sh, pa) = (it.next()?, it.next()?, it.next()?);
            let n = match it.next() {
                None => None,
                Some(n) => Some(
                    n.trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_N).contains(n))?,
                ),
            };
            if it.next().is_some() || c.trim().is_empty() || c.len() > 100 {
                return None;
            }
            Some((
                c.trim().to_string(),
                sh.trim().parse().ok()?,
                pa.trim().parse().ok()?,
                n,
            ))
        })
        .take(MAX_LINK_PARCELS)
        .collect()
}

/// `GET /` and `/index.html`.
pub async fn index_page(
    State(st): State<PageState>,
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
    let mut parcels = get("p").map(parse_parcels).unwrap_or_default();
    let mut near = None;
    let mut far = false;
    // A tap on the picture (`at`): the parcel under the finger, as its own link names it;
    // nothing there: the neighbourhood of the point, close enough to tap a parcel, saying
    // that no parcel was there. A tap on a picture too far out to show parcels (`far=1`),
    // where a finger easily lands on a road: the parcel under it or else the nearest within
    // FAR_REACH_M, its report at once (one round trip on a slow link, not two) with a line
    // saying how it was chosen, so that the visitor checks the number; none within reach:
    // the neighbourhood. `near` (older links): the neighbourhood only.
    if parcels.is_empty() {
        if let Some((lon, lat)) = get("at").and_then(parse_point) {
            let far_tap = get("far") == Some("1");
            let index = st.index.clone();
            let reach = if far_tap { FAR_REACH_M } else { 0.0 };
            match tokio::task::spawn_blocking(move || parcel_near(&*index, lon, lat, reach))
                .await
                .ok()
                .flatten()
            {
                Some(r) => (parcels, far) = (vec![r], far_tap),
                None if far_tap => near = Some(Near::Zoom(lon, lat)),
                None => near = Some(Near::Missed(lon, lat)),
            }
        } else if let Some((lon, lat)) = get("near").and_then(parse_point) {
            near = Some(Near::Zoom(lon, lat));
        }
    }
    let en = get("lang") == Some("en");
    let base = base_url(&headers);
    let key = format!("{}|{parcels:?}|{near:?}|{far}|{en}|{base}", st.etag);
    let index = st.index.clone();
    let rendered = st
        .pages
        .get_with(key, async move {
            tokio::task::spawn_blocking(move || {
                Arc::new(render(&*index, &parcels, near, far, en, &base))
            })
            .await
            .unwrap_or_default()
        })
        .await;
    Html(fill(&template, &rendered)).into_response()
}

/// Half-width of the neighbourhood drawn around a point, degrees (≈ 110 m): a phone shows
/// it at about zoom 17, where a 7-m-wide lot is a dozen pixels wide, big enough to tap.
const NEAR_DEG: f64 = 0.001;

/// A page about a point rather than a parcel: a tap where no parcel is (`Missed`), or on a
/// picture too far out to show parcels (`Zoom`). The point is rounded to 1e-5° (≈ 1 m), so
/// pages differ by no more than that.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Near {
    /// `?at=` found no parcel there.
    Missed(f64, f64),
    /// `?near=`: the neighbourhood, to tap a parcel in.
    Zoom(f64, f64),
}

/// `lon,lat` of a tap (WGS 84, decimal degrees), rounded to 1e-5°; `None` for anything
/// else (too long, not two finite numbers, out of range).
pub fn parse_point(s: &str) -> Option<(f64, f64)> {
    if s.len() > 64 {
        return None;
    }
    let (a, b) = s.split_once(',')?;
    let lon: f64 = a.trim().parse().ok()?;
    let lat: f64 = b.trim().parse().ok()?;
    let round = |v: f64| (v * 1e5).round() / 1e5;
    ((-180.0..=180.0).contains(&lon) && (-85.0..=85.0).contains(&lat))
        .then(|| (round(lon), round(lat)))
}

/// How far from a tap on a picture too far out to show parcels (`far=1`) the nearest
/// parcel is looked for when none is under the finger, metres: a road's width, about two
/// pixels of a district's picture on a phone.
pub const FAR_REACH_M: f64 = 40.0;

/// The parcel at a point as a link names it: commune code, sheet, number and, when the
/// number is shared by several parcels, which one it is (so a tap opens the parcel tapped,
/// never a namesake). The first of overlapping parcels, as `GET /api/v1/parcels/at` lists
/// them.
pub fn parcel_at(index: &dyn Store, lon: f64, lat: f64) -> Option<ParcelRef> {
    let f = index.parcels_at(lon, lat).ok()?.into_iter().next()?;
    parcel_ref(index, &f)
}

/// The parcel at a point, or else the one nearest to it within `reach_m` metres (distance
/// in a local equirectangular frame, exact enough at these few metres; ties to the lower
/// id); `None` when there is none.
pub fn parcel_near(index: &dyn Store, lon: f64, lat: f64, reach_m: f64) -> Option<ParcelRef> {
    use geo::{Distance, Euclidean, MapCoords};
    if let Some(r) = parcel_at(index, lon, lat) {
        return Some(r);
    }
    if reach_m <= 0.0 {
        return None;
    }
    const M_PER_DEG: f64 = 111_320.0;
    let kx = M_PER_DEG * lat.to_radians().cos();
    let bbox = quyhoach_data::crop::widen_bbox([lon, lat, lon, lat], reach_m);
    let origin = geo::Point::new(0.0, 0.0);
    let mut best: Option<(f64, String, quyhoach_data::planning::FeatureId)> = None;
    for (layer, entry) in &index.catalog().layers {
        if entry.kind != Kind::Parcels {
            continue;
        }
        let _ = index.visit(layer, bbox, &mut |v, g| {
            let local =
                g.map_coords(|c| geo::coord! { x: (c.x - lon) * kx, y: (c.y - lat) * M_PER_DEG });
            let d = match &local {
                Geometry::Polygon(p) => Euclidean.distance(&origin, p),
                Geometry::MultiPolygon(m) => Euclidean.distance(&origin, m),
                _ => return,
            };
            let better = match &best {
                None => true,
                Some((bd, bl, bid)) => d < *bd || (d == *bd && (layer, v.id()) < (bl, *bid)),
            };
            if d <= reach_m && better {
                best = Some((d, layer.clone(), v.id()));
            }
        });
    }
    let (_, layer, id) = best?;
    let f = index.feature(&layer, id).ok()??;
    parcel_ref(index, &f)
}

/// A parcel's reference as its link names it.
fn parcel_ref(index: &dyn Store, f: &FeatureOut) -> Option<ParcelRef> {
    let prop = |k: &str| f.properties.get(k);
    let int = |k: &str| -> Option<i64> {
        let v = prop(k)?;
        v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
    };
    let commune = prop("commune_code")?.as_str()?.to_string();
    let (sheet, parcel) = (int("sheet")?, int("parcel")?);
    let same = index.parcels_by_number(&commune, sheet, parcel).ok()?;
    let n = if same.len() > 1 {
        let k = same
            .iter()
            .position(|g| g.layer == f.layer && g.id == f.id)?;
        Some(u32::try_from(k + 1).ok().filter(|n| *n <= MAX_N)?)
    } else {
        None
    };
    Some((commune, sheet, parcel, n))
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
        page.insert_str(at, &format!("{}{}", r.alternate, r.preload));
    }
    page = page.replacen("<!--qh:preview-->", &r.preview, 1);
    page.replacen("<!--qh:answer-->", &r.answer, 1)
}

/// The parcels a link names: each reference with the parcels it picks (several when a
/// number is shared and the link does not say which).
fn resolve(index: &dyn Store, parcels: &[ParcelRef]) -> Vec<(ParcelRef, Vec<FeatureOut>)> {
    let mut out = Vec::new();
    for r in parcels {
        let (commune, sheet, parcel, n) = r;
        let Ok(v) = index.parcels_by_number(commune, *sheet, *parcel) else {
            continue;
        };
        let chosen: Vec<FeatureOut> = match n {
            Some(n) => v.into_iter().nth(*n as usize - 1).into_iter().collect(),
            None => v,
        };
        if !chosen.is_empty() {
            out.push((r.clone(), chosen));
        }
    }
    out
}

/// `c/s/p[/n]` of a link.
fn link_part((c, s, p, n): &ParcelRef) -> String {
    let n = n.map(|n| format!("/{n}")).unwrap_or_default();
    format!("{c}/{s}/{p}{n}")
}

/// The parts for a page about `parcels` (none: the whole data set). `far`: the parcel was
/// tapped on a picture too far out to show parcels, and the page says so.
fn render(
    index: &dyn Store,
    parcels: &[ParcelRef],
    near: Option<Near>,
    far: bool,
    en: bool,
    base: &str,
) -> Rendered {
    let found = resolve(index, parcels);
    let lang = if en { Lang::En } else { Lang::Vi };
    let mut out = Rendered::default();
    let highlight: Vec<Geometry<f64>> = found
        .iter()
        .flat_map(|(_, fs)| fs.iter().map(|f| f.geometry.clone()))
        .collect();
    let near = near.filter(|_| found.is_empty());
    let bounds = if let Some(Near::Missed(x, y) | Near::Zoom(x, y)) = near {
        Some([x - NEAR_DEG, y - NEAR_DEG, x + NEAR_DEG, y + NEAR_DEG])
    } else if found.is_empty() {
        data_bounds(index)
    } else {
        parcel_view(&highlight.iter().collect::<Vec<_>>())
    };
    out.preload = glyph_preloads(!found.is_empty());
    out.alternate = format!(
        r#"<link rel="alternate" type="text/html" href="{}" title="{}">"#,
        esc(&lang.href("/text")),
        lang.t("Bản văn bản nhẹ (2G)", "Light text version (2G)")
    );
    if let Some(b) = bounds {
        if let Some(p) = preview::render(index, b, &highlight) {
            out.preview = format!(
                r#"<div id="preview" data-bounds="{:.7},{:.7},{:.7},{:.7}"{}>{}</div>"#,
                p.bounds[0],
                p.bounds[1],
                p.bounds[2],
                p.bounds[3],
                if p.parcels { r#" data-pick="1""# } else { "" },
                p.svg
            );
        }
    }
    if let Some(near) = near {
        let text = match near {
            Near::Missed(..) => lang.t(
                "Không có thửa đất tại điểm bạn nhấn. Nhấn vào một thửa đất để xem báo cáo quy hoạch.",
                "There is no parcel where you tapped. Tap a parcel to see its planning report.",
            ),
            Near::Zoom(..) => lang.t(
                "Nhấn vào thửa đất của bạn để xem báo cáo quy hoạch.",
                "Tap your parcel to see its planning report.",
            ),
        };
        out.answer = format!(
            "<div id=\"preview-answer\" class=\"preview-answer\" role=\"status\"><span>{}</span></div>",
            esc(text)
        );
        return out;
    }
    let Some((first_ref, first)) = found.first() else {
        return out;
    };
    let (commune, sheet, parcel, n) = first_ref;
    let Some(first_feature) = first.first() else {
        return out;
    };
    let report = index.report(&Site::Parcel {
        layer: first_feature.layer.clone(),
        id: first_feature.id,
    });
    let commune_name = report
        .as_ref()
        .ok()
        .and_then(|r| r.site.commune_name.clone())
        .unwrap_or_else(|| commune.clone());
    // One link naming a number shared by several parcels, without saying which.
    let duplicates = (found.len() == 1 && first.len() > 1).then_some(first.len());
    let label = match (found.len(), duplicates, en) {
        (1, Some(k), false) => {
            format!("{k} thửa đất cùng số {parcel}, tờ bản đồ {sheet}, {commune_name}")
        }
        (1, Some(k), true) => {
            format!("{k} parcels numbered {parcel}, map sheet {sheet}, {commune_name}")
        }
        (1, None, false) => format!("Thửa {parcel}, tờ bản đồ {sheet}, {commune_name}"),
        (1, None, true) => format!("Parcel {parcel}, map sheet {sheet}, {commune_name}"),
        (k, _, false) => format!("{k} thửa đất, {commune_name}"),
        (k, _, true) => format!("{k} parcels, {commune_name}"),
    };
    let summary = match (&report, found.len(), duplicates, en) {
        (_, 1, Some(k), false) => format!("Bản đồ địa chính có {k} thửa cùng số này: mở liên kết để chọn đúng thửa theo địa chỉ và diện tích."),
        (_, 1, Some(k), true) => format!("The cadastral map has {k} parcels with this number: open the link to pick yours by address and area."),
        (Ok(r), 1, None, false) => r.summary_vi.clone(),
        (Ok(r), 1, None, true) => r.summary_en.clone(),
        (_, _, _, false) => "Báo cáo quy hoạch của các thửa đất: mục đích sử dụng hiện trạng và theo quy hoạch, chỉ giới đỏ, quyết định phê duyệt.".into(),
        (_, _, _, true) => "Planning report of the parcels: current and planned land use, red lines, approving decisions.".into(),
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
            .map(|(r, _)| link_part(r))
            .collect::<Vec<_>>()
            .join(","),
        if en { "&lang=en" } else { "" }
    );
    let n_query = n.map(|n| format!("?n={n}")).unwrap_or_default();
    let image = esc(&lang.href(&format!(
        "{base}/api/v1/parcels/{}/{sheet}/{parcel}/map.png{n_query}",
        encode_url_part(commune)
    )));
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
    let text_report = esc(&lang.href(&format!(
        "/api/v1/parcels/{}/{sheet}/{parcel}/report.html{n_query}",
        encode_url_part(commune)
    )));
    out.alternate = format!(
        r#"<link rel="alternate" type="text/html" href="{text_report}" title="{}">"#,
        lang.t("Báo cáo dạng văn bản", "Text-only report")
    );
    let more = match duplicates {
        Some(_) => lang.t("Chọn thửa (bản văn bản)", "Pick the parcel (text version)"),
        None => lang.t("Báo cáo dạng văn bản", "Text-only report"),
    };
    // One parcel: its whole report (the text site's, in the page's language), readable
    // before any script; the app's report panel replaces it.
    let full = match (&report, found.len(), duplicates) {
        (Ok(r), 1, None) => serde_json::to_value(r)
            .ok()
            .map(|v| report_body(&crate::text::report_doc(&v, lang, &Default::default()))),
        _ => None,
    };
    let tapped = if far {
        format!(
            "<p class=\"tap-note\">{}</p>",
            esc(lang.t(
                "Đây là thửa gần nhất với điểm bạn nhấn trên bản đồ toàn vùng. Hãy đối chiếu số thửa và số tờ với giấy chứng nhận; nếu chưa đúng, nhấn vào thửa của bạn trên bản đồ.",
                "This is the parcel nearest to where you tapped the overview map. Check the parcel and sheet numbers against your certificate; if it is not yours, tap your parcel on the map.",
            ))
        )
    } else {
        String::new()
    };
    out.answer = match full {
        Some(body) => format!(
            "<section id=\"preview-answer\" class=\"preview-answer report\" aria-labelledby=\"preview-answer-title\" \
             data-p=\"{}\" tabindex=\"-1\"><h2 id=\"preview-answer-title\">{label}</h2> \
             {tapped}<p class=\"answer-line\">{summary}</p>{body}<p><a href=\"{text_report}\">{more}</a></p></section>",
            esc(&link_part(first_ref))
        ),
        None => format!(
            "<div id=\"preview-answer\" class=\"preview-answer\" role=\"status\" data-p=\"{}\"><strong>{label}</strong> \
             <span>{summary}</span> <a href=\"{text_report}\">{more}</a></div>",
            esc(&link_part(first_ref))
        ),
    };
    out
}

/// Most bytes of a report's sections in the page (the text site's budget is 5 KiB for the
/// whole page); the rest is in the text report linked below it.
const MAX_REPORT_HTML: usize = 12 * 1024;

/// A report's sections as HTML for the page: its title and one-line answer are the
/// banner's, headings one level down (under the banner's `h2`), the footer (data date,
/// legal notice) always whole.
fn report_body(doc: &crate::text::Doc) -> String {
    use crate::text::Block;
    let html = |bl: &Block| -> Option<String> {
        Some(match bl {
            Block::H(1, _) | Block::Answer(_) | Block::Html(_) => return None,
            Block::H(level, t) => {
                let l = (level + 1).min(6);
                format!("<h{l}>{}</h{l}>", esc(t))
            }
            Block::P(t) => format!("<p>{}</p>", esc(t)),
            Block::Note(t) => format!("<p class=\"note\">{}</p>", esc(t)),
            Block::Link(h, t) => format!("<p><a href=\"{}\">{}</a></p>", esc(h), esc(t)),
        })
    };
    let mut out = String::new();
    for h in doc.body.iter().filter_map(html) {
        if out.len() + h.len() > MAX_REPORT_HTML {
            out.push_str("<p>…</p>");
            break;
        }
        out.push_str(&h);
    }
    for h in doc.foot.iter().filter_map(html) {
        out.push_str(&h);
    }
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
fn data_bounds(index: &dyn Store) -> Option<[f64; 4]> {
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
            vec![
                ("31150".into(), 12, 345, None),
                ("31150".into(), 12, 346, None)
            ]
        );
        // The n-th of parcels sharing a number, as the app writes it.
        assert_eq!(
            parse_parcels("31150/1/312/2,31150/1/312/1"),
            vec![
                ("31150".into(), 1, 312, Some(2)),
                ("31150".into(), 1, 312, Some(1))
            ]
        );
        assert_eq!(parse_parcels("31150/12"), vec![]);
        assert_eq!(parse_parcels("31150/x/1,/1/2,a/1/2/3/4"), vec![]);
        assert_eq!(
            parse_parcels("31150/1/312/0,31150/1/312/x,31150/1/312/"),
            vec![]
        );
        assert_eq!(parse_parcels("31150/1/312/99999999999"), vec![]);
        let many = vec!["1/1/1"; 50].join(",");
        assert_eq!(parse_parcels(&many).len(), MAX_LINK_PARCELS);
    }

    #[test]
    fn markers_are_replaced_and_missing_markers_leave_the_page() {
        let t = "<head><!--qh:meta--><title>x</title><!--/qh:meta--></head><div id=map><!--qh:preview--></div><!--qh:answer-->";
        let r = Rendered {
            preload: String::new(),
            alternate: String::new(),
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
