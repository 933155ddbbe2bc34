//! REST round-trip latency over HTTP and over the WebSocket, in one run
//! against the test Asterisk (`cargo xtask bench`, docs/performance.md):
//! `GET /asterisk/ping` and `POST /channels/{id}/variable` on a channel of
//! the benchmark's own, `COUNT` requests per round one after another and
//! `COUNT` more with 32 in flight, the transports taking turns round by
//! round (so that drift of the machine hits both alike). Prints p50 / p99 /
//! mean / max in µs per transport and request, and for the requests in
//! flight the rate they were answered at (requests over the phase's wall
//! time). `SOCKETS` (8): the WebSocket client's `rest_sockets`. A third client, the floor, sends the same
//! `RESTRequest` frames one after another over a hand-written
//! tokio-tungstenite connection: what Asterisk's socket costs without the
//! runtime.
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
                return Ok(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
            }
        }
        Err("floor: the socket closed".into())
    }
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
    Ok(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX))
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
    let mut floor = Floor::open(&format!("{app}-floor")).await?;
    for n in 0..100 {
        floor.one(Kind::Ping, &channel.id, n).await?;
    }
    let transports = [("http", &http), ("websocket", &socket)];
    for (kind, label) in [
        (Kind::Ping, "GET /asterisk/ping"),
        (Kind::SetVar, "POST /channels/{id}/variable"),
    ] {
        let mut results = [Samples::default(), Samples::default()];
        let mut floor_sequential = Vec::with_capacity(count * rounds);
        for r in 0..rounds {
            for n in 0..count {
                floor_sequential.push(floor.one(kind, &channel.id, n).await?);
            }
            // Alternate which transport goes first.
            for i in [r % 2, 1 - r % 2] {
                round(transports[i].1, kind, &channel.id, count, &mut results[i]).await?;
            }
        }
        for (i, (name, _)) in transports.iter().enumerate() {
            let samples = &mut results[i];
            println!(
                "{label:<30} {name:<9} sequential     {}",
                summary(&mut samples.sequential)
            );
            let rate = samples.concurrent.len() as f64 / samples.concurrent_time.as_secs_f64();
            println!(
                "{label:<30} {name:<9} {IN_FLIGHT} in flight   {}  {rate:>7.0} req/s",
                summary(&mut samples.concurrent)
            );
        }
        println!(
            "{label:<30} {:<9} sequential     {}",
            "floor",
            summary(&mut floor_sequential)
        );
    }
    http.channels().hangup(&channel.id).send().await?;
    drain.abort();
    Ok(())
}
