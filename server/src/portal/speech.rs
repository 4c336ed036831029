//! Speech for people who cannot read the page: `POST /api/v1/speech` (text as a voice
//! should say it, the normaliser the web's read-aloud uses) and the parcel report as audio
//! (`GET /api/v1/parcels/{commune}/{sheet}/{parcel}/report.mp3` and `.ogg`).
//!
//! Synthesis takes a CPU core for a second or two: at most [`MAX_SYNTHESES`] run at once
//! (more are answered 503 with `Retry-After`), and each audio is kept in a small cache keyed
//! by the data version, the parcel, the language and the format.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use quyhoach_data::speech::speakable;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

use super::announce::audio::{synthesize, Format};
use super::announce::RenderError;
use super::twoway::problem;
use super::PortalState;
use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::error::Problem;
use crate::params::{NoParams, Params, Query};
use crate::text::{document_line, is_binding, site_title, Lang};

/// Largest body of `POST /api/v1/speech`: a parcel report read aloud is 1–5 KB; the rest is
/// someone trying to make the server work for nothing.
pub const MAX_SPEECH_BODY_BYTES: usize = 16 * 1024;
/// Syntheses running at once: each takes a core for a second or two (2-core servers keep
/// one for lookups).
pub const MAX_SYNTHESES: usize = 2;
/// Seconds a client is asked to wait when every synthesis slot is taken.
pub const RETRY_AFTER_SECS: u64 = 5;
/// Report audios kept (a few hundred KB each): the parcels being shared right now.
const AUDIO_CACHE_ENTRIES: u64 = 64;

/// The routes of speech.
pub fn routes() -> Routes {
    vec![
        ("/api/v1/speech", &["post"], post(normalise)),
        (
            "/api/v1/parcels/{commune}/{sheet}/{parcel}/report.mp3",
            &["get"],
            get(
                |st: State<PortalState>,
                 path: Path<(String, String, String)>,
                 q: Query<AudioQuery>| { report_audio(st, path, q, Format::Mp3) },
            ),
        ),
        (
            "/api/v1/parcels/{commune}/{sheet}/{parcel}/report.ogg",
            &["get"],
            get(
                |st: State<PortalState>,
                 path: Path<(String, String, String)>,
                 q: Query<AudioQuery>| { report_audio(st, path, q, Format::Ogg) },
            ),
        ),
    ]
}

/// Land-use codes and their names in `lang`, from the code table.
fn code_table(vi: bool) -> &'static [(&'static str, &'static str)] {
    static VI: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    static EN: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    let make = |vi: bool| {
        quyhoach_data::landuse::codes()
            .iter()
            .map(|c| {
                let name = if vi { &c.name_vi } else { &c.name_en };
                (c.code.as_str(), name.as_str())
            })
            .collect()
    };
    if vi {
        VI.get_or_init(|| make(true))
    } else {
        EN.get_or_init(|| make(false))
    }
}

/// A language of speech: `vi` or `en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum SpeechLang {
    // Tiếng Việt (the default). (Plain comments: a variant's doc comment would make the
    // schema a `oneOf` of one-value enums.)
    Vi,
    // English.
    En,
}

impl From<SpeechLang> for Lang {
    fn from(l: SpeechLang) -> Lang {
        match l {
            SpeechLang::Vi => Lang::Vi,
            SpeechLang::En => Lang::En,
        }
    }
}

/// The body of `POST /api/v1/speech` (at most 16 KB).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = json!({"text": "Quyết định 2341/QĐ-UBND ngày 12/10/2023, tỷ lệ 1/2000, ODT 60,5%", "lang": "vi"}))]
pub struct SpeechBody {
    /// The text to say, as the page shows it (the body is at most 16 KB)
    pub text: String,
    /// Its language: `vi` (the default) or `en`
    #[serde(default)]
    #[schemars(extend("default" = "vi"))]
    pub lang: Option<SpeechLang>,
}

/// The answer of `POST /api/v1/speech`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SpokenText {
    /// The text as a voice should say it: numbers, dates, document numbers, land-use codes,
    /// scales and units in words.
    pub text: String,
}

/// The query of the report audio.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AudioQuery {
    /// Which of several parcels with the same number (1-based), see the 409 answer
    #[schemars(range(min = 1, max = 1000))]
    pub n: Option<i64>,
    /// Language of the voice: `vi` (the default) or `en`
    #[schemars(extend("default" = "vi"))]
    pub lang: Option<SpeechLang>,
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// `POST /api/v1/speech` `{"text", "lang"}` → `{"text"}`: the text as a voice should say
/// it (`quyhoach_data::speech::speakable`, with the store's land-use code table).
async fn normalise(_: Query<NoParams>, headers: HeaderMap, body: Bytes) -> Response {
    if !is_json(&headers) {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send JSON (Content-Type: application/json): {\"text\": \"…\", \"lang\": \"vi\" or \"en\"}",
        );
    }
    if body.len() > MAX_SPEECH_BODY_BYTES {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the body is {} bytes; at most {MAX_SPEECH_BODY_BYTES} are taken",
                body.len()
            ),
        );
    }
    let req: SpeechBody = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("the body must be {{\"text\": string, \"lang\": \"vi\" or \"en\"}}: {e}"),
            )
        }
    };
    let lang = Lang::from(req.lang.unwrap_or(SpeechLang::Vi));
    let vi = lang == Lang::Vi;
    // Linear in the text (16 KB at most): no need for the blocking pool.
    let text = speakable(&req.text, lang.code(), code_table(vi));
    let mut resp = axum::Json(SpokenText { text }).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The words of a parcel report as its audio says them: the parcel and its area, the
/// answer, each plan (name, whether it binds, its document, its verdict), the legal notice.
pub fn report_words(r: &Value, lang: Lang) -> String {
    let vi = lang == Lang::Vi;
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let mut parts: Vec<String> = Vec::new();
    let site = r.get("site").cloned().unwrap_or(Value::Null);
    let mut label = site_title(&site, lang);
    // The commune's code after its name is for clerks, not listeners.
    if let Some(code) = site.get("commune_code").and_then(Value::as_str) {
        label = label.replace(&format!(" ({code})"), "");
    }
    if let Some(a) = site.get("area_m2").and_then(Value::as_f64) {
        let a = (a * 10.0).round() / 10.0;
        label.push_str(&if vi {
            format!(", diện tích {} m²", format!("{a}").replace('.', ","))
        } else {
            format!(", area {a} m²")
        });
    }
    parts.push(format!("{label}."));
    if let Some(sum) = s(r, lang.t("summary_vi", "summary_en")) {
        parts.push(end_sentence(&sum));
    }
    for pr in r
        .get("plans")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let plan = pr.get("plan").cloned().unwrap_or(Value::Null);
        let name = s(&plan, "name").unwrap_or_default();
        let binding = is_binding(pr, &plan);
        let status = match (binding, s(&plan, "status").as_deref(), vi) {
            (true, _, true) => "có giá trị pháp lý",
            (true, _, false) => "binding",
            (false, Some("expired"), true) => "đã hết hiệu lực",
            (false, Some("expired"), false) => "expired",
            (false, _, true) => "dự thảo, chưa có giá trị pháp lý",
            (false, _, false) => "a draft with no legal force",
        };
        parts.push(format!("{name}, {status}."));
        if let Some(doc) = document_line(&plan, pr.get("document"), lang) {
            let doc = doc.replace(" (Vietnamese name)", "");
            parts.push(end_sentence(&doc));
        }
        if let Some(v) = pr.get("verdict").and_then(|v| s(v, lang.t("vi", "en"))) {
            parts.push(end_sentence(&format!(
                "{} {v}",
                lang.t("Kết luận:", "Verdict:")
            )));
        }
    }
    if let Some(d) = s(r, lang.t("disclaimer_vi", "disclaimer_en")) {
        parts.push(end_sentence(&d));
    }
    let codes = code_table(vi);
    parts
        .iter()
        .map(|p| speakable(p, lang.code(), codes))
        .collect::<Vec<_>>()
        .join("\n")
}

fn end_sentence(s: &str) -> String {
    let t = s.trim();
    if t.ends_with(['.', '!', '?']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

fn audio_cache() -> &'static moka::future::Cache<String, Arc<Vec<u8>>> {
    static C: OnceLock<moka::future::Cache<String, Arc<Vec<u8>>>> = OnceLock::new();
    C.get_or_init(|| moka::future::Cache::new(AUDIO_CACHE_ENTRIES))
}

fn synthesis_slots() -> &'static Arc<Semaphore> {
    static S: OnceLock<Arc<Semaphore>> = OnceLock::new();
    S.get_or_init(|| Arc::new(Semaphore::new(MAX_SYNTHESES)))
}

/// `GET /api/v1/parcels/{commune}/{sheet}/{parcel}/report.mp3|.ogg` (`?lang=en`, `?n=`):
/// the parcel's report read aloud.
async fn report_audio(
    State(st): State<PortalState>,
    Path(path): Path<(String, String, String)>,
    Query(q): Query<AudioQuery>,
    format: Format,
) -> Response {
    match report_audio_inner(st, path, q, format).await {
        Ok(r) => r,
        Err(r) => r,
    }
}

async fn report_audio_inner(
    st: PortalState,
    path: (String, String, String),
    q: AudioQuery,
    format: Format,
) -> Result<Response, Response> {
    let lang = Lang::from(q.lang.unwrap_or(SpeechLang::Vi));
    let n = q.n;
    let key = format!(
        "{}|{}/{}/{}|{}|{}|{}",
        st.etag,
        path.0,
        path.1,
        path.2,
        n.unwrap_or(0),
        lang.code(),
        format.extension()
    );
    let file = format!(
        "bao-cao-{}-{}-{}.{}",
        sanitize(&path.0),
        sanitize(&path.1),
        sanitize(&path.2),
        format.extension()
    );
    if let Some(bytes) = audio_cache().get(&key).await {
        return Ok(audio_response(bytes, format, &file));
    }
    // The slot is taken before any work: a flood of requests for uncached parcels costs
    // one report and one synthesis per slot, the rest are told to come back.
    let Ok(_permit) = synthesis_slots().clone().try_acquire_owned() else {
        let mut r = problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is already reading other reports aloud; try again in a few seconds",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        return Err(r);
    };
    let pairs: Vec<(String, String)> = n
        .map(|n| vec![("n".into(), n.to_string())])
        .unwrap_or_default();
    let report = crate::api::parcel_report_value(&st.api(), path, &Params::from_pairs(pairs))
        .await
        .map_err(IntoResponse::into_response)?;
    let words = report_words(&report, lang);
    let bytes = tokio::task::spawn_blocking(move || synthesize(&words, lang.code(), format))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "report audio task failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; it has been logged",
            )
        })?
        .map_err(|e| match e {
            RenderError::Missing(m) => {
                tracing::error!(detail = %m, "report audio: a tool is missing");
                problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "this server cannot make audio (a speech tool is not installed)",
                )
            }
            RenderError::Failed(m) => {
                tracing::error!(detail = %m, "report audio failed");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; it has been logged",
                )
            }
        })?;
    let bytes = Arc::new(bytes);
    audio_cache().insert(key, bytes.clone()).await;
    Ok(audio_response(bytes, format, &file))
}

/// Letters, digits and dashes of a path part, for a download's file name.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect()
}

fn audio_response(bytes: Arc<Vec<u8>>, format: Format, file: &str) -> Response {
    let mut r = (StatusCode::OK, bytes.as_ref().clone()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(crate::CACHE_CONTROL),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// Their OpenAPI paths.
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    let tag = "Speech";
    let mut m = Map::new();
    let speech = Op::new(
        "Text as a voice should say it: every number, date, document number, land-use code, scale and unit in words (Vietnamese), or documents, codes and units in words (English); what the web's read-aloud reads",
        tag,
    )
    .query::<NoParams>()
    .body::<SpeechBody>(sc, "The text and its language (at most 16 KB)", true)
    .json::<SpokenText>(sc, "200", "The spoken text")
    .problems(&["400", "413", "415"]);
    m.insert("/api/v1/speech".into(), json!({"post": speech.done()}));
    let problem = sc.out::<Problem>();
    for (ext, media) in [("mp3", "audio/mpeg"), ("ogg", "audio/ogg")] {
        let audio = Op::new(
            &format!("The parcel's planning report read aloud ({ext}): the parcel, the answer, each plan's document and verdict, the legal notice; espeak-ng's voice"),
            tag,
        )
        .parcel_path()
        .query::<AudioQuery>()
        .media("200", "The audio", media, json!({"type": "string", "format": "binary"}))
        .problems(&["400", "404", "409", "500"])
        .media(
            "503",
            "Every synthesis slot is busy (with Retry-After), no speech tool is installed, or the report took too long",
            crate::error::PROBLEM_JSON,
            problem.clone(),
        );
        m.insert(
            format!("/api/v1/parcels/{{commune}}/{{sheet}}/{{parcel}}/report.{ext}"),
            json!({"get": audio.done()}),
        );
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_said_in_words() {
        let r = json!({
            "site": {"sheet": 1, "parcel": 312, "commune_code": "31150", "commune_name": "thị trấn Vĩnh Thanh", "area_m2": 91.89},
            "summary_vi": "Thửa đất bị ảnh hưởng: quy hoạch phân khu 1/2000 chuyển 39,5% sang đất công trình giao thông (DGT) (2341/QĐ-UBND).",
            "disclaimer_vi": "Thông tin chỉ mang tính tham khảo.",
            "plans": [{"binding": true, "plan": {"name": "Quy hoạch phân khu tỷ lệ 1/2000", "status": "in_force",
                "decision": {"number": "2341/QĐ-UBND", "date": "2023-10-12", "authority": "UBND tỉnh Kiên Giang"}},
                "verdict": {"vi": "giữ đất ở tại đô thị (ODT) 60,5%"}}],
        });
        let w = report_words(&r, Lang::Vi);
        assert!(
            w.starts_with("Thửa đất số ba trăm mười hai, tờ bản đồ số một, thị trấn Vĩnh Thanh"),
            "{w}"
        );
        assert!(
            w.contains("diện tích chín mươi mốt phẩy chín mét vuông"),
            "{w}"
        );
        assert!(w.contains("Quyết định số hai nghìn ba trăm bốn mươi mốt ngày mười hai tháng mười năm hai nghìn không trăm hai mươi ba của Ủy ban nhân dân tỉnh Kiên Giang"), "{w}");
        assert!(
            w.contains("Kết luận: giữ đất ở tại đô thị sáu mươi phẩy năm phần trăm."),
            "{w}"
        );
        assert!(!w.bytes().any(|b| b.is_ascii_digit()), "{w}");
    }
}
