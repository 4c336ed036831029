//! Helpers of the two-way portal's tests: JSON requests as an official or anonymously,
//! accounts made straight in the state database, sign-in, multipart bodies and photos.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{header, Method, Request};
use quyhoach_server::portal::accounts::{create_official, Role};
use quyhoach_server::portal::sql::{StateDb, Tx};
use quyhoach_server::AppState;
use serde_json::{json, Value};

use super::{send, Resp};

/// A JSON request (`Host: test.local`) with extra `headers`.
pub async fn request(
    st: &AppState,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "test.local")
        .header(header::CONTENT_TYPE, "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(st, req.body(Body::from(body.to_string())).unwrap()).await
}

/// A JSON request, as the official `who` (session cookie and CSRF token) or anonymously.
pub async fn call(
    st: &AppState,
    method: Method,
    uri: &str,
    who: Option<&(String, String)>,
    body: Option<Value>,
) -> Resp {
    let headers: Vec<(&str, &str)> = match who {
        Some((cookie, csrf)) => vec![("cookie", cookie), ("x-csrf-token", csrf)],
        None => Vec::new(),
    };
    let b = body.map(|v| v.to_string()).unwrap_or_default();
    request(st, method, uri, &headers, &b).await
}

/// Creates an account straight in the state database.
pub fn make_official(
    db: &StateDb,
    user: &str,
    name: &str,
    role: Role,
    communes: &[&str],
    password: &str,
) {
    let (u, name, pw) = (user.to_string(), name.to_string(), password.to_string());
    let communes: Vec<String> = communes.iter().map(|s| s.to_string()).collect();
    db.tx_blocking(move |tx: &mut dyn Tx| create_official(tx, &u, &name, role, &communes, &pw))
        .unwrap_or_else(|e| panic!("creating {user}: {e}"));
}

/// The `qh_session=…` pair of a response's Set-Cookie.
pub fn session_cookie(r: &Resp) -> String {
    r.headers
        .get(header::SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// Signs in: the cookie pair and the CSRF token.
pub async fn sign_in(st: &AppState, user: &str, password: &str) -> (String, String) {
    let body = json!({"username": user, "password": password}).to_string();
    let r = request(st, Method::POST, "/api/v1/auth/login", &[], &body).await;
    assert_eq!(r.status, 200, "{user}: {}", r.text());
    (
        session_cookie(&r),
        r.json()["csrf"].as_str().unwrap().to_string(),
    )
}

/// The boundary of [`multipart`] bodies.
pub const BOUNDARY: &str = "----qh-test-7f3a";

/// A `multipart/form-data` body: part `data` (JSON) and an optional `attachment`
/// (file name, content type, bytes).
pub fn multipart(data: &Value, file: Option<(&str, &str, &[u8])>) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"data\"\r\n\
             Content-Type: application/json\r\n\r\n{data}\r\n"
        )
        .as_bytes(),
    );
    if let Some((name, ty, bytes)) = file {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachment\"; \
                 filename=\"{name}\"\r\nContent-Type: {ty}\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

/// A real PNG photo (a gradient).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Parcels among the first `limit` of a served store whose reports answer 200.
pub fn served_parcels(addr: SocketAddr, limit: usize) -> Vec<String> {
    let get = |target: &str| super::process::http_request(addr, "GET", target, &[], b"");
    let (_, items) = get(&format!("/ogc/collections/parcels/items?limit={limit}")).unwrap();
    let items: Value = serde_json::from_slice(&items).unwrap();
    items["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let s = |k: &str| {
                p[k].as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| p[k].to_string())
            };
            format!("{}/{}/{}", s("commune_code"), s("sheet"), s("parcel"))
        })
        .filter(|id| get(&format!("/api/v1/parcels/{id}/report")).is_ok_and(|(s, _)| s == 200))
        .collect()
}
