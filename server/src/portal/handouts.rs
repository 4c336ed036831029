//! Printable pages for workshops and for the commune office's notice board, rendered on the
//! server with no script, Vietnamese first and English on `?lang=en`:
//!
//! - `GET /learn/{lesson}/handout.html?lang=`: one A4 page per lesson, from the lesson
//!   listing ([`super::lessons::document`]): the goal, each step as a short task with the
//!   target the server generated for it (never the answer), boxes to write answers in, what
//!   the trainee learned (a checklist), and a QR code of the lesson in the portal
//!   (`<base>/#/learn/<id>`);
//! - `GET /learn/leaflet.html?lang=`: the leaflet "Tra cứu quy hoạch trong 4 bước" (find
//!   your parcel → read the answer and the colours → check which plan and decision says so,
//!   and whether it binds → print, share or ask the commune office), with pictograms drawn in
//!   inline SVG, the land-use colours met most often (from the code table), the portal's QR
//!   code and address, and the text-only address for basic phones.
//!
//! The lesson texts are HTML the lessons module rendered from Markdown with raw HTML escaped;
//! they are filtered again here to a few attribute-less tags ([`safe_html`]). Every other
//! text is escaped. Unknown parameters are ignored and any `lang` but `en` is Vietnamese, as
//! on the text-only site (links shared in chats carry tracking tags).

use std::fmt::Write as _;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::params::{Params, QuerySpec};
use crate::portal::PortalState;
use crate::proxy::base_url;
use crate::text::{esc, Lang};
use crate::textsite::OwnBody;

/// Longest lesson id looked up (ids are short slugs).
const MAX_ID_CHARS: usize = 64;

/// Print and screen style of both pages.
const STYLE: &str = "@page{size:A4;margin:11mm 12mm}*{box-sizing:border-box}\
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\
body{font:9.5pt/1.32 'DejaVu Sans',Arial,sans-serif;color:#111;margin:0 auto;max-width:186mm;background:#fff}\
@media screen{body{padding:6mm}}\
h1{font-size:15pt;margin:0 0 1mm;color:#0b3d7a}h2{font-size:11pt;margin:2.5mm 0 1mm;color:#0b3d7a}\
p{margin:.6mm 0}code,pre{font-family:'DejaVu Sans Mono',monospace;font-size:8.3pt}\
pre{white-space:pre-wrap;word-break:break-all;background:#f1f3f5;border:1px solid #ccd;padding:1mm 1.5mm;margin:1mm 0}\
header{display:flex;gap:5mm;align-items:flex-start;border-bottom:2px solid #0b3d7a;padding-bottom:2mm}\
header .t{flex:1}.qrbox{text-align:center;font-size:7.5pt;width:34mm;word-break:break-all}\
.qr{width:30mm;height:30mm;display:block;margin:0 auto 1mm}\
.meta{color:#333;font-size:8.5pt}.fill{display:inline-block;border-bottom:1px solid #555;min-width:42mm;height:4mm}\
ol.steps{margin:1mm 0;padding-left:6mm}ol.steps>li{margin:0 0 2mm;break-inside:avoid}\
.task{font-weight:bold}.target{background:#fff4d6;border-left:3px solid #e0a800;padding:.3mm 1.5mm;margin:.6mm 0}\
.box{border:1px solid #333;border-radius:1mm;min-height:7mm;margin-top:1mm;padding:1mm 2mm;color:#555;font-size:8pt}\
.opts{list-style:none;padding:0;margin:.8mm 0;display:flex;flex-wrap:wrap;gap:1mm 5mm}\
.learned{columns:2;column-gap:6mm;list-style:none;padding:0;margin:1mm 0}.learned li{break-inside:avoid}\
.note{font-size:8pt;color:#333;margin:0}\
.grid{display:grid;grid-template-columns:1fr 1fr;gap:4mm;margin:3mm 0}\
.card{border:2px solid #0b3d7a;border-radius:3mm;padding:2.5mm 3mm;break-inside:avoid}\
.card h2{margin-top:0;font-size:13pt}.card svg{width:30mm;height:24mm;float:right;margin:0 0 1mm 2mm}\
.card ul{margin:1mm 0;padding-left:4.5mm}\
.num{display:inline-block;background:#0b3d7a;color:#fff;border-radius:50%;width:7mm;height:7mm;text-align:center;line-height:7mm;margin-right:1.5mm}\
.legend{display:flex;flex-wrap:wrap;gap:1.5mm 4mm;margin:1mm 0;padding:0;list-style:none;font-size:8.5pt}\
.sw{display:inline-block;width:6mm;height:4mm;border:1px solid #555;vertical-align:middle;margin-right:1mm}\
footer{display:flex;gap:5mm;align-items:center;border-top:2px solid #0b3d7a;padding-top:2mm;margin-top:2mm}\
footer .t{flex:1}.big{font-size:12pt;font-weight:bold;word-break:break-all}";

/// This module's routes.
pub fn routes() -> Routes {
    vec![
        ("/learn/leaflet.html", &["get"], get(leaflet)),
        ("/learn/{lesson}/handout.html", &["get"], get(handout)),
    ]
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    let tag = "Learn";
    let html = json!({"type": "string"});
    let mut m = Map::new();
    let mut handout = Op::new(
        "A lesson's printable one-page A4 handout: goal, tasks with their generated targets (never the answers), answer boxes, what was learned, a QR code of the lesson",
        tag,
    )
    .path("lesson", "Lesson id, e.g. find-parcel", json!({"type": "string"}))
    .query::<PageQuery>()
    .media("200", "The handout", "text/html", html.clone())
    .media("404", "No such lesson: a page, or a problem for an id no lesson can have (over-long, control characters)", "text/html", html.clone())
    .media("503", "The lessons could not be built (a page)", "text/html", html.clone())
    .done();
    handout["responses"]["404"]["content"]["application/problem+json"] =
        json!({"schema": sc.out::<crate::error::Problem>()});
    m.insert(
        "/learn/{lesson}/handout.html".into(),
        json!({"get": handout}),
    );
    m.insert(
        "/learn/leaflet.html".into(),
        json!({"get": Op::new(
            "The one-page A4 leaflet \"Tra cứu quy hoạch trong 4 bước\" with the portal's QR code and addresses",
            tag,
        )
        .query::<PageQuery>()
        .media("200", "The leaflet", "text/html", html)
        .done()}),
    );
    m
}

type Query_ = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The query of both pages, read leniently: they are printed and shared in chats, whose
/// links carry their own parameters, so names not listed here are ignored, and a value
/// that cannot be read is the default.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PageQuery {
    /// Language of the page: en for English, anything else Vietnamese
    #[schemars(extend("default" = "vi"))]
    lang: Option<String>,
}

impl PageQuery {
    /// The parameters of a query string this type names (the first of each), read into it.
    fn of(q: Query_) -> PageQuery {
        let Ok(Query(pairs)) = q else {
            return PageQuery::default();
        };
        let names = QuerySpec::of::<PageQuery>().names();
        let mut known: Vec<(String, String)> = Vec::new();
        for (k, v) in pairs {
            if names.contains(&k.as_str()) && !known.iter().any(|(seen, _)| *seen == k) {
                known.push((k, v));
            }
        }
        Params::from_pairs(known).parse().unwrap_or_default()
    }
}

fn page(status: StatusCode, lang: Lang, body: String) -> Response {
    let mut r = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    r.extensions_mut().insert(OwnBody);
    // Cached like the API: revalidated against the data version's ETag.
    r.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    r
}

fn head(lang: Lang, title: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>",
        lang.code(),
        esc(title)
    )
}

/// An SVG QR code of `url`, sized by CSS, labelled for screen readers.
pub fn qr_svg(url: &str, label: &str) -> String {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M) else {
        // Longer than a QR code holds: the address printed beside it is enough.
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .module_dimensions(1, 1)
        .quiet_zone(true)
        .build();
    let svg = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => return String::new(),
    };
    svg.replacen(
        "<svg ",
        &format!(
            "<svg class=\"qr\" role=\"img\" aria-label=\"{}\" ",
            esc(label)
        ),
        1,
    )
}

/// Keeps the lesson HTML's text and a few tags without attributes (`p`, `strong`, `em`,
/// `code`, `pre`, `ul`, `ol`, `li`, `br`); drops every other tag, escapes stray brackets.
pub fn safe_html(html: &str) -> String {
    const KEEP: [&str; 9] = ["p", "strong", "em", "code", "pre", "ul", "ol", "li", "br"];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '>']) {
        out.push_str(&rest[..i]);
        if rest[i..].starts_with('>') {
            out.push_str("&gt;");
            rest = &rest[i + 1..];
            continue;
        }
        let after = &rest[i + 1..];
        // A tag starts with a letter (or '/' and a letter); any other '<' is text.
        let starts_tag = after
            .trim_start_matches('/')
            .starts_with(|c: char| c.is_ascii_alphabetic());
        match after.find('>') {
            Some(j) if starts_tag && !after[..j].contains('<') => {
                let tag = &after[..j];
                let closing = tag.starts_with('/');
                let name = tag
                    .trim_start_matches('/')
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if KEEP.contains(&name.as_str()) {
                    let _ = write!(out, "<{}{name}>", if closing { "/" } else { "" });
                }
                rest = &after[j + 1..];
            }
            _ => {
                out.push_str("&lt;");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The plain text of the lesson HTML (for measuring).
fn text_len(html: &str) -> usize {
    let mut n = 0;
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => n += 1,
            _ => {}
        }
    }
    n
}

fn not_found(lang: Lang, lesson: &str) -> Response {
    let t = |vi: &str, en: &str| lang.t(vi, en).to_string();
    let mut b = head(lang, &t("Không có bài học này", "No such lesson"));
    let _ = write!(
        b,
        "<main><h1>{}</h1><p>{} “{}”. <a href=\"/#/learn\">{}</a></p></main></body></html>",
        t("Không có bài học này", "No such lesson"),
        t("Không có bài học", "There is no lesson"),
        esc(&crate::params::clip(lesson)),
        t("Danh sách bài học", "The lessons"),
    );
    page(StatusCode::NOT_FOUND, lang, b)
}

fn unavailable(lang: Lang) -> Response {
    let t = |vi: &str, en: &str| lang.t(vi, en).to_string();
    let mut b = head(lang, &t("Chưa có bài học", "Lessons unavailable"));
    let _ = write!(
        b,
        "<main><h1>{}</h1><p>{}</p></main></body></html>",
        t("Chưa có bài học", "Lessons unavailable"),
        t(
            "Máy chủ chưa tạo được bài học; xin thử lại sau.",
            "The server could not build the lessons; please try again later."
        ),
    );
    page(StatusCode::SERVICE_UNAVAILABLE, lang, b)
}

/// `GET /learn/{lesson}/handout.html?lang=`
async fn handout(
    State(st): State<PortalState>,
    Path(lesson): Path<String>,
    headers: HeaderMap,
    q: Query_,
) -> Response {
    let lang = Lang::from_param(PageQuery::of(q).lang.as_deref());
    if lesson.chars().count() > MAX_ID_CHARS {
        return not_found(lang, &lesson);
    }
    let base = base_url(&headers);
    let doc = match super::lessons::document(&st, &base, lang.code()).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("handout {lesson}: lessons unavailable: {e}");
            return unavailable(lang);
        }
    };
    let Some(l) = doc["lessons"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["id"] == lesson.as_str()))
    else {
        return not_found(lang, &lesson);
    };
    page(StatusCode::OK, lang, handout_html(l, &base, lang, &doc))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

/// One lesson's handout page.
pub fn handout_html(l: &Value, base: &str, lang: Lang, doc: &Value) -> String {
    let t = |vi: &str, en: &str| lang.t(vi, en).to_string();
    let id = s(l, "id");
    let url = format!("{base}/#/learn/{id}");
    let title = s(l, "title");
    let steps: Vec<&Value> = l["steps"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let total: usize = steps.iter().map(|st| text_len(s(st, "html"))).sum();
    let mut b = head(
        lang,
        &format!("{} — {}", t("Phiếu bài học", "Lesson handout"), title),
    );
    if total > 2300 {
        // A long lesson still fits one page.
        b.push_str("<style>body{font-size:8.6pt}pre,code{font-size:7.6pt}</style>");
    }
    let _ = write!(
        b,
        "<header><div class=\"t\"><p class=\"meta\">quyhoach · {} {} · {} {} {}</p><h1>{}</h1>\
         <p><strong>{}:</strong> {}</p>\
         <p class=\"meta\">{}: <span class=\"fill\"></span> &nbsp; {}: <span class=\"fill\" style=\"min-width:28mm\"></span></p></div>\
         <div class=\"qrbox\">{}<span>{}</span></div></header><main>",
        t("Bài", "Lesson"),
        l["order"].as_u64().unwrap_or(0),
        t("khoảng", "about"),
        l["minutes"].as_u64().unwrap_or(0),
        t("phút", "minutes"),
        esc(title),
        t("Mục tiêu", "Goal"),
        esc(s(l, "summary")),
        t("Họ tên", "Name"),
        t("Ngày", "Date"),
        qr_svg(&url, &format!("{} {url}", t("Mã QR của bài học:", "QR code of the lesson:"))),
        esc(&url),
    );
    if l["available"] == false {
        let _ = write!(
            b,
            "<p class=\"target\">{} {}</p>",
            t(
                "Bài này chưa làm được trên dữ liệu của máy chủ:",
                "This lesson cannot be done on this server's data:"
            ),
            esc(s(l, "reason"))
        );
    }
    let _ = write!(b, "<h2>{}</h2><ol class=\"steps\">", t("Các bước", "Steps"));
    for st in &steps {
        let _ = write!(
            b,
            "<li><span class=\"task\">{}</span>{}",
            esc(s(st, "title")),
            safe_html(s(st, "html"))
        );
        if let Some(label) = st["target"]["label"].as_str() {
            let _ = write!(
                b,
                "<p class=\"target\">{}: {}</p>",
                t("Đối tượng", "Target"),
                esc(label)
            );
        }
        answer_box(&mut b, st, lang);
        b.push_str("</li>");
    }
    b.push_str("</ol>");
    let _ = write!(
        b,
        "<h2>{}</h2><ul class=\"learned\">",
        t(
            "Điều bạn đã học — đánh dấu khi làm được",
            "What you learned — tick when you can"
        )
    );
    for st in &steps {
        let _ = write!(b, "<li>☐ {}</li>", esc(s(st, "title")));
    }
    let _ = write!(
        b,
        "</ul></main><footer><p class=\"note\">{} <strong>{}</strong> {} {}. {} {}.</p></footer></body></html>",
        t("Làm bài trên bản đồ tại", "Do the lesson on the map at"),
        esc(&url),
        t(
            "— máy chủ kiểm tra câu trả lời và gợi ý khi sai. Dữ liệu phiên bản",
            "— the server checks each answer and gives a hint when it is wrong. Data version"
        ),
        esc(s(doc, "data_version")
            .trim_start_matches("W/")
            .trim_matches('"')),
        t(
            "Thông tin tham khảo; văn bản pháp lý là quyết định phê duyệt quy hoạch",
            "For reference; the legal text is the plan's approving decision"
        ),
        t("(hỏi UBND xã/phường)", "(ask the commune office)"),
    );
    b
}

/// The space a step's answer is written in (never the answer itself).
fn answer_box(b: &mut String, st: &Value, lang: Lang) {
    let t = |vi: &str, en: &str| lang.t(vi, en).to_string();
    match s(st, "kind") {
        "read" => {}
        "choose" => {
            b.push_str("<ul class=\"opts\">");
            for o in st["options"].as_array().into_iter().flatten() {
                let _ = write!(b, "<li>☐ {}) {}</li>", esc(s(o, "id")), esc(s(o, "label")));
            }
            b.push_str("</ul>");
        }
        "number" => {
            let _ = write!(
                b,
                "<div class=\"box\">{}{}</div>",
                t("Số: ", "Number: "),
                st["unit"]
                    .as_str()
                    .map(|u| format!("<span style=\"float:right\">{}</span>", esc(u)))
                    .unwrap_or_default()
            );
        }
        "text" | "practice_import" => {
            let _ = write!(b, "<div class=\"box\">{}</div>", t("Trả lời:", "Answer:"));
        }
        _ => {
            let _ = write!(
                b,
                "<p>☐ {}</p>",
                t(
                    "Đã làm trên bản đồ (máy chủ xác nhận)",
                    "Done on the map (the server confirmed it)"
                )
            );
        }
    }
}

/// `GET /learn/leaflet.html?lang=`
async fn leaflet(headers: HeaderMap, q: Query_) -> Response {
    let lang = Lang::from_param(PageQuery::of(q).lang.as_deref());
    page(
        StatusCode::OK,
        lang,
        leaflet_html(&base_url(&headers), lang),
    )
}

fn colour(code: &str) -> &'static str {
    crate::style::landuse_colour_of(Some(code))
}

/// The four pictograms, in step order (decorative: the headings say the same).
fn pictograms() -> [String; 4] {
    let svg = |inner: String| {
        format!(
            "<svg viewBox=\"0 0 120 96\" aria-hidden=\"true\" focusable=\"false\">{inner}</svg>"
        )
    };
    [
        // A certificate with its numbers under a magnifier.
        svg("<rect x=\"8\" y=\"6\" width=\"64\" height=\"84\" rx=\"4\" fill=\"#fdf6e3\" stroke=\"#0b3d7a\" stroke-width=\"3\"/>\
             <rect x=\"16\" y=\"16\" width=\"48\" height=\"8\" fill=\"#c0392b\"/>\
             <path d=\"M16 36h40M16 48h30M16 60h36M16 72h24\" stroke=\"#555\" stroke-width=\"4\"/>\
             <circle cx=\"78\" cy=\"54\" r=\"20\" fill=\"#ffffffcc\" stroke=\"#0b3d7a\" stroke-width=\"6\"/>\
             <path d=\"M92 68l20 20\" stroke=\"#0b3d7a\" stroke-width=\"9\" stroke-linecap=\"round\"/>".into()),
        // A map in land-use colours with a pin.
        svg(format!(
            "<rect x=\"6\" y=\"10\" width=\"108\" height=\"76\" rx=\"4\" fill=\"{}\" stroke=\"#0b3d7a\" stroke-width=\"3\"/>\
             <path d=\"M6 50L60 40L66 86H6z\" fill=\"{}\"/><path d=\"M60 40L114 30V86H66z\" fill=\"{}\"/>\
             <path d=\"M6 50L60 40L114 30\" stroke=\"{}\" stroke-width=\"8\" fill=\"none\"/>\
             <path d=\"M6 46L114 26\" stroke=\"#e00000\" stroke-width=\"2.5\" stroke-dasharray=\"6 4\" fill=\"none\"/>\
             <path d=\"M60 64c-10-14-14-20-14-27a14 14 0 0 1 28 0c0 7-4 13-14 27z\" fill=\"#c0392b\" stroke=\"#fff\" stroke-width=\"2\"/>\
             <circle cx=\"60\" cy=\"37\" r=\"5\" fill=\"#fff\"/>",
            colour("ODT"),
            colour("CLN"),
            colour("TMD"),
            colour("DGT")
        )),
        // A decision with its red seal and a tick.
        svg("<rect x=\"22\" y=\"4\" width=\"70\" height=\"88\" rx=\"3\" fill=\"#fff\" stroke=\"#0b3d7a\" stroke-width=\"3\"/>\
             <path d=\"M32 18h50M32 28h50M32 38h36M32 48h44\" stroke=\"#555\" stroke-width=\"4\"/>\
             <circle cx=\"70\" cy=\"72\" r=\"14\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"4\"/>\
             <circle cx=\"70\" cy=\"72\" r=\"7\" fill=\"#c0392b\"/>\
             <path d=\"M4 62l12 12 20-26\" stroke=\"#1e8449\" stroke-width=\"8\" fill=\"none\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>".into()),
        // A printer, a share arrow and a question bubble.
        svg("<rect x=\"6\" y=\"38\" width=\"60\" height=\"30\" rx=\"4\" fill=\"#0b3d7a\"/>\
             <rect x=\"16\" y=\"22\" width=\"40\" height=\"18\" fill=\"#fff\" stroke=\"#0b3d7a\" stroke-width=\"3\"/>\
             <rect x=\"16\" y=\"58\" width=\"40\" height=\"26\" fill=\"#fff\" stroke=\"#0b3d7a\" stroke-width=\"3\"/>\
             <path d=\"M22 66h28M22 74h20\" stroke=\"#555\" stroke-width=\"3\"/>\
             <path d=\"M76 14h34a6 6 0 0 1 6 6v22a6 6 0 0 1-6 6H92l-10 10v-10h-6a6 6 0 0 1-6-6V20a6 6 0 0 1 6-6z\" fill=\"#fff4d6\" stroke=\"#e0a800\" stroke-width=\"3\"/>\
             <text x=\"93\" y=\"40\" font-size=\"24\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"#0b3d7a\">?</text>\
             <circle cx=\"80\" cy=\"76\" r=\"6\" fill=\"#0b3d7a\"/><circle cx=\"108\" cy=\"64\" r=\"6\" fill=\"#0b3d7a\"/>\
             <circle cx=\"108\" cy=\"88\" r=\"6\" fill=\"#0b3d7a\"/><path d=\"M80 76l28-12M80 76l28 12\" stroke=\"#0b3d7a\" stroke-width=\"3\"/>".into()),
    ]
}

/// The leaflet page.
pub fn leaflet_html(base: &str, lang: Lang) -> String {
    let t = |vi: &str, en: &str| lang.t(vi, en).to_string();
    let portal = format!("{base}/");
    let text_site = format!("{base}/text");
    let title = t(
        "Tra cứu quy hoạch trong 4 bước",
        "Look up planning in 4 steps",
    );
    let mut b = head(lang, &title);
    b.push_str(
        "<style>body{font-size:11pt}.card{padding:3.5mm 4mm}.card svg{width:36mm;height:29mm}\
         .card li{margin-bottom:1mm}.legend{font-size:9.5pt}</style>",
    );
    let _ = write!(
        b,
        "<header><div class=\"t\"><h1 style=\"font-size:22pt\">{}</h1><p style=\"font-size:11pt\">{}</p></div></header>",
        esc(&title),
        t(
            "Thửa đất của bạn nằm trong quy hoạch nào, được dùng vào việc gì, có bị ảnh hưởng không — xem miễn phí trên điện thoại, không cần đăng ký.",
            "Which plan your parcel is in, what it may be used for, whether it is affected — free on your phone, no sign-up."
        )
    );
    let cards: [(String, Vec<String>); 4] = [
        (
            t("Tìm thửa đất", "Find your parcel"),
            vec![
                t(
                    "Gõ <strong>xã/phường, số tờ, số thửa</strong> như trên giấy chứng nhận, ví dụ “thửa 12 tờ 3 Vĩnh Thanh”",
                    "Type the <strong>commune, sheet and parcel number</strong> from your certificate, e.g. “thua 12 to 3 Vinh Thanh”",
                ),
                t("hoặc địa chỉ: số nhà, tên đường", "or an address: house number, street"),
                t(
                    "hoặc tọa độ <strong>X, Y (VN-2000)</strong> một góc thửa trong bảng tọa độ của giấy chứng nhận — X là hướng bắc",
                    "or the <strong>X, Y (VN-2000)</strong> of a corner from the certificate's coordinate table — X is the northing",
                ),
            ],
        ),
        (
            t("Đọc câu trả lời và màu", "Read the answer and the colours"),
            vec![
                t(
                    "Dòng đầu báo cáo nói ngắn gọn: giữ nguyên, chuyển mục đích, hay một phần làm đường",
                    "The report's first line says it briefly: unchanged, changing use, or partly a road",
                ),
                t(
                    "Mỗi màu là một loại đất quy hoạch; <strong>đường đỏ đứt nét</strong> là chỉ giới đường đỏ",
                    "Each colour is a planned land use; the <strong>dashed red line</strong> is the road's red line",
                ),
            ],
        ),
        (
            t("Quy hoạch nào, quyết định nào?", "Which plan, which decision?"),
            vec![
                t(
                    "Xem tên quy hoạch, <strong>số và ngày quyết định</strong> phê duyệt",
                    "See the plan's name and the <strong>number and date of its approving decision</strong>",
                ),
                t(
                    "<strong>Còn hiệu lực</strong> thì ràng buộc; <strong>dự thảo</strong> chỉ để lấy ý kiến, chưa ràng buộc",
                    "<strong>In force</strong> binds; a <strong>draft</strong> is for consultation and does not bind yet",
                ),
            ],
        ),
        (
            t("In, chia sẻ hoặc hỏi", "Print, share or ask"),
            vec![
                t(
                    "In báo cáo một trang hoặc gửi đường liên kết qua Zalo, tin nhắn",
                    "Print the one-page report or send its link by chat or text message",
                ),
                t(
                    "Cần văn bản có giá trị pháp lý: hỏi <strong>UBND xã/phường</strong> hoặc Văn phòng đăng ký đất đai",
                    "For a legally valid document ask the <strong>commune office</strong> or the land registration office",
                ),
            ],
        ),
    ];
    b.push_str("<main><div class=\"grid\">");
    for (i, ((h, items), pict)) in cards.iter().zip(pictograms()).enumerate() {
        let _ = write!(
            b,
            "<section class=\"card\">{pict}<h2><span class=\"num\">{}</span>{}</h2><ul>",
            i + 1,
            esc(h)
        );
        for it in items {
            // The items are this module's own texts with <strong> marks only.
            let _ = write!(b, "<li>{it}</li>");
        }
        b.push_str("</ul></section>");
    }
    b.push_str("</div>");
    let _ = write!(
        b,
        "<h2>{}</h2><ul class=\"legend\">",
        t(
            "Màu thường gặp (Thông tư 08/2024/TT-BTNMT)",
            "Colours met most often (Circular 08/2024/TT-BTNMT)"
        )
    );
    for code in [
        "ODT", "ONT", "CLN", "LUC", "DGT", "TMD", "SKC", "DGD", "DYT", "NTS",
    ] {
        if let Some(c) = quyhoach_data::landuse::lookup(code) {
            let _ = write!(
                b,
                "<li><span class=\"sw\" style=\"background:{}\"></span>{} {}</li>",
                esc(&c.color),
                esc(&c.code),
                esc(lang.t(&c.name_vi, &c.name_en))
            );
        }
    }
    b.push_str("</ul></main>");
    let _ = write!(
        b,
        "<footer>{}<div class=\"t\"><p>{}</p><p class=\"big\">{}</p>\
         <p>{}</p><p class=\"big\">{}</p>\
         <p class=\"meta\">{}</p></div></footer></body></html>",
        qr_svg(
            &portal,
            &format!("{} {portal}", t("Mã QR của cổng tra cứu:", "QR code of the portal:"))
        ),
        t(
            "Quét mã QR hoặc mở trên điện thoại:",
            "Scan the QR code or open on your phone:"
        ),
        esc(&portal),
        t(
            "Điện thoại phổ thông, mạng yếu: trang chỉ có chữ",
            "Basic phone or weak signal: the text-only site"
        ),
        esc(&text_site),
        t(
            "Thông tin tham khảo, không thay thế văn bản pháp lý. Miễn phí, không thu thập thông tin cá nhân.",
            "For reference; it does not replace the legal documents. Free; no personal data is collected."
        ),
    );
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesson_html_keeps_only_plain_tags() {
        assert_eq!(
            safe_html(
                "<p>a <strong>b</strong> <a href=\"x\">c</a><script>d</script> 1 < 2 > 0</p>"
            ),
            "<p>a <strong>b</strong> cd 1 &lt; 2 &gt; 0</p>"
        );
        assert_eq!(safe_html("<img src=x onerror=alert(1)>"), "");
        assert_eq!(safe_html("<<p>"), "&lt;<p>");
        assert_eq!(
            safe_html("<pre><code class=\"language-sh\">x</code></pre><br />"),
            "<pre><code>x</code></pre><br>"
        );
        assert_eq!(
            safe_html("<pre><code>ogrinfo \"OAPIF:x\"</code></pre>"),
            "<pre><code>ogrinfo \"OAPIF:x\"</code></pre>"
        );
    }

    #[test]
    fn qr_code_is_inline_svg() {
        let q = qr_svg("http://example.vn/#/learn/find-parcel", "QR");
        assert!(q.starts_with("<svg class=\"qr\" role=\"img\" aria-label=\"QR\""));
        assert!(!q.contains("<?xml"));
    }
}
