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

use ari_generated::models::Message;
use ari_generated::runtime::StreamItem;
use futures_util::StreamExt as _;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, user, password, app] = args.as_slice() else {
        eprintln!("usage: ari-bench-events BASE_URL USER PASS APP");
        return ExitCode::from(2);
    };
    let runtime = match std::env::var("ARI_BENCH_RUNTIME").as_deref() {
        Ok("current_thread") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ari-bench-events: cannot start tokio: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(url, user, password, app)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ari-bench-events: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    url: &str,
    user: &str,
    password: &str,
    app: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let client = ari_generated::Client::new(url, user, password)?;
    let mut stream = client.events().event_websocket(&[app]).connect().await?;
    let mut events: u64 = 0;
    let mut errors: u64 = 0;
    let mut started: Option<Instant> = None;
    while let Some(item) = stream.next().await {
        started.get_or_insert_with(Instant::now);
        let message = match item {
            StreamItem::Event(message) => message,
            StreamItem::Malformed(error) => {
                events += 1;
                errors += 1;
                eprintln!("decode error: {error}");
                continue;
            }
            StreamItem::Disconnected { reason, .. } => {
                return Err(format!("event connection lost: {reason}").into());
            }
            _ => continue,
        };
        events += 1;
        if let Message::ChannelUserevent(event) = &message
            && event.eventname == "BENCH_DONE"
        {
            let seconds = started.map_or(0.0, |t| t.elapsed().as_secs_f64());
            let errors = if errors > 0 {
                format!(" errors={errors}")
            } else {
                String::new()
            };
            println!("RESULT client=ari-generated events={events} seconds={seconds:.6}{errors}");
            return Ok(());
        }
        if let Message::Unknown(unknown) = &message {
            // Every message of the corpus is a known type: count it as an error.
            errors += 1;
            eprintln!("unknown message type {}", unknown.kind);
        }
    }
    Err("the event stream ended before BENCH_DONE".into())
}
