//! The printable pages, in-process on the demo store: every lesson's handout in both
//! languages (its goal, each step's task, target and options, boxes, the checklist, the QR
//! code of the lesson — and never the explanation a right answer earns), the leaflet (four
//! steps, the code table's colours, the portal's QR code and the text-only address), and
//! hostile lesson ids. web/tests/e2e-handouts.mjs prints them in Chromium (one A4 page each,
//! axe clean).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{get, post};
use quyhoach_server::portal::handouts::qr_svg;

const BUDGET: usize = 24 * 1024;

fn esc(s: &str) -> String {
    quyhoach_server::text::esc(s)
}

/// The `d` of the QR code's path: the modules it draws.
fn qr_path(svg: &str) -> &str {
    let i = svg.find(" d=\"").expect("a QR path");
    let rest = &svg[i + 4..];
    &rest[..rest.find('"').unwrap()]
}

#[tokio::test]
async fn every_lesson_has_a_one_page_handout_without_answers() {
    let st = common::embedded_state();
    for lang in ["vi", "en"] {
        let doc = get(st, &format!("/api/v1/lessons?lang={lang}"))
            .await
            .json();
        let lessons = doc["lessons"].as_array().unwrap();
        assert!(lessons.len() >= 8);
        for l in lessons {
            let id = l["id"].as_str().unwrap();
            let r = get(st, &format!("/learn/{id}/handout.html?lang={lang}")).await;
            assert_eq!(r.status, 200, "{id} {lang}");
            assert_eq!(r.content_type(), "text/html; charset=utf-8");
            assert_eq!(r.headers["content-language"], lang);
            let html = r.text();
            assert!(html.len() < BUDGET, "{id}: {} bytes", html.len());
            assert!(!html.to_lowercase().contains("<script"), "{id}");
            assert!(html.contains("@page{size:A4"), "{id}");
            assert!(html.contains(&format!("<html lang=\"{lang}\"")));
            let url = format!("http://test.local/#/learn/{id}");
            assert!(html.contains(&url), "{id}: the lesson's address");
            // The QR code is the lesson's address.
            assert!(
                html.contains(qr_path(&qr_svg(&url, ""))),
                "{id}: the QR code does not encode {url}"
            );
            assert!(html.contains(&esc(l["title"].as_str().unwrap())), "{id}");
            assert!(html.contains(&esc(l["summary"].as_str().unwrap())), "{id}");
            for s in l["steps"].as_array().unwrap() {
                let sid = s["id"].as_str().unwrap();
                assert!(
                    html.contains(&esc(s["title"].as_str().unwrap())),
                    "{id}/{sid}"
                );
                if let Some(label) = s["target"]["label"].as_str() {
                    assert!(html.contains(&esc(label)), "{id}/{sid}: target {label}");
                }
                for o in s["options"].as_array().into_iter().flatten() {
                    let line = format!(
                        "☐ {}) {}",
                        esc(o["id"].as_str().unwrap()),
                        esc(o["label"].as_str().unwrap())
                    );
                    assert!(html.contains(&line), "{id}/{sid}: option {line}");
                }
                if let Some(unit) = s["unit"].as_str() {
                    assert!(html.contains(&esc(unit)), "{id}/{sid}: unit");
                }
                // What a right answer earns is not on the page.
                let shown = post(
                    st,
                    &format!("/api/v1/lessons/{id}/steps/{sid}/show?lang={lang}"),
                    "{}",
                )
                .await;
                if shown.status == 200 {
                    let ex = shown.json()["explanation"]
                        .as_str()
                        .unwrap_or("")
                        .to_string();
                    if ex.len() > 20 && s["kind"] != "read" {
                        assert!(
                            !html.contains(&esc(&ex)),
                            "{id}/{sid}: the explanation is printed"
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn the_leaflet_has_four_steps_the_colours_and_the_addresses() {
    let st = common::embedded_state();
    for (lang, title) in [
        ("vi", "Tra cứu quy hoạch trong 4 bước"),
        ("en", "Look up planning in 4 steps"),
    ] {
        let r = get(st, &format!("/learn/leaflet.html?lang={lang}")).await;
        assert_eq!(r.status, 200);
        let html = r.text();
        assert!(html.len() < BUDGET, "{} bytes", html.len());
        assert!(html.contains(title));
        assert!(!html.to_lowercase().contains("<script"));
        assert_eq!(html.matches("class=\"card\"").count(), 4);
        assert!(html.contains("http://test.local/text"));
        assert!(html.contains(qr_path(&qr_svg("http://test.local/", ""))));
        let odt = quyhoach_data::landuse::lookup("ODT").unwrap();
        assert!(html.contains(&format!("background:{}", odt.color)));
        assert!(html.contains(&esc(if lang == "vi" {
            &odt.name_vi
        } else {
            &odt.name_en
        })));
    }
    // Any other language is Vietnamese; unknown parameters are ignored.
    let r = get(st, "/learn/leaflet.html?lang=%3Cb%3E&utm_source=zalo").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-language"], "vi");
}

#[tokio::test]
async fn hostile_lesson_ids_get_an_escaped_404_page() {
    let st = common::embedded_state();
    for id in [
        "no-such-lesson",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "..%2F..%2Fetc%2Fpasswd",
    ] {
        let r = get(st, &format!("/learn/{id}/handout.html?lang=en")).await;
        assert_eq!(r.status, 404, "{id}");
        let html = r.text();
        assert!(html.contains("No such lesson"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.len() < BUDGET);
    }
    // Over-long ids and control characters are refused before the handler (a problem).
    let long = "a".repeat(5000);
    for id in [long.as_str(), "find-parcel%00"] {
        let r = get(st, &format!("/learn/{id}/handout.html?lang=en")).await;
        assert_eq!(r.status, 404);
        assert!(!r.text().contains("<script"));
    }
}
