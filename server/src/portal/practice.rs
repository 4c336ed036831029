//! The practice import of the data-preparation lesson: a trainee uploads a small file and
//! reads the report of the real import, run where it cannot hurt the server.
//!
//! - `POST /api/v1/practice/import?kind=parcels&srs=…&encoding=auto&map=TARGET=SOURCE…`:
//!   the body (a zipped Shapefile, GeoJSON or GeoPackage, at most
//!   [`crate::MAX_BODY_BYTES`]) goes to a fenced child process (`quyhoach __practice-import`,
//!   see [`crate::upload`]: resource limits, no sockets, no exec, Landlock, its own directory)
//!   that unpacks it with the site reader's own unzip and caps and runs the real import
//!   ([`quyhoach_data::import::import`]) into a throwaway store inside that directory, with
//!   only the one GDAL driver of the file's format allowed. The directory, store included, is
//!   removed on every path; nothing reaches the served store. At most
//!   [`crate::upload::MAX_CONCURRENT_PRACTICE`] run at once; more wait
//!   [`crate::upload::PRACTICE_QUEUE_WAIT`], then get 503 with `Retry-After`. The answer is
//!   the import report (what `quyhoach import --report` writes) and a short summary in
//!   Vietnamese and English. The operator turns it off with `--no-practice-import`: 404.
//! - `GET /api/v1/practice/samples/{name}`: the lesson's sample files, generated from the
//!   store's own parcels ([`quyhoach_data::practice`]), the same bytes for one data version.
//! - [`facts`]: what the lesson asks about the samples, found by importing them for real.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use quyhoach_data::lookup::Store;
use quyhoach_data::practice::{Sample, SAMPLE_NAMES, TCVN3_SAMPLE, VNI_SAMPLE};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

use super::PortalState;
use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::error::{problem, AppError};
use crate::params::{NoParams, Params, MAX_PARAM_BYTES};
use crate::text::Lang;
use crate::upload::{PracticeFailure, PracticeParams, PRACTICE_RETRY_AFTER};

/// The import's path.
pub const IMPORT_PATH: &str = "/api/v1/practice/import";
/// The samples' path.
pub const SAMPLES_PATH: &str = "/api/v1/practice/samples/{name}";

/// This module's routes.
pub fn routes() -> Routes {
    vec![
        (IMPORT_PATH, &["post"], post(import)),
        (SAMPLES_PATH, &["get"], get(sample)),
    ]
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    let tag = "Learn";
    let binary = json!({"type": "string", "format": "binary"});
    let mut m = Map::new();
    let mut import = Op::new(
        "The practice import of the data-preparation lesson: the real import of a small file into a throwaway store, in a sandboxed process; answers the import report",
        tag,
    )
    .query::<PracticeQuery>()
    .body_content(
        "The file: a zipped Shapefile (.shp, .shx, .dbf, optional .prj/.cpg), GeoJSON or GeoPackage, at most 2 MB",
        json!({
            "application/zip": {"schema": binary},
            "application/geo+json": {"schema": {"type": "object"}},
            "application/geopackage+sqlite3": {"schema": binary},
            "application/octet-stream": {"schema": binary},
        }),
    )
    .json::<PracticeReport>(
        sc,
        "200",
        "The import report (features read, written, repaired and rejected with reasons, the encoding detected, the SRS, the field mapping, personal-data fields left out, warnings) and summary.vi / summary.en",
    )
    .problems(&["400", "404", "413", "422", "500", "503"])
    .done();
    import["description"] = json!("The body is the file: a zipped Shapefile (.shp, .shx, .dbf, optional .prj/.cpg), GeoJSON or GeoPackage, at most 2 MB (zip members are unpacked by the server within caps; no VRT, CSV or other formats). Nothing of the upload reaches the served data; it and the throwaway store are deleted after the import. Turned off on servers started with --no-practice-import (404). A 503 (other trainees' imports running) carries Retry-After.");
    m.insert(IMPORT_PATH.into(), json!({"post": import}));
    let mut sample = Op::new(
        "A sample file of the data-preparation lesson, generated from this server's own parcels (the same bytes for one data version)",
        tag,
    )
    .path(
        "name",
        "The sample's file name",
        json!({"type": "string", "enum": SAMPLE_NAMES}),
    )
    .query::<NoParams>()
    .media("200", "The zip", "application/zip", binary)
    .problems(&["400", "404", "500"])
    .done();
    sample["description"] = json!("thua-dat-tcvn3.zip: a zipped Shapefile of 20 parcels in VN-2000 TM-3 of the store's province, no .prj, texts in TCVN3, an owner's-name field (personal data) and one self-intersecting parcel. thua-dat-vni.zip: the same parcels with a .prj, texts in VNI and field names that need map=sheet=TO_SO and map=parcel=SO_HIEU. The owners' names and phone numbers are made up.");
    m.insert(SAMPLES_PATH.into(), json!({"get": sample}));
    m
}

/// The samples and facts of one data version, made once.
struct Cached {
    key: String,
    samples: Arc<Vec<Sample>>,
    facts: Option<BTreeMap<String, Value>>,
}

fn cache() -> &'static Mutex<Option<Cached>> {
    static CACHE: Mutex<Option<Cached>> = Mutex::new(None);
    &CACHE
}

/// What the samples are made from: the store and its parcels layers' contents.
fn data_key(index: &dyn Store) -> String {
    let mut key = index.location();
    for id in index.layer_ids() {
        if let Some(e) = index.layer_entry(id) {
            if e.kind == quyhoach_data::schema::Kind::Parcels {
                key.push(' ');
                key.push_str(&e.sha256);
            }
        }
    }
    key
}

/// The samples of this data (made on first use, then kept until the data changes).
pub fn samples(index: &dyn Store) -> Result<Arc<Vec<Sample>>, String> {
    let key = data_key(index);
    if let Ok(c) = cache().lock() {
        if let Some(c) = c.as_ref().filter(|c| c.key == key) {
            return Ok(c.samples.clone());
        }
    }
    // One maker at a time: a burst of first requests waits for one set of files.
    static MAKING: Mutex<()> = Mutex::new(());
    let _making = MAKING.lock();
    if let Ok(c) = cache().lock() {
        if let Some(c) = c.as_ref().filter(|c| c.key == key) {
            return Ok(c.samples.clone());
        }
    }
    let made = Arc::new(quyhoach_data::practice::samples(index).map_err(|e| e.to_string())?);
    if let Ok(mut c) = cache().lock() {
        *c = Some(Cached {
            key,
            samples: made.clone(),
            facts: None,
        });
    }
    Ok(made)
}

/// Facts about the practice sample files that lessons ask about (name → value), found by
/// importing each sample for real (in this process: the files are our own) with the
/// parameters it is meant for:
/// - `sample.*` for `thua-dat-tcvn3.zip`: `file`, `srs` (the `srs` to give), `srs_province`
///   (the province's name), `meridian`, `read`, `features` (written), `repaired`,
///   `rejected`, `encoding` (as the import detected it: `tcvn3`), `personal_fields` (how many
///   fields the import left out as personal data), `personal_field` (the first one's name);
/// - `mapping.*` for `thua-dat-vni.zip`: the same counts and `encoding` (`vni`), `srs`
///   (`prj`), `sheet_field` and `parcel_field` (the file's fields the import mapped to the
///   sheet and the parcel number).
///
/// Empty when the store has no parcels to make samples of, or an import failed (logged):
/// the lesson is then unavailable. Called once per data version from the lesson generator
/// (on a blocking thread); kept until the data changes.
pub fn facts(index: &dyn Store) -> BTreeMap<String, Value> {
    let key = data_key(index);
    if let Ok(c) = cache().lock() {
        if let Some(f) = c
            .as_ref()
            .filter(|c| c.key == key)
            .and_then(|c| c.facts.clone())
        {
            return f;
        }
    }
    let made = match samples(index).and_then(|s| facts_of(&s)) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!("practice samples: {e}");
            return BTreeMap::new();
        }
    };
    if let Ok(mut c) = cache().lock() {
        if let Some(c) = c.as_mut().filter(|c| c.key == key) {
            c.facts = Some(made.clone());
        }
    }
    made
}

/// Imports a sample as a trainee would, with its intended parameters.
pub fn import_sample(s: &Sample) -> Result<quyhoach_data::import::ImportReport, String> {
    let dir = tempfile::Builder::new()
        .prefix("quyhoach-practice-facts-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let upload = dir.path().join("upload");
    std::fs::create_dir(&upload).map_err(|e| e.to_string())?;
    let written =
        quyhoach_data::site::write_upload(&upload, &s.bytes).map_err(|e| e.to_string())?;
    let params = PracticeParams {
        kind: "parcels".into(),
        srs: s.srs.clone(),
        encoding: "auto".into(),
        mappings: s.mappings.clone(),
        profile: "auto".into(),
        layer: None,
    };
    let opts = params.options(&written.path, &dir.path().join("store"), written.driver)?;
    quyhoach_data::import::import(&opts).map_err(|e| format!("{}: {e}", s.name))
}

fn facts_of(samples: &[Sample]) -> Result<BTreeMap<String, Value>, String> {
    let mut f = BTreeMap::new();
    for s in samples {
        let prefix = match s.name {
            TCVN3_SAMPLE => "sample",
            VNI_SAMPLE => "mapping",
            _ => continue,
        };
        let r = import_sample(s)?;
        let mut put = |k: &str, v: Value| {
            f.insert(format!("{prefix}.{k}"), v);
        };
        put("file", json!(s.name));
        put("srs", json!(s.srs));
        put("read", json!(r.read));
        put("features", json!(r.written));
        put("repaired", json!(r.repaired_count));
        put("rejected", json!(r.rejected_count));
        put("encoding", json!(r.encoding));
        put("personal_fields", json!(r.personal_fields_dropped.len()));
        if let Some(p) = r.personal_fields_dropped.first() {
            put("personal_field", json!(p));
        }
        if prefix == "sample" {
            put("srs_province", json!(s.province.name_vi));
            put("meridian", json!(s.province.meridian));
        } else {
            for (target, k) in [("sheet", "sheet_field"), ("parcel", "parcel_field")] {
                if let Some(src) = r.field_map.get(target) {
                    put(k, json!(src));
                }
            }
        }
    }
    Ok(f)
}

/// `GET /api/v1/practice/samples/{name}`.
async fn sample(
    State(st): State<PortalState>,
    UrlPath(name): UrlPath<String>,
    q: Params,
) -> Response {
    if let Err(e) = q.parse::<NoParams>() {
        return e.into_response();
    }
    if !SAMPLE_NAMES.contains(&name.as_str()) {
        return AppError::not_found(format!(
            "no practice sample '{}'; samples: {}",
            crate::params::clip(&name),
            SAMPLE_NAMES.join(", ")
        ))
        .into_response();
    }
    let index = st.index.clone();
    let made = tokio::task::spawn_blocking(move || samples(&*index)).await;
    let all = match made {
        Ok(Ok(s)) => s,
        Ok(Err(e)) if e.contains("no parcels") => {
            return AppError::not_found(format!(
                "this server's data has no parcels to make practice samples of ({e})"
            ))
            .into_response()
        }
        Ok(Err(e)) => return AppError::Internal(format!("practice samples: {e}")).into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let Some(s) = all.iter().find(|s| s.name == name) else {
        return AppError::not_found("no such practice sample").into_response();
    };
    let mut resp = (StatusCode::OK, s.bytes.clone()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", s.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The query of the practice import.
#[derive(Deserialize, JsonSchema)]
pub struct PracticeQuery {
    /// What the file holds: parcels, boundaries or roads
    #[schemars(extend("enum" = ["parcels", "boundaries", "roads"], "default" = "parcels"))]
    kind: Option<String>,
    /// The file's reference system, as quyhoach import --srs: vn2000:<province>,
    /// vn2000:tm3:<meridian>, vn2000:utm48|utm49, EPSG:<code> or prj (the file's own .prj)
    #[schemars(extend("default" = "prj", "example" = "vn2000:kien-giang"))]
    srs: Option<String>,
    /// Text encoding of the attributes: auto (detected), utf8, tcvn3, vni, cp1258, latin1
    #[schemars(extend("default" = "auto"))]
    encoding: Option<String>,
    /// Field mappings TARGET=SOURCE (schema field = the file's field), comma-separated; the
    /// parameter may also be repeated
    #[serde(default, deserialize_with = "mappings")]
    #[schemars(with = "Option<Vec<String>>")]
    map: Vec<(String, String)>,
    /// Field-name profile: auto, cadastral, tt16-2025, generic
    #[schemars(extend("default" = "auto"))]
    profile: Option<String>,
    /// The layer to read when the file has several (a GeoPackage)
    layer: Option<String>,
    /// Language of error details: en for English, anything else Vietnamese
    #[schemars(extend("default" = "vi"))]
    lang: Option<String>,
}

/// `map`: TARGET=SOURCE pairs separated by commas (empty ones skipped).
fn mappings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    let text = String::deserialize(d)?;
    let mut out = Vec::new();
    for m in text.split(',').filter(|m| !m.trim().is_empty()) {
        let Some((t, s)) = m.split_once('=') else {
            return Err(serde::de::Error::custom(format!(
                "parameter 'map' takes TARGET=SOURCE, e.g. map=sheet=TO_SO; got map={}",
                crate::params::clip(m)
            )));
        };
        out.push((t.trim().to_string(), s.trim().to_string()));
    }
    Ok(out)
}

/// The practice import's answer: the import report, as `quyhoach import --report` writes
/// it (`layer`, `kind`, `driver`, `srs`, `encoding`, `encoding_detected`, `read`,
/// `written`, `repaired_count`, `rejected_count`, `repaired` and `rejected` (the first
/// features with their reasons), `field_map`, `fields_ignored`, `personal_fields_dropped`,
/// `warnings`, `bounds`, …), and its `summary`.
#[derive(Serialize, JsonSchema)]
pub struct PracticeReport {
    /// The import report's members.
    #[serde(flatten)]
    pub report: Map<String, Value>,
    /// The report in a few plain sentences.
    pub summary: PracticeSummary,
}

/// A practice import's report in a few plain sentences.
#[derive(Serialize, JsonSchema)]
pub struct PracticeSummary {
    /// In Vietnamese.
    pub vi: String,
    /// In English.
    pub en: String,
}

/// Reads the import's query into [`PracticeQuery`]: each parameter at most once but `map`,
/// whose values are joined; none over [`MAX_PARAM_BYTES`].
fn read_query(uri: &Uri) -> Result<(PracticeParams, Lang), AppError> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|e| AppError::bad(format!("malformed query string: {e}")))?;
    if let Some((k, _)) = pairs.iter().find(|(_, v)| v.len() > MAX_PARAM_BYTES) {
        return Err(AppError::bad(format!(
            "parameter '{}' is longer than {MAX_PARAM_BYTES} bytes",
            crate::params::clip(k)
        )));
    }
    let (maps, mut pairs): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(k, _)| k == "map");
    if !maps.is_empty() {
        let joined: Vec<String> = maps.into_iter().map(|(_, v)| v).collect();
        pairs.push(("map".into(), joined.join(",")));
    }
    let q: PracticeQuery = Params::from_pairs(pairs).parse()?;
    let text =
        |v: Option<String>, default: &str| v.as_deref().map_or(default, str::trim).to_string();
    let params = PracticeParams {
        kind: text(q.kind, "parcels"),
        srs: text(q.srs, "prj"),
        encoding: text(q.encoding, "auto"),
        mappings: q.map,
        profile: text(q.profile, "auto"),
        layer: q
            .layer
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty()),
    };
    // The child checks them again; here a bad one costs no process.
    params
        .options(
            std::path::Path::new("x"),
            std::path::Path::new("x"),
            "GeoJSON",
        )
        .map_err(AppError::BadRequest)?;
    Ok((params, Lang::from_param(q.lang.as_deref())))
}

/// `POST /api/v1/practice/import`.
async fn import(State(st): State<PortalState>, uri: Uri, body: Bytes) -> Response {
    let lang_hint = Lang::from_param(
        Query::<Vec<(String, String)>>::try_from_uri(&uri)
            .ok()
            .and_then(|Query(p)| p.into_iter().find(|(k, _)| k == "lang").map(|(_, v)| v))
            .as_deref(),
    );
    if !st.portal.practice_import {
        let vi = "Máy chủ này đã tắt phần thực hành nhập dữ liệu.";
        let en = "the practice import is turned off on this server";
        return problem(
            StatusCode::NOT_FOUND,
            if lang_hint == Lang::En { en } else { vi },
            Some(("messages", json!({"vi": vi, "en": en}))),
        );
    }
    let (params, lang) = match read_query(&uri) {
        Ok(p) => p,
        Err(e) => return with_hint(e, lang_hint),
    };
    if body.is_empty() {
        return with_hint(
            AppError::bad(
                "the body is empty: send the file's bytes (a zipped Shapefile, GeoJSON or GeoPackage)",
            ),
            lang,
        );
    }
    match crate::upload::practice_import(&st.uploads, &body, &params).await {
        Ok(report) => {
            let Value::Object(report) = report else {
                return AppError::Internal("the practice import's report is not an object".into())
                    .into_response();
            };
            let summary = summarise(&report);
            let mut resp = axum::Json(PracticeReport { report, summary }).into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(PracticeFailure::Busy) => {
            let mut resp = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "other trainees' files are being imported; try again in a few seconds",
                Some((
                    "messages",
                    json!({"vi": "Máy chủ đang nhập tệp của học viên khác; thử lại sau vài giây.",
                           "en": "other trainees' files are being imported; try again in a few seconds"}),
                )),
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(PRACTICE_RETRY_AFTER));
            resp
        }
        Err(PracticeFailure::Failed(e)) => with_hint(e, lang),
    }
}

/// A problem answer with, for the mistakes the lesson is about, a hint in both languages.
fn with_hint(e: AppError, lang: Lang) -> Response {
    let detail = e.to_string();
    let hint: Option<(&str, &str)> = if matches!(e, AppError::Internal(_)) {
        None
    } else if detail.contains(".prj missing") {
        Some((
            "Tệp không có .prj: hãy chọn hệ tọa độ, ví dụ srs=vn2000:<tỉnh> (VN-2000, múi 3° của tỉnh).",
            "The file has no .prj: choose its reference system, e.g. srs=vn2000:<province> (VN-2000, the province's 3° zone).",
        ))
    } else if detail.contains("does not fall in Vietnam") || detail.contains("outside Vietnam") {
        Some((
            "Với hệ tọa độ đã chọn, dữ liệu không nằm ở Việt Nam: kiểm tra tỉnh (kinh tuyến trục) hoặc múi chiếu.",
            "With this reference system the data does not lie in Vietnam: check the province (central meridian) or the zone.",
        ))
    } else if detail.contains("personal data") {
        Some((
            "Trường này là dữ liệu cá nhân (tên chủ, số giấy tờ, điện thoại): không được đưa vào trường công khai.",
            "That field is personal data (owners' names, ID numbers, phones): it cannot feed a public field.",
        ))
    } else if detail.contains("no field for") || detail.contains("map=") {
        Some((
            "Có trường bắt buộc chưa được ghép: thêm map=TRƯỜNG_ĐÍCH=TRƯỜNG_NGUỒN, ví dụ map=sheet=TO_SO.",
            "A required field is not matched: add map=TARGET=SOURCE, e.g. map=sheet=TO_SO.",
        ))
    } else {
        None
    };
    match hint {
        None => e.into_response(),
        Some((vi, en)) => {
            let status = e.status();
            let mut resp = problem(
                status,
                &detail,
                Some(("hint", json!({"vi": vi, "en": en, "lang": lang.code()}))),
            );
            if let Ok(v) = HeaderValue::from_str(lang.code()) {
                resp.headers_mut().insert(header::CONTENT_LANGUAGE, v);
            }
            resp
        }
    }
}

/// An encoding's name as people know it.
fn encoding_name(code: &str) -> &str {
    match code {
        "tcvn3" => "TCVN3 (ABC)",
        "vni" => "VNI",
        "utf8" => "UTF-8 (Unicode)",
        "cp1258" => "Windows-1258",
        "latin1" => "Latin-1",
        other => other,
    }
}

/// The report in a few plain sentences, Vietnamese and English.
fn summarise(r: &Map<String, Value>) -> PracticeSummary {
    let n = |k: &str| r.get(k).and_then(Value::as_u64).unwrap_or(0);
    let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
    let list = |k: &str| -> Vec<String> {
        r.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let detected = r
        .get("encoding_detected")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let enc = encoding_name(s("encoding"));
    let mapped: Vec<String> = r
        .get("field_map")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(t, v)| v.as_str().map(|v| format!("{t} ← {v}")))
                .collect()
        })
        .unwrap_or_default();
    let personal = list("personal_fields_dropped");
    let warnings = list("warnings").len();
    let mut vi = format!(
        "Đã đọc {} đối tượng, ghi {}; sửa {} hình học lỗi, loại bỏ {}. Bảng mã chữ: {enc}{}. Hệ tọa độ: {}.",
        n("read"),
        n("written"),
        n("repaired_count"),
        n("rejected_count"),
        if detected { " (tự nhận ra)" } else { " (theo tham số)" },
        s("srs"),
    );
    let mut en = format!(
        "Read {} features, wrote {}; {} invalid geometries repaired, {} rejected. Text encoding: {enc}{}. Reference system: {}.",
        n("read"),
        n("written"),
        n("repaired_count"),
        n("rejected_count"),
        if detected { " (detected)" } else { " (as given)" },
        s("srs"),
    );
    if !mapped.is_empty() {
        vi += &format!(" Ghép trường: {}.", mapped.join(", "));
        en += &format!(" Fields: {}.", mapped.join(", "));
    }
    if !personal.is_empty() {
        vi += &format!(
            " Trường dữ liệu cá nhân không được nhập: {}.",
            personal.join(", ")
        );
        en += &format!(" Personal data not imported: {}.", personal.join(", "));
    }
    if warnings > 0 {
        vi += &format!(" {warnings} cảnh báo: xem danh sách warnings.");
        en += &format!(" {warnings} warning(s): see warnings.");
    }
    PracticeSummary { vi, en }
}
