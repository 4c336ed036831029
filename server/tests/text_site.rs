//! The text-only site: a crawl from `/text` following every link (each page under the 2G
//! budget, every link answering 200 or 300), duplicates chosen by `n`, English on every
//! page, errors as pages in the page's language, Vietnamese dates, and the link preview's
//! picture.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeSet, HashMap, VecDeque};

use common::{all_parcels, demo, get, parcel_key as key};
use quyhoach_data::index::FeatureOut;
use quyhoach_server::text::MAX_REPORT_BYTES;

/// A number shared by two parcels: (commune, sheet, parcel) and the two, in id order.
fn duplicate() -> ((String, i64, i64), Vec<FeatureOut>) {
    let mut by_key: HashMap<(String, i64, i64), Vec<FeatureOut>> = HashMap::new();
    for f in all_parcels() {
        by_key.entry(key(&f)).or_default().push(f);
    }
    let (k, mut v) = by_key
        .into_iter()
        .filter(|(_, v)| v.len() >= 2)
        .min_by_key(|(k, _)| k.clone())
        .expect("the demo district has duplicate parcel numbers");
    v.sort_by_key(|f| f.id);
    (k, v)
}

/// The `href`s of a page's links (and its forms' actions are not followed).
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

fn assert_page(uri: &str, html: &str) {
    assert!(
        html.len() <= MAX_REPORT_BYTES,
        "{uri}: {} bytes",
        html.len()
    );
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "{uri}: a script");
    assert!(!lower.contains("<img"), "{uri}: an image");
    assert!(html.contains("<meta name=viewport"), "{uri}: viewport");
    assert_eq!(html.matches("<style>").count(), 1, "{uri}: one style");
    assert!(
        html.contains("<link rel=alternate"),
        "{uri}: alternate links"
    );
}

#[tokio::test]
async fn a_crawl_from_the_entry_reaches_every_kind_of_page_within_budget() {
    let st = &demo().state;
    let (dup, _) = duplicate();
    let f = &all_parcels()[250];
    let (c, s, p) = key(f);
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = VecDeque::new();
    for start in [
        "/text".to_string(),
        "/text?lang=en".to_string(),
        "/text?q=Vinh".to_string(),
        "/text?q=quy+hoach&lang=en".to_string(),
        format!("/text?q={c}+{s}+{p}"),
        format!("/text?q={}+{}+{}", dup.0, dup.1, dup.2),
    ] {
        queue.push_back(start);
    }
    let mut kinds = BTreeSet::new();
    while let Some(uri) = queue.pop_front() {
        if !seen.insert(uri.clone()) || seen.len() > 400 {
            continue;
        }
        let r = get(st, &uri).await;
        let status = r.status.as_u16();
        if uri.starts_with("/?") || uri == "/" {
            // The full map page needs the built web app; tests run without it.
            assert!(status == 200 || status == 404, "{uri}: {status}");
            continue;
        }
        assert!(
            status == 200 || status == 300,
            "{uri}: {status} {}",
            r.text()
        );
        let html = r.text();
        if r.content_type().starts_with("text/plain") {
            assert!(r.body.len() <= MAX_REPORT_BYTES, "{uri}");
            continue;
        }
        assert!(r.content_type().starts_with("text/html"), "{uri}");
        assert_page(&uri, &html);
        let path = uri.split('?').next().unwrap().to_string();
        kinds.insert(if path.ends_with("/report.html") {
            if status == 300 {
                "choices".to_string()
            } else {
                "report".to_string()
            }
        } else if path.starts_with("/text/plans/") {
            "plan".to_string()
        } else if path.starts_with("/text/communes/") {
            "commune".to_string()
        } else {
            path
        });
        for l in links(&html) {
            if l.starts_with('/') && !l.starts_with("//") {
                queue.push_back(l);
            } else {
                assert!(l.starts_with("http"), "{uri}: link {l}");
            }
        }
    }
    for k in [
        "/text",
        "/text/plans",
        "/text/help",
        "plan",
        "commune",
        "report",
        "choices",
    ] {
        assert!(
            kinds.contains(k),
            "the crawl reached no {k} page: {kinds:?}"
        );
    }
    assert!(seen.len() > 15, "{} pages", seen.len());
}

#[tokio::test]
async fn duplicate_numbers_list_their_parcels_and_n_picks_one() {
    let st = &demo().state;
    let ((c, s, p), dups) = duplicate();
    let base = format!("/api/v1/parcels/{c}/{s}/{p}/report");
    // The JSON's matches and the page's choices are in the same order.
    let amb = get(st, &base).await;
    assert_eq!(amb.status, 409);
    let matches: Vec<u64> = amb.json()["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        matches,
        dups.iter().map(|f| u64::from(f.id)).collect::<Vec<_>>()
    );
    for fmt in ["html", "txt"] {
        let r = get(st, &format!("{base}.{fmt}")).await;
        assert_eq!(r.status, 300, "{fmt}: {}", r.text());
        let t = r.text();
        assert!(t.len() <= MAX_REPORT_BYTES);
        for (k, f) in dups.iter().enumerate() {
            let addr = f.properties["address"].as_str().unwrap();
            assert!(t.contains(addr), "{fmt}: {addr} in {t}");
            assert!(
                t.contains(&format!("report.{fmt}?n={}", k + 1)),
                "{fmt}: link n={}",
                k + 1
            );
        }
        assert!(t
            .to_lowercase()
            .contains(&format!("{} thửa đất cùng số {p}", dups.len())));
    }
    for (k, f) in dups.iter().enumerate() {
        let n = k + 1;
        let want = get(st, &format!("{base}?n={n}")).await.json();
        assert_eq!(want["site"]["id"].as_u64(), Some(u64::from(f.id)));
        let addr = f.properties["address"].as_str().unwrap();
        let area = quyhoach_server::text::number_vi(want["site"]["area_m2"].as_f64().unwrap(), 1);
        for fmt in ["html", "txt"] {
            let r = get(st, &format!("{base}.{fmt}?n={n}")).await;
            assert_eq!(r.status, 200, "{}", r.text());
            let t = r.text();
            assert!(t.contains(&format!("Địa chỉ: {addr}")), "n={n} {fmt}: {t}");
            assert!(t.contains(&format!("Diện tích: {area} m²")), "n={n} {fmt}");
            for (j, other) in dups.iter().enumerate() {
                if j != k {
                    let o = other.properties["address"].as_str().unwrap();
                    if o != addr {
                        assert!(!t.contains(o), "n={n} shows the other parcel");
                    }
                }
            }
        }
    }
    // A wrong n: a 404 page listing the choices; a malformed n: a 400 page.
    let r = get(st, &format!("{base}.html?n=9")).await;
    assert_eq!(r.status, 404);
    assert!(r.text().contains("?n=1") && r.text().contains("Không có thửa thứ 9"));
    let r = get(st, &format!("{base}.html?n=abc&lang=en")).await;
    assert_eq!(r.status, 400);
    assert!(r.content_type().starts_with("text/html"));
    assert!(r.text().contains("<html lang=en>"));

    // The full page: the link with n names the second parcel, without n both.
    let web = tempfile::tempdir().unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><head><!--qh:meta--><title>Tra cứu</title><!--/qh:meta--></head>\
         <body><div id=\"map\"><!--qh:preview--></div><!--qh:answer--></body>",
    )
    .unwrap();
    let mut st = st.clone();
    st.web_dir = Some(std::sync::Arc::new(web.path().to_path_buf()));
    let second = get(&st, &format!("/?p={c}/{s}/{p}/2")).await.text();
    let report2 = get(&st, &format!("{base}?n=2")).await.json();
    let desc = second
        .split("<meta property=\"og:description\" content=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    assert_eq!(desc, report2["summary_vi"].as_str().unwrap());
    assert!(
        second.contains(&format!("/?p={c}/{s}/{p}/2\"")),
        "canonical"
    );
    assert!(second.contains("map.png?n=2\""));
    assert!(second.contains("report.html?n=2\""));
    let both = get(&st, &format!("/?p={c}/{s}/{p}")).await.text();
    assert!(
        both.contains(&format!(
            "<meta property=\"og:title\" content=\"{} thửa đất cùng số {p}, tờ bản đồ {s}",
            dups.len()
        )),
        "{both:.2000}"
    );
    let en = get(&st, &format!("/?p={c}/{s}/{p}&lang=en")).await.text();
    assert!(en.contains(&format!(
        "content=\"{} parcels numbered {p}, map sheet {s}",
        dups.len()
    )));
}

#[tokio::test]
async fn english_everywhere_and_vietnamese_dates() {
    let st = &demo().state;
    let f = &all_parcels()[77];
    let (c, s, p) = key(f);
    let plan_ids: Vec<String> = st.index.catalog().plans.keys().cloned().collect();
    let mut uris = vec![
        "/text".to_string(),
        "/text?q=Vinh".to_string(),
        "/text/plans".to_string(),
        "/text/help".to_string(),
        format!("/api/v1/parcels/{c}/{s}/{p}/report.html"),
        format!("/text/communes/{c}"),
    ];
    uris.extend(plan_ids.iter().map(|id| format!("/text/plans/{id}")));
    for uri in &uris {
        let vi = get(st, uri).await;
        assert_eq!(vi.status, 200, "{uri}");
        let vt = vi.text();
        assert!(vt.contains("<html lang=vi>"), "{uri}");
        assert!(vt.contains(">English</a>"), "{uri}: the switch");
        let en_uri = if uri.contains('?') {
            format!("{uri}&lang=en")
        } else {
            format!("{uri}?lang=en")
        };
        let en = get(st, &en_uri).await;
        assert_eq!(en.status, 200, "{en_uri}: {}", en.text());
        let et = en.text();
        assert!(et.contains("<html lang=en>"), "{en_uri}");
        assert!(et.contains(">Tiếng Việt</a>"), "{en_uri}: the switch");
        assert!(et.contains(">Full map</a>"), "{en_uri}");
        assert!(!et.contains("Tìm kiếm"), "{en_uri}: Vietnamese labels");
        assert!(et.len() <= MAX_REPORT_BYTES && vt.len() <= MAX_REPORT_BYTES);
        // Dates: no ISO date on any page; Vietnamese and English forms.
        let iso = regex_like_iso(&vt);
        assert!(iso.is_none(), "{uri}: ISO date {iso:?}");
        assert!(regex_like_iso(&et).is_none(), "{en_uri}");
    }
    let plans = get(st, "/text/plans").await.text();
    let plan = st.index.catalog().plans.values().next().unwrap();
    let (y, m, d) = (
        &plan.decision.date[0..4],
        &plan.decision.date[5..7],
        &plan.decision.date[8..10],
    );
    assert!(plans.contains(&format!("ngày {d}/{m}/{y}")), "{plans}");
    let en = get(st, "/text/plans?lang=en").await.text();
    assert!(en.contains("(Vietnamese name)"), "{en}");
    // A Tờ trình is not a Quyết định.
    for p in st.index.catalog().plans.values() {
        if p.decision.number.contains("/TTr") {
            assert!(plans.contains(&format!("Tờ trình {}", p.decision.number)));
            assert!(!plans.contains(&format!("Quyết định {}", p.decision.number)));
        }
    }
    // The help names the office of the report's notice, word for word.
    let report = get(st, &format!("/api/v1/parcels/{c}/{s}/{p}/report"))
        .await
        .json();
    let help = get(st, "/text/help").await.text();
    let notice = quyhoach_server::text::esc(report["disclaimer_vi"].as_str().unwrap());
    assert!(help.contains(&notice), "{help}");
    let help_en = get(st, "/text/help?lang=en").await.text();
    let notice_en = quyhoach_server::text::esc(report["disclaimer_en"].as_str().unwrap());
    assert!(help_en.contains(&notice_en));
}

/// A `YYYY-MM-DD` in visible text, if any.
fn regex_like_iso(html: &str) -> Option<String> {
    let b = html.as_bytes();
    (0..b.len().saturating_sub(10)).find_map(|i| {
        let w = &b[i..i + 10];
        let ok = w[..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..7].iter().all(u8::is_ascii_digit)
            && w[7] == b'-'
            && w[8..10].iter().all(u8::is_ascii_digit);
        ok.then(|| String::from_utf8_lossy(w).to_string())
    })
}

#[tokio::test]
async fn errors_are_pages_in_the_language_of_the_page() {
    let st = &demo().state;
    let f = &all_parcels()[5];
    let (c, s, _) = key(f);
    let cases = [
        (
            "/api/v1/parcels/99999/1/1/report.html",
            404,
            "Không có xã/phường",
            "vi",
        ),
        (
            "/api/v1/parcels/99999/1/1/report.html?lang=en",
            404,
            "There is no commune",
            "en",
        ),
        (
            &*format!("/api/v1/parcels/{c}/{s}/999999/report.html"),
            404,
            "Không có thửa số 999999",
            "vi",
        ),
        (
            &*format!("/api/v1/parcels/{c}/{s}/999999/report.html?lang=en"),
            404,
            "There is no parcel 999999",
            "en",
        ),
        (
            "/api/v1/parcels/31150/abc/1/report.html",
            400,
            "Số tờ và số thửa",
            "vi",
        ),
        (
            "/text/plans/no-such-plan?lang=en",
            404,
            "There is no plan",
            "en",
        ),
        ("/text/plans/no-such-plan", 404, "Không có quy hoạch", "vi"),
        ("/text/communes/00000", 404, "Không có xã/phường", "vi"),
        ("/text/plans?page=99", 404, "Không có trang 99", "vi"),
    ]
    .map(|(u, st, w, l)| (u.to_string(), st, w, l));
    for (uri, status, words, lang) in cases {
        let r = get(st, &uri).await;
        assert_eq!(r.status.as_u16(), status, "{uri}: {}", r.text());
        assert!(
            r.content_type().starts_with("text/html"),
            "{uri}: {}",
            r.content_type()
        );
        let t = r.text();
        assert!(t.contains(words), "{uri}: {t}");
        assert!(t.contains(&format!("<html lang={lang}>")), "{uri}");
        assert!(t.contains("<form action=/text>"), "{uri}: the search form");
        assert!(t.len() <= MAX_REPORT_BYTES);
    }
    let t = get(st, "/api/v1/parcels/99999/1/1/report.txt").await;
    assert_eq!(t.status, 404);
    assert!(t.content_type().starts_with("text/plain"));
    assert!(t.text().contains("Không có xã/phường"));
    // Hostile text is escaped, never echoed as markup.
    let r = get(st, "/text?q=%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_eq!(r.status, 200);
    assert!(!r.text().contains("<script>"));
    assert!(r.text().contains("&lt;script&gt;"));
    let long = "a".repeat(500);
    assert_eq!(get(st, &format!("/text?q={long}")).await.status, 400);
    // The commune form sends its numbers to the report.
    let r = get(st, &format!("/text/communes/{c}?sheet={s}&parcel=7")).await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.headers["location"],
        format!("/api/v1/parcels/{c}/{s}/7/report.html")
    );
    let r = get(st, &format!("/text/communes/{c}?sheet=x&parcel=7&lang=en")).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("must be whole numbers"));
}

#[tokio::test]
async fn every_kind_of_report_fits_and_names_its_plans() {
    let st = &demo().state;
    let mut by_plans: HashMap<usize, usize> = HashMap::new();
    let mut checked = 0;
    for f in all_parcels().iter().step_by(23) {
        let r = get(
            st,
            &format!(
                "/api/v1/parcels/{}/{}/{}/report",
                f.properties["commune_code"].as_str().unwrap(),
                f.properties["sheet"],
                f.properties["parcel"]
            ),
        )
        .await;
        if r.status != 200 {
            continue;
        }
        let rep = r.json();
        let plans = rep["plans"].as_array().unwrap().len();
        *by_plans.entry(plans).or_default() += 1;
        let (c, s, p) = key(f);
        for lang in ["", "?lang=en"] {
            for fmt in ["html", "txt"] {
                let t = get(
                    st,
                    &format!("/api/v1/parcels/{c}/{s}/{p}/report.{fmt}{lang}"),
                )
                .await;
                assert_eq!(t.status, 200);
                assert!(
                    t.body.len() <= MAX_REPORT_BYTES,
                    "{c}/{s}/{p} {fmt}{lang}: {}",
                    t.body.len()
                );
                let text = t.text();
                let summary = if lang.is_empty() {
                    &rep["summary_vi"]
                } else {
                    &rep["summary_en"]
                };
                let summary = summary.as_str().unwrap();
                let shown = if fmt == "html" {
                    quyhoach_server::text::esc(summary)
                } else {
                    summary.to_string()
                };
                assert!(text.contains(&shown), "the answer on top");
                for pr in rep["plans"].as_array().unwrap() {
                    let number = pr["plan"]["decision"]["number"].as_str().unwrap();
                    assert!(
                        text.contains(number),
                        "{c}/{s}/{p}: plan {number} in its section"
                    );
                }
            }
        }
        checked += 1;
    }
    assert!(checked > 50, "{checked}");
    assert!(
        by_plans.keys().any(|&k| k >= 3),
        "a parcel under 3 plans: {by_plans:?}"
    );
}

#[tokio::test]
async fn the_link_preview_shows_the_parcel_large_with_its_number_and_answer() {
    let st = &demo().state;
    let f = &all_parcels()[250];
    let (c, s, p) = key(f);
    let png = get(st, &format!("/api/v1/parcels/{c}/{s}/{p}/map.png")).await;
    assert_eq!(png.status, 200, "{}", png.text());
    assert_eq!(png.content_type(), "image/png");
    let pix = resvg::tiny_skia::Pixmap::decode_png(&png.body).unwrap();
    let (w, h) = (pix.width(), pix.height());
    assert_eq!((w, h), (1200, 630), "the Open Graph 1.91:1 size");
    let _ = std::fs::create_dir_all("../target/e2e-screenshots");
    let _ = std::fs::write("../target/e2e-screenshots/map-card.png", &png.body);
    let map_h = h - quyhoach_server::preview::CAPTION_PX;
    // The parcel's outline: near-black stroke pixels in the map area; its box spans most of
    // the map area along the limiting side.
    let px = |x: u32, y: u32| pix.pixel(x, y).unwrap();
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..map_h {
        for x in 0..w {
            let c = px(x, y);
            // The highlight's yellow stroke (#ffd400).
            if c.red() > 240 && c.green() > 195 && c.green() < 225 && c.blue() < 40 {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
    }
    assert!(x1 > x0 && y1 > y0, "the outline is drawn");
    let fill_w = f64::from(x1 - x0) / f64::from(w);
    let fill_h = f64::from(y1 - y0) / f64::from(map_h);
    assert!(
        fill_w.max(fill_h) > 0.6,
        "the parcel fills the map area: {fill_w:.2} × {fill_h:.2}"
    );
    // The caption band: white, with dark text (the number) and coloured text (the answer).
    let mut dark = 0;
    let mut white = 0;
    for y in map_h + 8..h {
        for x in 0..w {
            let c = px(x, y);
            if c.red() < 80 && c.green() < 80 && c.blue() < 80 {
                dark += 1;
            }
            if c.red() == 255 && c.green() == 255 && c.blue() == 255 {
                white += 1;
            }
        }
    }
    let band = (w * (h - map_h - 8)) as usize;
    assert!(dark > band / 50, "text in the caption: {dark} dark pixels");
    assert!(white > band / 2, "a plain band: {white}");
    // The title line holds big glyphs: dark pixels spread over > 40 rows of the band top.
    let rows_with_text = (map_h + 8..map_h + 80)
        .filter(|&y| (0..w).any(|x| px(x, y).red() < 60))
        .count();
    assert!(rows_with_text > 30, "{rows_with_text} rows of title text");

    // Duplicates: without n both parcels, with n one; English caption differs.
    let ((dc, ds, dp), _) = duplicate();
    for q in ["", "?n=1", "?n=2", "?lang=en", "?n=2&lang=en"] {
        let r = get(st, &format!("/api/v1/parcels/{dc}/{ds}/{dp}/map.png{q}")).await;
        assert_eq!(r.status, 200, "{q}: {}", r.text());
    }
    let a = get(st, &format!("/api/v1/parcels/{dc}/{ds}/{dp}/map.png?n=1"))
        .await
        .body;
    let b = get(st, &format!("/api/v1/parcels/{dc}/{ds}/{dp}/map.png?n=2"))
        .await
        .body;
    assert_ne!(a, b, "n picks another parcel");
    let r = get(st, &format!("/api/v1/parcels/{dc}/{ds}/{dp}/map.png?n=7")).await;
    assert_eq!(r.status, 400);
}
