//! Nothing acknowledged is lost: the real binary takes 1,000 submissions from concurrent
//! clients while another thread kills it with SIGKILL at random moments and starts it again
//! on the same port and database; after the last restart every submission answered 201 is
//! in the database, exactly once. Then two officials answer the same questions at the same
//! moment, round after round: one wins, the other gets 409 with the winner's answer, and no
//! answer is lost. On SQLite (`--db FILE`) and PostgreSQL (`--db-url`, when
//! `QUYHOACH_TEST_PG` is set).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::process::{http_exchange, ServeProcess};
use common::twoway::{make_official, multipart, png, served_parcels, BOUNDARY};
use quyhoach_server::portal::accounts::Role;
use quyhoach_server::portal::sql::{vals, SqlError, StateDb, Tx};
use serde_json::{json, Value};

/// Submissions sent in the run.
const SUBMISSIONS: usize = 1000;
/// Concurrent clients.
const CLIENTS: usize = 8;
/// Rounds of two officials answering the same question at once.
const ANSWER_ROUNDS: usize = 30;
const PASSWORD: &str = "mật khẩu thử nghiệm 2026";

/// A small deterministic generator (xorshift64*), seeded from the clock: each run kills
/// at other moments; the seed is printed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// How the server is started, again and again.
struct Launcher {
    store: PathBuf,
    sqlite: PathBuf,
    pg: Option<String>,
}

impl Launcher {
    fn start(&self, listen: &str) -> ServeProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_quyhoach"));
        cmd.args(["serve", "--quiet", "--listen", listen, "--store"])
            .arg(&self.store)
            .args(["--trusted-proxy", "127.0.0.1", "--db"])
            .arg(&self.sqlite)
            .env("QUYHOACH_FEEDBACK_GLOBAL_PER_10MIN", "100000");
        if let Some(url) = &self.pg {
            cmd.args(["--db-url", url]);
        }
        ServeProcess::spawn(cmd)
    }

    /// The state database, opened beside the server.
    fn db(&self) -> StateDb {
        match &self.pg {
            Some(url) => StateDb::open(Some(url), None).unwrap().unwrap(),
            None => StateDb::Sqlite(Arc::new(
                quyhoach_server::portal::db::Db::open_without_sweeper(&self.sqlite).unwrap(),
            )),
        }
    }
}

/// A client address per submission (the server trusts 127.0.0.1 as a proxy).
fn xff(i: usize) -> String {
    format!("10.{}.{}.{}", 1 + i / 62_500, (i / 250) % 250, 1 + i % 250)
}

/// What happened to one submission.
#[derive(Debug, Default, Clone)]
struct Outcome {
    /// The id of the 201, if one came.
    acked: Option<i64>,
    /// Attempts that may have reached the server before this one (connection errors, 5xx).
    maybe_stored: usize,
    /// A 4xx that is not about the form token or the rate (a bug, or a replay refusal).
    refused: Option<String>,
    contact: bool,
    photo: bool,
}

/// A form token for client `ip`, retried while the server is down.
fn form_token(addr: SocketAddr, ip: &str, deadline: Instant) -> Option<String> {
    while Instant::now() < deadline {
        if let Ok((200, _, b)) = http_exchange(
            addr,
            "GET",
            "/api/v1/feedback/form",
            &[("X-Forwarded-For", ip)],
            b"",
        ) {
            let v: Value = serde_json::from_slice(&b).ok()?;
            return v["token"].as_str().map(str::to_string);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn run(backend: &str, pg: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let launcher = Launcher {
        store: common::demo().store.clone(),
        sqlite: dir.path().join("portal.sqlite"),
        pg,
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let first = launcher.start("127.0.0.1:0");
    let addr = first.addr;
    let listen = addr.to_string();
    let server = Arc::new(Mutex::new(Some(first)));
    let parcels = Arc::new(served_parcels(addr, 100));
    assert!(parcels.len() > 20, "{}", parcels.len());
    let (_, head, _) = http_exchange(
        addr,
        "GET",
        &format!("/api/v1/parcels/{}/report", parcels[0]),
        &[],
        b"",
    )
    .unwrap();
    let etag = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("etag: ")
                .or_else(|| l.strip_prefix("ETag: "))
        })
        .unwrap_or("")
        .to_string();
    let nonce = format!("{:08x}", rng.next() as u32);
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(150);

    // Form tokens first (a token must be 3 s old), one per submission and client address.
    let tokens: Vec<String> = std::thread::scope(|s| {
        let chunks: Vec<_> = (0..CLIENTS)
            .map(|c| {
                s.spawn(move || {
                    (c..SUBMISSIONS)
                        .step_by(CLIENTS)
                        .map(|i| {
                            (
                                i,
                                form_token(addr, &xff(i), deadline).expect("a form token"),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, String)> =
            chunks.into_iter().flat_map(|h| h.join().unwrap()).collect();
        all.sort();
        all.into_iter().map(|(_, t)| t).collect()
    });
    std::thread::sleep(Duration::from_millis(3300));

    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(vec![Outcome::default(); SUBMISSIONS]));
    let tokens = Arc::new(tokens);
    let photo = Arc::new(png(24, 16));
    let retries_after_error = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (next, acked, outcomes, tokens, photo, parcels, nonce, etag, retries) = (
                next.clone(),
                acked.clone(),
                outcomes.clone(),
                tokens.clone(),
                photo.clone(),
                parcels.clone(),
                nonce.clone(),
                etag.clone(),
                retries_after_error.clone(),
            );
            std::thread::spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= SUBMISSIONS {
                    break;
                }
                let ip = xff(i);
                let contact = i % 10 == 3;
                let with_photo = i % 50 == 7;
                let mut token = tokens[i].clone();
                let mut o = Outcome {
                    contact,
                    photo: with_photo,
                    ..Outcome::default()
                };
                loop {
                    if Instant::now() > deadline {
                        o.refused = Some("gave up: the server did not come back".into());
                        break;
                    }
                    let mut q = json!({
                        "kind": if i % 3 == 0 { "error" } else { "question" },
                        "body": format!("DUR-{nonce}-{i:04} Thửa này có bị quy hoạch không? (lần gửi thử độ bền)"),
                        "subject": {"kind": "parcel", "parcel": parcels[i % parcels.len()]},
                        "data_version": etag,
                        "lang": "vi",
                        "form_token": token,
                        "website": "",
                    });
                    if contact {
                        q["contact"] = json!({"name": format!("Người hỏi {i}"), "phone": format!("09{i:08}"), "email": format!("nguoi{i}@example.vn")});
                    }
                    let (ct, body) = if with_photo {
                        (format!("multipart/form-data; boundary={BOUNDARY}"), multipart(&q, Some(("anh.png", "image/png", &photo))))
                    } else {
                        ("application/json".to_string(), q.to_string().into_bytes())
                    };
                    match http_exchange(addr, "POST", "/api/v1/feedback", &[("Content-Type", &ct), ("X-Forwarded-For", &ip)], &body) {
                        Ok((201, _, b)) => {
                            let v: Value = serde_json::from_slice(&b).unwrap();
                            o.acked = Some(v["id"].as_i64().unwrap());
                            acked.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Ok((st, _, _)) if st >= 500 => {
                            o.maybe_stored += 1;
                            retries.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok((429, _, _)) => std::thread::sleep(Duration::from_millis(500)),
                        Ok((422, _, b)) if String::from_utf8_lossy(&b).contains("form_token") => {
                            // Not stored: a fresh token, old enough.
                            token = form_token(addr, &ip, deadline).unwrap_or_default();
                            std::thread::sleep(Duration::from_millis(3100));
                        }
                        Ok((st, _, b)) => {
                            o.refused = Some(format!("{st} {}", String::from_utf8_lossy(&b)));
                            break;
                        }
                        Err(_) => {
                            // Refused connection (down) or cut (killed while answering).
                            o.maybe_stored += 1;
                            retries.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(30));
                        }
                    }
                }
                outcomes.lock().unwrap()[i] = o;
            })
        })
        .collect();

    // The killer: 5–10 SIGKILLs spread over the run, each at a random moment.
    let kills = 5 + rng.below(6) as usize;
    let killer = {
        let (server, acked, done, launcher_store, listen) = (
            server.clone(),
            acked.clone(),
            done.clone(),
            (
                launcher.store.clone(),
                launcher.sqlite.clone(),
                launcher.pg.clone(),
            ),
            listen.clone(),
        );
        let offsets: Vec<u64> = (0..kills).map(|_| rng.below(40)).collect();
        std::thread::spawn(move || {
            let l = Launcher {
                store: launcher_store.0,
                sqlite: launcher_store.1,
                pg: launcher_store.2,
            };
            let mut log = Vec::new();
            for (k, off) in offsets.into_iter().enumerate() {
                let target = (k + 1) * SUBMISSIONS / (kills + 1);
                while acked.load(Ordering::SeqCst) < target && !done.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(2));
                }
                if done.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(off));
                let at = acked.load(Ordering::SeqCst);
                let old = server.lock().unwrap().take();
                drop(old); // SIGKILL, then reaped
                let t = Instant::now();
                let new = l.start(&listen);
                log.push((at, t.elapsed().as_millis()));
                *server.lock().unwrap() = Some(new);
            }
            log
        })
    };
    for c in clients {
        c.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let kill_log = killer.join().unwrap();
    let run_s = t0.elapsed().as_secs_f64();
    // One more kill after the last acknowledgement, then the check.
    drop(server.lock().unwrap().take());
    let srv = launcher.start(&listen);

    let outcomes = outcomes.lock().unwrap().clone();
    let db = launcher.db();
    let prefix = format!("DUR-{nonce}-");
    let rows = db
        .tx_blocking(move |tx: &mut dyn Tx| -> Result<_, SqlError> {
            let subs = tx.query(
                "SELECT s.id, s.body, (SELECT count(*) FROM submission_contact c WHERE c.submission_id = s.id), \
                 (SELECT count(*) FROM submission_attachment a WHERE a.submission_id = s.id) \
                 FROM submission s WHERE s.body LIKE ?",
                vals![format!("{prefix}%")],
            )?;
            let mut out = Vec::new();
            for r in subs {
                out.push((r.i64(0)?, r.text(1)?, r.i64(2)?, r.i64(3)?));
            }
            Ok(out)
        })
        .unwrap();
    let mut found: BTreeMap<usize, Vec<(i64, i64, i64)>> = BTreeMap::new();
    for (id, body, contacts, attachments) in &rows {
        let n: usize = body[4 + 1 + nonce.len()..][..4].parse().unwrap();
        found
            .entry(n)
            .or_default()
            .push((*id, *contacts, *attachments));
    }
    let mut lost = Vec::new();
    let mut doubled = Vec::new();
    let mut refused = Vec::new();
    let (mut acked_n, mut acked_after_retry, mut unacked_present, mut twice_after_retry) =
        (0, 0, 0, 0);
    for (i, o) in outcomes.iter().enumerate() {
        let here = found.get(&i).cloned().unwrap_or_default();
        if let Some(r) = &o.refused {
            refused.push(format!("{i}: {r}"));
        }
        match o.acked {
            Some(id) => {
                acked_n += 1;
                if o.maybe_stored > 0 {
                    acked_after_retry += 1;
                }
                match here.iter().find(|(rid, _, _)| *rid == id) {
                    None => lost.push(format!("{i} (id {id})")),
                    Some((_, contacts, attachments)) => {
                        assert_eq!(
                            *contacts,
                            i64::from(o.contact),
                            "{backend}: {i}: contact rows"
                        );
                        assert_eq!(
                            *attachments,
                            i64::from(o.photo),
                            "{backend}: {i}: attachments"
                        );
                    }
                }
                // Acknowledged at the first attempt: exactly once. After attempts that may
                // have reached the database unacknowledged: at most once more each.
                if here.len() > 1 + o.maybe_stored {
                    doubled.push(format!(
                        "{i}: {} rows, {} earlier attempts",
                        here.len(),
                        o.maybe_stored
                    ));
                } else if here.len() > 1 {
                    twice_after_retry += 1;
                }
            }
            None => {
                if !here.is_empty() {
                    unacked_present += 1;
                }
                if here.len() > o.maybe_stored {
                    doubled.push(format!(
                        "{i} (never acknowledged): {} rows, {} attempts",
                        here.len(),
                        o.maybe_stored
                    ));
                }
            }
        }
    }
    eprintln!(
        "{backend}: {SUBMISSIONS} submissions from {CLIENTS} clients in {run_s:.1} s, {} SIGKILLs \
         (at acknowledged count, restart ms: {kill_log:?}) + one after the last, seed {seed:#x}; \
         {acked_n} acknowledged ({acked_after_retry} after a retry), all present: {}; \
         {} retries after a connection error or 5xx; {unacked_present} unacknowledged but stored; \
         {twice_after_retry} stored twice after an unacknowledged first attempt",
        kill_log.len(),
        lost.is_empty(),
        retries_after_error.load(Ordering::SeqCst)
    );
    assert!(
        kill_log.len() >= 5,
        "{backend}: only {} kills happened: {kill_log:?}",
        kill_log.len()
    );
    assert!(
        lost.is_empty(),
        "{backend}: acknowledged submissions lost: {lost:?}"
    );
    assert!(
        doubled.is_empty(),
        "{backend}: stored more often than sent: {doubled:?}"
    );
    assert!(
        refused.is_empty(),
        "{backend}: refused: {:?}",
        &refused[..refused.len().min(5)]
    );
    assert_eq!(
        acked_n, SUBMISSIONS,
        "{backend}: not every submission was acknowledged"
    );

    concurrent_answers(backend, &srv, &db, &outcomes);
}

/// Signs in over HTTP: the cookie and the CSRF token.
fn login(addr: SocketAddr, user: &str, ip: &str) -> (String, String) {
    let body = json!({"username": user, "password": PASSWORD}).to_string();
    let (st, head, b) = http_exchange(
        addr,
        "POST",
        "/api/v1/auth/login",
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", ip),
        ],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(st, 200, "login {user}: {}", String::from_utf8_lossy(&b));
    let cookie = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.trim())
        .find(|v| v.starts_with("qh_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let v: Value = serde_json::from_slice(&b).unwrap();
    (cookie, v["csrf"].as_str().unwrap().to_string())
}

fn official(
    addr: SocketAddr,
    s: &(String, String),
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let b = if method == "GET" {
        String::new()
    } else {
        body.to_string()
    };
    let (st, _, raw) = http_exchange(
        addr,
        method,
        path,
        &[
            ("Cookie", &s.0),
            ("X-CSRF-Token", &s.1),
            ("Content-Type", "application/json"),
        ],
        b.as_bytes(),
    )
    .unwrap();
    (st, serde_json::from_slice(&raw).unwrap_or(Value::Null))
}

/// Two officials answer the same question at the same moment, many rounds.
fn concurrent_answers(backend: &str, srv: &ServeProcess, db: &StateDb, outcomes: &[Outcome]) {
    for u in ["canbo.a", "canbo.b"] {
        make_official(
            db,
            u,
            &format!("Cán bộ {u}"),
            Role::PlanningOffice,
            &[],
            PASSWORD,
        );
    }
    let addr = srv.addr;
    let sessions = [
        login(addr, "canbo.a", "10.200.0.1"),
        login(addr, "canbo.b", "10.200.0.2"),
    ];
    let ids: Vec<i64> = outcomes
        .iter()
        .filter_map(|o| o.acked)
        .take(ANSWER_ROUNDS)
        .collect();
    let mut tally = BTreeMap::<(u16, u16), usize>::new();
    for (round, id) in ids.iter().enumerate() {
        let barrier = Arc::new(Barrier::new(2));
        let results: Vec<(String, u16, Value)> = std::thread::scope(|s| {
            let hs: Vec<_> = sessions
                .iter()
                .enumerate()
                .map(|(k, sess)| {
                    let barrier = barrier.clone();
                    s.spawn(move || {
                        let (st, item) = official(
                            addr,
                            sess,
                            "GET",
                            &format!("/api/v1/official/submissions/{id}"),
                            &Value::Null,
                        );
                        assert_eq!(st, 200, "{item}");
                        let version = item["version"].as_i64().unwrap();
                        let answer = format!("Trả lời của cán bộ {k} ở vòng {round}");
                        barrier.wait();
                        let (st, v) = official(
                            addr,
                            sess,
                            "POST",
                            &format!("/api/v1/official/submissions/{id}/answer"),
                            &json!({"answer": answer, "version": version}),
                        );
                        (answer, st, v)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        *tally.entry((results[0].1, results[1].1)).or_default() += 1;
        let winners: Vec<_> = results.iter().filter(|r| r.1 == 200).collect();
        let losers: Vec<_> = results.iter().filter(|r| r.1 == 409).collect();
        assert_eq!(
            (winners.len(), losers.len()),
            (1, 1),
            "{backend}: round {round}: {:?}",
            results
                .iter()
                .map(|r| (r.1, r.2.to_string()))
                .collect::<Vec<_>>()
        );
        let won = &winners[0].0;
        // The loser is told the current answer: the winner's.
        assert_eq!(
            losers[0].2["current"]["answer"].as_str(),
            Some(won.as_str()),
            "{backend}: round {round}: the 409 does not carry the current answer: {}",
            losers[0].2
        );
        let id = *id;
        let stored = db
            .tx_blocking(move |tx: &mut dyn Tx| -> Result<_, SqlError> {
                let r = tx.query_one(
                    "SELECT answer, state FROM submission WHERE id = ?",
                    vals![id],
                )?;
                Ok((r.opt_text(0)?, r.text(1)?))
            })
            .unwrap();
        assert_eq!(
            stored.0.as_deref(),
            Some(won.as_str()),
            "{backend}: round {round}"
        );
        assert_eq!(stored.1, "answered");
        // The loser answers again with the version it was given: now it goes in.
        let current = &losers[0].2["current"];
        let sess = if losers[0].0.contains("cán bộ 0") {
            &sessions[0]
        } else {
            &sessions[1]
        };
        let (st, v) = official(
            addr,
            sess,
            "POST",
            &format!("/api/v1/official/submissions/{id}/answer"),
            &json!({"answer": format!("{} (sửa)", losers[0].0), "version": current["version"]}),
        );
        assert_eq!(st, 200, "{backend}: the retried answer: {v}");
    }
    // Every answer is in the audit log: two per round.
    let audited = db
        .tx_blocking(|tx: &mut dyn Tx| {
            tx.query_i64(
                "SELECT count(*) FROM audit_log WHERE action = 'answer'",
                &[],
            )
        })
        .unwrap();
    assert_eq!(
        audited as usize,
        2 * ids.len(),
        "{backend}: audit rows of answers"
    );
    eprintln!("{backend}: {} rounds of two officials answering at once: (first, second) statuses {tally:?}", ids.len());
}

#[test]
fn acknowledged_submissions_survive_sigkill_and_concurrent_answers_are_never_lost() {
    run("sqlite", None);
    if let Some(url) = common::state::postgres_url() {
        run("postgres", Some(url));
    }
}
