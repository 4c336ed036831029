//! The notice drawn, judged by tools we did not write: the poster and leaflet through
//! poppler (`pdfinfo`: one page of A3/A4; `pdftoppm`: it renders; `pdftotext`: the plan's
//! name, document number, area and legend codes are there as text with their diacritics,
//! and every word's box is on the page and clear of the others; `pdffonts`: subset fonts
//! embedded), the post picture decoded by the `image` crate (1200×630, the map's colours and
//! dark text where they belong) and the map's scale bar measured on the WGS 84 ellipsoid by
//! pyproj (`Geod.inv` after pyproj's own EPSG:3857 inverse), on three notices of the demo
//! district: the draft `qhpk-2000-dc` put to consultation over thị trấn Vĩnh Thanh (31150),
//! the plan in force `qhpk-2000` there (80 zones, red lines) and over its whole extent.
//!
//! `QUYHOACH_DOCS_IMAGES=1` also writes the guide's pictures into `docs/images/`
//! (`announce-post.png`, `announce-poster-a3.png`, `announce-leaflet-a4.png`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use quyhoach_data::index::Index;
use quyhoach_server::portal::announce::graphics::{
    self, legend, map_frame, map_svg, post_png, post_svg, poster_pdf, MapOptions, Paper,
};
use quyhoach_server::portal::announce::notice::{build, BuildOptions};
use quyhoach_server::portal::announce::{Notice, NoticeConsultation, RenderContext};

struct Case {
    name: &'static str,
    notice: Notice,
}

fn ctx() -> RenderContext {
    RenderContext::from_fonts_dir(Path::new("/usr/share/fonts/truetype/dejavu"))
}

fn options(plan: &str, commune: Option<&str>) -> BuildOptions {
    BuildOptions {
        plan: plan.into(),
        commune: commune.map(String::from),
        public_url: "https://quyhoach.kiengiang.gov.vn".into(),
        date: "2026-12-02".into(),
        data_version: "W/\"0c21fd55017d0938182730b2\"".into(),
        ..Default::default()
    }
}

/// The three notices of the demo district.
fn cases() -> &'static [Case] {
    static C: OnceLock<Vec<Case>> = OnceLock::new();
    C.get_or_init(|| {
        let index = Index::load(&common::demo().store).expect("the demo store loads");
        let draft = BuildOptions {
            consultation: Some(NoticeConsultation {
                opens: "2026-12-02".into(),
                closes: "2026-12-31".into(),
            }),
            consultation_id: Some(7),
            office_address: Some("Số 12 đường Nguyễn Trung Trực, khu phố Vĩnh Phú, thị trấn Vĩnh Thanh".into()),
            office_phone: Some("0297 3 812 345".into()),
            message_vi: Some(
                "Điều chỉnh cục bộ khu đất trường học và đất ở dọc đường Nguyễn Trung Trực thành đất thương mại dịch vụ; mời bà con xem bản đồ và góp ý trước ngày 31/12/2026."
                    .into(),
            ),
            ..options("qhpk-2000-dc", Some("31150"))
        };
        vec![
            Case {
                name: "draft-31150",
                notice: build(&index, &draft).expect("the draft's notice"),
            },
            Case {
                name: "in-force-31150",
                notice: build(&index, &options("qhpk-2000", Some("31150"))).expect("the plan's notice"),
            },
            Case {
                name: "in-force-extent",
                notice: build(&index, &options("qhpk-2000", None)).expect("the plan's whole extent"),
            },
        ]
    })
}

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("announce-graphics");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} cannot run ({e}): install poppler-utils"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Words of `pdftotext -bbox`: (text, xMin, yMin, xMax, yMax) in points from the top left.
fn words(pdf: &Path) -> (f64, f64, Vec<(String, [f64; 4])>) {
    let html = run("pdftotext", &["-bbox", pdf.to_str().unwrap(), "-"]);
    let attr = |s: &str, name: &str| -> f64 {
        let i = s.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        s[i..i + s[i..].find('"').unwrap()].parse().unwrap()
    };
    let page = &html[html.find("<page ").unwrap()..];
    let (w, h) = (attr(page, "width"), attr(page, "height"));
    let mut out = Vec::new();
    for part in html.split("<word ").skip(1) {
        let text = &part[part.find('>').unwrap() + 1..part.find("</word>").unwrap()];
        out.push((
            text.to_string(),
            [
                attr(part, "xMin"),
                attr(part, "yMin"),
                attr(part, "xMax"),
                attr(part, "yMax"),
            ],
        ));
    }
    (w, h, out)
}

fn write_pdf(case: &Case, paper: Paper) -> PathBuf {
    let bytes = poster_pdf(&case.notice, &ctx(), paper).expect("the poster renders");
    let p = out_dir().join(format!(
        "{}-{}.pdf",
        case.name,
        if paper == Paper::A3 { "a3" } else { "a4" }
    ));
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn posters_and_leaflets_are_one_page_of_their_paper_with_real_text() {
    for case in cases() {
        let n = &case.notice;
        for (paper, (pw, ph)) in [
            (Paper::A3, (841.89, 1190.55)),
            (Paper::A4, (595.28, 841.89)),
        ] {
            let pdf = write_pdf(case, paper);
            let path = pdf.to_str().unwrap();
            let info = run("pdfinfo", &[path]);
            assert!(
                info.lines()
                    .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["Pages:", "1"]),
                "{info}"
            );
            let size = info.lines().find(|l| l.starts_with("Page size:")).unwrap();
            let nums: Vec<f64> = size
                .split_whitespace()
                .filter_map(|t| t.parse().ok())
                .collect();
            assert!(
                (nums[0] - pw).abs() <= 1.0 && (nums[1] - ph).abs() <= 1.0,
                "{}: {size}, wanted {pw} x {ph}",
                case.name
            );
            // Rendered by poppler at 50 dpi: the paper's size in pixels.
            let prefix = pdf.with_extension("");
            run(
                "pdftoppm",
                &[
                    "-r",
                    "50",
                    "-png",
                    "-singlefile",
                    path,
                    prefix.to_str().unwrap(),
                ],
            );
            let img = image::open(prefix.with_extension("png")).unwrap();
            let (ew, eh) = (
                (pw / 72.0 * 50.0).round() as u32,
                (ph / 72.0 * 50.0).round() as u32,
            );
            assert!(
                img.width().abs_diff(ew) <= 1 && img.height().abs_diff(eh) <= 1,
                "{}x{}",
                img.width(),
                img.height()
            );

            // The words a person looks for, as text with their diacritics.
            let text = collapse(&run("pdftotext", &[path, "-"]));
            for want in [
                n.plan.name.as_str(),
                n.plan.document_number.as_str(),
                n.area.name_vi.as_str(),
                "THÔNG BÁO",
                "TRA CỨU THỬA ĐẤT CỦA BẠN",
                "CHÚ GIẢI",
            ] {
                assert!(
                    text.contains(want),
                    "{} {paper:?}: no {want:?} in\n{text}",
                    case.name
                );
            }
            for e in legend(n) {
                assert!(
                    text.contains(&e.landuse),
                    "{}: legend code {} missing",
                    case.name,
                    e.landuse
                );
            }
            if n.plan.binding {
                assert!(text.contains("ĐÃ PHÊ DUYỆT — CÓ HIỆU LỰC TỪ"), "{text}");
                assert!(text.contains("Quét mã để xem bản đồ quy hoạch"));
            } else {
                assert!(text.contains("DỰ THẢO — CHƯA CÓ GIÁ TRỊ PHÁP LÝ"), "{text}");
                assert!(text.contains("Từ 02/12/2026 đến hết 31/12/2026"), "{text}");
                assert!(text.contains("Quét mã để góp ý về dự thảo"));
                assert!(text.contains("ODT, DGD → TMD"), "{text}");
                assert!(text.contains("0297 3 812 345"));
            }
            // The scale bar's label.
            let bar = graphics::scale_bar(&map_frame(n, 100.0, 100.0, &MapOptions::default()));
            assert!(bar.metres > 0.0);
            assert!(
                text.contains(" m ") || text.contains(" km "),
                "no scale bar label"
            );

            // Fonts embedded as subsets.
            let fonts = run("pdffonts", &[path]);
            let rows: Vec<&str> = fonts.lines().skip(2).collect();
            assert!(!rows.is_empty(), "{fonts}");
            for r in &rows {
                let cols: Vec<&str> = r.split_whitespace().collect();
                assert!(
                    cols[0].contains('+') && cols[0].contains("DejaVuSans"),
                    "{r}"
                );
                // name type [encoding] emb sub uni object ID
                let emb = cols[cols.len() - 5];
                let sub = cols[cols.len() - 4];
                assert_eq!((emb, sub), ("yes", "yes"), "{r}");
            }
        }
    }
}

fn overlap(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    w * h
}

/// Every word on the page, inside the margins and not over another word.
fn assert_laid_out(pdf: &Path, what: &str) {
    let (w, h, words) = words(pdf);
    assert!(words.len() > 50, "{what}: {} words", words.len());
    for (t, b) in &words {
        assert!(
            b[0] >= 10.0 && b[1] >= 10.0 && b[2] <= w - 10.0 && b[3] <= h - 10.0,
            "{what}: {t:?} at {b:?} is off the {w}×{h} page"
        );
    }
    for (i, (t, a)) in words.iter().enumerate() {
        for (u, b) in &words[i + 1..] {
            let o = overlap(a, b);
            let smaller = ((a[2] - a[0]) * (a[3] - a[1])).min((b[2] - b[0]) * (b[3] - b[1]));
            assert!(
                o <= 0.15 * smaller,
                "{what}: {t:?} {a:?} and {u:?} {b:?} overlap"
            );
        }
    }
}

#[test]
fn nothing_is_drawn_off_the_page_or_over_other_text() {
    for case in cases() {
        for paper in [Paper::A3, Paper::A4] {
            let pdf = write_pdf(case, paper);
            assert_laid_out(&pdf, &format!("{} {paper:?}", case.name));
        }
    }
}

/// Many zones, land uses, a long name and message: the tables are cut, the page stays one.
#[test]
fn a_crowded_notice_is_cut_not_overflowing() {
    let mut n = cases()[1].notice.clone();
    n.plan.name = format!(
        "{} — {}",
        n.plan.name,
        "điều chỉnh tổng thể mở rộng về phía bắc kênh Rạch Giá – Long Xuyên ".repeat(4)
    );
    n.message_vi = Some("Nội dung rất dài ".repeat(80));
    let zones = n.zones.clone();
    for k in 0..12 {
        n.zones.extend(zones.iter().map(|z| {
            let mut z = z.clone();
            z.zone_id = z.zone_id.map(|id| format!("{id}-{k}"));
            z
        }));
    }
    let mut totals = n.totals.clone();
    for k in 0..20 {
        let mut t = n.totals[0].clone();
        t.landuse = format!("X{k:02}");
        t.landuse_vi =
            format!("Đất thử nghiệm số {k} có tên rất dài để xem cột có bị tràn hay không");
        totals.push(t.clone());
        let mut z = n.zones[2].clone();
        z.landuse = t.landuse.clone();
        n.zones.push(z);
    }
    n.totals = totals;
    let case = Case {
        name: "crowded",
        notice: n,
    };
    for paper in [Paper::A3, Paper::A4] {
        let pdf = write_pdf(&case, paper);
        let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
        assert!(info.contains("Pages:           1"), "{info}");
        let text = collapse(&run("pdftotext", &[pdf.to_str().unwrap(), "-"]));
        assert!(
            text.contains("ô khác"),
            "{paper:?}: the zones table is not cut:\n{text}"
        );
        assert!(
            text.contains("loại đất khác"),
            "{paper:?}: the land-use rows are not cut"
        );
        assert!(text.contains('…'), "{paper:?}: nothing ellipsised");
        assert_laid_out(&pdf, &format!("crowded {paper:?}"));
    }
}

fn hex(c: &str) -> [u8; 3] {
    let v = u32::from_str_radix(&c[1..], 16).unwrap();
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

#[test]
fn the_post_picture_is_1200_by_630_with_the_map_and_readable_facts() {
    for case in cases() {
        let n = &case.notice;
        let bytes = post_png(n, &ctx()).expect("the picture renders");
        std::fs::write(out_dir().join(format!("{}-post.png", case.name)), &bytes).unwrap();
        let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!((img.width(), img.height()), (1200, 630));
        // The map (left 660 px) shows the zones' colours.
        let map_px = 660 * 630;
        for e in legend(n).iter().take(3) {
            let want = hex(&e.color);
            let count = img
                .enumerate_pixels()
                .filter(|(x, _, p)| *x < 660 && p.0 == want)
                .count();
            assert!(
                count > map_px / 200,
                "{}: {} ({}) covers {count} px of the map",
                case.name,
                e.landuse,
                e.color
            );
        }
        // The facts (right) are dark text on white: some ink, mostly paper.
        let mut dark = 0;
        let mut white = 0;
        for (x, _, p) in img.enumerate_pixels() {
            if x >= 740 {
                let l = (u32::from(p.0[0]) * 3 + u32::from(p.0[1]) * 6 + u32::from(p.0[2])) / 10;
                if l < 90 {
                    dark += 1;
                } else if l > 240 {
                    white += 1;
                }
            }
        }
        let panel = (1200 - 740) * 630;
        assert!(
            dark > panel / 40,
            "{}: {dark} dark px in the facts",
            case.name
        );
        assert!(
            white > panel / 2,
            "{}: {white} white px in the facts",
            case.name
        );
        // Type for a phone's thumbnail: no text under 26 px outside the map.
        let svg = post_svg(n, &ctx()).unwrap();
        // The map is the nested <svg>; what follows its end is the panel.
        let body = &svg[svg.find("</svg>").unwrap()..];
        let sizes: Vec<f64> = body
            .split("<text ")
            .skip(1)
            .map(|t| {
                let i = t.find("font-size=\"").unwrap() + 11;
                t[i..i + t[i..].find('"').unwrap()].parse().unwrap()
            })
            .collect();
        assert!(
            sizes.len() >= 5,
            "{}: {} texts in the panel",
            case.name,
            sizes.len()
        );
        assert!(
            sizes.iter().all(|s| *s >= 26.0),
            "{}: sizes {sizes:?}",
            case.name
        );
        assert!(body.contains("quyhoach.kiengiang.gov.vn"));
    }
}

/// pyproj judges the scale bar: its ends, taken back to WGS 84 by pyproj's EPSG:3857
/// inverse from the frame's Mercator origin and scale, are `metres` apart on the WGS 84
/// ellipsoid (`Geod.inv`) within 1 %; and a vertical bar of the same length in the drawing
/// is as long on the ground (the map is not stretched).
#[test]
fn the_scale_bar_is_true_to_the_ground_by_pyproj() {
    let mut input = Vec::new();
    for case in cases() {
        for (w, h, reserved) in [
            (800.0, 600.0, [0.0; 4]),
            (1920.0, 1080.0, [0.0, 0.0, 760.0, 0.0]),
            (700.0, 630.0, [0.0; 4]),
        ] {
            let opts = MapOptions {
                scale_bar: true,
                north_arrow: true,
                reserved,
                ..Default::default()
            };
            let svg = map_svg(&case.notice, w, h, &opts);
            let g = &svg[svg.find(r#"<g class="scale-bar""#).expect("a scale bar")..];
            let attr = |name: &str| -> f64 {
                let i = g.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                g[i..i + g[i..].find('"').unwrap()].parse().unwrap()
            };
            let (metres, x0, x1, y) = (
                attr("data-metres"),
                attr("data-x0"),
                attr("data-x1"),
                attr("data-y"),
            );
            // What is drawn is what is claimed: the bar's outline spans x0..x1.
            assert!(
                g.contains(&format!(r#"x="{x0:.3}""#))
                    && g.contains(&format!(r#"width="{:.3}""#, x1 - x0)),
                "{g}"
            );
            let first = metres / 10f64.powf(metres.log10().floor());
            assert!(
                [1.0, 2.0, 5.0].iter().any(|k| (first - k).abs() < 1e-9),
                "{metres} m is not round"
            );
            let share = (x1 - x0) / (w - reserved[0] - reserved[2]);
            assert!(
                (0.12..0.32).contains(&share),
                "{}: bar is {share} of the map's width",
                case.name
            );
            let f = map_frame(&case.notice, w, h, &opts);
            let m = |x: f64, y: f64| [f.left_m + x / f.px_per_m, f.top_m - y / f.px_per_m];
            input.push(serde_json::json!({
                "case": case.name, "metres": metres,
                "ends": [m(x0, y), m(x1, y)],
                "vertical": [m(x0, y), m(x0, y - (x1 - x0))],
            }));
        }
    }
    let script = r#"
import json, sys
from pyproj import Geod, Transformer
t = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
g = Geod(ellps="WGS84")
out = []
for c in json.load(sys.stdin):
    def dist(pair):
        (a, b) = [t.transform(*p) for p in pair]
        return g.inv(a[0], a[1], b[0], b[1])[2]
    out.append({"case": c["case"], "metres": c["metres"], "bar": dist(c["ends"]), "vertical": dist(c["vertical"])})
print(json.dumps(out))
"#;
    let py = std::env::var_os("QUYHOACH_PYTHON").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/judges-venv/bin/python"),
        PathBuf::from,
    );
    assert!(
        py.exists(),
        "the judges' Python {} is missing: run scripts/setup-judges.sh",
        py.display()
    );
    let mut child = Command::new(&py)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(serde_json::to_string(&input).unwrap().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let res: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(res.len(), input.len());
    for r in res {
        let metres = r["metres"].as_f64().unwrap();
        let bar = r["bar"].as_f64().unwrap();
        let vertical = r["vertical"].as_f64().unwrap();
        eprintln!(
            "{}: bar {metres} m, pyproj {bar:.2} m east–west, {vertical:.2} m north–south",
            r["case"]
        );
        assert!((bar / metres - 1.0).abs() < 0.01, "{r}");
        assert!((vertical / metres - 1.0).abs() < 0.01, "stretched: {r}");
    }
}

/// Pixels of `svg` rendered by resvg with the DejaVu fonts (as the post is).
fn raster(svg: &str) -> image::RgbaImage {
    use resvg::{tiny_skia, usvg};
    let mut opt = usvg::Options::default();
    opt.fontdb_mut()
        .load_font_file("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        .unwrap();
    let tree = usvg::Tree::from_str(svg, &opt).expect("the map is SVG");
    let s = tree.size().to_int_size();
    let mut pm = tiny_skia::Pixmap::new(s.width(), s.height()).unwrap();
    resvg::render(&tree, tiny_skia::Transform::identity(), &mut pm.as_mut());
    image::RgbaImage::from_raw(s.width(), s.height(), pm.take()).unwrap()
}

#[test]
fn the_map_draws_zones_red_lines_the_boundary_and_the_highlighted_zone_on_top() {
    let n = &cases()[1].notice;
    // A slide's card covers the right 40 %: the map keeps to the rest.
    let (w, h) = (1000.0, 600.0);
    let i = n.zones.iter().position(|z| !z.road).unwrap();
    let opts = MapOptions {
        highlight: Some(i),
        scale_bar: true,
        north_arrow: true,
        reserved: [0.0, 0.0, 400.0, 0.0],
    };
    let svg = map_svg(n, w, h, &opts);
    assert!(
        svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg""#) && svg.ends_with("</svg>")
    );
    assert!(svg.contains(r#"role="img""#) && svg.contains("aria-label=\"Bản đồ quy hoạch:"));
    assert!(
        !svg.contains(" id=\""),
        "ids would repeat when a deck shows several maps"
    );
    assert!(
        svg.contains("stroke-dasharray"),
        "the commune boundary is dashed"
    );
    assert!(svg.contains(r##"stroke="#E00000""##), "red lines");
    assert!(svg.contains("class=\"zone-label\""), "no zone has its id");
    // The highlight comes after every zone and line: nothing covers it.
    let hl = svg.find(r#"class="highlight""#).unwrap();
    assert!(svg.rfind("<path fill=\"#").unwrap() < hl);
    let img = raster(&svg);
    let f = map_frame(n, w, h, &opts);
    // The highlighted zone's outline is visible, around the zone.
    let z = &n.zones[i];
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for c in z.geometry.0.iter().flat_map(|p| p.exterior().coords()) {
        let (x, y) = f.to_px(c.x, c.y);
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    let blue = hex(graphics::map::HIGHLIGHT);
    let mut inside = 0;
    let mut outside = 0;
    for (x, y, p) in img.enumerate_pixels() {
        if p.0[..3] == blue {
            let (x, y) = (f64::from(x), f64::from(y));
            if x >= b[0] - 8.0 && x <= b[2] + 8.0 && y >= b[1] - 8.0 && y <= b[3] + 8.0 {
                inside += 1;
            } else {
                outside += 1;
            }
        }
    }
    assert!(inside > 100, "{inside} highlight px");
    assert_eq!(outside, 0);
    // The zones are fitted left of the card.
    let zone_px = img
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[..3] == hex(&n.zones[i].color))
        .map(|(x, _, _)| x)
        .max()
        .unwrap();
    assert!(
        f64::from(zone_px) < w - 400.0 + 2.0,
        "a zone drawn under the card at x={zone_px}"
    );
    let v = f.visible_bbox();
    assert!(
        v[0] <= n.area.bbox[0]
            && v[2] >= n.area.bbox[2]
            && v[1] <= n.area.bbox[1]
            && v[3] >= n.area.bbox[3]
    );
}

#[test]
fn the_draft_map_has_a_locator_and_hostile_records_still_draw() {
    let opts = MapOptions {
        scale_bar: true,
        north_arrow: true,
        ..Default::default()
    };
    // One block of the commune: the locator shows where it is.
    let svg = map_svg(&cases()[0].notice, 800.0, 600.0, &opts);
    assert!(svg.contains("class=\"locator\""));
    assert!(!map_svg(&cases()[2].notice, 800.0, 600.0, &opts).contains("class=\"locator\""));

    let mut n = cases()[0].notice.clone();
    n.plan.name = "<script>alert(1)</script> & \"quotes\"".into();
    n.zones[0].color = "red\" onload=\"alert(1)".into();
    n.zones[0].zone_id = Some("<b>".into());
    n.area.bbox = [f64::NAN, 0.0, 1.0, f64::INFINITY];
    n.office.name_vi = String::new();
    n.consultation = Some(NoticeConsultation {
        opens: "x".into(),
        closes: "🙂".into(),
    });
    let svg = map_svg(
        &n,
        0.0,
        -3.0,
        &MapOptions {
            highlight: Some(99),
            reserved: [1e12; 4],
            ..opts
        },
    );
    assert!(!svg.contains("<script") && !svg.contains("onload"));
    raster(&svg);
    assert!(post_png(&n, &ctx()).is_ok());
    assert!(poster_pdf(&n, &ctx(), Paper::A4).is_ok());
    n.zones.clear();
    n.totals.clear();
    n.redlines.clear();
    assert!(poster_pdf(&n, &ctx(), Paper::A3).is_ok());
    // Fonts that are not there are a clear error, not a panic.
    let missing = RenderContext::from_fonts_dir(Path::new("/nonexistent"));
    let e = post_png(&cases()[0].notice, &missing)
        .unwrap_err()
        .to_string();
    assert!(e.contains("fonts-dejavu-core"), "{e}");
}

/// The guide's pictures (`QUYHOACH_DOCS_IMAGES=1`): the draft's post picture as is, its
/// poster and leaflet by pdftoppm at 40 dpi.
#[test]
fn docs_images() {
    if std::env::var_os("QUYHOACH_DOCS_IMAGES").is_none() {
        return;
    }
    let case = &cases()[0];
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/images");
    std::fs::write(
        docs.join("announce-post.png"),
        post_png(&case.notice, &ctx()).unwrap(),
    )
    .unwrap();
    for (paper, name) in [
        (Paper::A3, "announce-poster-a3"),
        (Paper::A4, "announce-leaflet-a4"),
    ] {
        let pdf = write_pdf(case, paper);
        let dpi = if paper == Paper::A3 { "40" } else { "56" };
        run(
            "pdftoppm",
            &[
                "-r",
                dpi,
                "-png",
                "-singlefile",
                pdf.to_str().unwrap(),
                docs.join(name).to_str().unwrap(),
            ],
        );
    }
}
