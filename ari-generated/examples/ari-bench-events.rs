//! Event-throughput bench client, following the client contract of
//! `shared/bench/README.md`:
//!
//! ```sh
//! python3 ../shared/bench/replay_server.py 18088 --repeat 25000 &
//! cargo run --release -p ari-generated --example ari-bench-events -- \
//!     http://127.0.0.1:18088 asterisk asterisk bench
//! ```
//!
//! It connects the way a user of the library does, receives every event
//! through the public event stream as a typed `Message`, counts them from the
//! first one on, and on the `ChannelUserevent` named `BENCH_DONE` prints
//! `RESULT client=ari-generated events=N seconds=S [errors=E]`.
//!
//! Runs on tokio's default multi-thread runtime, where the socket reader and
//! the decoding consumer work side by side; `ARI_BENCH_RUNTIME=current_thread`
//! runs it on a current-thread runtime instead, everything on one core (see
//! `docs/performance.md`).

#[path = "common/bench_client.rs"]
mod bench_client;

fn main() -> std::process::ExitCode {
    bench_client::main("ari-generated")
}
