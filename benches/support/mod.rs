//! What every benchmark's `main` does the same way: the `--count N` flag
//! and a two-worker runtime (the machines the figures come from have two
//! cores).

#![allow(dead_code)] // each bench uses the part it needs

/// `--count N` from the command line, else `default`.
pub fn count_arg(default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--count")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// Runs `bench` to its end on a two-worker runtime.
pub fn block_on<F: std::future::Future>(bench: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(bench)
}
