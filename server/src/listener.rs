//! The server's accept loop: HTTP/1.1 with bounded connections.
//!
//! `axum::serve` accepts every connection and keeps it as long as the client likes, so a few
//! thousand idle sockets use up the process's open files and nobody else gets in. Here:
//! - a connection must send a complete request head within [`HEADER_READ_TIMEOUT`] of being
//!   accepted or of its previous answer (hyper's header-read timer; it covers keep-alive
//!   idling and slow-loris heads alike), and the head may be at most [`MAX_HEAD_BYTES`];
//! - at most `max_connections` are open, by default the open-file limit less
//!   [`FD_RESERVE`] (the limit is first raised to its hard maximum). When full, a new
//!   connection closes the one idle the longest (no request in flight); if none is idle, the
//!   new one is closed at once. So idle sockets can never lock out a request;
//! - running out of file descriptors in `accept` frees an idle connection and retries
//!   instead of spinning;
//! - on shutdown, connections finish their current request within [`SHUTDOWN_GRACE`].
//!
//! Each request goes to the router current at its arrival (see [`crate::live`]), with the
//! peer's address as `ConnectInfo` (for trusted proxies).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

/// Longest a connection may take to send a request head, counted from its acceptance or
/// from its previous answer: a browser sends its head at once; keep-alive connections
/// idle longer than this are closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head (request line and headers) hyper reads; larger heads are refused
/// by hyper with a bare 431. Up to [`crate::MAX_HEADER_BYTES`] our own answers are problem
/// documents.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// File descriptors kept free of connections: store and archive files, upload readers'
/// pipes, logs.
pub const FD_RESERVE: u64 = 128;
/// Longest the server waits for requests in flight when it stops.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Where each request's router comes from.
pub type RouterSource = Arc<dyn Fn() -> Router + Send + Sync>;

/// Connection limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most open connections; `None`: the open-file limit less [`FD_RESERVE`].
    pub max_connections: Option<usize>,
}

/// Raises the soft open-file limit to the hard one and returns the connection cap.
pub fn connection_cap(limits: &Limits) -> usize {
    let soft = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let by_files = soft.saturating_sub(FD_RESERVE).max(16) as usize;
    limits
        .max_connections
        .map(|m| m.min(by_files))
        .unwrap_or(by_files)
}

struct Conn {
    /// Milliseconds since the registry's start of the last request start or end.
    last: AtomicU64,
    in_flight: AtomicUsize,
    close: Notify,
}

struct Registry {
    start: Instant,
    next: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Registry {
    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn len(&self) -> usize {
        self.conns.lock().map(|c| c.len()).unwrap_or(0)
    }

    fn add(&self) -> (u64, Arc<Conn>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let c = Arc::new(Conn {
            last: AtomicU64::new(self.now()),
            in_flight: AtomicUsize::new(0),
            close: Notify::new(),
        });
        if let Ok(mut m) = self.conns.lock() {
            m.insert(id, c.clone());
        }
        (id, c)
    }

    fn remove(&self, id: u64) {
        if let Ok(mut m) = self.conns.lock() {
            m.remove(&id);
        }
    }

    /// Asks the connection idle the longest to close; false if none is idle.
    fn evict_idle(&self) -> bool {
        let Ok(mut m) = self.conns.lock() else {
            return false;
        };
        let victim = m
            .iter()
            .filter(|(_, c)| c.in_flight.load(Ordering::Relaxed) == 0)
            .min_by_key(|(_, c)| c.last.load(Ordering::Relaxed))
            .map(|(id, _)| *id);
        match victim.and_then(|id| m.remove(&id)) {
            Some(c) => {
                c.close.notify_one();
                true
            }
            None => false,
        }
    }

    fn close_all(&self) {
        if let Ok(m) = self.conns.lock() {
            for c in m.values() {
                c.close.notify_one();
            }
        }
    }
}

/// Counts a request in flight on its connection until dropped (answered or abandoned).
struct InFlight {
    conn: Arc<Conn>,
    registry: Arc<Registry>,
}

impl InFlight {
    fn new(conn: Arc<Conn>, registry: Arc<Registry>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::Relaxed);
        conn.last.store(registry.now(), Ordering::Relaxed);
        InFlight { conn, registry }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.conn.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.conn.last.store(self.registry.now(), Ordering::Relaxed);
    }
}

fn out_of_files(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE))
}

/// Serves requests on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    routers: RouterSource,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let cap = connection_cap(&limits);
    tracing::info!("at most {cap} connections");
    let registry = Arc::new(Registry {
        start: Instant::now(),
        next: AtomicU64::new(0),
        conns: Mutex::new(HashMap::new()),
    });
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    if out_of_files(&e) {
                        registry.evict_idle();
                        tracing::warn!("accept: {e}; closed an idle connection");
                    } else {
                        tracing::debug!("accept: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if registry.len() >= cap && !registry.evict_idle() {
            // Every connection is busy: this one waits for nothing.
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let (id, conn) = registry.add();
        let registry = registry.clone();
        let routers = routers.clone();
        tokio::spawn(async move {
            let svc_conn = conn.clone();
            let svc_registry = registry.clone();
            let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let guard = InFlight::new(svc_conn.clone(), svc_registry.clone());
                let router = routers();
                async move {
                    let mut req = req.map(axum::body::Body::new);
                    req.extensions_mut().insert(ConnectInfo(peer));
                    let resp = router.oneshot(req).await;
                    drop(guard);
                    resp
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(MAX_HEAD_BYTES)
                .keep_alive(true);
            let http = builder.serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(http);
            tokio::select! {
                r = http.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!("connection from {peer}: {e}");
                    }
                }
                () = conn.close.notified() => {
                    http.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, http).await;
                }
            }
            registry.remove(id);
        });
    }
    // Stop: no new connections; those open finish their request.
    drop(listener);
    registry.close_all();
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while registry.len() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
