//! The alert mail sender: one background thread per process, started when `--smtp-url` is
//! set, by [`super::on_data`] (at start and after each reload) or by the first request to
//! an alerts route. It sends due `mail_outbox` rows through the operator's SMTP relay in
//! plain SMTP (`lettre`'s `builder_dangerous`: no TLS and no login; the relay is the
//! operator's own, on the host or the local network), retries with backoff (1 min, 5 min,
//! 30 min, 2 h, 2 h) and gives up after [`MAX_ATTEMPTS`], keeping the `last_error`.
//! Several servers may share the outbox: a row is claimed by a conditional UPDATE (which
//! also pushes its `next_try_at` [`LEASE`] seconds on, so a server that dies while sending
//! leaves it to another).

use std::sync::OnceLock;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{Message, SmtpTransport, Transport};

use super::super::sql::{now, vals, SqlResult, StateDb};
use super::PortalState;
use super::{site_base, unsubscribe_code, unsubscribe_key, MailConfig};

/// Delays before the 2nd, 3rd, … attempt, in seconds.
pub const BACKOFF: [i64; 5] = [60, 300, 1800, 7200, 7200];
/// Attempts before a mail is given up.
pub const MAX_ATTEMPTS: i64 = 6;
/// Seconds a claimed row is left to the server that claimed it.
pub const LEASE: i64 = 600;
/// Mails sent per round at most.
const PER_ROUND: i64 = 50;
/// Pause between rounds.
const POLL: Duration = Duration::from_secs(2);

static STARTED: OnceLock<()> = OnceLock::new();

/// Starts the sender once per process, if SMTP and a state database are configured.
pub fn start(state: &PortalState) {
    let (Some(cfg), Some(db)) = (state.portal.twoway.mail.clone(), state.portal.state.clone())
    else {
        return;
    };
    if STARTED.set(()).is_err() {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("alerts-mail".into())
        .spawn(move || loop {
            match send_due(&db, &cfg) {
                Ok(0) => {}
                Ok(n) => tracing::info!(n, "alerts: mail sent"),
                Err(e) => tracing::error!(%e, "alerts: the mail round failed"),
            }
            std::thread::sleep(POLL);
        });
}

/// `smtp://host[:port]` → host and port (25 by default).
pub fn parse_smtp_url(url: &str) -> Result<(String, u16), String> {
    let rest = url
        .trim()
        .strip_prefix("smtp://")
        .ok_or_else(|| format!("--smtp-url must be smtp://host[:port], not '{url}'"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("--smtp-url: bad port '{p}'"))?,
        ),
        _ => (rest, 25),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(['/', '@', ' ']) {
        return Err(format!("--smtp-url: bad host in '{url}'"));
    }
    Ok((host.to_string(), port))
}

struct Claimed {
    id: i64,
    to: String,
    subject: String,
    body: String,
    attempts: i64,
    unsubscribe: Option<String>,
}

/// Sends the mail due now (blocking); returns how many went out.
pub fn send_due(db: &StateDb, cfg: &MailConfig) -> SqlResult<usize> {
    let claimed = db.tx_blocking(|tx| -> SqlResult<Vec<Claimed>> {
        let t = now();
        let rows = tx.query(
            "SELECT id, follow_id, to_addr, subject, body, attempts, next_try_at FROM mail_outbox \
             WHERE sent_at IS NULL AND next_try_at <= ? AND attempts < ? ORDER BY next_try_at, id LIMIT ?",
            vals![t, MAX_ATTEMPTS, PER_ROUND],
        )?;
        let mut out = Vec::new();
        let mut key = None;
        for r in rows {
            let id = r.i64(0)?;
            let n = tx.exec(
                "UPDATE mail_outbox SET attempts = attempts + 1, next_try_at = ? \
                 WHERE id = ? AND sent_at IS NULL AND next_try_at = ?",
                vals![t + LEASE, id, r.i64(6)?],
            )?;
            if n != 1 {
                continue; // another server took it
            }
            let unsubscribe = match r.opt_i64(1)? {
                Some(fid) => {
                    let k = match key {
                        Some(k) => k,
                        None => {
                            let k = unsubscribe_key(tx)?;
                            key = Some(k);
                            k
                        }
                    };
                    Some(unsubscribe_code(&k, fid))
                }
                None => None,
            };
            out.push(Claimed {
                id,
                to: r.text(2)?,
                subject: r.text(3)?,
                body: r.text(4)?,
                attempts: r.i64(5)? + 1,
                unsubscribe,
            });
        }
        Ok(out)
    })?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let transport = parse_smtp_url(&cfg.smtp_url).map(|(host, port)| {
        SmtpTransport::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(30)))
            .build()
    });
    let base = site_base();
    let mut sent = 0;
    for c in claimed {
        let result = match &transport {
            Ok(t) => message(cfg, &base, &c)
                .and_then(|m| t.send(&m).map(|_| ()).map_err(|e| e.to_string())),
            Err(e) => Err(e.clone()),
        };
        let t = now();
        match result {
            Ok(()) => {
                sent += 1;
                let id = c.id;
                db.tx_blocking(move |tx| {
                    tx.exec(
                        "UPDATE mail_outbox SET sent_at = ?, last_error = NULL WHERE id = ?",
                        vals![t, id],
                    )
                })?;
            }
            Err(e) => {
                let delay = usize::try_from(c.attempts - 1)
                    .ok()
                    .and_then(|i| BACKOFF.get(i))
                    .copied()
                    .unwrap_or(7200);
                tracing::warn!(id = c.id, attempts = c.attempts, error = %e, "alerts: a mail was not sent");
                let err: String = e.chars().take(500).collect();
                let id = c.id;
                db.tx_blocking(move |tx| {
                    tx.exec(
                        "UPDATE mail_outbox SET next_try_at = ?, last_error = ? WHERE id = ?",
                        vals![t + delay, err, id],
                    )
                })?;
            }
        }
    }
    Ok(sent)
}

fn message(cfg: &MailConfig, base: &str, c: &Claimed) -> Result<Message, String> {
    let from = cfg
        .from
        .parse::<lettre::message::Mailbox>()
        .map_err(|e| format!("--mail-from: {e}"))?;
    let to =
        c.to.parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("recipient: {e}"))?;
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(c.subject.clone())
        .header(ContentType::TEXT_PLAIN);
    if let Some(code) = &c.unsubscribe {
        b = b
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{base}/api/v1/follows/{code}/unsubscribe>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    b.body(c.body.replace(super::SITE, base))
        .map_err(|e| format!("building the mail: {e}"))
}
