//! Router benchmark (`cargo xtask bench`, docs/performance.md): events/s
//! through an [`App`](ari_generated::App)'s router with 10,000 live tracked
//! handles, against the plain typed event stream on the same frames, in
//! the same run; and the memory of an idle tracked handle.
//!
//! ```sh
//! cargo run --release -p ari-generated --example ari-bench-router -- \
//!     ../shared/events/asterisk-22.10.1-scenarios.jsonl 1000000 10000
//! ```
//!
//! A replay server of its own (in this process, on a thread of its own)
//! plays the recorded corpus with every channel id rewritten to one of the
//! handles' ids, spread round-robin, so that each handle gets its share.
//! Events that end a channel (`StasisEnd`, `ChannelDestroyed`) are left
//! out, so that every handle stays live. Flooding starts when the client
//! asks (`GET /asterisk/ping`), once its handles are in place.

use ari_generated::Client;
use ari_generated::channels::ChannelHandle;
use ari_generated::models::Message;
use ari_generated::runtime::StreamItem;
use futures_util::{SinkExt as _, StreamExt as _};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::Message as Frame;

/// Counts live heap bytes, for the memory of an idle handle.
struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);
/// Counting only while handles are made: a counter that every thread
/// updates on every allocation would slow the multi-threaded router more
/// than the single-consumer baseline.
static COUNTING: AtomicBool = AtomicBool::new(false);

fn count(bytes: i64) {
    if COUNTING.load(Ordering::Relaxed) {
        LIVE.fetch_add(bytes, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The frames to play, and how many handle deliveries they make.
struct Corpus {
    frames: Vec<String>,
    deliveries: u64,
    /// Deliveries to each handle.
    per_handle: Vec<u64>,
}

/// Channel-shaped objects (an `id`, a `name`, a `state`): their ids.
fn channel_ids(value: &serde_json::Value, found: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(object) => {
            if let (Some(id), true, true) = (
                object.get("id").and_then(|id| id.as_str()),
                object.contains_key("name"),
                object.contains_key("state"),
            ) && object.contains_key("caller")
            {
                found.insert(id.to_owned());
            }
            object.values().for_each(|v| channel_ids(v, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| channel_ids(v, found)),
        _ => {}
    }
}

fn corpus(path: &str, total: usize, handles: usize) -> Result<Corpus, Error> {
    let text = std::fs::read_to_string(path)?;
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .filter(|line| !line.contains("\"StasisEnd\"") && !line.contains("\"ChannelDestroyed\""))
        .collect();
    if lines.is_empty() {
        return Err(format!("{path}: no events").into());
    }
    let parsed: Vec<(String, BTreeSet<String>)> = lines
        .iter()
        .map(|line| {
            let mut ids = BTreeSet::new();
            channel_ids(&serde_json::from_str(line)?, &mut ids);
            Ok((line.to_string(), ids))
        })
        .collect::<Result<_, serde_json::Error>>()?;
    let mut next = 0usize;
    let mut frames = Vec::with_capacity(total);
    let mut deliveries = 0;
    let mut per_handle = vec![0u64; handles];
    for n in 0..total {
        let (line, ids) = &parsed[n % parsed.len()];
        let mut frame = line.clone();
        for id in ids {
            per_handle[next % handles] += 1;
            // Longest ids first would matter for ids that prefix others;
            // Asterisk's `<seconds>.<n>` ids of one event never do.
            frame = frame.replace(
                &format!("\"{id}\""),
                &format!("\"bench-{}\"", next % handles),
            );
            frame = frame.replace(
                &format!("channel:{id}\""),
                &format!("channel:bench-{}\"", next % handles),
            );
            next += 1;
        }
        deliveries += ids.len() as u64;
        frames.push(frame);
    }
    Ok(Corpus {
        frames,
        deliveries,
        per_handle,
    })
}

/// One HTTP request on `stream`, answered with a small JSON; `ping` starts
/// the flood.
async fn answer_http(
    mut stream: tokio::net::TcpStream,
    start: Arc<tokio::sync::watch::Sender<u64>>,
) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/");
    let body = if path.ends_with("/asterisk/ping") {
        start.send_modify(|asked| *asked += 1);
        r#"{"ping":"pong","asterisk_id":"bench","timestamp":"2026-01-01T00:00:00.000+0000"}"#
            .to_owned()
    } else if let Some(name) = path.strip_prefix("/ari/applications/") {
        format!(
            r#"{{"name":"{name}","channel_ids":[],"bridge_ids":[],"endpoint_ids":[],"device_names":[],"events_allowed":[],"events_disallowed":[]}}"#
        )
    } else {
        "{}".to_owned()
    };
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
}

/// Serves HTTP and the event WebSocket; each WebSocket gets every frame
/// once the flood is asked for.
async fn serve(
    listener: tokio::net::TcpListener,
    frames: Arc<Vec<String>>,
    start: Arc<tokio::sync::watch::Sender<u64>>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let mut peek = [0u8; 1024];
        let Ok(n) = stream.peek(&mut peek).await else {
            continue;
        };
        let head = String::from_utf8_lossy(&peek[..n]).to_ascii_lowercase();
        if !head.contains("upgrade: websocket") {
            tokio::spawn(answer_http(stream, Arc::clone(&start)));
            continue;
        }
        let frames = Arc::clone(&frames);
        let mut asked = start.subscribe();
        asked.mark_unchanged();
        tokio::spawn(async move {
            let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            if asked.changed().await.is_err() {
                return;
            }
            for frame in frames.iter() {
                if socket.feed(Frame::text(frame.as_str())).await.is_err() {
                    return;
                }
            }
            let _ = socket.flush().await;
            // Stay open until the client goes.
            while let Some(Ok(_)) = socket.next().await {}
        });
    }
}

async fn plain(client: &Client, app: &str, frames: u64) -> Result<f64, Error> {
    let mut stream = client
        .event_stream([app])
        .check_version(false)
        .keepalive(None, Duration::from_secs(60))
        .connect()
        .await?;
    client.asterisk().ping().send().await?;
    let mut seen = 0u64;
    let mut started = None;
    while let Some(item) = stream.next().await {
        started.get_or_insert_with(Instant::now);
        match item {
            StreamItem::Event(_) => seen += 1,
            other => return Err(format!("plain stream: {other:?}").into()),
        }
        if seen == frames {
            return Ok(started.map_or(0.0, |t| t.elapsed().as_secs_f64()));
        }
    }
    Err("the plain stream ended".into())
}

async fn routed(client: &Client, app: &str, shares: &[u64]) -> Result<(f64, f64), Error> {
    let handles = shares.len();
    let app = client
        .app(app)
        .events(|events| {
            events
                .check_version(false)
                .keepalive(None, Duration::from_secs(60))
        })
        .connect()
        .await?;
    // Only this thread allocates meanwhile: the connection is idle.
    COUNTING.store(true, Ordering::SeqCst);
    let before = LIVE.load(Ordering::SeqCst);
    let tracked: Vec<_> = (0..handles)
        .map(|n| app.track::<ChannelHandle>(format!("bench-{n}")))
        .collect();
    let per_handle = (LIVE.load(Ordering::SeqCst) - before) as f64 / handles as f64;
    COUNTING.store(false, Ordering::SeqCst);
    // Each handle counts on its own and reports once, when it has all of
    // its share: the harness adds no shared counter to every event.
    let complete = Arc::new(AtomicU64::new(0));
    let first = Arc::new(std::sync::OnceLock::<Instant>::new());
    let done = Arc::new(tokio::sync::Notify::new());
    let waiting = shares.iter().filter(|&&n| n > 0).count() as u64;
    for (mut handle, &share) in tracked.into_iter().zip(shares) {
        if share == 0 {
            continue;
        }
        let (complete, first, done) =
            (Arc::clone(&complete), Arc::clone(&first), Arc::clone(&done));
        tokio::spawn(async move {
            let mut seen = 0;
            while let Ok(event) = handle.next_event().await {
                let _: &Message = &event;
                seen += 1;
                if seen == 1 {
                    first.get_or_init(Instant::now);
                }
                if seen == share && complete.fetch_add(1, Ordering::Relaxed) + 1 == waiting {
                    done.notify_one();
                }
            }
        });
    }
    let finished = done.notified();
    client.asterisk().ping().send().await?;
    tokio::time::timeout(Duration::from_secs(120), finished)
        .await
        .map_err(|_| {
            format!(
                "{} of {waiting} handles got their share within 120 s",
                complete.load(Ordering::Relaxed)
            )
        })?;
    let seconds = first.get().map_or(0.0, |t| t.elapsed().as_secs_f64());
    // Ends every handle, so that their tasks end before the next round.
    app.close().await;
    Ok((seconds, per_handle))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [corpus_path, total, handles] = args.as_slice() else {
        return Err("usage: ari-bench-router CORPUS FRAMES HANDLES".into());
    };
    let (total, handles): (usize, usize) = (total.parse()?, handles.parse()?);
    let corpus = corpus(corpus_path, total, handles)?;
    let frames = Arc::new(corpus.frames);
    let start = Arc::new(tokio::sync::watch::channel(0u64).0);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    // The server on a runtime of its own, like a separate process.
    std::thread::spawn({
        let (frames, start) = (Arc::clone(&frames), Arc::clone(&start));
        move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(serve(listener, frames, start));
            }
        }
    });
    let client = Client::new(url, "asterisk", "asterisk")?;
    // `ARI_BENCH_ONLY=router` skips the baseline, for a profile of the router alone.
    let only_router = std::env::var("ARI_BENCH_ONLY").as_deref() == Ok("router");
    for round in 1..=2 {
        let plain_seconds = if only_router {
            f64::NAN
        } else {
            plain(&client, &format!("plain-{round}"), frames.len() as u64).await?
        };
        let (routed_seconds, per_handle) =
            routed(&client, &format!("routed-{round}"), &corpus.per_handle).await?;
        let frames = frames.len() as f64;
        println!(
            "RESULT round={round} frames={frames} handles={handles} deliveries={} plain={:.0}/s router={:.0}/s ratio={:.2} idle_handle_bytes={per_handle:.0}",
            corpus.deliveries,
            frames / plain_seconds,
            frames / routed_seconds,
            plain_seconds / routed_seconds,
        );
    }
    Ok(())
}
