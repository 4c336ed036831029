//! The state database layer on SQLite and PostgreSQL: the same statements give the same
//! answers, unique violations are told apart, conditional updates never lose a write.

#![allow(clippy::unwrap_used)]

mod common;

use quyhoach_server::portal::sql::{vals, SqlError, Tx};

#[test]
fn same_statements_same_answers_on_every_backend() {
    for t in common::state::every_backend() {
        let db = t.db.clone();
        let failed = db.tx_blocking(|tx: &mut dyn Tx| -> Result<_, SqlError> {
            tx.exec(
                "INSERT INTO official (username, display_name, role, password_hash, created_at, password_at) \
                 VALUES ('z', '', 'admin', 'x', 0, 0)",
                &[],
            )?;
            let dup = tx.exec(
                "INSERT INTO official (username, display_name, role, password_hash, created_at, password_at) \
                 VALUES ('z', '', 'admin', 'x', 0, 0)",
                &[],
            );
            assert!(matches!(dup, Err(SqlError::Unique(_))), "{dup:?}");
            // The closure goes on as if nothing happened: the transaction still fails.
            Ok(())
        });
        assert!(failed.is_err(), "{}", t.backend);
        let first = db
            .tx_blocking(|tx: &mut dyn Tx| -> Result<_, SqlError> {
                let id = tx.query_i64(
                    "INSERT INTO official (username, display_name, role, password_hash, created_at, password_at) \
                     VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    vals!["a", "Nguyễn Văn A", "admin", "x", 1_i64, 1_i64],
                )?;
                let rows = tx.query(
                    "SELECT id, username, display_name, communes, disabled FROM official WHERE username = ?",
                    vals!["a"],
                )?;
                let dup = tx.exec(
                    "INSERT INTO official (username, display_name, role, password_hash, created_at, password_at) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                    vals!["a", "B", "admin", "x", 1_i64, 1_i64],
                );
                Ok((id, rows, dup))
            });
        // The duplicate fails the whole transaction, on both: nothing was written.
        assert!(
            matches!(&first, Err(SqlError::Other(m)) if m.contains("rolled back")),
            "{}",
            t.backend
        );
        let (id, rows, dup) = db
            .tx_blocking(|tx: &mut dyn Tx| -> Result<_, SqlError> {
                let id = tx.query_i64(
                    "INSERT INTO official (username, display_name, role, password_hash, created_at, password_at) \
                     VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    vals!["a", "Nguyễn Văn A", "admin", "x", 1_i64, 1_i64],
                )?;
                let rows = tx.query(
                    "SELECT id, username, display_name, communes, disabled, (SELECT count(*) FROM official WHERE username = 'z') FROM official WHERE username = ?",
                    vals!["a"],
                )?;
                let dup = tx.query(
                    "INSERT INTO official (username, display_name, role, password_hash, created_at, password_at) \
                     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING RETURNING id",
                    vals!["a", "B", "admin", "x", 1_i64, 1_i64],
                )?;
                Ok((id, rows, dup.len()))
            })
            .unwrap_or_else(|e| panic!("{}: {e}", t.backend));
        assert!(id >= 1, "{}", t.backend);
        assert_eq!(dup, 0, "{}", t.backend);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].i64(5).unwrap(),
            0,
            "{}: the failed transaction left a row",
            t.backend
        );
        assert_eq!(rows[0].text(2).unwrap(), "Nguyễn Văn A");
        assert_eq!(rows[0].text(3).unwrap(), "");
        assert_eq!(rows[0].i64(4).unwrap(), 0);
        // Blobs, NULLs and counts.
        let n = db
            .tx_blocking(|tx: &mut dyn Tx| -> Result<_, SqlError> {
                tx.exec(
                    "INSERT INTO login_throttle (key, failures, window_start) VALUES (?, ?, ?) \
                     ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1",
                    vals![vec![1u8, 2, 3], 1_i64, 5_i64],
                )?;
                tx.exec(
                    "INSERT INTO login_throttle (key, failures, window_start) VALUES (?, ?, ?) \
                     ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1",
                    vals![vec![1u8, 2, 3], 1_i64, 5_i64],
                )?;
                let r = tx.query_one(
                    "SELECT failures, key, CAST(SUM(window_start) AS BIGINT) FROM login_throttle GROUP BY failures, key",
                    &[],
                )?;
                Ok((r.i64(0)?, r.blob(1)?, r.i64(2)?))
            })
            .unwrap();
        assert_eq!(n, (2, vec![1, 2, 3], 5), "{}", t.backend);
    }
}

#[test]
fn conditional_updates_from_many_threads_lose_nothing() {
    for t in common::state::every_backend() {
        let db = t.db.clone();
        db.tx_blocking(|tx: &mut dyn Tx| -> Result<_, SqlError> {
            tx.exec(
                "INSERT INTO official (username, display_name, role, password_hash, created_at, password_at) \
                 VALUES ('c', '', 'admin', 'x', 0, 0)",
                &[],
            )
        })
        .unwrap();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let db = db.clone();
                std::thread::spawn(move || {
                    let mut done = 0;
                    while done < 10 {
                        let ok = db
                            .tx_blocking(|tx: &mut dyn Tx| -> Result<_, SqlError> {
                                let v = tx.query_i64(
                                    "SELECT password_at FROM official WHERE username = 'c'",
                                    &[],
                                )?;
                                tx.exec(
                                    "UPDATE official SET password_at = ? WHERE username = 'c' AND password_at = ?",
                                    vals![v + 1, v],
                                )
                            })
                            .unwrap();
                        done += ok;
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let v = db
            .tx_blocking(|tx: &mut dyn Tx| -> Result<_, SqlError> {
                tx.query_i64("SELECT password_at FROM official WHERE username = 'c'", &[])
            })
            .unwrap();
        assert_eq!(v, 80, "{}", t.backend);
    }
}

#[test]
fn shared_secrets_are_made_once_and_shared() {
    for t in common::state::every_backend() {
        let a =
            t.db.tx_blocking(|tx: &mut dyn Tx| {
                quyhoach_server::portal::twoway::shared_secret(tx, "form")
            })
            .unwrap();
        let b =
            t.db.tx_blocking(|tx: &mut dyn Tx| {
                quyhoach_server::portal::twoway::shared_secret(tx, "form")
            })
            .unwrap();
        let c =
            t.db.tx_blocking(|tx: &mut dyn Tx| {
                quyhoach_server::portal::twoway::shared_secret(tx, "other")
            })
            .unwrap();
        assert_eq!(a, b, "{}", t.backend);
        assert_ne!(a, c, "{}", t.backend);
    }
}
