//! The text-only site for 2G phones, feature phones and chats: every page under
//! [`MAX_REPORT_BYTES`], no scripts, no images, one inline style line, Vietnamese first and
//! English on `?lang=en`.
//!
//! - `GET /text`: search (a GET form, `q=`), results linking to each parcel's report, commune
//!   or plan;
//! - `GET /text/communes/{code}`: a commune, a form for sheet and parcel numbers, its plans;
//! - `GET /text/plans`, `/text/plans/{id}`: the plans, their level, status and approving
//!   document;
//! - `GET /text/help`: how to read a report, what the legal reference is, which office to ask
//!   (the report's own legal notice);
//! - `GET /api/v1/parcels/{c}/{s}/{p}/report.html|.txt[?n=][&lang=en]`: one parcel's report;
//!   a number shared by several parcels (a duplicate in the cadastral map) without `n` answers
//!   **300 Multiple Choices** with a page listing them (address, area), each linking to its
//!   own report (`?n=k`, 1-based, in the order of the JSON report's 409 `matches`).
//!
//! Errors (unknown commune, parcel, plan, malformed numbers) are pages too, in the page's
//! language, with the search form and the right 4xx status. Parameters these pages do not
//! use (tracking tags messengers append) are ignored.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use quyhoach_data::index::FeatureOut;
use quyhoach_data::lookup::Store;
use quyhoach_data::planning::{QueryError, Site};
use quyhoach_data::plans::Plan;
use quyhoach_data::schema::Kind;
use serde_json::{json, Value};

use crate::api::ApiState;
use crate::api::{parcel_path, MAX_NUMBER};
use crate::params::encode_url_part;
use crate::proxy::base_url;
use crate::text::{
    document_line, esc, page_html, page_text, report_doc, vi_name, Block, Doc, Frame, Lang,
    ReportLinks, MAX_REPORT_BYTES,
};

/// Search results listed on a page: what fits in the budget with room for the frame.
pub const MAX_TEXT_HITS: usize = 10;

/// Plans listed per page of `/text/plans` (about 300 bytes each).
pub const PLANS_PER_PAGE: usize = 8;

/// Longest search text accepted, in characters (the index's cap).
const MAX_QUERY_CHARS: usize = quyhoach_data::index::MAX_QUERY_CHARS;

/// Marks a response as a finished page: the problem-JSON rewriting of bare errors leaves
/// its body alone.
#[derive(Debug, Clone, Copy)]
pub struct OwnBody;

/// The query of a text page, read leniently: a malformed query is an empty one.
type Query_ = Result<Query<Vec<(String, String)>>, QueryRejection>;

struct Q(Vec<(String, String)>);

impl Q {
    fn of(q: Query_) -> Q {
        Q(q.map(|q| q.0).unwrap_or_default())
    }
    fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
    fn lang(&self) -> Lang {
        Lang::from_param(self.get("lang"))
    }
}

/// Output format of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Minimal HTML.
    Html,
    /// Plain text.
    Text,
}

fn respond(status: StatusCode, doc: &Doc, frame: &Frame, format: Format, base: &str) -> Response {
    let (ct, body) = match format {
        Format::Html => ("text/html; charset=utf-8", page_html(doc, frame)),
        Format::Text => ("text/plain; charset=utf-8", page_text(doc, frame, base)),
    };
    let mut r = (status, [(header::CONTENT_TYPE, ct)], body).into_response();
    r.extensions_mut().insert(OwnBody);
    r.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(frame.lang.code()),
    );
    r
}

/// The search form, prefilled with `q`.
fn search_form(lang: Lang, q: &str) -> Block {
    let hidden = match lang {
        Lang::En => "<input type=hidden name=lang value=en>",
        Lang::Vi => "",
    };
    Block::Html(format!(
        "<form action=/text><label>{} <input name=q value=\"{}\" size=22></label>{hidden} <input type=submit value=\"{}\"></form>",
        lang.t(
            "Xã/phường, đường, quy hoạch, hoặc mã xã, số tờ, số thửa:",
            "Commune, road, plan, or commune code, sheet, parcel:"
        ),
        esc(q),
        lang.t("Tìm", "Search")
    ))
}

fn simple_frame(lang: Lang, path: &str, full: &str) -> Frame {
    Frame {
        lang,
        other_lang: lang.other().href(path),
        full: lang.href(full),
        text: None,
    }
}

/// An error page: the reason, the search form, the status.
/// What every text page starts from: the query, its language and the base URL of links.
fn page_context(q: Query_, headers: &HeaderMap) -> (Q, Lang, String) {
    let q = Q::of(q);
    let lang = q.lang();
    (q, lang, base_url(headers))
}

/// A 404 page: `template` with "{}" replaced by what was asked for (clipped).
fn html_not_found(lang: Lang, frame: &Frame, base: &str, template: &str, what: &str) -> Response {
    let reason = template.replace("{}", &crate::params::clip(what));
    error_page(
        StatusCode::NOT_FOUND,
        lang,
        reason,
        frame,
        Format::Html,
        base,
    )
}

fn error_page(
    status: StatusCode,
    lang: Lang,
    reason: String,
    frame: &Frame,
    format: Format,
    base: &str,
) -> Response {
    let doc = Doc {
        title: lang.t("Không tìm thấy", "Not found").to_string(),
        body: vec![
            Block::H(
                1,
                match status {
                    StatusCode::NOT_FOUND => lang.t("Không tìm thấy", "Not found"),
                    _ => lang.t("Yêu cầu không hợp lệ", "Invalid request"),
                }
                .into(),
            ),
            Block::Answer(reason),
            search_form(lang, ""),
        ],
        foot: vec![],
    };
    respond(status, &doc, frame, format, base)
}

async fn blocking<T: Send + 'static>(
    st: &ApiState,
    f: impl FnOnce(&dyn Store) -> T + Send + 'static,
) -> Option<T> {
    let index = st.index.clone();
    tokio::task::spawn_blocking(move || f(&*index)).await.ok()
}

fn internal(lang: Lang, frame: &Frame, format: Format, base: &str) -> Response {
    let doc = Doc {
        title: lang.t("Lỗi máy chủ", "Server error").into(),
        body: vec![Block::P(
            lang.t(
                "Máy chủ gặp lỗi; xin thử lại sau.",
                "The server failed; please try again later.",
            )
            .into(),
        )],
        foot: vec![],
    };
    respond(StatusCode::INTERNAL_SERVER_ERROR, &doc, frame, format, base)
}

/// The plan a layer belongs to.
fn plan_of_layer(index: &dyn Store, layer: &str) -> Option<String> {
    let e = index.layer_entry(layer)?;
    e.plan.clone().or_else(|| e.plans.first().cloned())
}

/// A commune's name and box by code, from the boundary layers.
fn commune(index: &dyn Store, code: &str) -> Option<(String, [f64; 4])> {
    use geo::BoundingRect;
    for (id, e) in &index.catalog().layers {
        if e.kind != Kind::Boundaries {
            continue;
        }
        let mut offset = 0;
        while let Ok((page, _)) = index.features_in_bbox(id, None, 1000, offset) {
            if page.is_empty() {
                break;
            }
            offset += page.len();
            for f in page {
                if f.properties.get("code").and_then(Value::as_str) == Some(code) {
                    let name = f
                        .properties
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or(code)
                        .to_string();
                    let r = f.geometry.bounding_rect()?;
                    return Some((name, [r.min().x, r.min().y, r.max().x, r.max().y]));
                }
            }
        }
    }
    None
}

/// `GET /text`: the search page.
pub async fn home(State(st): State<ApiState>, headers: HeaderMap, q: Query_) -> Response {
    let (q, lang, base) = page_context(q, &headers);
    let text = q.get("q").unwrap_or("").trim().to_string();
    let path = if text.is_empty() {
        "/text".to_string()
    } else {
        format!("/text?q={}", encode_url_part(&text))
    };
    let frame = simple_frame(lang, &path, "/");
    if text.chars().count() > MAX_QUERY_CHARS {
        return error_page(
            StatusCode::BAD_REQUEST,
            lang,
            match lang {
                Lang::Vi => format!("Nội dung tìm kiếm dài quá {MAX_QUERY_CHARS} ký tự."),
                Lang::En => format!("The search text is longer than {MAX_QUERY_CHARS} characters."),
            },
            &frame,
            Format::Html,
            &base,
        );
    }
    let mut body = vec![
        Block::H(
            1,
            lang.t("Tra cứu quy hoạch", "Planning lookup").to_string(),
        ),
        Block::P(
            lang.t(
                "Bản văn bản nhẹ, không cần JavaScript. Nhập tên xã/phường, tên đường, quy hoạch, hoặc mã xã, số tờ, số thửa (ví dụ 31150 12 345).",
                "A light text version, no JavaScript needed. Type a commune, road or plan, or a commune code, sheet and parcel number (e.g. 31150 12 345).",
            )
            .into(),
        ),
        search_form(lang, &text),
    ];
    if !text.is_empty() {
        let needle = text.clone();
        let hits = blocking(&st, move |ix| {
            ix.search(&needle, MAX_TEXT_HITS).map(|hits| {
                hits.iter()
                    .take(MAX_TEXT_HITS)
                    .map(|h| {
                        let v = serde_json::to_value(h).unwrap_or(Value::Null);
                        let plan = v
                            .get("layer")
                            .and_then(Value::as_str)
                            .and_then(|l| plan_of_layer(ix, l));
                        let code = match (v.get("layer"), v.get("id")) {
                            (Some(Value::String(l)), Some(id)) if v["kind"] == "commune" => id
                                .as_u64()
                                .and_then(|id| u32::try_from(id).ok())
                                .and_then(|id| ix.feature(l, id).ok().flatten())
                                .and_then(|f| {
                                    f.properties
                                        .get("code")
                                        .and_then(Value::as_str)
                                        .map(str::to_string)
                                }),
                            _ => None,
                        };
                        (v, plan, code)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .await;
        body.push(Block::H(
            2,
            match lang {
                Lang::Vi => format!("Kết quả cho “{text}”"),
                Lang::En => format!("Results for “{text}”"),
            },
        ));
        match hits {
            Some(Ok(hits)) if !hits.is_empty() => {
                for (h, plan, code) in hits {
                    body.push(hit_block(&h, plan, code, lang));
                }
            }
            Some(Ok(_)) => body.push(Block::P(
                lang.t(
                    "Không tìm thấy kết quả. Thử tên ngắn hơn, hoặc mã xã, số tờ và số thửa.",
                    "Nothing found. Try a shorter name, or a commune code, sheet and parcel number.",
                )
                .into(),
            )),
            Some(Err(QueryError::BadRequest(_))) => body.push(Block::P(
                lang.t("Hãy nhập nội dung tìm kiếm.", "Type something to search.")
                    .into(),
            )),
            _ => return internal(lang, &frame, Format::Html, &base),
        }
    }
    let doc = Doc {
        title: lang
            .t(
                "Tra cứu quy hoạch — bản văn bản",
                "Planning lookup — text version",
            )
            .into(),
        body,
        foot: vec![],
    };
    respond(StatusCode::OK, &doc, &frame, Format::Html, &base)
}

fn hit_block(h: &Value, plan: Option<String>, code: Option<String>, lang: Lang) -> Block {
    let label = h.get("label").and_then(Value::as_str).unwrap_or("?");
    let detail = h
        .get("detail")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty());
    let text = match detail {
        Some(d) => format!("{label} — {d}"),
        None => label.to_string(),
    };
    let kind = h.get("kind").and_then(Value::as_str).unwrap_or("");
    if let Some(Value::Array(p)) = h.get("parcel") {
        if let (Some(c), Some(s), Some(n)) = (
            p.first().and_then(Value::as_str),
            p.get(1).and_then(Value::as_i64),
            p.get(2).and_then(Value::as_i64),
        ) {
            return Block::Link(
                lang.href(&format!(
                    "/api/v1/parcels/{}/{s}/{n}/report.html",
                    encode_url_part(c)
                )),
                text,
            );
        }
    }
    match (kind, plan, code) {
        ("commune", _, Some(code)) => Block::Link(
            lang.href(&format!("/text/communes/{}", encode_url_part(&code))),
            text,
        ),
        ("plan", Some(id), _) => Block::Link(
            lang.href(&format!("/text/plans/{}", encode_url_part(&id))),
            vi_name(&text, lang),
        ),
        _ => Block::P(text),
    }
}

/// `GET /text/communes/{code}[?sheet=&parcel=]`: a commune; with both numbers, a 303 to
/// the parcel's report.
pub async fn commune_page(
    State(st): State<ApiState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    q: Query_,
) -> Response {
    let (q, lang, base) = page_context(q, &headers);
    let path = format!("/text/communes/{}", encode_url_part(&code));
    let frame = simple_frame(lang, &path, "/");
    let c = code.clone();
    let Some(found) = blocking(&st, move |ix| {
        commune(ix, &c).map(|(name, bbox)| {
            let plans: Vec<(String, Plan)> = ix
                .catalog()
                .layers
                .values()
                .filter(|e| {
                    e.bounds[0] <= bbox[2]
                        && bbox[0] <= e.bounds[2]
                        && e.bounds[1] <= bbox[3]
                        && bbox[1] <= e.bounds[3]
                })
                .flat_map(|e| e.plan.iter().chain(e.plans.iter()).cloned())
                .collect::<std::collections::BTreeSet<String>>()
                .into_iter()
                .filter_map(|id| ix.catalog().plans.get(&id).map(|p| (id, p.clone())))
                .collect();
            (name, plans)
        })
    })
    .await
    else {
        return internal(lang, &frame, Format::Html, &base);
    };
    let Some((name, plans)) = found else {
        return html_not_found(
            lang,
            &frame,
            &base,
            lang.t(
                "Không có xã/phường mã “{}” trong dữ liệu.",
                "There is no commune with code “{}” in the data.",
            ),
            &code,
        );
    };
    let sheet = q.get("sheet").map(str::trim).filter(|s| !s.is_empty());
    let parcel = q.get("parcel").map(str::trim).filter(|s| !s.is_empty());
    let mut problem = None;
    if let (Some(s), Some(p)) = (sheet, parcel) {
        match (s.parse::<i64>(), p.parse::<i64>()) {
            (Ok(s), Ok(p)) if (0..=MAX_NUMBER).contains(&s) && (0..=MAX_NUMBER).contains(&p) => {
                let to = lang.href(&format!(
                    "/api/v1/parcels/{}/{s}/{p}/report.html",
                    encode_url_part(&code)
                ));
                let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
                r.extensions_mut().insert(OwnBody);
                return r;
            }
            _ => {
                problem = Some(lang.t(
                    "Số tờ và số thửa phải là số nguyên dương.",
                    "Sheet and parcel must be whole numbers.",
                ))
            }
        }
    }
    let hidden = match lang {
        Lang::En => "<input type=hidden name=lang value=en>",
        Lang::Vi => "",
    };
    let mut body = vec![Block::H(1, format!("{name} ({code})"))];
    if let Some(p) = problem {
        body.push(Block::Answer(p.into()));
    }
    body.push(Block::Html(format!(
        "<form action=\"{}\"><label>{} <input name=sheet size=4 inputmode=numeric value=\"{}\"></label> <label>{} <input name=parcel size=5 inputmode=numeric value=\"{}\"></label>{hidden} <input type=submit value=\"{}\"></form>",
        esc(&path),
        lang.t("Số tờ", "Sheet"),
        esc(sheet.unwrap_or("")),
        lang.t("Số thửa", "Parcel"),
        esc(parcel.unwrap_or("")),
        lang.t("Xem báo cáo", "See the report"),
    )));
    body.push(Block::H(
        2,
        lang.t("Quy hoạch tại đây", "Plans here").into(),
    ));
    for (id, p) in plans {
        body.push(Block::Link(
            lang.href(&format!("/text/plans/{}", encode_url_part(&id))),
            vi_name(&p.name, lang),
        ));
    }
    let doc = Doc {
        title: name,
        body,
        foot: vec![],
    };
    respond(StatusCode::OK, &doc, &frame, Format::Html, &base)
}

/// English names of plan levels and statuses (the Vietnamese ones are the data crate's).
fn level_en(id: &str) -> &'static str {
    match id {
        "national" => "National master plan",
        "regional" => "Regional plan",
        "provincial" => "Provincial plan",
        "general_urban" => "General urban plan",
        "zoning_2000" => "Zoning plan 1:2000",
        "detailed_500" => "Detailed plan 1:500",
        "district_land_use" => "District land-use plan",
        _ => "Plan",
    }
}

fn status_text(p: &Plan, lang: Lang) -> &'static str {
    use quyhoach_data::plans::PlanStatus;
    match (p.status, lang) {
        (s, Lang::Vi) => s.name_vi(),
        (PlanStatus::InForce, Lang::En) => "In force",
        (PlanStatus::Adjusted, Lang::En) => "Adjusted",
        (PlanStatus::Expired, Lang::En) => "Expired",
        (PlanStatus::Draft, Lang::En) => "Draft for consultation — not legally binding",
    }
}

fn binding(p: &Plan) -> bool {
    use quyhoach_data::plans::PlanStatus;
    matches!(p.status, PlanStatus::InForce | PlanStatus::Adjusted)
}

fn plan_lines(p: &Plan, lang: Lang, out: &mut Vec<Block>) {
    let level = match lang {
        Lang::Vi => p.level.name_vi(),
        Lang::En => level_en(p.level.id()),
    };
    let para = |t: String| {
        if binding(p) {
            Block::P(t)
        } else {
            Block::Note(t)
        }
    };
    out.push(para(format!("{level} · {}", status_text(p, lang))));
    let v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Some(line) = document_line(&v, None, lang) {
        out.push(para(line));
    }
}

/// `GET /text/plans[?page=]`: every plan, binding first.
pub async fn plans_page(State(st): State<ApiState>, headers: HeaderMap, q: Query_) -> Response {
    let (q, lang, base) = page_context(q, &headers);
    let page: usize = q
        .get("page")
        .and_then(|p| p.trim().parse().ok())
        .filter(|p| (1..=10_000).contains(p))
        .unwrap_or(1);
    let path = if page > 1 {
        format!("/text/plans?page={page}")
    } else {
        "/text/plans".into()
    };
    let frame = simple_frame(lang, &path, "/");
    let mut plans: Vec<(&String, &Plan)> = st.index.catalog().plans.iter().collect();
    plans.sort_by_key(|(_, p)| !binding(p));
    let pages = plans.len().div_ceil(PLANS_PER_PAGE).max(1);
    if page > pages {
        let reason = match lang {
            Lang::Vi => format!("Không có trang {page}; danh sách có {pages} trang."),
            Lang::En => format!("There is no page {page}; the list has {pages} pages."),
        };
        return error_page(
            StatusCode::NOT_FOUND,
            lang,
            reason,
            &frame,
            Format::Html,
            &base,
        );
    }
    let mut body = vec![Block::H(
        1,
        lang.t("Các quy hoạch trong dữ liệu", "Plans in the data")
            .into(),
    )];
    if plans.is_empty() {
        body.push(Block::P(
            lang.t("Chưa có quy hoạch nào.", "No plans yet.").into(),
        ));
    }
    for (id, p) in plans
        .iter()
        .skip((page - 1) * PLANS_PER_PAGE)
        .take(PLANS_PER_PAGE)
    {
        body.push(Block::Link(
            lang.href(&format!("/text/plans/{}", encode_url_part(id))),
            vi_name(&p.name, lang),
        ));
        plan_lines(p, lang, &mut body);
    }
    let mut foot = Vec::new();
    if page > 1 {
        foot.push(Block::Link(
            lang.href(&format!("/text/plans?page={}", page - 1)),
            lang.t("« Trang trước", "« Previous page").into(),
        ));
    }
    if page < pages {
        foot.push(Block::Link(
            lang.href(&format!("/text/plans?page={}", page + 1)),
            lang.t("Trang sau »", "Next page »").into(),
        ));
    }
    let doc = Doc {
        title: lang.t("Các quy hoạch", "Plans").into(),
        body,
        foot,
    };
    respond(StatusCode::OK, &doc, &frame, Format::Html, &base)
}

/// `GET /text/plans/{id}`: one plan.
pub async fn plan_page(
    State(st): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: Query_,
) -> Response {
    let (_, lang, base) = page_context(q, &headers);
    let path = format!("/text/plans/{}", encode_url_part(&id));
    let frame = simple_frame(lang, &path, "/");
    let Some(p) = st.index.catalog().plans.get(&id).cloned() else {
        return html_not_found(
            lang,
            &frame,
            &base,
            lang.t(
                "Không có quy hoạch “{}” trong dữ liệu.",
                "There is no plan “{}” in the data.",
            ),
            &id,
        );
    };
    let mut body = vec![Block::H(1, vi_name(&p.name, lang))];
    plan_lines(&p, lang, &mut body);
    if !binding(&p) {
        body.push(Block::Note(
            lang.t(
                "Quy hoạch này không có giá trị pháp lý (dự thảo hoặc hết hiệu lực); chỉ để tham khảo.",
                "This plan is not legally binding (a draft, or expired); for reference only.",
            )
            .into(),
        ));
    }
    match (&p.valid_from, &p.valid_to) {
        (Some(a), Some(b)) => body.push(Block::P(format!(
            "{}: {} – {}",
            lang.t("Hiệu lực", "In force"),
            lang.date(a),
            lang.date(b)
        ))),
        (Some(a), None) => body.push(Block::P(format!(
            "{} {}",
            lang.t("Hiệu lực từ", "In force from"),
            lang.date(a)
        ))),
        _ => {}
    }
    if let Some(url) = p
        .document_url
        .as_deref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        body.push(Block::Link(
            url.to_string(),
            lang.t(
                "Hồ sơ quy hoạch (trang ngoài)",
                "Plan documents (external site)",
            )
            .into(),
        ));
    }
    body.push(Block::Link(
        lang.href("/text/plans"),
        lang.t("« Tất cả quy hoạch", "« All plans").into(),
    ));
    let doc = Doc {
        title: vi_name(&p.name, lang),
        body,
        foot: vec![],
    };
    respond(StatusCode::OK, &doc, &frame, Format::Html, &base)
}

/// The legal notice of reports: taken from a real report so that the help names the same
/// office, word for word.
fn report_notice(index: &dyn Store, lang: Lang) -> Option<String> {
    for (id, e) in &index.catalog().layers {
        if e.kind != Kind::Parcels {
            continue;
        }
        let (page, _) = index.features_in_bbox(id, None, 1, 0).ok()?;
        let f = page.into_iter().next()?;
        let r = index
            .report(&Site::Parcel {
                layer: f.layer,
                id: f.id,
            })
            .ok()?;
        return Some(match lang {
            Lang::Vi => r.disclaimer_vi,
            Lang::En => r.disclaimer_en,
        });
    }
    None
}

/// `GET /text/help`: how to read a report, the legal reference, which office to ask.
pub async fn help_page(State(st): State<ApiState>, headers: HeaderMap, q: Query_) -> Response {
    let (_, lang, base) = page_context(q, &headers);
    let frame = simple_frame(lang, "/text/help", "/");
    let notice = blocking(&st, move |ix| report_notice(ix, lang))
        .await
        .flatten();
    let mut body = vec![
        Block::H(1, lang.t("Hướng dẫn đọc báo cáo", "How to read a report").into()),
        Block::H(2, lang.t("Báo cáo nói gì", "What the report says").into()),
        Block::P(lang.t(
            "Dòng “Kết luận” ở đầu trả lời: thửa đất có bị quy hoạch ảnh hưởng không. Bên dưới là từng quy hoạch: loại quy hoạch, văn bản phê duyệt, phần đất thuộc từng khu chức năng (mã đất theo Thông tư 08/2024/TT-BTNMT) và chỉ giới đường đỏ (phần đất nằm trong lộ giới đường quy hoạch).",
            "The “Answer” line on top says whether the parcel is affected by planning. Below, each plan: its kind, its approving document, the share of the land in each planned zone (land-use codes of Circular 08/2024/TT-BTNMT) and red lines (land inside a planned road).",
        ).into()),
        Block::P(lang.t(
            "Quy hoạch sử dụng đất cho biết đất được dùng và chuyển mục đích vào việc gì; quy hoạch xây dựng, quy hoạch phân khu và chi tiết cho biết được xây gì (mật độ, tầng cao).",
            "A land-use plan says what the land may be used for and converted to; construction, zoning and detailed plans say what may be built (coverage, floors).",
        ).into()),
        Block::H(2, lang.t("Căn cứ pháp lý", "The legal reference").into()),
        Block::P(lang.t(
            "Chỉ quy hoạch còn hiệu lực hoặc đã điều chỉnh mới có giá trị pháp lý; căn cứ là Quyết định (hoặc Nghị quyết) phê duyệt và hồ sơ kèm theo. Tờ trình là đề xuất, không phải phê duyệt. Dự thảo lấy ý kiến chưa có giá trị pháp lý và được tách riêng.",
            "Only plans in force or adjusted are legally binding; the reference is the approving Decision (or Resolution) and its documents. A Submission (Tờ trình) is a proposal, not an approval. Drafts for consultation are not binding and are shown apart.",
        ).into()),
        Block::H(2, lang.t("Hỏi ở đâu", "Which office to ask").into()),
    ];
    match notice {
        Some(n) => body.push(Block::P(n)),
        None => body.push(Block::P(
            lang.t(
                "Liên hệ Ủy ban nhân dân xã, phường nơi có đất để được cung cấp thông tin quy hoạch chính thức.",
                "Ask the People's Committee of the commune or ward where the land lies for official planning information.",
            )
            .into(),
        )),
    }
    body.push(Block::H(
        2,
        lang.t("Thửa trùng số", "Duplicate parcel numbers").into(),
    ));
    body.push(Block::P(lang.t(
        "Nếu bản đồ địa chính có hai thửa cùng số, trang báo cáo liệt kê cả hai (địa chỉ, diện tích) để bạn chọn đúng thửa của mình.",
        "If the cadastral map has two parcels with the same number, the report page lists both (address, area) so you can pick yours.",
    ).into()));
    let doc = Doc {
        title: lang.t("Hướng dẫn", "Help").into(),
        body,
        foot: vec![],
    };
    respond(StatusCode::OK, &doc, &frame, Format::Html, &base)
}

/// The path of a parcel's report in `format`, `n`-th of duplicates, in `lang`.
fn report_href(
    commune: &str,
    sheet: i64,
    parcel: i64,
    n: Option<usize>,
    format: Format,
    lang: Lang,
) -> String {
    let ext = match format {
        Format::Html => "html",
        Format::Text => "txt",
    };
    let mut h = format!(
        "/api/v1/parcels/{}/{sheet}/{parcel}/report.{ext}",
        encode_url_part(commune)
    );
    if let Some(n) = n {
        h.push_str(&format!("?n={n}"));
    }
    lang.href(&h)
}

/// The full map page of a parcel: `/?p=c/s/p[/n]`.
fn map_href(commune: &str, sheet: i64, parcel: i64, n: Option<usize>, lang: Lang) -> String {
    let n = n.map(|n| format!("/{n}")).unwrap_or_default();
    lang.href(&format!(
        "/?p={}/{sheet}/{parcel}{n}",
        encode_url_part(commune)
    ))
}

/// What a parcel number names.
enum Found {
    /// The commune is not in the data.
    NoCommune,
    /// The number is not on that sheet.
    NoParcel,
    /// `n` is beyond the duplicates.
    NoSuchN(Vec<FeatureOut>),
    /// Several parcels and no `n`.
    Several(Vec<FeatureOut>),
    /// One parcel's report (JSON).
    One(Box<Value>),
    /// The commune text itself is unusable.
    Bad,
    /// The report failed.
    Failed,
}

fn choices_doc(
    found: &[FeatureOut],
    (commune, sheet, parcel): (&str, i64, i64),
    format: Format,
    lang: Lang,
    reason: Option<String>,
) -> Doc {
    let count = found.len();
    let title = match lang {
        Lang::Vi => format!("{count} thửa đất cùng số {parcel}, tờ bản đồ số {sheet}, {commune}"),
        Lang::En => format!("{count} parcels numbered {parcel}, map sheet {sheet}, {commune}"),
    };
    let mut body = vec![Block::H(1, title.clone())];
    if let Some(r) = reason {
        body.push(Block::Answer(r));
    }
    body.push(Block::P(match lang {
        Lang::Vi => format!("Bản đồ địa chính có {count} thửa cùng số này. Chọn thửa của bạn theo địa chỉ và diện tích:"),
        Lang::En => format!("The cadastral map has {count} parcels with this number. Pick yours by its address and area:"),
    }));
    for (k, f) in found.iter().enumerate() {
        let n = k + 1;
        let addr = f
            .properties
            .get("address")
            .and_then(Value::as_str)
            .map(|a| vi_name(a, lang))
            .unwrap_or_else(|| lang.t("không có địa chỉ", "no address").into());
        let area = f
            .properties
            .get("area_m2")
            .and_then(Value::as_f64)
            .map(|a| format!(", {} m²", lang.number(a, 1)))
            .unwrap_or_default();
        body.push(Block::Link(
            report_href(commune, sheet, parcel, Some(n), format, lang),
            match lang {
                Lang::Vi => format!("Thửa thứ {n}: {addr}{area}"),
                Lang::En => format!("Parcel {n} of {count}: {addr}{area}"),
            },
        ));
    }
    body.push(Block::Link(
        map_href(commune, sheet, parcel, None, lang),
        lang.t(
            "Xem các thửa trên bản đồ đầy đủ",
            "See them on the full map",
        )
        .into(),
    ));
    Doc {
        title,
        body,
        foot: vec![],
    }
}

/// `GET /api/v1/parcels/{c}/{s}/{p}/report.html|.txt[?n=][&lang=en]`.
pub async fn parcel_report(
    st: ApiState,
    (commune, sheet, parcel): (String, String, String),
    headers: HeaderMap,
    q: Query_,
    format: Format,
) -> Response {
    let (q, lang, base) = page_context(q, &headers);
    let bad_frame = simple_frame(lang, "/text", "/");
    let bad = |reason: String| {
        error_page(
            StatusCode::BAD_REQUEST,
            lang,
            reason,
            &bad_frame,
            format,
            &base,
        )
    };
    let num = |v: &str| {
        v.trim()
            .parse::<i64>()
            .ok()
            .filter(|x| (0..=MAX_NUMBER).contains(x))
    };
    let (Some(sheet), Some(parcel)) = (num(&sheet), num(&parcel)) else {
        return bad(lang
            .t(
                "Số tờ và số thửa phải là số nguyên dương, ví dụ /api/v1/parcels/31150/12/345/report.html.",
                "Sheet and parcel must be whole numbers, e.g. /api/v1/parcels/31150/12/345/report.html.",
            )
            .into());
    };
    let n =
        match q.get("n") {
            None => None,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if (1..=1000).contains(&n) => Some(n),
                _ => return bad(match lang {
                    Lang::Vi => "n (thứ tự của thửa trùng số) phải là số từ 1.".into(),
                    Lang::En => {
                        "n (which of the parcels sharing a number) must be a whole number from 1."
                            .into()
                    }
                }),
            },
        };
    let c = commune.clone();
    let found = blocking(&st, move |ix| {
        let v = match ix.parcels_by_number(&c, sheet, parcel) {
            Ok(v) => v,
            Err(QueryError::NotFound(_)) => return Found::NoCommune,
            Err(QueryError::BadRequest(_)) => return Found::Bad,
            Err(_) => return Found::Failed,
        };
        let f = match (v.len(), n) {
            (0, _) => return Found::NoParcel,
            (len, Some(n)) if n > len => return Found::NoSuchN(v),
            (_, Some(n)) => v.into_iter().nth(n - 1),
            (1, None) => v.into_iter().next(),
            _ => return Found::Several(v),
        };
        let Some(f) = f else {
            return Found::Failed;
        };
        let Ok(report) = ix.report(&Site::Parcel {
            layer: f.layer.clone(),
            id: f.id,
        }) else {
            return Found::Failed;
        };
        let mut v = serde_json::to_value(&report).unwrap_or(Value::Null);
        if let (Some(o), Some(path)) = (v.as_object_mut(), parcel_path(&f.properties)) {
            o.insert("links".into(), json!([{"rel": "about", "href": path}]));
        }
        Found::One(Box::new(v))
    })
    .await
    .unwrap_or(Found::Failed);
    let other_format = report_href(
        &commune,
        sheet,
        parcel,
        n,
        match format {
            Format::Html => Format::Text,
            Format::Text => Format::Html,
        },
        lang,
    );
    let frame = Frame {
        lang,
        other_lang: report_href(&commune, sheet, parcel, n, format, lang.other()),
        full: map_href(&commune, sheet, parcel, n, lang),
        text: (format == Format::Html).then(|| other_format.clone()),
    };
    let not_found = |reason: String| {
        error_page(
            StatusCode::NOT_FOUND,
            lang,
            reason,
            &simple_frame(lang, "/text", "/"),
            format,
            &base,
        )
    };
    let shown = crate::params::clip(&commune);
    match found {
        Found::NoCommune => not_found(match lang {
            Lang::Vi => {
                format!("Không có xã/phường “{shown}” trong dữ liệu. Hãy tìm theo tên xã/phường.")
            }
            Lang::En => {
                format!("There is no commune “{shown}” in the data. Search for it by name.")
            }
        }),
        Found::NoParcel => not_found(match lang {
            Lang::Vi => {
                format!("Không có thửa số {parcel} trên tờ bản đồ số {sheet} của “{shown}”.")
            }
            Lang::En => format!("There is no parcel {parcel} on map sheet {sheet} of “{shown}”."),
        }),
        Found::Bad => bad(lang
            .t(
                "Thiếu mã hoặc tên xã/phường.",
                "The commune code or name is missing.",
            )
            .into()),
        Found::Failed => internal(lang, &frame, format, &base),
        Found::NoSuchN(v) => {
            let reason = match lang {
                Lang::Vi => format!(
                    "Không có thửa thứ {} — chỉ có {} thửa cùng số.",
                    n.unwrap_or(0),
                    v.len()
                ),
                Lang::En => format!(
                    "There is no parcel {} — only {} share this number.",
                    n.unwrap_or(0),
                    v.len()
                ),
            };
            let doc = choices_doc(&v, (&commune, sheet, parcel), format, lang, Some(reason));
            respond(StatusCode::NOT_FOUND, &doc, &frame, format, &base)
        }
        Found::Several(v) => {
            let doc = choices_doc(&v, (&commune, sheet, parcel), format, lang, None);
            respond(StatusCode::MULTIPLE_CHOICES, &doc, &frame, format, &base)
        }
        Found::One(r) => {
            let links = ReportLinks {
                map: Some(frame.full.clone()),
                other_lang: Some(frame.other_lang.clone()),
                other_format: Some((
                    other_format,
                    match format {
                        Format::Html => lang.t("Bản văn bản thuần", "Plain-text version"),
                        Format::Text => lang.t("Bản HTML nhẹ", "Light HTML version"),
                    }
                    .to_string(),
                )),
            };
            let mut doc = report_doc(&r, lang, &links);
            if let Some(n) = n {
                doc.body.insert(
                    1,
                    Block::P(match lang {
                        Lang::Vi => format!("(Thửa thứ {n} trong các thửa cùng số này)"),
                        Lang::En => format!("(Parcel {n} of those sharing this number)"),
                    }),
                );
            }
            respond(StatusCode::OK, &doc, &frame, format, &base)
        }
    }
}

/// Whether a response is a finished text page (see [`OwnBody`]).
pub fn is_own_body(r: &Response) -> bool {
    r.extensions().get::<OwnBody>().is_some()
}

/// Bytes budget of every page, re-exported for tests.
pub const MAX_PAGE_BYTES: usize = MAX_REPORT_BYTES;
