//! The notice spoken: the words (normalised by [`quyhoach_data::speech`], the same
//! normaliser the web's read-aloud uses) and the audio for commune loudspeakers, from
//! Debian's espeak-ng, encoded by opusenc (Ogg/Opus) and lame (MP3); no network.
//!
//! The pipeline (`docs/speech.md`): the text goes to `espeak-ng -v vi -s 135 -m --stdin
//! --stdout` on its standard input (never as an argument), with a pause after each
//! sentence; espeak-ng writes WAV (22 050 Hz, 16-bit, mono) on its standard output, which is
//! read into memory (at most [`MAX_WAV_BYTES`]), its RIFF lengths set, and given to `opusenc
//! --speech --bitrate 32` or `lame -m m -b 64` on their standard input. No file is written
//! anywhere; each tool is found on `PATH` and killed after [`TOOL_TIMEOUT`].

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use quyhoach_data::speech::speakable;

use super::{Notice, NoticeKind, RenderError};

/// Audio container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Ogg/Opus.
    Ogg,
    /// MP3.
    Mp3,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Ogg => "ogg",
            Format::Mp3 => "mp3",
        }
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Ogg => "audio/ogg",
            Format::Mp3 => "audio/mpeg",
        }
    }
}

/// Speaking rate, words a minute (espeak-ng `-s`): slower than espeak's 175, as a
/// loudspeaker in the open needs.
pub const WORDS_PER_MINUTE: u32 = 135;
/// Pause after each sentence, milliseconds (an SSML break).
pub const SENTENCE_PAUSE_MS: u32 = 600;
/// Longest text synthesized: a notice is 2–4 KB and a parcel report under 10 KB; a longer
/// text is a mistake or an attack, and would take the CPU for too long.
pub const MAX_TEXT_BYTES: usize = 32 * 1024;
/// Most WAV bytes read from espeak-ng: 22 050 Hz × 2 bytes is 44 KB a second, so 64 MB is
/// about 25 minutes, far above the longest text allowed.
pub const MAX_WAV_BYTES: usize = 64 * 1024 * 1024;
/// Most encoded bytes read from an encoder (32–64 kbps: 16 MB is over half an hour).
pub const MAX_AUDIO_BYTES: usize = 16 * 1024 * 1024;
/// Longest one tool may run before it is killed: espeak-ng speaks ~50× faster than real
/// time and the encoders ~100×, so the longest text takes a few seconds.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(20);

// ------------------------------------------------------------------------------- words

/// An area as a person says it: m² under a hectare, hectares with one decimal above.
fn area_text(m2: f64, vi: bool) -> String {
    let m2 = if m2.is_finite() { m2.max(0.0) } else { 0.0 };
    if m2 < 10_000.0 {
        let n = m2.round() as u64;
        let s = group_thousands(n, if vi { '.' } else { ',' });
        format!("{s} m²")
    } else {
        let ha = (m2 / 1_000.0).round() / 10.0;
        let whole = ha.trunc() as u64;
        let tenth = ((ha - ha.trunc()) * 10.0).round() as u64;
        let int = group_thousands(whole, if vi { '.' } else { ',' });
        match (tenth, vi) {
            (0, _) => format!("{int} ha"),
            (t, true) => format!("{int},{t} ha"),
            (t, false) => format!("{int}.{t} ha"),
        }
    }
}

fn group_thousands(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// Whether a web address's host is one a listener can type (a domain name, not
/// `127.0.0.1` or `localhost`).
fn sayable_host(url: &str) -> Option<&str> {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.split(':').next()?;
    let is_domain = host.contains('.')
        && host.chars().any(|c| c.is_ascii_alphabetic())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    is_domain.then_some(host)
}

/// Land-use codes and their names in `lang`: the code table's, and the notice's own.
fn code_names(notice: &Notice, vi: bool) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = quyhoach_data::landuse::codes()
        .iter()
        .map(|c| {
            let name = if vi { &c.name_vi } else { &c.name_en };
            (c.code.clone(), name.clone())
        })
        .collect();
    for t in &notice.totals {
        let name = if vi { &t.landuse_vi } else { &t.landuse_en };
        if !out.iter().any(|(c, _)| *c == t.landuse) {
            out.push((t.landuse.clone(), name.clone()));
        }
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// "ODT, DGD and TMD" as "a, b và c".
fn join_list(items: &[String], vi: bool) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!(
            "{} {} {last}",
            init.join(", "),
            if vi { "và" } else { "and" }
        ),
    }
}

/// "12/10/2023" from "2023-10-12" (what a clerk writes; the normaliser says it).
fn dmy(iso: &str) -> String {
    let p: Vec<&str> = iso.get(..10).unwrap_or(iso).split('-').collect();
    match p.as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_string(),
    }
}

/// The sentences of a notice in plain words, before normalising.
fn sentences(notice: &Notice, vi: bool) -> Vec<String> {
    let p = &notice.plan;
    let office = if vi {
        &notice.office.name_vi
    } else {
        &notice.office.name_en
    };
    let area = if vi {
        &notice.area.name_vi
    } else {
        &notice.area.name_en
    };
    let mut s = Vec::new();
    let draft = notice.kind == NoticeKind::Consultation || !p.binding;
    if vi {
        let what = match notice.kind {
            NoticeKind::Approved => "công bố quy hoạch",
            NoticeKind::Adjusted => "công bố điều chỉnh quy hoạch",
            NoticeKind::Consultation => "lấy ý kiến nhân dân về dự thảo quy hoạch",
        };
        s.push(format!("Thông báo của {office}, về việc {what}."));
        s.push(format!("{}, {}.", p.name.trim_end_matches('.'), area));
        let by = format!(
            "{} {} ngày {} của {}",
            p.document_kind_vi,
            p.document_number,
            dmy(&p.document_date),
            p.authority_vi
        );
        if draft {
            s.push(format!("Dự thảo được trình theo {}.", lower_first(&by)));
            s.push("Đây là dự thảo, chưa có giá trị pháp lý.".into());
        } else {
            s.push(format!(
                "Quy hoạch được phê duyệt theo {}.",
                lower_first(&by)
            ));
        }
    } else {
        let what = match notice.kind {
            NoticeKind::Approved => "an approved plan",
            NoticeKind::Adjusted => "an approved plan adjustment",
            NoticeKind::Consultation => "a consultation on a draft plan",
        };
        s.push(format!("A notice from {office}, on {what}."));
        s.push(format!("{}, {}.", p.name.trim_end_matches('.'), area));
        let kind = p
            .document_kind_en
            .split(" (")
            .next()
            .unwrap_or(&p.document_kind_en);
        let by = format!(
            "{kind} {} of {}, {}",
            p.document_number, p.document_date, p.authority_en
        );
        if draft {
            s.push(format!("The draft is set out in {by}."));
            s.push("It is a draft and has no legal force.".into());
        } else {
            s.push(format!("The plan was approved by {by}."));
        }
    }
    s.extend(changes(notice, vi));
    if let Some(c) = &notice.consultation {
        s.push(if vi {
            format!(
                "Thời gian lấy ý kiến từ ngày {} đến hết ngày {}.",
                c.opens, c.closes
            )
        } else {
            format!("Comments are open from {} to {}.", c.opens, c.closes)
        });
        let at = notice
            .office
            .address
            .as_deref()
            .map(|a| format!(", {a}"))
            .unwrap_or_default();
        let online = sayable_host(&notice.links.portal);
        s.push(match (vi, online) {
            (true, Some(h)) => format!(
                "Người dân góp ý trực tiếp tại trụ sở {office}{at}, hoặc trên trang thông tin quy hoạch {h}."
            ),
            (true, None) => format!(
                "Người dân góp ý trực tiếp tại trụ sở {office}{at}, hoặc trên trang thông tin quy hoạch của tỉnh."
            ),
            (false, Some(h)) => {
                format!("Comment in person at the office of {office}{at}, or online at {h}.")
            }
            (false, None) => format!(
                "Comment in person at the office of {office}{at}, or on the province's planning portal."
            ),
        });
    }
    if let Some(phone) = &notice.office.phone {
        s.push(if vi {
            format!("Điện thoại liên hệ: {phone}.")
        } else {
            format!("Telephone: {phone}.")
        });
    }
    let lookup_at = sayable_host(&notice.links.portal);
    s.push(match (vi, lookup_at) {
        (true, Some(h)) => format!(
            "Để biết thửa đất của mình nằm trong khu vực quy hoạch nào, người dân tra cứu theo số tờ bản đồ và số thửa trên trang {h}, hoặc hỏi tại {office}."
        ),
        (true, None) => format!(
            "Để biết thửa đất của mình nằm trong khu vực quy hoạch nào, người dân tra cứu theo số tờ bản đồ và số thửa trên trang thông tin quy hoạch của tỉnh, hoặc hỏi tại {office}."
        ),
        (false, Some(h)) => format!(
            "To see what the plan means for your own parcel, look it up by map sheet and parcel number at {h}, or ask at {office}."
        ),
        (false, None) => format!(
            "To see what the plan means for your own parcel, look it up by map sheet and parcel number on the province's planning portal, or ask at {office}."
        ),
    });
    let message = if vi {
        &notice.message_vi
    } else {
        &notice.message_en
    };
    if let Some(m) = message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        s.push(m.to_string());
    }
    s.push(if vi {
        format!("{office} trân trọng thông báo.")
    } else {
        format!("Issued by {office}.")
    });
    s
}

/// What changes (an adjustment or its draft: `before_m2` given), or the largest land uses
/// (an approved plan, road corridors left out).
fn changes(notice: &Notice, vi: bool) -> Vec<String> {
    let name = |t: &super::LandUseTotal| {
        let n = if vi { &t.landuse_vi } else { &t.landuse_en };
        // "(ODT)" after its name: the normaliser drops it; kept so the code is checked.
        format!("{} ({})", lower_first(n), t.landuse)
    };
    let changed: Vec<&super::LandUseTotal> = notice
        .totals
        .iter()
        .filter(|t| t.before_m2.is_some())
        .collect();
    let mut s = Vec::new();
    if !changed.is_empty() {
        let less: Vec<String> = changed
            .iter()
            .filter_map(|t| {
                let d = t.before_m2.unwrap_or(0.0) - t.area_m2;
                (d >= 1.0).then(|| format!("{} {}", name(t), area_text(d, vi)))
            })
            .collect();
        let more: Vec<(String, f64)> = changed
            .iter()
            .filter_map(|t| {
                let d = t.area_m2 - t.before_m2.unwrap_or(0.0);
                (d >= 1.0).then(|| (name(t), d))
            })
            .collect();
        let more_names: Vec<String> = more.iter().map(|(n, _)| n.clone()).collect();
        match (less.is_empty(), more.is_empty(), vi) {
            (false, false, true) => s.push(format!(
                "Nội dung thay đổi: {} chuyển sang {}.",
                join_list(&less, vi),
                join_list(&more_names, vi)
            )),
            (false, false, false) => s.push(format!(
                "What changes: {} become {}.",
                join_list(&less, vi),
                join_list(&more_names, vi)
            )),
            _ => {}
        }
        for (n, d) in more.iter().take(3) {
            s.push(if vi {
                format!("Sau điều chỉnh, {n} tăng thêm {}.", area_text(*d, vi))
            } else {
                format!("After the change, {n} gains {}.", area_text(*d, vi))
            });
        }
        return s;
    }
    let roads: Vec<&str> = notice
        .zones
        .iter()
        .filter(|z| z.road)
        .map(|z| z.landuse.as_str())
        .collect();
    let uses: Vec<String> = notice
        .totals
        .iter()
        .filter(|t| t.area_m2 >= 1.0 && !roads.contains(&t.landuse.as_str()))
        .take(3)
        .map(|t| {
            let pct = (t.pct * 10.0).round() / 10.0;
            let pct = if vi {
                format!("{pct}").replace('.', ",")
            } else {
                format!("{pct}")
            };
            if vi {
                format!("{} {}, chiếm {pct}%", name(t), area_text(t.area_m2, vi))
            } else {
                format!("{} {}, {pct}%", name(t), area_text(t.area_m2, vi))
            }
        })
        .collect();
    if !uses.is_empty() {
        s.push(if vi {
            format!("Các loại đất chính trong khu vực: {}.", uses.join("; "))
        } else {
            format!("The main land uses in the area: {}.", uses.join("; "))
        });
    }
    let mut roads_named: Vec<String> = Vec::new();
    for r in &notice.redlines {
        let Some(n) = r.road_name.as_deref() else {
            continue;
        };
        let line = match (r.width_m, vi) {
            (Some(w), true) => format!("{n} lộ giới {} m", w.round()),
            (Some(w), false) => format!("{n}, {} m wide", w.round()),
            (None, _) => n.to_string(),
        };
        if !roads_named.contains(&line) {
            roads_named.push(line);
        }
    }
    if !roads_named.is_empty() {
        let shown: Vec<String> = roads_named.iter().take(3).cloned().collect();
        s.push(if vi {
            format!("Các tuyến đường quy hoạch gồm {}.", join_list(&shown, vi))
        } else {
            format!("Planned roads include {}.", join_list(&shown, vi))
        });
    }
    s
}

/// The words spoken for `notice` in `lang` (`notice.txt`): sentences, then normalised so
/// that no digit, code or abbreviation is left for the voice to spell. One sentence a line.
pub fn spoken_text(notice: &Notice, lang: &str) -> String {
    let vi = !lang.eq_ignore_ascii_case("en");
    let codes = code_names(notice, vi);
    let pairs: Vec<(&str, &str)> = codes
        .iter()
        .map(|(c, n)| (c.as_str(), n.as_str()))
        .collect();
    let lang = if vi { "vi" } else { "en" };
    let mut out = String::new();
    for s in sentences(notice, vi) {
        out.push_str(&speakable(&s, lang, &pairs));
        out.push('\n');
    }
    out
}

// ------------------------------------------------------------------------------- audio

/// A program on `PATH`, or the error telling how to install it.
fn program(name: &str, package: &str) -> Result<PathBuf, RenderError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            RenderError::Missing(format!(
                "{name} is not installed: apt-get install {package}"
            ))
        })
}

/// Runs `prog` with `args`, `input` on its standard input; its standard output, at most
/// `cap` bytes, killed after [`TOOL_TIMEOUT`].
fn pipe(prog: &PathBuf, args: &[&str], input: Vec<u8>, cap: usize) -> Result<Vec<u8>, RenderError> {
    let name = prog
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_clear()
        .env("LANG", "C.UTF-8")
        .spawn()
        .map_err(|e| RenderError::Failed(format!("cannot run {name}: {e}")))?;
    let mut stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            // A tool that stops reading early (killed) breaks the pipe: not our error.
            let _ = s.write_all(&input);
        }
        drop(stdin);
    });
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || -> (Vec<u8>, bool) {
        let mut buf = Vec::new();
        let Some(out) = stdout else {
            return (buf, false);
        };
        let mut limited = out.take(cap as u64 + 1);
        let _ = limited.read_to_end(&mut buf);
        let over = buf.len() > cap;
        (buf, over)
    });
    let stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(e) = stderr {
            let _ = e.take(4096).read_to_end(&mut buf);
        }
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) if started.elapsed() > TOOL_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(RenderError::Failed(format!("{name}: {e}"))),
        }
    };
    let _ = writer.join();
    let (out, over) = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    match status {
        None => Err(RenderError::Failed(format!(
            "{name} took longer than {} s and was stopped",
            TOOL_TIMEOUT.as_secs()
        ))),
        Some(_) if over => Err(RenderError::Failed(format!(
            "{name} wrote more than {cap} bytes"
        ))),
        Some(st) if !st.success() => Err(RenderError::Failed(format!(
            "{name} failed ({st}): {}",
            String::from_utf8_lossy(&err).trim()
        ))),
        Some(_) => Ok(out),
    }
}

/// The text as espeak-ng SSML: escaped, a pause after each sentence.
fn ssml(text: &str) -> String {
    let mut o = String::from("<speak>");
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '.' | '!' | '?' => {
                o.push(c);
                if chars.peek().is_none_or(|n| n.is_whitespace()) {
                    o.push_str(&format!(" <break time=\"{SENTENCE_PAUSE_MS}ms\"/> "));
                }
            }
            // A line is a sentence; one pause, not two, after "….\n".
            '\n' => {
                if !o.ends_with("/> ") {
                    o.push_str(&format!(" <break time=\"{SENTENCE_PAUSE_MS}ms\"/> "));
                }
            }
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o.push_str("</speak>");
    o
}

/// espeak-ng writes a WAV stream of unknown length (sizes 0x7fffffff): sets the RIFF and
/// data sizes to what was written, so encoders and players see the real duration.
fn fix_wav_sizes(wav: &mut [u8]) -> Result<(), RenderError> {
    if wav.len() < 44 || &wav[..4] != b"RIFF" || &wav[8..12] != b"WAVE" {
        return Err(RenderError::Failed("espeak-ng wrote no WAV".into()));
    }
    let len = u32::try_from(wav.len()).map_err(|_| RenderError::Failed("WAV too long".into()))?;
    wav[4..8].copy_from_slice(&(len - 8).to_le_bytes());
    // Find the "data" chunk after "fmt ".
    let mut at = 12;
    while at + 8 <= wav.len() {
        let size = u32::from_le_bytes([wav[at + 4], wav[at + 5], wav[at + 6], wav[at + 7]]);
        if &wav[at..at + 4] == b"data" {
            let data = len - (at as u32 + 8);
            wav[at + 4..at + 8].copy_from_slice(&data.to_le_bytes());
            return Ok(());
        }
        at += 8 + size as usize;
    }
    Err(RenderError::Failed(
        "espeak-ng wrote a WAV without data".into(),
    ))
}

/// `text` (already spoken words) as audio in `format`, in a voice of `lang` (`vi`, or `en`).
pub fn synthesize(text: &str, lang: &str, format: Format) -> Result<Vec<u8>, RenderError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(RenderError::Failed(format!(
            "text too long to speak ({} bytes, at most {MAX_TEXT_BYTES})",
            text.len()
        )));
    }
    if text.trim().is_empty() {
        return Err(RenderError::Failed("nothing to speak".into()));
    }
    let espeak = program("espeak-ng", "espeak-ng")?;
    let encoder = match format {
        Format::Ogg => program("opusenc", "opus-tools")?,
        Format::Mp3 => program("lame", "lame")?,
    };
    let voice = if lang.eq_ignore_ascii_case("en") {
        "en"
    } else {
        "vi"
    };
    let rate = WORDS_PER_MINUTE.to_string();
    let mut wav = pipe(
        &espeak,
        &[
            "-v", voice, "-s", &rate, "-m", "-b", "1", "--stdin", "--stdout",
        ],
        ssml(text).into_bytes(),
        MAX_WAV_BYTES,
    )?;
    fix_wav_sizes(&mut wav)?;
    match format {
        Format::Ogg => pipe(
            &encoder,
            &[
                "--quiet",
                "--speech",
                "--bitrate",
                "32",
                "--serial",
                "1",
                "--discard-comments",
                "-",
                "-",
            ],
            wav,
            MAX_AUDIO_BYTES,
        ),
        Format::Mp3 => pipe(
            &encoder,
            &["--quiet", "-m", "m", "-b", "64", "-", "-"],
            wav,
            MAX_AUDIO_BYTES,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_as_people_say_them() {
        assert_eq!(area_text(7243.2, true), "7.243 m²");
        assert_eq!(area_text(11_172.9, true), "1,1 ha");
        assert_eq!(area_text(76_951.0, true), "7,7 ha");
        assert_eq!(area_text(120_000.0, true), "12 ha");
        assert_eq!(area_text(7243.2, false), "7,243 m²");
        assert_eq!(area_text(f64::NAN, true), "0 m²");
    }

    #[test]
    fn hosts_a_listener_can_type() {
        assert_eq!(
            sayable_host("https://quyhoach.kiengiang.gov.vn/thong-bao"),
            Some("quyhoach.kiengiang.gov.vn")
        );
        assert_eq!(sayable_host("http://127.0.0.1:8080"), None);
        assert_eq!(sayable_host("http://localhost:8080/"), None);
    }

    #[test]
    fn ssml_is_escaped_with_pauses() {
        let s = ssml("A <b> & c. Hai\nba");
        assert!(s.contains("&lt;b&gt; &amp; c. <break"), "{s}");
        assert_eq!(s.matches("<break").count(), 2);
    }

    #[test]
    fn a_wav_stream_gets_its_sizes() {
        let mut w = Vec::new();
        w.extend_from_slice(b"RIFF\xff\xff\xff\x7fWAVEfmt ");
        w.extend_from_slice(&16u32.to_le_bytes());
        w.extend_from_slice(&[0; 16]);
        w.extend_from_slice(b"data\xff\xff\xff\x7f");
        w.extend_from_slice(&[0; 100]);
        fix_wav_sizes(&mut w).unwrap();
        assert_eq!(&w[4..8], &(w.len() as u32 - 8).to_le_bytes());
        assert_eq!(&w[40..44], &100u32.to_le_bytes());
        assert!(fix_wav_sizes(&mut [0u8; 10]).is_err());
    }
}
