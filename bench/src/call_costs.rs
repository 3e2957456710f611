//! gr-call-costs: the cost of the C boundary measured from Rust, for python/bench.py: the
//! same calls made straight on the core's blocking connector and through the `gr_` exports
//! (the native library linked as an rlib, so these are the exports C, Python and Java call),
//! interleaved in one process against one redis-server. Prints numbers; asserts only that
//! the calls work.
//!
//! Run: `cargo run --release -p gr-bench --bin gr-call-costs`, against the redis-server
//! named by REDIS_URL, or one it starts itself when REDIS_URL is unset.
//! GR_BENCH_ROUND_SECONDS (default 1) and GR_BENCH_ROUNDS (default 5) set the rounds.

use std::ffi::CString;
use std::time::{Duration, Instant};

use gr_ffi::c_api::connector::{gr_connect, gr_connector, gr_connector_free};
use gr_ffi::c_api::status::gr_status::{self, GR_OK};
use gr_test_harness::RedisServer;
use group_redis::blocking::Connector;
use group_redis::Config;

// The bridged operations' Rust signatures name the bridge's private conversion types, so
// they are declared here as C sees them (include/group_redis.h) and resolved from the
// linked library.
#[allow(improper_ctypes)] // gr_connector is opaque to C: only pointers to it cross
extern "C" {
    fn gr_lock(
        conn: *const gr_connector,
        name: *const std::ffi::c_char,
        token_out: *mut u64,
    ) -> gr_status;
    fn gr_release(conn: *const gr_connector, name: *const std::ffi::c_char) -> gr_status;
    fn gr_is_held(
        conn: *const gr_connector,
        name: *const std::ffi::c_char,
        held_out: *mut bool,
    ) -> gr_status;
}

fn per_second(seconds: f64, mut pair: impl FnMut()) -> f64 {
    for _ in 0..200 {
        pair();
    }
    let start = Instant::now();
    let mut done = 0u64;
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        for _ in 0..25 {
            pair();
        }
        done += 25;
    }
    done as f64 / start.elapsed().as_secs_f64()
}

fn ns_per_call(mut call: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut done = 0u64;
    while start.elapsed() < Duration::from_millis(500) {
        for _ in 0..1000 {
            call();
        }
        done += 1000;
    }
    start.elapsed().as_nanos() as f64 / done as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let (_own_server, url) = match std::env::var("REDIS_URL") {
        Ok(url) => (None, url),
        Err(_) => {
            let server = RedisServer::start();
            // Measure a server past its first second, as gr-bench does (main.rs says why).
            std::thread::sleep(Duration::from_millis(1100));
            let url = server.url();
            (Some(server), url)
        }
    };
    let seconds: f64 = std::env::var("GR_BENCH_ROUND_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let rounds: usize = std::env::var("GR_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let direct = Connector::connect(
        Config::new(url.as_str())
            .with_group("rust-bench")
            .with_member_id("rust-direct"),
    )
    .unwrap();
    let c_url = CString::new(url).unwrap();
    let mut handle: *mut gr_connector = std::ptr::null_mut();
    assert_eq!(
        unsafe { gr_connect(c_url.as_ptr(), std::ptr::null(), &mut handle) },
        GR_OK
    );
    let name = c"rust-bench-c";
    let mut token = 0u64;

    let (mut rust_rates, mut c_rates) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        rust_rates.push(per_second(seconds, || {
            assert!(direct.lock("rust-bench-direct").unwrap().is_some());
            assert!(direct.release("rust-bench-direct").unwrap());
        }));
        c_rates.push(per_second(seconds, || unsafe {
            assert_eq!(gr_lock(handle, name.as_ptr(), &mut token), GR_OK);
            assert_eq!(gr_release(handle, name.as_ptr()), GR_OK);
        }));
    }
    assert!(direct.lock("rust-bench-held").unwrap().is_some());
    assert_eq!(
        unsafe { gr_lock(handle, c"rust-bench-held-c".as_ptr(), &mut token) },
        GR_OK
    );
    let rust_is_held = ns_per_call(|| {
        let _ = std::hint::black_box(direct.is_held(std::hint::black_box("rust-bench-held")));
    });
    let mut held = false;
    let c_is_held = ns_per_call(|| unsafe {
        gr_is_held(handle, c"rust-bench-held-c".as_ptr(), &mut held);
        std::hint::black_box(held);
    });
    println!(
        "rust_lock_release_pairs_per_s {:.0}",
        median(rust_rates.clone())
    );
    println!(
        "rust_c_abi_lock_release_pairs_per_s {:.0}",
        median(c_rates.clone())
    );
    println!("rust_rounds {rust_rates:.0?} c_abi_rounds {c_rates:.0?}");
    println!("rust_is_held_ns {rust_is_held:.1}");
    println!("rust_c_abi_is_held_ns {c_is_held:.1}");
    direct.close().unwrap();
    unsafe { gr_connector_free(handle) };
}
