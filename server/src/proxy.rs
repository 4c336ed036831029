//! Which `X-Forwarded-*` headers to believe.
//!
//! Links in answers (OGC API, TileJSON, the style, `og:url`) are absolute, built from the
//! address the client used. Behind a reverse proxy that address is in `X-Forwarded-Host` and
//! `X-Forwarded-Proto`, but anyone can send those headers: a forged host would then be
//! written into links and cached. So they are honoured only from peers the operator lists as
//! proxies (`--trusted-proxy`), and a configured public URL (`--public-url`) overrides both
//! them and `Host`. Every other request has its forwarding headers removed before any
//! handler sees it, and a `Host` that is not a plain host name is ignored.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderMap, HeaderValue};

/// Forwarding headers removed from requests of untrusted peers.
const FORWARDING: &[&str] = &[
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-for",
    "x-forwarded-port",
    "x-forwarded-prefix",
    "forwarded",
];

/// The proxy settings.
#[derive(Clone, Debug, Default)]
pub struct Proxies {
    trusted: Vec<ipnet::IpNet>,
    public: Option<(String, String)>,
}

/// A bad `--trusted-proxy` or `--public-url`.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// Not an IP address or CIDR network.
    #[error(
        "--trusted-proxy '{0}' is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8, ::1)"
    )]
    Network(String),
    /// Not `http(s)://host[:port]`.
    #[error("--public-url '{0}' must be http:// or https:// followed by a host and an optional port, without a path (e.g. https://quyhoach.example.vn)")]
    PublicUrl(String),
}

/// A host name, IPv4 address or bracketed IPv6 address, with an optional port.
pub fn is_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

impl Proxies {
    /// Trusts `networks` (addresses or CIDRs) as proxies; `public_url` overrides the address
    /// clients used in every link.
    pub fn new(networks: &[String], public_url: Option<&str>) -> Result<Self, ProxyError> {
        let mut trusted = Vec::new();
        for n in networks.iter().flat_map(|n| n.split(',')).map(str::trim) {
            if n.is_empty() {
                continue;
            }
            let net = n
                .parse::<ipnet::IpNet>()
                .or_else(|_| n.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| ProxyError::Network(n.to_string()))?;
            trusted.push(net);
        }
        let public = match public_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u) => {
                let u = u.trim_end_matches('/');
                let (proto, host) = u
                    .split_once("://")
                    .ok_or_else(|| ProxyError::PublicUrl(u.to_string()))?;
                if !matches!(proto, "http" | "https") || !is_host(host) {
                    return Err(ProxyError::PublicUrl(u.to_string()));
                }
                Some((proto.to_string(), host.to_string()))
            }
        };
        Ok(Proxies { trusted, public })
    }

    /// The configured public address (`--public-url`), as `proto://host[:port]`.
    pub fn public_url(&self) -> Option<String> {
        self.public
            .as_ref()
            .map(|(proto, host)| format!("{proto}://{host}"))
    }

    fn trusts(&self, peer: Option<IpAddr>) -> bool {
        let Some(ip) = peer else { return false };
        // An IPv4 peer on an IPv6 socket arrives as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.trusted.iter().any(|n| n.contains(&ip))
    }
}

/// Leaves `Host`, `X-Forwarded-Host` and `X-Forwarded-Proto` as the handlers may believe
/// them (the servers' middleware calls this on every request).
pub fn sanitize(proxies: &Proxies, req: &mut Request) {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let headers = req.headers_mut();
    if let Some((proto, host)) = &proxies.public {
        for h in FORWARDING {
            headers.remove(*h);
        }
        if let Ok(v) = HeaderValue::from_str(host) {
            headers.insert(header::HOST, v);
        }
        if let Ok(v) = HeaderValue::from_str(proto) {
            headers.insert("x-forwarded-proto", v);
        }
    } else if !proxies.trusts(peer) {
        for h in FORWARDING {
            headers.remove(*h);
        }
    }
    let bad_host = headers
        .get(header::HOST)
        .is_some_and(|v| v.to_str().map(|h| !is_host(h)).unwrap_or(true));
    if bad_host {
        headers.remove(header::HOST);
    }
}

/// The absolute base URL of this service as the client reached it (`http://host:port`),
/// from `X-Forwarded-Proto`/`X-Forwarded-Host` behind a proxy or the `Host` header.
/// OGC API links must be absolute for some clients (GDAL, ogctests), so they are built
/// from this.
pub fn base_url(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(',').next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()))
    };
    let proto = get("x-forwarded-proto")
        .filter(|p| p == "http" || p == "https")
        .unwrap_or_else(|| "http".to_string());
    let host = get("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .filter(|h| !h.contains(['/', '\\', '"', '<', '>']))
        .unwrap_or_else(|| "localhost".to_string());
    format!("{proto}://{host}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn networks_and_public_urls() {
        let p = Proxies::new(&["127.0.0.1, 10.0.0.0/8".into(), "::1".into()], None).unwrap();
        assert!(p.trusts(Some("127.0.0.1".parse().unwrap())));
        assert!(p.trusts(Some("10.2.3.4".parse().unwrap())));
        assert!(p.trusts(Some("::ffff:10.2.3.4".parse().unwrap())));
        assert!(p.trusts(Some("::1".parse().unwrap())));
        assert!(!p.trusts(Some("192.168.1.1".parse().unwrap())));
        assert!(!p.trusts(None));
        assert!(Proxies::new(&["nonsense".into()], None).is_err());
        assert!(Proxies::new(&[], Some("https://qh.example.vn/")).is_ok());
        assert!(Proxies::new(&[], Some("https://qh.example.vn/x")).is_err());
        assert!(Proxies::new(&[], Some("ftp://qh.example.vn")).is_err());
        assert!(is_host("[::1]:8080") && is_host("a-b.example:80"));
        assert!(!is_host("evil.example/x") && !is_host("a\"b"));
    }
}
