//! A tap on the web page's picture before the map has loaded (`GET /?at=lon,lat`, with
//! `&far=1` on a picture too far out to show parcels): the page of the parcel under
//! the finger, with its whole report drawn by the server — the parcel tapped, never a
//! namesake of a duplicated number — and nothing but a plain page for hostile points.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use common::{all_parcels, demo, get, parcel_key as key};
use geo::InteriorPoint;
use quyhoach_data::index::FeatureOut;

/// A point inside the parcel that `parcels_at` gives back for it alone.
fn inside(f: &FeatureOut) -> Option<(f64, f64)> {
    let p = f.geometry.interior_point()?;
    let at = demo().index.parcels_at(p.x(), p.y()).ok()?;
    (at.len() == 1 && at[0].id == f.id).then_some((p.x(), p.y()))
}

/// The first parcel that has such a point, and the point.
fn a_parcel_to_tap() -> (FeatureOut, (f64, f64)) {
    all_parcels()
        .into_iter()
        .find_map(|f| inside(&f).map(|xy| (f, xy)))
        .expect("a parcel to tap")
}

fn state() -> (tempfile::TempDir, quyhoach_server::state::AppState) {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><head><!--qh:meta--><title>Tra cứu</title><!--/qh:meta--></head>\
         <body><div id=\"map\"><!--qh:preview--></div><!--qh:answer--></body>",
    )
    .unwrap();
    let mut st = demo().state.clone();
    st.web_dir = Some(std::sync::Arc::new(web.path().to_path_buf()));
    (web, st)
}

/// The value of `name="…"` in the first tag containing `marker`.
fn attr<'a>(html: &'a str, marker: &str, name: &str) -> Option<&'a str> {
    let tag = &html[html.find(marker)?..];
    let tag = &tag[..tag.find('>')?];
    let v = &tag[tag.find(&format!("{name}=\""))? + name.len() + 2..];
    Some(&v[..v.find('"')?])
}

#[tokio::test]
async fn a_tap_opens_the_tapped_parcels_page_with_its_whole_report() {
    let (_web, st) = state();
    let (f, (x, y)) = a_parcel_to_tap();
    let (c, s, p) = key(&f);
    let tapped = get(&st, &format!("/?at={x:.6},{y:.6}")).await;
    assert_eq!(tapped.status, 200);
    let html = tapped.text();
    // The same page as the parcel's link: its title, canonical link and picture.
    let link = get(&st, &format!("/?p={c}/{s}/{p}")).await.text();
    assert_eq!(html, link, "a tap's page is the parcel link's page");
    assert_eq!(
        attr(&html, "id=\"preview-answer\"", "data-p"),
        Some(format!("{c}/{s}/{p}").as_str())
    );
    assert!(
        html.contains("data-pick=\"1\""),
        "its parcels can be tapped"
    );
    // The real report: the JSON report's answer, area and every plan, and its notice.
    let report = get(&st, &format!("/api/v1/parcels/{c}/{s}/{p}/report"))
        .await
        .json();
    let answer = &html[html.find("id=\"preview-answer\"").unwrap()..];
    let text = answer.replace("&#39;", "'").replace("&quot;", "\"");
    assert!(text.contains(report["summary_vi"].as_str().unwrap()));
    let area = quyhoach_server::text::number_vi(report["site"]["area_m2"].as_f64().unwrap(), 1);
    assert!(text.contains(&format!("Diện tích: {area} m²")), "{area}");
    for plan in report["plans"].as_array().unwrap() {
        let name = plan["plan"]["name"].as_str().unwrap();
        assert!(text.contains(name), "plan {name}");
    }
    assert!(text.contains(report["disclaimer_vi"].as_str().unwrap()));
    assert!(!answer.contains("<script"));
    // English.
    let en = get(&st, &format!("/?at={x:.6},{y:.6}&lang=en"))
        .await
        .text();
    assert!(en.contains(&format!(
        "<h2 id=\"preview-answer-title\">Parcel {p}, map sheet {s}"
    )));
    assert!(en.contains(report["summary_en"].as_str().unwrap()));
}

#[tokio::test]
async fn a_tap_on_a_duplicated_number_names_the_parcel_tapped() {
    let (_web, st) = state();
    let mut by_key: HashMap<(String, i64, i64), Vec<FeatureOut>> = HashMap::new();
    for f in all_parcels() {
        by_key.entry(key(&f)).or_default().push(f);
    }
    let mut checked = 0;
    let mut keys: Vec<_> = by_key
        .keys()
        .filter(|k| by_key[*k].len() >= 2)
        .cloned()
        .collect();
    keys.sort();
    for k in keys.into_iter().take(5) {
        let mut v = by_key.remove(&k).unwrap();
        v.sort_by_key(|f| f.id);
        let (c, s, p) = &k;
        for (i, f) in v.iter().enumerate() {
            let Some((x, y)) = inside(f) else { continue };
            let n = i + 1;
            let html = get(&st, &format!("/?at={x:.6},{y:.6}")).await.text();
            assert_eq!(
                attr(&html, "id=\"preview-answer\"", "data-p"),
                Some(format!("{c}/{s}/{p}/{n}").as_str()),
                "the {n}-th of {c}/{s}/{p}"
            );
            let report = get(&st, &format!("/api/v1/parcels/{c}/{s}/{p}/report?n={n}"))
                .await
                .json();
            let area =
                quyhoach_server::text::number_vi(report["site"]["area_m2"].as_f64().unwrap(), 1);
            assert!(html.contains(&format!("Diện tích: {area} m²")));
            assert!(
                html.contains(&format!("/?p={c}/{s}/{p}/{n}\"")),
                "canonical"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "taps on duplicated numbers ({checked})");
}

#[tokio::test]
async fn a_far_tap_opens_the_nearest_parcels_report_or_the_neighbourhood() {
    let (_web, st) = state();
    let (f, (x, y)) = a_parcel_to_tap();
    let near = get(&st, &format!("/?near={x:.6},{y:.6}")).await.text();
    assert!(
        near.contains("data-pick=\"1\""),
        "the neighbourhood shows its parcels"
    );
    assert!(near.contains("Nhấn vào thửa đất của bạn"));
    let b: Vec<f64> = attr(&near, "id=\"preview\"", "data-bounds")
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        b[0] < x && x < b[2] && b[1] < y && y < b[3],
        "around the tap"
    );
    // A tap on the district's picture (far=1) on a parcel: that parcel's report at once,
    // the page of its link with a line asking to check the numbers.
    let far = get(&st, &format!("/?at={x:.6},{y:.6}&far=1")).await.text();
    let (c, s, p) = key(&f);
    assert_eq!(
        attr(&far, "id=\"preview-answer\"", "data-p"),
        Some(format!("{c}/{s}/{p}").as_str())
    );
    assert!(far.contains("class=\"tap-note\""));
    assert!(far.contains("Hãy đối chiếu số thửa và số tờ với giấy chứng nhận"));
    let link = get(&st, &format!("/?p={c}/{s}/{p}")).await.text();
    assert!(!link.contains("tap-note"), "a shared link has no tap note");
    let strip = |h: &str| {
        let a = h.find("<p class=\"tap-note\">").unwrap();
        let b = a + h[a..].find("</p>").unwrap() + 4;
        format!("{}{}", &h[..a], &h[b..])
    };
    assert_eq!(strip(&far), link, "otherwise the parcel link's page");
    let far_en = get(&st, &format!("/?at={x:.6},{y:.6}&far=1&lang=en"))
        .await
        .text();
    assert!(far_en.contains("Check the parcel and sheet numbers against your certificate"));
    // On the district's picture, a finger on the road beside a parcel (3 m from it, nothing
    // under the point): the nearest parcel's report, which is at most those 3 m away. The
    // same point tapped on a picture showing parcels: "no parcel where you tapped".
    let (g, road) = all_parcels()
        .into_iter()
        .find_map(|g| {
            let b = geo::BoundingRect::bounding_rect(&g.geometry)?;
            let round = |v: f64| (v * 1e5).round() / 1e5;
            let (px, py) = (round(b.max().x + 0.00003), round(b.center().y));
            let empty = demo().index.parcels_at(px, py).ok()?.is_empty();
            empty.then_some((g, (px, py)))
        })
        .expect("a point beside the parcels");
    let beside = get(&st, &format!("/?at={:.6},{:.6}&far=1", road.0, road.1))
        .await
        .text();
    let got = attr(&beside, "id=\"preview-answer\"", "data-p").expect("a parcel's report");
    assert!(beside.contains("class=\"tap-note\""));
    let parts: Vec<&str> = got.split('/').collect();
    let nearest = demo()
        .index
        .parcels_by_number(
            parts[0],
            parts[1].parse().unwrap(),
            parts[2].parse().unwrap(),
        )
        .unwrap();
    let nearest = &nearest[parts.get(3).map_or(0, |n| n.parse::<usize>().unwrap() - 1)];
    let metres = |f: &FeatureOut| {
        use geo::{Distance, Euclidean, MapCoords};
        let k = 111_320.0 * road.1.to_radians().cos();
        let local = f
            .geometry
            .map_coords(|c| geo::coord! { x: (c.x - road.0) * k, y: (c.y - road.1) * 111_320.0 });
        match local {
            geo::Geometry::Polygon(p) => Euclidean.distance(&geo::Point::new(0.0, 0.0), &p),
            geo::Geometry::MultiPolygon(m) => Euclidean.distance(&geo::Point::new(0.0, 0.0), &m),
            _ => f64::INFINITY,
        }
    };
    assert!(
        metres(nearest) <= metres(&g) + 1e-6 && metres(&g) < 4.0,
        "the nearest parcel: {got} at {:.2} m, {:?} at {:.2} m",
        metres(nearest),
        key(&g),
        metres(&g)
    );
    let missed = get(&st, &format!("/?at={:.6},{:.6}", road.0, road.1))
        .await
        .text();
    assert!(missed.contains("Không có thửa đất tại điểm bạn nhấn"));
    assert!(!missed.contains("data-p="));
    // A far tap with no parcel within reach: the neighbourhood to tap a parcel in.
    let nowhere = get(&st, &format!("/?at={:.6},{:.6}&far=1", x + 1.0, y + 1.0))
        .await
        .text();
    assert!(
        nowhere.contains("Nhấn vào thửa đất của bạn"),
        "the neighbourhood"
    );
    assert!(!nowhere.contains("data-p="));
    // Nothing under the finger (far from the district): a page that says so.
    let missed = get(&st, &format!("/?at={:.6},{:.6}", x + 1.0, y + 1.0))
        .await
        .text();
    assert!(missed.contains("Không có thửa đất tại điểm bạn nhấn"));
    assert!(!missed.contains("data-p="));
}

#[tokio::test]
async fn hostile_points_give_the_plain_page() {
    let (_web, st) = state();
    let plain = get(&st, "/").await.text();
    for q in [
        "at=NaN,NaN",
        "at=inf,1",
        "at=1e999,1",
        "at=181,1",
        "near=1,90",
        "at=1",
        "at=,",
        "at=1,2,3",
        "near=%3Cscript%3E,1",
        "at=-0x1,1",
        "at=NaN,NaN&far=1",
        "at=1e999,1&far=1",
        "far=1",
        "near=1,90&far=1",
    ] {
        let r = get(&st, &format!("/?{q}")).await;
        assert_eq!(r.status, 200, "{q}");
        assert_eq!(r.text(), plain, "{q}");
    }
    let long = format!("/?at={},1", "1".repeat(5000));
    assert_eq!(get(&st, &long).await.text(), plain);
    // `far` other than 1 (huge, a control character, repeated) is no far tap.
    let (_, (x, y)) = a_parcel_to_tap();
    let exact = get(&st, &format!("/?at={x:.6},{y:.6}")).await.text();
    for far in [
        format!("far={}", "1".repeat(5000)),
        "far=%00".into(),
        "far=0&far=2".into(),
        "far=true".into(),
    ] {
        let r = get(&st, &format!("/?at={x:.6},{y:.6}&{far}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), exact, "{}", &far[..far.len().min(20)]);
    }
}
