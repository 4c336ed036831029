//! The OpenAPI document as the contract of every answer: each in-process request of the
//! tests ([`super::send_to`]) has its answer judged by openapi-schema-validator
//! (`tests/judges/openapi_responses.py`, one process per test binary) against the schema
//! the document gives for its path, method, status and media type. An answer the document
//! does not describe (a status it does not list, a media type it does not give, a body its
//! schema refuses) fails the test that got it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use axum::http::{header, Method};

use super::Resp;

struct Judge {
    /// Kept so the judge is a child of this test binary for as long as it runs; it ends
    /// when its stdin closes with the binary.
    _process: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

fn judge() -> &'static Mutex<Judge> {
    static J: OnceLock<Mutex<Judge>> = OnceLock::new();
    J.get_or_init(|| {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/judges/openapi_responses.py");
        let mut child = Command::new(super::judges_python())
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the OpenAPI answers' judge starts");
        let mut input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        let doc = quyhoach_server::openapi::document("http://test.local");
        writeln!(input, "{doc}").unwrap();
        Mutex::new(Judge {
            _process: child,
            input,
            output,
        })
    })
}

/// Judges one answer; panics with the judge's words when the document does not describe it.
pub fn check(method: &Method, path: &str, resp: &Resp) {
    let line = verdict(method, path, resp);
    if let Some(what) = line.strip_prefix("error ") {
        panic!("the answer is not the documented one: {what}");
    }
}

/// The judge's word on one answer: `ok`, `skip <why>` or `error <what is wrong>`.
pub fn verdict(method: &Method, path: &str, resp: &Resp) -> String {
    let media = resp
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let json_like = media.contains("json");
    let gzipped = resp
        .headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let body = if json_like && gzipped {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&resp.body[..]), &mut out)
            .expect("a gzip answer decodes");
        out
    } else {
        resp.body.clone()
    };
    // A HEAD answer has the GET's headers and no body.
    let json_like = json_like && *method != Method::HEAD;
    let sample = serde_json::json!({
        "method": method.as_str(),
        "path": path,
        "status": resp.status.as_u16(),
        "type": media,
        "body": if json_like { String::from_utf8_lossy(&body).into_owned() } else { String::new() },
    });
    let mut j = judge()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    writeln!(j.input, "{sample}").expect("the OpenAPI answers' judge reads");
    let mut line = String::new();
    j.output
        .read_line(&mut line)
        .expect("the OpenAPI answers' judge answers");
    drop(j);
    let line = line.trim_end().to_string();
    assert!(!line.is_empty(), "the OpenAPI answers' judge stopped");
    line
}
