//! REST round-trip latency over HTTP and over the WebSocket, in one run
//! against the test Asterisk (`cargo xtask bench`, docs/performance.md):
//! `GET /asterisk/ping` and `POST /channels/{id}/variable` on a channel of
//! the benchmark's own, `COUNT` requests per round one after another and
//! `COUNT` more with 32 in flight, the transports taking turns round by
//! round (so that drift of the machine hits both alike). Prints p50 / p99 /
//! mean / max in µs per transport and request, and for the requests in
//! flight the rate they were answered at (requests over the phase's wall
//! time). `SOCKETS` (8): the WebSocket client's `rest_sockets`. A third
//! client, the floor, sends the same `RESTRequest` frames over hand-written
//! tokio-tungstenite connections: what Asterisk's sockets cost without the
//! runtime. One after another over one socket, and with 32 in flight over
//! `SOCKETS` sockets and over 32, each socket a task of its own that takes
//! the next request from one queue the moment its answer is in (the best a
//! pool of that many sockets can do).
//!
//! ```sh
//! cargo xtask asterisk up
//! cargo run --release -p ari-generated --example ari-bench-rest -- 2000 5 [SOCKETS]
//! ```

use ari_generated::Client;
use ari_generated::runtime::RestTransport;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

const IN_FLIGHT: usize = 32;

/// `ARI_URL`, `ARI_USER`, `ARI_PASSWORD`, or the test Asterisk's.
fn settings() -> (String, String, String) {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    (
        var("ARI_URL", "http://127.0.0.1:8088"),
        var("ARI_USER", "asterisk"),
        var("ARI_PASSWORD", "asterisk"),
    )
}

fn client(transport: RestTransport, sockets: usize) -> Result<Client, Error> {
    let (url, user, password) = settings();
    Ok(Client::builder(url)
        .basic_auth(user, password)
        .rest_transport(transport)
        .rest_sockets(sockets)
        .request_timeout(Some(Duration::from_secs(10)))
        .build()?)
}

/// A bare WebSocket to Asterisk, for the floor: one request at a time.
struct Floor {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
}

impl Floor {
    async fn open(app: &str) -> Result<Floor, Error> {
        let (url, user, password) = settings();
        let ws = url.replacen("http", "ws", 1);
        let (socket, _) = tokio_tungstenite::connect_async(format!(
            "{ws}/ari/events?app={app}&api_key={user}:{password}"
        ))
        .await?;
        Ok(Floor { socket, next_id: 0 })
    }

    async fn one(&mut self, kind: Kind, channel: &str, n: usize) -> Result<u64, Error> {
        use futures_util::{SinkExt as _, StreamExt as _};
        use tokio_tungstenite::tungstenite::Message;
        self.next_id += 1;
        let id = self.next_id.to_string();
        let started = Instant::now();
        let request = match kind {
            Kind::Ping => serde_json::json!({
                "type": "RESTRequest", "request_id": id, "method": "GET",
                "uri": "asterisk/ping",
            }),
            Kind::SetVar => serde_json::json!({
                "type": "RESTRequest", "request_id": id, "method": "POST",
                "uri": format!("channels/{channel}/variable"),
                "query_strings": [
                    {"name": "variable", "value": "BENCH"},
                    {"name": "value", "value": n.to_string()},
                ],
                "content_type": "application/json", "message_body": "{}",
            }),
        };
        self.socket
            .send(Message::Text(request.to_string().into()))
            .await?;
        while let Some(frame) = self.socket.next().await {
            if let Message::Text(text) = frame?
                && let Ok(answer) = serde_json::from_str::<serde_json::Value>(&text)
                && answer["request_id"] == id.as_str()
            {
                if answer["status_code"]
                    .as_u64()
                    .is_none_or(|code| code >= 300)
                {
                    return Err(format!("floor: {text}").into());
                }
                return Ok(micros(started.elapsed()));
            }
        }
        Err("floor: the socket closed".into())
    }
}

/// Requests waiting for a floor socket: when each was issued, or `None`
/// for a socket to stop.
type FloorQueue = tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Option<Instant>>>;

/// `count` floor requests with `IN_FLIGHT` at once over `sockets`: a
/// request is issued as one is answered, and waits in one queue for the
/// first socket free. Latencies from issue to answer, added to `samples`.
async fn floor_in_flight(
    sockets: Vec<Floor>,
    kind: Kind,
    channel: &str,
    count: usize,
    samples: &mut Samples,
) -> Result<Vec<Floor>, Error> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (issue, queue) = tokio::sync::mpsc::unbounded_channel();
    let queue = std::sync::Arc::new(FloorQueue::new(queue));
    let answered = std::sync::Arc::new(AtomicUsize::new(0));
    let size = sockets.len();
    let started = Instant::now();
    for _ in 0..IN_FLIGHT.min(count) {
        let _ = issue.send(Some(Instant::now()));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for mut floor in sockets {
        let (queue, answered, issue) = (queue.clone(), answered.clone(), issue.clone());
        let channel = channel.to_owned();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let next = queue.lock().await.recv().await.flatten();
                let Some(at) = next else {
                    return Ok::<_, Error>((floor, latencies));
                };
                floor.one(kind, &channel, latencies.len()).await?;
                latencies.push(micros(at.elapsed()));
                let done = answered.fetch_add(1, Ordering::Relaxed) + 1;
                if done + IN_FLIGHT <= count {
                    let _ = issue.send(Some(Instant::now()));
                } else if done == count {
                    for _ in 0..size {
                        let _ = issue.send(None);
                    }
                }
            }
        });
    }
    let mut sockets = Vec::with_capacity(size);
    while let Some(done) = tasks.join_next().await {
        let (floor, latencies) = done??;
        samples.concurrent.extend(latencies);
        sockets.push(floor);
    }
    samples.concurrent_time += started.elapsed();
    Ok(sockets)
}

#[derive(Clone, Copy)]
enum Kind {
    Ping,
    SetVar,
}

async fn one(client: &Client, kind: Kind, channel: &str, n: usize) -> Result<u64, Error> {
    let started = Instant::now();
    match kind {
        Kind::Ping => {
            client.asterisk().ping().send().await?;
        }
        Kind::SetVar => {
            client
                .channels()
                .set_channel_var(channel, "BENCH")
                .value(n.to_string())
                .send()
                .await?;
        }
    }
    Ok(micros(started.elapsed()))
}

/// Latencies of requests one after another, and of requests in flight
/// with how long those took altogether.
#[derive(Default)]
struct Samples {
    sequential: Vec<u64>,
    concurrent: Vec<u64>,
    concurrent_time: Duration,
}

/// `count` requests one after another, then `count` with `IN_FLIGHT` at once.
async fn round(
    client: &Client,
    kind: Kind,
    channel: &str,
    count: usize,
    samples: &mut Samples,
) -> Result<(), Error> {
    for n in 0..count {
        samples
            .sequential
            .push(one(client, kind, channel, n).await?);
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..count {
        if tasks.len() >= IN_FLIGHT
            && let Some(done) = tasks.join_next().await
        {
            samples.concurrent.push(done??);
        }
        let (client, channel) = (client.clone(), channel.to_owned());
        tasks.spawn(async move { one(&client, kind, &channel, n).await });
    }
    while let Some(done) = tasks.join_next().await {
        samples.concurrent.push(done??);
    }
    samples.concurrent_time += started.elapsed();
    Ok(())
}

fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}

fn summary(samples: &mut [u64]) -> String {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    let mean = samples.iter().sum::<u64>() / samples.len().max(1) as u64;
    format!(
        "p50 {:>6} µs  p99 {:>6} µs  mean {mean:>6} µs  max {:>6} µs  (n={})",
        at(0.50),
        at(0.99),
        samples.last().copied().unwrap_or(0),
        samples.len()
    )
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // On a worker thread, as an application's handlers run: the main
    // thread's `block_on` would add a cross-thread wake-up to every answer.
    tokio::spawn(run()).await?
}

async fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (count, rounds, sockets) = match args.as_slice() {
        [count, rounds] => (count.parse::<usize>()?, rounds.parse::<usize>()?, 8),
        [count, rounds, sockets] => (
            count.parse::<usize>()?,
            rounds.parse::<usize>()?,
            sockets.parse::<usize>()?,
        ),
        [] => (2000, 5, 8),
        _ => return Err("usage: ari-bench-rest COUNT ROUNDS [SOCKETS]".into()),
    };
    let http = client(RestTransport::Http, sockets)?;
    let socket = client(RestTransport::WebSocket, sockets)?;
    // A channel to set variables on, in a Stasis application of the
    // benchmark's own (Asterisk sets variables only on those): a Local
    // channel whose far end waits answered.
    let app = format!("bench-rest-{}", std::process::id());
    let mut events = http.event_stream([app.as_str()]).connect().await?;
    // Read, so that Asterisk never waits on this connection.
    let drain = tokio::spawn(async move {
        use futures_util::StreamExt as _;
        while events.next().await.is_some() {}
    });
    let channel = http
        .channels()
        .originate("Local/answer-wait@default")
        .app(&app)
        .send()
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Warm both: connections, the socket's opening.
    for client in [&http, &socket] {
        round(
            client,
            Kind::Ping,
            &channel.id,
            100,
            &mut Samples::default(),
        )
        .await?;
    }
    // The floor's sockets: the first for requests one after another, the
    // first `sockets` and all `IN_FLIGHT` for requests in flight.
    let mut floors = Vec::new();
    for index in 0..IN_FLIGHT.max(sockets) {
        let mut floor = Floor::open(&format!("{app}-floor-{index}")).await?;
        for n in 0..10 {
            floor.one(Kind::Ping, &channel.id, n).await?;
        }
        floors.push(floor);
    }
    let transports = [("http", &http), ("websocket", &socket)];
    let floor_pools = [sockets, IN_FLIGHT];
    for (kind, label) in [
        (Kind::Ping, "GET /asterisk/ping"),
        (Kind::SetVar, "POST /channels/{id}/variable"),
    ] {
        let mut results = [Samples::default(), Samples::default()];
        let mut floor_results = [Samples::default(), Samples::default()];
        for r in 0..rounds {
            for n in 0..count {
                let latency = floors[0].one(kind, &channel.id, n).await?;
                floor_results[0].sequential.push(latency);
            }
            for (pool, samples) in floor_pools.iter().zip(&mut floor_results) {
                let rest = floors.split_off(*pool);
                let mut used = floor_in_flight(floors, kind, &channel.id, count, samples).await?;
                used.extend(rest);
                floors = used;
            }
            // Alternate which transport goes first.
            for i in [r % 2, 1 - r % 2] {
                round(transports[i].1, kind, &channel.id, count, &mut results[i]).await?;
            }
        }
        let in_flight = |name: &str, samples: &mut Samples| {
            let rate = samples.concurrent.len() as f64 / samples.concurrent_time.as_secs_f64();
            println!(
                "{label:<30} {name:<9} {IN_FLIGHT} in flight   {}  {rate:>7.0} req/s",
                summary(&mut samples.concurrent)
            );
        };
        for (i, (name, _)) in transports.iter().enumerate() {
            let samples = &mut results[i];
            println!(
                "{label:<30} {name:<9} sequential     {}",
                summary(&mut samples.sequential)
            );
            in_flight(name, samples);
        }
        println!(
            "{label:<30} {:<9} sequential     {}",
            "floor",
            summary(&mut floor_results[0].sequential)
        );
        for (pool, samples) in floor_pools.iter().zip(&mut floor_results) {
            in_flight(&format!("floor/{pool}"), samples);
        }
    }
    http.channels().hangup(&channel.id).send().await?;
    drain.abort();
    Ok(())
}
