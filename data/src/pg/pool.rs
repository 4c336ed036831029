//! The connections of one [`super::planning::PgData`]: up to a fixed number, each used by one
//! query at a time, made when needed and kept for the next. A server's requests run on many
//! threads; with one connection they would queue behind each other.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use postgres::{Client, Statement};

use super::{connect, PgError};

/// Connections a store opens at most, unless `QUYHOACH_PG_CONNECTIONS` says otherwise
/// (PostgreSQL allows 100 by default; several servers share them).
pub const DEFAULT_CONNECTIONS: usize = 8;

pub(super) struct Pool {
    url: String,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<Conn>,
    open: usize,
}

/// A connection with its prepared statements (each query text planned once per connection,
/// not on every call: planning a report's statement costs about twice its execution).
pub(super) struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// Statements kept per connection (the store's query texts are a few dozen).
const MAX_STATEMENTS: usize = 256;

impl Conn {
    fn new(client: Client) -> Conn {
        Conn {
            client,
            statements: HashMap::new(),
        }
    }

    /// Runs `sql` as a statement prepared on this connection.
    pub(super) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error> {
        let st = match self.statements.get(sql) {
            Some(st) => st.clone(),
            None => {
                let st = self.client.prepare(sql)?;
                if self.statements.len() >= MAX_STATEMENTS {
                    self.statements.clear();
                }
                self.statements.insert(sql.to_string(), st.clone());
                st
            }
        };
        self.client.query(&st, params)
    }
}

impl Pool {
    /// A pool holding `first` (the connection the store was opened with).
    pub(super) fn new(url: &str, first: Client) -> Pool {
        let max = std::env::var("QUYHOACH_PG_CONNECTIONS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_CONNECTIONS);
        Pool {
            url: url.to_string(),
            max,
            state: Mutex::new(State {
                idle: vec![Conn::new(first)],
                open: 1,
            }),
            freed: Condvar::new(),
        }
    }

    /// Runs `f` on a connection: an idle one, a new one while fewer than the maximum are
    /// open, else the next one given back. A connection the server closed (a restart, a
    /// failover) is made again, and `f` tried once more on it.
    pub(super) fn with<T>(
        &self,
        f: impl Fn(&mut Conn) -> Result<T, postgres::Error>,
    ) -> Result<T, PgError> {
        let mut conn = self.take()?;
        if conn.client.is_closed() {
            conn = self.reconnect()?;
        }
        let mut r = f(&mut conn);
        if r.is_err() && conn.client.is_closed() {
            conn = self.reconnect()?;
            r = f(&mut conn);
        }
        self.give_back(conn);
        Ok(r?)
    }

    fn take(&self) -> Result<Conn, PgError> {
        let mut s = self
            .state
            .lock()
            .map_err(|_| PgError::Data("the connection pool was poisoned".into()))?;
        loop {
            if let Some(c) = s.idle.pop() {
                return Ok(c);
            }
            if s.open < self.max {
                s.open += 1;
                drop(s);
                return connect(&self.url)
                    .map(Conn::new)
                    .inspect_err(|_| self.forget());
            }
            s = self
                .freed
                .wait(s)
                .map_err(|_| PgError::Data("the connection pool was poisoned".into()))?;
        }
    }

    /// A new connection in place of a closed one (the count unchanged); on failure the slot
    /// is freed.
    fn reconnect(&self) -> Result<Conn, PgError> {
        connect(&self.url)
            .map(Conn::new)
            .inspect_err(|_| self.forget())
    }

    fn give_back(&self, c: Conn) {
        if let Ok(mut s) = self.state.lock() {
            if c.client.is_closed() {
                s.open = s.open.saturating_sub(1);
            } else {
                s.idle.push(c);
            }
        }
        self.freed.notify_one();
    }

    /// A connection that will not come back.
    fn forget(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.open = s.open.saturating_sub(1);
        }
        self.freed.notify_one();
    }
}

impl Drop for Pool {
    /// The connections are closed on a thread of their own: closing one blocks on the
    /// connection's runtime, which panics when the last holder of the store is dropped on a
    /// server's async thread (a reload swapping the data version out, a finished request).
    fn drop(&mut self) {
        let idle = match self.state.get_mut() {
            Ok(s) => std::mem::take(&mut s.idle),
            Err(p) => std::mem::take(&mut p.into_inner().idle),
        };
        if !idle.is_empty() {
            let _ = std::thread::Builder::new()
                .name("pg-close".into())
                .spawn(move || drop(idle));
        }
    }
}
