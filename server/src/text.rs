//! The planning report as plain Vietnamese text and as minimal HTML, for phones on 2G:
//! under [`MAX_REPORT_BYTES`], no scripts, no images, no external style sheets.
//!
//! Rendering works on the report's JSON so the wording follows the fields the query
//! library fills, and an absent field is left out rather than guessed.

use std::fmt::Write;

use serde_json::Value;

/// Size budget of a text or HTML report: about 2 s on a 2G (EDGE, ~25 kB/s) link before
/// compression. Long lists are cut to stay within it.
pub const MAX_REPORT_BYTES: usize = 5 * 1024;

/// Zones listed per plan; the rest are summed up in one line.
const MAX_ZONES: usize = 4;
/// Red lines listed per plan.
const MAX_REDLINES: usize = 3;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn f(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

fn i(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(Value::as_i64)
}

/// `1234.5` → `1.234,5` (Vietnamese digit grouping).
pub fn number_vi(x: f64, decimals: usize) -> String {
    let t = format!("{:.*}", decimals, x.abs());
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    let mut grouped = String::new();
    for (n, ch) in int.chars().enumerate() {
        if n > 0 && (int.len() - n) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    let sign = if x < 0.0 && t.chars().any(|c| c != '0' && c != '.') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// The lines of the report, as (kind, text): kind is `h` for a heading, `p` otherwise.
fn lines(r: &Value) -> Vec<(char, String)> {
    let mut out: Vec<(char, String)> = Vec::new();
    let site = r.get("site").cloned().unwrap_or(Value::Null);
    out.push(('h', "BÁO CÁO THÔNG TIN QUY HOẠCH".into()));
    let sheet = i(&site, "sheet");
    let parcel = i(&site, "parcel");
    if let (Some(sh), Some(p)) = (sheet, parcel) {
        let commune = s(&site, "commune_name")
            .or_else(|| s(&site, "commune"))
            .or_else(|| s(&site, "commune_code"))
            .unwrap_or("?");
        let code = s(&site, "commune_code")
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        out.push((
            'p',
            format!("Thửa đất số {p}, tờ bản đồ số {sh}, {commune}{code}"),
        ));
    } else {
        out.push(('p', "Khu đất do người dùng vẽ / tải lên".into()));
    }
    if let Some(a) = s(&site, "address") {
        out.push(('p', format!("Địa chỉ: {a}")));
    }
    if let Some(a) = f(&site, "area_m2") {
        out.push(('p', format!("Diện tích: {} m²", number_vi(a, 1))));
    }
    if let Some(Value::Array(uses)) = site.get("current_landuse").or_else(|| site.get("landuse")) {
        let names: Vec<String> = uses
            .iter()
            .filter_map(|u| match u {
                Value::String(c) => Some(c.clone()),
                o => {
                    let code = s(o, "code").or_else(|| s(o, "landuse"))?;
                    Some(match s(o, "name_vi") {
                        Some(n) => format!("{code} – {n}"),
                        None => code.to_string(),
                    })
                }
            })
            .collect();
        if !names.is_empty() {
            out.push(('p', format!("Hiện trạng sử dụng đất: {}", names.join("; "))));
        }
    } else if let Some(code) = s(&site, "landuse") {
        out.push(('p', format!("Hiện trạng sử dụng đất: {code}")));
    }
    out.push(('h', "Kết luận".into()));
    if let Some(sum) = s(r, "summary_vi") {
        out.push(('p', sum.to_string()));
    }
    let plans = r
        .get("plans")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if plans.is_empty() {
        out.push((
            'p',
            "Không có quy hoạch nào trong dữ liệu chạm tới khu đất này.".into(),
        ));
    }
    for pr in &plans {
        let plan = pr.get("plan").cloned().unwrap_or(Value::Null);
        out.push(('h', s(&plan, "name").unwrap_or("Quy hoạch").to_string()));
        if let Some(d) = plan.get("decision") {
            out.push((
                'p',
                format!(
                    "Quyết định {} ngày {} của {}",
                    s(d, "number").unwrap_or("?"),
                    s(d, "date").unwrap_or("?"),
                    s(d, "authority").unwrap_or("?")
                ),
            ));
        }
        if let Some(note) = s(pr, "status_note") {
            out.push(('p', format!("Lưu ý: {note}")));
        }
        if let Some(c) = f(pr, "coverage_pct") {
            out.push((
                'p',
                format!("Phần khu đất thuộc quy hoạch: {}%", number_vi(c, 1)),
            ));
        }
        let zones = pr
            .get("zones")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for z in zones.iter().take(MAX_ZONES) {
            let mut t = format!(
                "• {}{}: {} m² ({}%)",
                s(z, "landuse").unwrap_or("?"),
                s(z, "landuse_name_vi")
                    .map(|n| format!(" – {n}"))
                    .unwrap_or_default(),
                number_vi(f(z, "overlap_m2").unwrap_or(0.0), 1),
                number_vi(f(z, "overlap_pct").unwrap_or(0.0), 1),
            );
            if let Some(d) = f(z, "density_pct") {
                let _ = write!(t, "; mật độ XD tối đa {}%", number_vi(d, 0));
            }
            match (i(z, "floors_min"), i(z, "floors_max")) {
                (Some(a), Some(b)) if a != b => {
                    let _ = write!(t, "; {a}–{b} tầng");
                }
                (_, Some(b)) => {
                    let _ = write!(t, "; tối đa {b} tầng");
                }
                _ => {}
            }
            if let Some(h) = f(z, "height_m") {
                let _ = write!(t, "; cao tối đa {} m", number_vi(h, 1));
            }
            if let Some(x) = f(z, "far") {
                let _ = write!(t, "; hệ số SDĐ {}", number_vi(x, 2));
            }
            if z.get("same_as_current").and_then(Value::as_bool) == Some(false) {
                t.push_str(" [khác hiện trạng]");
            }
            out.push(('p', t));
        }
        if zones.len() > MAX_ZONES {
            out.push((
                'p',
                format!("… và {} khu khác (xem bản JSON)", zones.len() - MAX_ZONES),
            ));
        }
        let reds = pr
            .get("redlines")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for rl in reds.iter().take(MAX_REDLINES) {
            let road = s(rl, "road_name").unwrap_or("đường quy hoạch");
            let t = if rl.get("crosses_site").and_then(Value::as_bool) == Some(true) {
                format!(
                    "• Chỉ giới đường đỏ {road} cắt qua khu đất: {} m² ({}%) nằm trong lộ giới",
                    number_vi(f(rl, "area_in_road_m2").unwrap_or(0.0), 1),
                    number_vi(f(rl, "area_in_road_pct").unwrap_or(0.0), 1)
                )
            } else {
                format!(
                    "• Chỉ giới đường đỏ {road} cách khu đất {} m",
                    number_vi(f(rl, "distance_m").unwrap_or(0.0), 1)
                )
            };
            out.push(('p', t));
        }
        if reds.len() > MAX_REDLINES {
            out.push((
                'p',
                format!("… và {} chỉ giới khác", reds.len() - MAX_REDLINES),
            ));
        }
    }
    if let Some(d) = s(r, "data_date") {
        out.push(('p', format!("Dữ liệu cập nhật: {d}")));
    }
    if let Some(d) = s(r, "disclaimer_vi") {
        out.push(('p', d.to_string()));
    }
    out
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut.
fn fit(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mark = "\n[…rút gọn / truncated]\n";
    let mut cut = max.saturating_sub(mark.len());
    while cut > 0 && !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str(mark);
    text
}

/// The report as plain text.
pub fn report_text(r: &Value) -> String {
    let mut t = String::new();
    for (kind, line) in lines(r) {
        if kind == 'h' {
            let _ = writeln!(t, "\n== {line} ==");
        } else {
            let _ = writeln!(t, "{line}");
        }
    }
    fit(t.trim_start().to_string(), MAX_REPORT_BYTES)
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The report as minimal HTML: one inline style line, no scripts, no images.
pub fn report_html(r: &Value) -> String {
    const HEAD: &str = "<!doctype html><html lang=vi><meta charset=utf-8>\
        <meta name=viewport content=\"width=device-width\">\
        <title>Báo cáo quy hoạch</title>\
        <style>body{font:16px sans-serif;max-width:40em;margin:auto;padding:8px}h1{font-size:1.2em}h2{font-size:1.05em}</style>";
    const TAIL: &str = "</html>\n";
    let mut body = String::new();
    let mut first = true;
    for (kind, line) in lines(r) {
        let line = esc(&line);
        if kind == 'h' {
            let tag = if first { "h1" } else { "h2" };
            first = false;
            let _ = write!(body, "<{tag}>{line}</{tag}>");
        } else {
            let _ = write!(body, "<p>{line}");
        }
    }
    let budget = MAX_REPORT_BYTES.saturating_sub(HEAD.len() + TAIL.len());
    let mut body = fit(body, budget);
    // A cut may fall inside a tag or entity: drop the partial markup.
    if let Some(lt) = body.rfind('<') {
        if !body[lt..].contains('>') {
            body.truncate(lt);
        }
    }
    if let Some(amp) = body.rfind('&') {
        if !body[amp..].contains(';') {
            body.truncate(amp);
        }
    }
    format!("{HEAD}{body}{TAIL}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vietnamese_numbers() {
        assert_eq!(number_vi(1234.5, 1), "1.234,5");
        assert_eq!(number_vi(999.0, 0), "999");
        assert_eq!(number_vi(1_000_000.0, 0), "1.000.000");
        assert_eq!(number_vi(-12.25, 2), "-12,25");
    }

    #[test]
    fn huge_reports_fit_the_budget() {
        let zone = json!({"landuse": "ODT", "landuse_name_vi": "Đất ở tại đô thị <b>&", "overlap_m2": 12.0, "overlap_pct": 1.0, "same_as_current": false});
        let plan = json!({"plan": {"name": "Quy hoạch ".repeat(200), "decision": {"number": "1/QĐ", "date": "2024-01-01", "authority": "UBND"}},
            "zones": vec![zone; 100], "redlines": [], "coverage_pct": 100.0});
        let r = json!({"site": {"sheet": 1, "parcel": 2, "commune_code": "31150", "area_m2": 100.0},
            "summary_vi": "Thửa đất bị ảnh hưởng.", "plans": vec![plan; 30]});
        let t = report_text(&r);
        let h = report_html(&r);
        assert!(
            t.len() <= MAX_REPORT_BYTES && h.len() <= MAX_REPORT_BYTES,
            "{} {}",
            t.len(),
            h.len()
        );
        assert!(!h.contains("<script") && !h.contains("<b>"));
        assert!(t.contains("Thửa đất số 2, tờ bản đồ số 1"));
    }
}
