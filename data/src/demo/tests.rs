//! Tests of the demo district generator.

use super::*;

#[test]
fn demo_quick_look() {
    let dir = std::env::var("DEMO_DIR").unwrap_or_else(|_| "/tmp/demo_try".into());
    let n: usize = std::env::var("DEMO_N").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let t = std::time::Instant::now();
    let s = generate(&DemoOptions { parcels: n, seed: 1 }, Path::new(&dir), &|_, _| {}).unwrap();
    eprintln!("{:?} in {:?}", s.stats, t.elapsed());
}
