//! Call-task latency benchmark against the test Asterisk (`cargo xtask
//! bench`, docs/performance.md): `CALLS` concurrent incoming calls, each a
//! task of [`App::run`](ari_generated::App::run) that sets a channel
//! variable `ROUNDS` times and waits for each `ChannelVarset` on its own
//! handle. Reports the event-to-handler latency (from the event's Asterisk
//! timestamp, millisecond precision, to the handler having it), the same
//! for a plain event stream of the same connection read meanwhile (the
//! baseline: what Asterisk and the socket take), and the request-to-event
//! round trip, p50 / p99 / max.
//!
//! ```sh
//! cargo xtask asterisk up
//! cargo run --release -p ari-generated --example ari-bench-calls -- 1000 5
//! ```

use ari_generated::models::Message;
use ari_generated::{Client, IncomingCall};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Barrier, Semaphore, mpsc};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What one call measured: event-to-handler and request-to-event, in µs.
type Samples = (Vec<u64>, Vec<u64>);

/// Requests in flight at most: Asterisk's HTTP server takes `sessionlimit`
/// connections (1000 in the harness), and every call task sends at once.
const IN_FLIGHT: usize = 400;

async fn call(
    call: IncomingCall,
    rounds: u32,
    all_in: Arc<Barrier>,
    in_flight: Arc<Semaphore>,
) -> Result<Samples, Error> {
    let mut channel = call.channel;
    tokio::time::timeout(Duration::from_secs(120), all_in.wait())
        .await
        .map_err(|_| "not every call arrived within 120 s")?;
    let (mut delivery, mut round_trip) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let value = round.to_string();
        let permit = in_flight.acquire().await?;
        let sent = Instant::now();
        // The event can come before the answer: wait for both at once, so
        // that the handler sees the event as soon as it is routed.
        let request = channel
            .handle()
            .set_channel_var("BENCH")
            .value(&value)
            .send();
        let wait = channel.wait_for_timeout(
            Duration::from_secs(30),
            |e| matches!(e, Message::ChannelVarset(v) if v.variable == "BENCH" && v.value == value),
        );
        let (answer, event) = tokio::join!(request, async {
            let event = wait.await;
            (event, SystemTime::now())
        });
        answer?;
        drop(permit);
        let (event, now) = (event.0?, event.1);
        round_trip.push(sent.elapsed().as_micros() as u64);
        if let Message::ChannelVarset(varset) = &event {
            let raised = varset.timestamp.to_system_time();
            delivery.push(now.duration_since(raised).unwrap_or_default().as_micros() as u64);
        }
    }
    let _permit = in_flight.acquire().await?;
    channel.hangup().send().await?;
    Ok((delivery, round_trip))
}

fn percentiles(name: &str, mut samples: Vec<u64>) {
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        samples.len(),
        at(0.50) as f64 / 1000.0,
        at(0.99) as f64 / 1000.0,
        samples.last().copied().unwrap_or(0) as f64 / 1000.0
    );
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (calls, rounds): (usize, u32) = match args.as_slice() {
        [calls, rounds] => (calls.parse()?, rounds.parse()?),
        _ => return Err("usage: ari-bench-calls CALLS ROUNDS".into()),
    };
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let client = Client::builder(var("ARI_URL", "http://127.0.0.1:8088"))
        .basic_auth(var("ARI_USER", "asterisk"), var("ARI_PASSWORD", "asterisk"))
        .request_timeout(Some(Duration::from_secs(60)))
        .build()?;
    let name = format!("bench-calls-{}", std::process::id());
    let app = client.app(&name).connect().await?;
    let (report, mut reports) = mpsc::unbounded_channel();
    let all_in = Arc::new(Barrier::new(calls));
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    let runner = tokio::spawn({
        let app = app.clone();
        async move {
            app.run(calls, move |incoming| {
                let (report, all_in) = (report.clone(), Arc::clone(&all_in));
                let in_flight = Arc::clone(&in_flight);
                async move {
                    let measured = call(incoming, rounds, all_in, in_flight).await;
                    let failed = measured.as_ref().err().map(ToString::to_string);
                    let _ = report.send(measured.map_err(|e| e.to_string()));
                    match failed {
                        Some(error) => Err(error),
                        None => Ok(()),
                    }
                }
            })
            .await
        }
    });
    // The baseline: the same events, read from a plain stream of the
    // same connection as they come.
    let mut plain = app.events();
    let plain_reader = tokio::spawn(async move {
        use futures_util::StreamExt as _;
        let mut samples = Vec::new();
        while let Some(item) = plain.next().await {
            if let ari_generated::runtime::StreamItem::Event(Message::ChannelVarset(v)) = &item
                && v.variable == "BENCH"
            {
                let raised = v.timestamp.to_system_time();
                let now = SystemTime::now();
                samples.push(now.duration_since(raised).unwrap_or_default().as_micros() as u64);
                if samples.len() == calls * rounds as usize {
                    break;
                }
            }
        }
        samples
    });
    let started = Instant::now();
    let placing = Arc::new(Semaphore::new(50));
    let mut originates = Vec::new();
    for _ in 0..calls {
        let (client, placing, name) = (client.clone(), Arc::clone(&placing), name.clone());
        originates.push(tokio::spawn(async move {
            let _permit = placing.acquire().await;
            client
                .channels()
                .originate(format!("Local/answer-stasis-{name}@default"))
                .context("default")
                .extension("answer-wait")
                .priority(1)
                .send()
                .await
                .map(drop)
        }));
    }
    for originate in originates {
        originate.await??;
    }
    let (mut delivery, mut round_trip) = (Vec::new(), Vec::new());
    let mut failures = 0;
    for _ in 0..calls {
        match tokio::time::timeout(Duration::from_secs(300), reports.recv()).await {
            Ok(Some(Ok((d, r)))) => {
                delivery.extend(d);
                round_trip.extend(r);
            }
            Ok(Some(Err(error))) => {
                failures += 1;
                eprintln!("call failed: {error}");
            }
            _ => return Err("a call did not report within 300 s".into()),
        }
    }
    println!(
        "RESULT calls={calls} rounds={rounds} failures={failures} seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    percentiles("event-to-handler", delivery);
    if let Ok(Ok(plain)) = tokio::time::timeout(Duration::from_secs(10), plain_reader).await {
        percentiles("event-to-plain-stream (baseline)", plain);
    }
    percentiles("request-to-event", round_trip);
    app.close().await;
    let _ = runner.await;
    Ok(())
}
