//! The store's write lock between threads of one process, while other threads spawn child
//! processes (as the format tests do with ogr2ogr): each fresh store locks, a store locked by
//! one thread is refused to another, and a released lock is free again at once.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;

use quyhoach_data::store::{Store, StoreError};

/// Threads that spawn short child processes until stopped: each child holds a copy of every
/// descriptor of this process between its fork and its exec.
struct Spawners {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Spawners {
    fn start(n: usize) -> Spawners {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..n)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let _ = Command::new("true").status();
                    }
                })
            })
            .collect();
        Spawners { stop, threads }
    }
}

impl Drop for Spawners {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[test]
fn many_threads_lock_their_own_fresh_stores_at_once() {
    let _spawners = Spawners::start(4);
    let failures = Arc::new(AtomicUsize::new(0));
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let failures = failures.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..150 {
                    // As data/tests/formats.rs does: lock to add plans, release, lock to import.
                    let dir = tempfile::tempdir().unwrap();
                    let store = Store::open_or_create(dir.path()).unwrap();
                    for _ in 0..2 {
                        if let Err(e) = store.lock() {
                            eprintln!("{e}");
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "fresh stores reported as locked"
    );
}

#[test]
fn two_threads_contend_on_one_store() {
    let _spawners = Spawners::start(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    for _ in 0..100 {
        let barrier = Arc::new(Barrier::new(2));
        let won = Arc::new(AtomicUsize::new(0));
        let contenders: Vec<_> = (0..2)
            .map(|_| {
                let (barrier, won, path) = (barrier.clone(), won.clone(), path.clone());
                std::thread::spawn(move || {
                    let store = Store::open_or_create(&path).unwrap();
                    barrier.wait();
                    let lock = store.lock();
                    match &lock {
                        Ok(_) => {
                            won.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(StoreError::Locked(_)) => {}
                        Err(e) => panic!("{e}"),
                    }
                    // Hold it until both have tried.
                    barrier.wait();
                    drop(lock);
                })
            })
            .collect();
        for c in contenders {
            c.join().unwrap();
        }
        assert_eq!(
            won.load(Ordering::SeqCst),
            1,
            "exactly one thread gets the lock"
        );
        // Released: free again at once, whatever children were spawned meanwhile.
        let store = Store::open_or_create(&path).unwrap();
        drop(store.lock().unwrap());
    }
}
