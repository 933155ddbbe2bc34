// The event-throughput bench client shared by `ari-bench-events` and
// `ari-bench-events-mimalloc` (see those files for how to run it).

use ari_generated::models::Message;
use ari_generated::runtime::StreamItem;
use futures_util::StreamExt as _;
use std::process::ExitCode;
use std::time::Instant;

pub fn main(client_name: &str) -> ExitCode {
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
    match runtime.block_on(run(client_name, url, user, password, app)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ari-bench-events: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    client_name: &str,
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
            println!("RESULT client={client_name} events={events} seconds={seconds:.6}{errors}");
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
