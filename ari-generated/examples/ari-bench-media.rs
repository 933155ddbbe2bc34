//! Concurrent media sessions against the test Asterisk (`cargo xtask
//! bench`, docs/performance.md): `N` WebSocket media channels (`slin16`,
//! JSON control), each bridged with a Local channel whose far end runs
//! `Echo()` (`media-echo`). Every session sends one 20 ms frame every
//! 20 ms (as a speech synthesiser streams) and receives the echo for
//! `SECONDS`. Two clients, the same load, one after the other:
//!
//! - `runtime`: `ari_runtime::media` (`MediaSession`, its sender and receiver);
//! - `floor`: a hand-written loop over tokio-tungstenite on the same
//!   socket (`/media/<id>`), one task per session writing a frame per tick
//!   and one reading.
//!
//! Reported per client: the interval between consecutive frames received
//! back (p50 / p99 / max over all sessions: Asterisk plays what it was sent
//! at its own 20 ms pace, so a late frame shows as a gap), the interval of
//! the sending loop's sends, and the client's CPU per session (user + system
//! time of this process over the window, `/proc/self/stat`).
//!
//! ```sh
//! cargo xtask asterisk up
//! cargo run --release -p ari-generated --example ari-bench-media -- 50,100 10
//! ```

use ari_generated::channels::ChannelHandle;
use ari_generated::models::{ConnectionType, Encapsulation, Message, Transport};
use ari_generated::runtime::media::{MediaItem, MediaOptions, MediaSession, connection_id};
use ari_generated::{App, Client, Tracked};
use futures_util::{SinkExt as _, StreamExt as _};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

type Error = Box<dyn std::error::Error + Send + Sync>;

const FRAME: usize = 640;
const TICK: Duration = Duration::from_millis(20);

/// A media channel bridged with an echoing far end, not yet connected.
struct Prepared {
    connection: String,
    media: Tracked<ChannelHandle>,
    far: Tracked<ChannelHandle>,
    bridge: ari_generated::Tracked<ari_generated::bridges::BridgeHandle>,
}

async fn prepare(client: &Client, app: &App) -> Result<Prepared, Error> {
    let bridge = client.bridges().create().tracked(app).await?;
    let far = client
        .channels()
        .originate("Local/media-echo@default")
        .tracked(app)
        .await?;
    let id = app.new_id();
    let media = app.track::<ChannelHandle>(&id);
    let channel = client
        .channels()
        .external_media(app.name(), "slin16")
        .channel_id(&id)
        .transport(Transport::Websocket)
        .encapsulation(Encapsulation::None)
        .connection_type(ConnectionType::Server)
        .transport_data("f(json)")
        .send()
        .await?;
    let connection = connection_id(channel.channelvars.as_ref())
        .ok_or("no connection id")?
        .to_owned();
    Ok(Prepared {
        connection,
        media,
        far,
        bridge,
    })
}

async fn bridge_up(prepared: &mut Prepared) -> Result<(), Error> {
    prepared
        .media
        .wait_for_timeout(Duration::from_secs(30), |e| {
            matches!(e, Message::StasisStart(_))
        })
        .await?;
    prepared
        .bridge
        .add_channel(&[prepared.far.id(), prepared.media.id()])
        .send()
        .await?;
    Ok(())
}

/// What one session measured: intervals of frames received, of sends, µs.
type Samples = (Vec<u64>, Vec<u64>);

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Intervals between consecutive instants, skipping the first `skip` s
/// (the bridge settling).
fn intervals(instants: &[Instant], from: Instant) -> Vec<u64> {
    instants
        .windows(2)
        .filter(|pair| pair[0] >= from)
        .map(|pair| micros(pair[1] - pair[0]))
        .collect()
}

async fn runtime_session(
    client: Client,
    mut prepared: Prepared,
    window: Duration,
    all_up: Arrival,
) -> Result<Samples, Error> {
    let session = MediaSession::connect(
        client.runtime(),
        &prepared.connection,
        MediaOptions::default(),
    )
    .await?;
    bridge_up(&mut prepared).await?;
    all_up.wait().await;
    let (sender, mut receiver) = session.split();
    let settle = Instant::now() + Duration::from_secs(1);
    let reading = tokio::spawn(async move {
        let mut received = Vec::new();
        let until = Instant::now() + window;
        while let Ok(Some(item)) = tokio::time::timeout_at(until.into(), receiver.next()).await {
            if let MediaItem::Audio(_) = item {
                received.push(Instant::now());
            }
        }
        received
    });
    let mut sent = Vec::new();
    let mut tick = tokio::time::interval(TICK);
    let until = Instant::now() + window;
    let frame = vec![0x10u8; FRAME];
    while Instant::now() < until {
        tick.tick().await;
        sender.send(frame.clone()).await?;
        sent.push(Instant::now());
    }
    let received = reading.await?;
    let _ = sender.hangup().await;
    hang_up(&prepared).await;
    Ok((intervals(&received, settle), intervals(&sent, settle)))
}

async fn floor_session(
    client: Client,
    mut prepared: Prepared,
    window: Duration,
    all_up: Arrival,
) -> Result<Samples, Error> {
    use tokio_tungstenite::tungstenite::{Message as Ws, client::IntoClientRequest as _};
    let base = client
        .runtime()
        .base_url()
        .trim_end_matches("/ari")
        .replacen("http", "ws", 1);
    let mut request = format!("{base}/media/{}", prepared.connection).into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "media".parse()?);
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    let (mut write, mut read) = socket.split();
    // MEDIA_START.
    read.next().await.ok_or("closed")??;
    bridge_up(&mut prepared).await?;
    all_up.wait().await;
    let settle = Instant::now() + Duration::from_secs(1);
    let reading = tokio::spawn(async move {
        let mut received = Vec::new();
        let until = Instant::now() + window;
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(until.into(), read.next()).await {
            if let Ws::Binary(_) = message {
                received.push(Instant::now());
            }
        }
        received
    });
    let mut sent = Vec::new();
    let mut tick = tokio::time::interval(TICK);
    let until = Instant::now() + window;
    let frame = vec![0x10u8; FRAME];
    while Instant::now() < until {
        tick.tick().await;
        write.send(Ws::Binary(frame.clone().into())).await?;
        sent.push(Instant::now());
    }
    let received = reading.await?;
    let _ = write.send(Ws::Text(r#"{"command":"HANGUP"}"#.into())).await;
    hang_up(&prepared).await;
    Ok((intervals(&received, settle), intervals(&sent, settle)))
}

/// A session's place at the start line: waiting for every other session,
/// or, when it fails before, counted as arrived (so that the rest start).
struct Arrival(Option<Arc<Barrier>>);

impl Arrival {
    async fn wait(mut self) {
        if let Some(barrier) = self.0.take() {
            barrier.wait().await;
        }
    }
}

impl Drop for Arrival {
    fn drop(&mut self) {
        if let Some(barrier) = self.0.take() {
            tokio::spawn(async move {
                barrier.wait().await;
            });
        }
    }
}

/// Every channel and the bridge of a session, gone.
async fn hang_up(prepared: &Prepared) {
    let _ = prepared.media.hangup().send().await;
    let _ = prepared.far.hangup().send().await;
    let _ = prepared.bridge.destroy().send().await;
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name in parentheses; utime and stime are
    // the 14th and 15th fields of the line.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Clock ticks are 100 per second on Linux.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn summary(samples: &mut [u64]) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    format!(
        "p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
        at(0.5) as f64 / 1000.0,
        at(0.99) as f64 / 1000.0,
        samples[samples.len() - 1] as f64 / 1000.0
    )
}

async fn round(
    client: &Client,
    sessions: usize,
    window: Duration,
    floor: bool,
) -> Result<(), Error> {
    let app = client
        .app(format!("bench-media-{}", std::process::id()))
        .connect()
        .await?;
    // Each session connects as soon as its channel exists (Asterisk gives
    // it 30 s), ten set up at a time; the window starts once all are up.
    let all_up = Arc::new(Barrier::new(sessions + 1));
    let setting_up = Arc::new(tokio::sync::Semaphore::new(10));
    let tasks: Vec<_> = (0..sessions)
        .map(|_| {
            let (client, app, all_up, setting_up) = (
                client.clone(),
                app.clone(),
                Arc::clone(&all_up),
                Arc::clone(&setting_up),
            );
            tokio::spawn(async move {
                let arrival = Arrival(Some(all_up));
                let permit = setting_up.acquire_owned().await?;
                let prepared = prepare(&client, &app).await?;
                drop(permit);
                if floor {
                    floor_session(client, prepared, window, arrival).await
                } else {
                    runtime_session(client, prepared, window, arrival).await
                }
            })
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(120), all_up.wait())
        .await
        .map_err(|_| "not every session came up within 120 s")?;
    let cpu_before = cpu_time();
    let started = Instant::now();
    let (mut received, mut sent) = (Vec::new(), Vec::new());
    let mut failed = 0;
    for task in tasks {
        match task.await? {
            Ok((r, s)) => {
                received.extend(r);
                sent.extend(s);
            }
            Err(error) => {
                failed += 1;
                eprintln!("session failed: {error}");
            }
        }
    }
    let cpu = cpu_time().saturating_sub(cpu_before);
    let elapsed = started.elapsed();
    let per_session = cpu.as_secs_f64() / elapsed.as_secs_f64() / sessions as f64 * 100.0;
    let client_name = if floor { "floor" } else { "runtime" };
    println!(
        "{sessions:>4} sessions {client_name:<8} received interval {}  send interval {}  CPU {per_session:.2} % of a core per session{}",
        summary(&mut received),
        summary(&mut sent),
        if failed > 0 {
            format!("  ({failed} failed)")
        } else {
            String::new()
        }
    );
    let _ = app.close().await;
    // Let Asterisk hang the rest up before the next round.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (counts, seconds) = match args.as_slice() {
        [counts, seconds] => (counts.clone(), seconds.parse::<u64>()?),
        [] => ("25,50,100".to_owned(), 10),
        _ => return Err("usage: ari-bench-media N[,N…] SECONDS".into()),
    };
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let client = Client::builder(var("ARI_URL", "http://127.0.0.1:8088"))
        .basic_auth(var("ARI_USER", "asterisk"), var("ARI_PASSWORD", "asterisk"))
        .build()?;
    for count in counts.split(',') {
        let sessions = count.parse::<usize>()?;
        for floor in [true, false] {
            round(&client, sessions, Duration::from_secs(seconds), floor).await?;
        }
    }
    Ok(())
}
