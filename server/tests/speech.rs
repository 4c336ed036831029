//! Speech: the notice's spoken words checked word by word (a decision number, a date, an
//! area, a scale and three land-use codes, none left for the voice to spell), its audio
//! decoded by ffprobe and by sox/opusdec with a duration that fits its words, and the speech
//! endpoints (the normaliser, hostile bodies, a parcel report as MP3 and Ogg, the guard on
//! concurrent syntheses).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{demo, get, send, Resp};
use quyhoach_data::index::Index;
use quyhoach_data::speech::is_vietnamese_syllable;
use quyhoach_server::portal::announce::audio::{spoken_text, synthesize, Format};
use quyhoach_server::portal::announce::notice::{build, BuildOptions};
use quyhoach_server::portal::announce::{Notice, NoticeConsultation, NoticeKind};
use serde_json::{json, Value};

fn options(plan: &str) -> BuildOptions {
    BuildOptions {
        plan: plan.into(),
        commune: Some("31150".into()),
        public_url: "https://quyhoach.kiengiang.gov.vn".into(),
        date: "2026-12-02".into(),
        data_version: "W/\"test\"".into(),
        ..Default::default()
    }
}

/// The demo's draft put to consultation, and its plan in force.
fn notices() -> &'static (Notice, Notice) {
    static N: OnceLock<(Notice, Notice)> = OnceLock::new();
    N.get_or_init(|| {
        let index = Index::load(&demo().store).expect("the demo store loads");
        let draft = BuildOptions {
            consultation: Some(NoticeConsultation {
                opens: "2026-12-02".into(),
                closes: "2026-12-31".into(),
            }),
            office_address: Some("số 12 đường Nguyễn Trung Trực".into()),
            office_phone: Some("0297 3 812 345".into()),
            ..options("qhpk-2000-dc")
        };
        (
            build(&index, &draft).expect("the draft's notice"),
            build(&index, &options("qhpk-2000")).expect("the plan's notice"),
        )
    })
}

/// The draft, approved: a decision with its number, date and authority; a scale in the
/// plan's name; three land-use codes changing, with fixed areas.
fn adjustment() -> Notice {
    let mut n = notices().0.clone();
    n.kind = NoticeKind::Adjusted;
    n.consultation = None;
    n.office.phone = None;
    n.plan.name =
        "Điều chỉnh cục bộ quy hoạch phân khu tỷ lệ 1/2000 khu đô thị mới Vĩnh Thanh".into();
    n.plan.binding = true;
    n.plan.status = "in_force".into();
    n.plan.document_number = "1234/QĐ-UBND".into();
    n.plan.document_kind_vi = "Quyết định".into();
    n.plan.document_kind_en = "Decision".into();
    n.plan.document_date = "2026-11-20".into();
    n.plan.authority_vi = "UBND huyện Châu Thành".into();
    let codes = ["TMD", "ODT", "DGD"];
    assert_eq!(
        n.totals
            .iter()
            .map(|t| t.landuse.as_str())
            .collect::<Vec<_>>(),
        codes,
        "the demo draft turns ODT and DGD into TMD"
    );
    for (t, (area, before)) in
        n.totals
            .iter_mut()
            .zip([(11_172.9, 0.0), (0.0, 7_243.2), (0.0, 3_929.7)])
    {
        t.area_m2 = area;
        t.before_m2 = Some(before);
    }
    n.message_vi = Some("Lô đất 345/12 đường Nguyễn Trãi, ô PK2000DC-001, mở cửa từ 7h30.".into());
    n
}

fn words(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_alphanumeric() && c != '-')
        .flat_map(|w| w.split('-'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The whole text: no digit, no land-use code, no abbreviation, no slash, every word a
/// Vietnamese syllable a voice can say.
fn assert_all_sayable(text: &str) {
    assert!(!text.contains('/'), "a slash: {text}");
    let codes: Vec<&str> = quyhoach_data::landuse::codes()
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    for w in words(text) {
        assert!(
            !w.bytes().any(|b| b.is_ascii_digit()),
            "a digit in {w:?}: {text}"
        );
        assert!(!codes.contains(&w), "a land-use code {w:?}: {text}");
        assert!(
            !["QĐ", "UBND", "HĐND", "TTr"].contains(&w),
            "an abbreviation {w:?}: {text}"
        );
        assert!(
            is_vietnamese_syllable(w),
            "not a syllable a voice says: {w:?} in {text}"
        );
    }
}

/// The line of `text` starting with `start`, compared word by word with `expected`.
fn assert_line(text: &str, expected: &str) {
    let first = words(expected)[0];
    let line = text
        .lines()
        .find(|l| l.starts_with(first) && words(l).len() >= 2 && words(l)[1] == words(expected)[1])
        .unwrap_or_else(|| panic!("no line starting {first:?} in\n{text}"));
    let (got, want) = (words(line), words(expected));
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "word {i} of {line:?}; expected {expected:?}");
    }
    assert_eq!(got.len(), want.len(), "{line:?} vs {expected:?}");
}

#[test]
fn the_spoken_notice_says_every_number_code_and_document_in_words() {
    let text = spoken_text(&adjustment(), "vi");
    println!("{text}");
    assert_line(
        &text,
        "Thông báo của Ủy ban nhân dân thị trấn Vĩnh Thanh, về việc công bố điều chỉnh quy hoạch.",
    );
    // The scale.
    assert_line(
        &text,
        "Điều chỉnh cục bộ quy hoạch phân khu tỷ lệ một phần hai nghìn khu đô thị mới Vĩnh Thanh, thị trấn Vĩnh Thanh.",
    );
    // The decision: its number, date and authority.
    assert_line(
        &text,
        "Quy hoạch được phê duyệt theo quyết định số một nghìn hai trăm ba mươi bốn ngày hai mươi \
         tháng mười một năm hai nghìn không trăm hai mươi sáu của Ủy ban nhân dân huyện Châu Thành.",
    );
    // Three land-use codes by their names, and areas as a person says them.
    assert_line(
        &text,
        "Nội dung thay đổi: đất ở tại đô thị bảy nghìn hai trăm bốn mươi ba mét vuông và đất xây \
         dựng cơ sở giáo dục và đào tạo ba nghìn chín trăm ba mươi mét vuông chuyển sang đất \
         thương mại dịch vụ.",
    );
    assert_line(
        &text,
        "Sau điều chỉnh, đất thương mại dịch vụ tăng thêm một phẩy một héc-ta.",
    );
    assert_line(
        &text,
        "Lô đất ba trăm bốn mươi lăm trên mười hai đường Nguyễn Trãi, ô pê ca hai nghìn dê xê \
         không không một, mở cửa từ bảy giờ ba mươi.",
    );
    assert!(
        text.contains("trên trang quy hoach chấm kien giang chấm gờ o vê chấm vê en"),
        "{text}"
    );
    assert!(
        !text.contains("chưa có giá trị pháp lý"),
        "an approved adjustment is not a draft"
    );
    assert_all_sayable(&text);
}

#[test]
fn the_demo_notices_are_sayable_and_a_draft_says_it_has_no_legal_force() {
    let (draft, approved) = notices();
    let d = spoken_text(draft, "vi");
    assert_line(&d, "Đây là dự thảo, chưa có giá trị pháp lý.");
    assert_line(
        &d,
        "Thời gian lấy ý kiến từ ngày hai tháng mười hai năm hai nghìn không trăm hai mươi sáu \
         đến hết ngày ba mươi mốt tháng mười hai năm hai nghìn không trăm hai mươi sáu.",
    );
    assert_line(
        &d,
        "Điện thoại liên hệ: không hai chín bảy ba tám một hai ba bốn năm.",
    );
    assert!(
        d.contains(
            "tờ trình số tám mươi lăm ngày mười tháng ba năm hai nghìn không trăm hai mươi lăm"
        ),
        "{d}"
    );
    assert!(
        !d.contains("quyết định số tám mươi lăm"),
        "a submission is not a decision"
    );
    assert_all_sayable(&d);
    let a = spoken_text(approved, "vi");
    assert!(
        a.contains("Các loại đất chính trong khu vực: đất ở tại đô thị"),
        "{a}"
    );
    assert!(
        !a.contains("đất công trình giao thông"),
        "road corridors are not listed: {a}"
    );
    assert_all_sayable(&a);
    // English keeps digits but says documents, codes and units in words.
    let e = spoken_text(draft, "en");
    assert!(
        e.contains("Submission number 85 dated 10 March 2025"),
        "{e}"
    );
    assert!(e.contains("It is a draft and has no legal force."), "{e}");
    for bad in ["QĐ", "UBND", "m²", "%", "(ODT)", "(TMD)", "https"] {
        assert!(!e.contains(bad), "{bad} in {e}");
    }
}

// ------------------------------------------------------------------------------- audio

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("speech");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// ffprobe's codec, channels and duration of a file.
fn probe(path: &Path) -> (String, String, i64, f64) {
    let v: Value = serde_json::from_str(&run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "format=format_name,duration:stream=codec_name,channels",
            "-of",
            "json",
            path.to_str().unwrap(),
        ],
    ))
    .unwrap();
    let s = &v["streams"][0];
    (
        v["format"]["format_name"].as_str().unwrap().to_string(),
        s["codec_name"].as_str().unwrap().to_string(),
        s["channels"].as_i64().unwrap(),
        v["format"]["duration"].as_str().unwrap().parse().unwrap(),
    )
}

fn soxi_seconds(path: &Path) -> f64 {
    run("soxi", &["-D", path.to_str().unwrap()])
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn the_notice_audio_decodes_with_a_duration_that_fits_its_words() {
    let text = spoken_text(&notices().0, "vi");
    let n = words(&text).len() as f64;
    // Vietnamese at 150 words a minute with pauses: between 1.5 and 3.5 words a second.
    let (lo, hi) = (n / 3.5, n / 1.5);
    println!("{n} words: {lo:.0}–{hi:.0} s");
    let dir = out_dir();
    let ogg = dir.join("notice.ogg");
    let mp3 = dir.join("notice.mp3");
    std::fs::write(&ogg, synthesize(&text, "vi", Format::Ogg).unwrap()).unwrap();
    std::fs::write(&mp3, synthesize(&text, "vi", Format::Mp3).unwrap()).unwrap();
    let (fmt, codec, ch, secs) = probe(&ogg);
    println!(
        "ogg: {fmt} {codec} {ch} ch {secs:.1} s, {} bytes",
        std::fs::metadata(&ogg).unwrap().len()
    );
    assert_eq!((fmt.as_str(), codec.as_str(), ch), ("ogg", "opus", 1));
    assert!((lo..hi).contains(&secs), "{secs} s for {n} words");
    assert!(
        (45.0..=120.0).contains(&secs),
        "a loudspeaker notice is 45–120 s: {secs}"
    );
    let (fmt, codec, ch, secs_mp3) = probe(&mp3);
    println!(
        "mp3: {fmt} {codec} {ch} ch {secs_mp3:.1} s, {} bytes",
        std::fs::metadata(&mp3).unwrap().len()
    );
    assert_eq!((fmt.as_str(), codec.as_str(), ch), ("mp3", "mp3", 1));
    assert!((secs_mp3 - secs).abs() < 1.0, "{secs_mp3} vs {secs}");
    // A second decoder agrees: sox reads the MP3; opusdec decodes the Ogg to WAV for sox.
    let sox_mp3 = soxi_seconds(&mp3);
    assert!(
        (sox_mp3 - secs).abs() < 1.0,
        "sox {sox_mp3} vs ffprobe {secs}"
    );
    let wav = dir.join("notice-decoded.wav");
    run(
        "opusdec",
        &["--quiet", ogg.to_str().unwrap(), wav.to_str().unwrap()],
    );
    let sox_ogg = soxi_seconds(&wav);
    assert!(
        (sox_ogg - secs).abs() < 1.0,
        "opusdec+sox {sox_ogg} vs ffprobe {secs}"
    );
    // Deterministic: the same text gives the same bytes.
    assert_eq!(
        synthesize(&text, "vi", Format::Ogg).unwrap(),
        std::fs::read(&ogg).unwrap()
    );
}

#[test]
fn synthesis_refuses_empty_and_oversized_text() {
    assert!(synthesize("  ", "vi", Format::Mp3).is_err());
    assert!(synthesize(&"a ".repeat(40_000), "vi", Format::Mp3).is_err());
    // Markup in the text is spoken, not obeyed (the text goes to espeak-ng as escaped SSML).
    let b = synthesize("<audio src=\"/etc/passwd\"/> một & hai", "vi", Format::Mp3).unwrap();
    assert!(b.len() > 1000);
}

// ------------------------------------------------------------------------------- HTTP

async fn post_raw(body: impl Into<Body>, content_type: Option<&str>) -> Resp {
    let mut req = Request::post("/api/v1/speech").header(header::HOST, "test.local");
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    send(&demo().state, req.body(body.into()).unwrap()).await
}

#[tokio::test]
async fn the_normaliser_endpoint_and_hostile_bodies() {
    let r = post_raw(
        json!({"text": "Quyết định 2341/QĐ-UBND ngày 12/10/2023, tỷ lệ 1/2000, ODT 60,5%", "lang": "vi"}).to_string(),
        Some("application/json"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["text"],
        "Quyết định số hai nghìn ba trăm bốn mươi mốt của Ủy ban nhân dân ngày mười hai tháng \
         mười năm hai nghìn không trăm hai mươi ba, tỷ lệ một phần hai nghìn, đất ở tại đô thị \
         sáu mươi phẩy năm phần trăm"
    );
    let r = post_raw(
        json!({"text": "keeps ODT 60.5%", "lang": "en"}).to_string(),
        Some("application/json; charset=utf-8"),
    )
    .await;
    assert_eq!(r.json()["text"], "keeps urban residential 60.5 per cent");
    // Hostile: too big, not JSON, wrong shapes, weird Unicode, a million digits.
    let big = json!({"text": "1".repeat(17 * 1024)}).to_string();
    let r = post_raw(big, Some("application/json")).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.content_type(), "application/problem+json");
    let r = post_raw(
        json!({"text": "1".repeat(1_000_000)}).to_string(),
        Some("application/json"),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let r = post_raw("{\"text\":\"a\"}", ct).await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
        assert_eq!(r.content_type(), "application/problem+json");
    }
    for body in [
        "",
        "not json",
        "[]",
        "{\"text\": 5}",
        "{\"text\": \"a\", \"lang\": \"fr\"}",
        "{\"text\": \"a\", \"x\": 1}",
        "{\"lang\": \"vi\"}",
    ] {
        let r = post_raw(body, Some("application/json")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.content_type(), "application/problem+json");
    }
    let weird = "\u{202e}ODT\u{200b}\u{0}\u{301}\u{301}𝟐𝟎𝟐𝟔 ﷽ \u{fffd}".repeat(200);
    let r = post_raw(json!({"text": weird}).to_string(), Some("application/json")).await;
    assert_eq!(r.status, StatusCode::OK);
    let spoken = r.json()["text"].as_str().unwrap().to_string();
    assert!(!spoken.bytes().any(|b| b.is_ascii_digit()), "{spoken}");
    let digits = json!({"text": "9".repeat(15 * 1024)}).to_string();
    let r = post_raw(digits, Some("application/json")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["text"]
        .as_str()
        .unwrap()
        .starts_with("chín chín chín"));
}

/// A parcel of the demo that is alone with its number.
fn demo_parcel() -> String {
    let index = Index::load(&demo().store).unwrap();
    for sheet in 1..5 {
        for parcel in 1..300 {
            if index
                .parcels_by_number("31150", sheet, parcel)
                .unwrap()
                .len()
                == 1
            {
                return format!("31150/{sheet}/{parcel}");
            }
        }
    }
    panic!("no demo parcel");
}

/// Report audio tests share the two synthesis slots: one at a time.
static AUDIO_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_parcel_report_as_audio() {
    let _g = AUDIO_LOCK.lock().await;
    let p = demo_parcel();
    let st = &demo().state;
    for (ext, ct, codec) in [("mp3", "audio/mpeg", "mp3"), ("ogg", "audio/ogg", "opus")] {
        let r = get(st, &format!("/api/v1/parcels/{p}/report.{ext}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.content_type(), ct);
        let f = out_dir().join(format!("report.{ext}"));
        std::fs::write(&f, &r.body).unwrap();
        let (_, c, ch, secs) = probe(&f);
        assert_eq!((c.as_str(), ch), (codec, 1));
        assert!(secs > 10.0, "{secs}");
        // Cached: the same bytes again.
        let again = get(st, &format!("/api/v1/parcels/{p}/report.{ext}")).await;
        assert_eq!(again.body, r.body);
    }
    let en = get(st, &format!("/api/v1/parcels/{p}/report.mp3?lang=en")).await;
    assert_eq!(en.status, StatusCode::OK);
    for (uri, status) in [
        (format!("/api/v1/parcels/{p}/report.mp3?lang=fr"), 400),
        (format!("/api/v1/parcels/{p}/report.mp3?x=1"), 400),
        (
            "/api/v1/parcels/31150/1/99999999/report.mp3".to_string(),
            404,
        ),
        ("/api/v1/parcels/31150/x/1/report.ogg".to_string(), 400),
        ("/api/v1/parcels/31150/1/1/report.wav".to_string(), 404),
    ] {
        let r = get(st, &uri).await;
        assert_eq!(r.status.as_u16(), status, "{uri}: {}", r.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_two_syntheses_at_once() {
    let _g = AUDIO_LOCK.lock().await;
    let index = Index::load(&demo().store).unwrap();
    let mut uris = Vec::new();
    'outer: for commune in ["31153", "31156", "31159"] {
        for sheet in 1..10 {
            for parcel in 1..200 {
                if index
                    .parcels_by_number(commune, sheet, parcel)
                    .unwrap()
                    .len()
                    == 1
                {
                    uris.push(format!(
                        "/api/v1/parcels/{commune}/{sheet}/{parcel}/report.ogg"
                    ));
                    if uris.len() == 8 {
                        break 'outer;
                    }
                }
            }
        }
    }
    assert_eq!(uris.len(), 8, "eight uncached parcels");
    let st = demo().state.clone();
    let tasks: Vec<_> = uris
        .iter()
        .map(|u| {
            let (st, u) = (st.clone(), u.clone());
            tokio::spawn(async move { get(&st, &u).await })
        })
        .collect();
    let mut ok = 0;
    let mut busy = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::OK => ok += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "5");
                busy += 1;
            }
            s => panic!("{s}: {}", r.text()),
        }
    }
    println!("{ok} synthesized, {busy} told to retry");
    assert!(ok >= 2 && busy >= 1, "{ok} ok, {busy} busy");
}
