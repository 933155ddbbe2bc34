//! `ari-bench-events` in an application that picks mimalloc as its global
//! allocator, the usual one-line choice of a Rust service that allocates a
//! lot across threads. The library itself does not depend on it.
//!
//! An event owns about ten strings, and with the multi-thread runtime some
//! events are decoded on the reader's thread and dropped on the consumer's:
//! glibc's per-thread arenas make such frees slow, mimalloc's are cheap.
//! Same arguments and output as `ari-bench-events`
//! (`client=ari-generated+mimalloc`).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/bench_client.rs"]
mod bench_client;

fn main() -> std::process::ExitCode {
    bench_client::main("ari-generated+mimalloc")
}
