//! Tests of the event stream: backoff, URLs, delivery to consumers, reconnects, keepalive and the release of device states.

use super::backoff::jitter_unit;
use super::connect::registered_apps;
use super::*;
use crate::bindings::{Bindings, OwnRequests};
use crate::client::{Client, Request};
use crate::error::DecodeError;
use crate::release::ReleaseError;
use futures_util::{SinkExt as _, StreamExt as _};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite;

#[test]
fn backoff_doubles_up_to_the_cap() {
    let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2)).jitter(0.0);
    let schedule: Vec<u128> = (1..=8)
        .map(|attempt| backoff.delay(attempt, 0.99).as_millis())
        .collect();
    assert_eq!(schedule, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
    assert_eq!(backoff.base_delay(u32::MAX), Duration::from_secs(2));
    let odd = Backoff {
        jitter: f64::NAN,
        max: Duration::MAX,
        ..Backoff::default()
    };
    assert_eq!(odd.delay(1, 0.5), Duration::from_millis(200));
    assert_eq!(odd.delay(u32::MAX, 0.5), odd.base_delay(u32::MAX));
}

#[test]
fn jitter_only_shortens_within_its_fraction() {
    let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8)).jitter(0.25);
    assert_eq!(backoff.delay(2, 0.0), Duration::from_secs(2));
    assert_eq!(backoff.delay(2, 1.0), Duration::from_millis(1500));
    for _ in 0..100 {
        let unit = jitter_unit();
        assert!((0.0..1.0).contains(&unit), "{unit}");
        let delay = backoff.delay(3, unit);
        assert!(delay <= Duration::from_secs(4) && delay >= Duration::from_secs(3));
    }
}

#[test]
fn close_releases_the_apps_the_request_registers() {
    let mut request = Request::new(reqwest::Method::GET, "/events", "/events".into());
    request.query_list("app", &["a b".to_owned(), "c".to_owned()]);
    request.query("subscribeAll", &true);
    assert_eq!(registered_apps(&request), ["a b", "c"]);
    let mut request = Request::new(reqwest::Method::GET, "/events", "/events".into());
    request.query("app", "solo");
    assert_eq!(registered_apps(&request), ["solo"]);
}

#[test]
fn websocket_url_keeps_the_key_out_of_the_display_form() {
    let client = Client::builder("https://pbx:8089")
        .api_key("user:s3cret")
        .build()
        .unwrap();
    let mut request = Request::new(reqwest::Method::GET, "/events", "/events".into());
    request.query_list("app", &["a b".to_owned(), "c".to_owned()]);
    request.query("subscribeAll", &true);
    let (url, display) = client.websocket_url(&request).unwrap();
    assert_eq!(
        url,
        "wss://pbx:8089/ari/events?app=a%20b%2Cc&subscribeAll=true&api_key=user%3As3cret"
    );
    assert_eq!(display, "/events?app=a%20b%2Cc&subscribeAll=true");
}

#[derive(Debug, Clone, PartialEq)]
struct Word(String);

impl FromFrame for Word {
    fn from_frame(text: &str) -> Result<Self, DecodeError> {
        serde_json::from_str::<String>(text)
            .map(Word)
            .map_err(|source| DecodeError::new(None, text, source))
    }
}

/// A one-shot WebSocket server that sends `frames` then closes.
async fn serve(frames: Vec<&'static str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
        for frame in frames {
            socket
                .send(tungstenite::Message::text(frame))
                .await
                .unwrap();
        }
        let _ = socket.close(None).await;
    });
    format!("http://{address}")
}

/// No version check: these servers only speak WebSocket, and accept a
/// fixed number of connections.
fn test_options() -> EventOptions {
    EventOptions::default().check_version(false)
}

fn events_request() -> Request {
    Request::new(reqwest::Method::GET, "/events", "/events".into())
}

/// Bindings whose messages are [`Word`]s, with ARI's paths.
struct Words;

impl Bindings for Words {
    const VERSION: crate::BindingsVersion = crate::BindingsVersion {
        asterisk_version: "test",
        api_version: "0.0.0",
    };
    const API_DOCS_DIGEST: &'static str = "";
    type Message = Word;

    fn event_websocket(apps: &[String], subscribe_all: Option<bool>) -> Request {
        let mut request = events_request();
        request.query_list("app", apps);
        if let Some(all) = subscribe_all {
            request.query("subscribeAll", &all);
        }
        request
    }

    fn get_application(app: &str) -> Request {
        let path = format!("/applications/{}", crate::encode_path(app));
        Request::new(
            reqwest::Method::GET,
            "/applications/{applicationName}",
            path,
        )
    }

    fn unsubscribe(app: &str, event_sources: &[String]) -> Request {
        let path = format!("/applications/{}/subscription", crate::encode_path(app));
        let template = "/applications/{applicationName}/subscription";
        let mut request = Request::new(reqwest::Method::DELETE, template, path);
        request.query_list("eventSource", event_sources);
        request
    }

    fn asterisk_info() -> Request {
        Request::new(
            reqwest::Method::GET,
            "/asterisk/info",
            "/asterisk/info".into(),
        )
    }

    type Entering = crate::UntypedHandle;

    const DISCRIMINATOR: &'static str = "type";

    fn event_route(_: &str) -> Option<&'static crate::EventRoute> {
        None
    }

    fn list(_: crate::ResourceKind) -> Option<(Request, &'static str)> {
        None
    }

    fn get(_: crate::ResourceKind, _: &str) -> Option<Request> {
        None
    }

    fn delete(_: crate::ResourceKind, _: &str) -> Option<Request> {
        None
    }

    fn event_source(_: crate::ResourceKind, _: &str) -> Option<String> {
        None
    }

    fn subscribe(_: &str, _: &[String]) -> Option<Request> {
        None
    }

    fn claim(_: &str, _: &str) -> Option<Request> {
        None
    }

    fn websocket_media(_: &str, _: &str, _: &str, _: &[(&'static str, String)]) -> Option<Request> {
        None
    }
}

#[tokio::test]
async fn a_malformed_frame_is_an_item_and_the_stream_goes_on() {
    let url = serve(vec![r#""one""#, "{not json", r#""two""#]).await;
    let client = Client::builder(url).build().unwrap();
    let options = test_options().reconnect(None);
    let stream = client
        .open_events::<Word>(events_request(), options, OwnRequests::of::<Words>())
        .await
        .unwrap();
    let items: Vec<StreamItem<Word>> = stream.collect().await;
    assert_eq!(items.len(), 4, "{items:?}");
    assert!(matches!(&items[0], StreamItem::Event(Word(w)) if w == "one"));
    assert!(matches!(&items[1], StreamItem::Malformed(e) if e.raw == "{not json"));
    assert!(matches!(&items[2], StreamItem::Event(Word(w)) if w == "two"));
    assert!(matches!(
        &items[3],
        StreamItem::Disconnected {
            will_reconnect: false,
            ..
        }
    ));
}

/// A word that notes which thread decoded it.
#[derive(Debug)]
struct TracedWord(String, std::thread::ThreadId);

impl FromFrame for TracedWord {
    fn from_frame(text: &str) -> Result<Self, DecodeError> {
        Word::from_frame(text).map(|word| TracedWord(word.0, std::thread::current().id()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_consumer_gets_help_and_every_item_in_order() {
    let frames: Vec<String> = (0..300)
        .map(|i| {
            if i % 50 == 7 {
                format!("{{broken {i}")
            } else {
                format!("\"w{i}\"")
            }
        })
        .collect();
    let frames: Vec<&'static str> = frames
        .into_iter()
        .map(|frame| &*Box::leak(frame.into_boxed_str()))
        .collect();
    let url = serve(frames.clone()).await;
    let client = Client::builder(url).build().unwrap();
    // One batch of room: the reader finds the channel full while the
    // consumer sleeps, and decodes the next batch itself.
    let options = test_options().reconnect(None).buffer(1);
    let mut stream = client
        .open_events::<TracedWord>(events_request(), options, OwnRequests::of::<Words>())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let consumer = std::thread::current().id();
    let mut decoded_here = 0;
    let mut decoded_elsewhere = 0;
    for (i, frame) in frames.iter().enumerate() {
        match stream.next().await {
            Some(StreamItem::Event(TracedWord(word, thread))) => {
                assert_eq!(format!("\"{word}\""), *frame, "item {i}");
                if thread == consumer {
                    decoded_here += 1;
                } else {
                    decoded_elsewhere += 1;
                }
            }
            Some(StreamItem::Malformed(error)) => assert_eq!(error.raw, *frame, "item {i}"),
            other => panic!("item {i}: {other:?}"),
        }
    }
    assert!(matches!(
        stream.next().await,
        Some(StreamItem::Disconnected { .. })
    ));
    assert!(decoded_elsewhere > 0, "the reader never helped");
    assert!(decoded_here > 0, "the consumer never decoded");
}

#[tokio::test]
async fn every_subscriber_sees_every_item_even_when_one_is_slow() {
    let frames: Vec<&'static str> = vec![r#""a""#, r#""b""#, r#""c""#, r#""d""#, r#""e""#];
    let url = serve(frames).await;
    let client = Client::builder(url).build().unwrap();
    // A buffer of one: the reader must wait for the slow consumer
    // rather than drop anything.
    let options = test_options().reconnect(None).buffer(1);
    let fast = client
        .open_events::<Word>(events_request(), options, OwnRequests::of::<Words>())
        .await
        .unwrap();
    let slow = fast.subscribe();
    let slow = tokio::spawn(async move {
        let mut slow = slow;
        let mut seen = Vec::new();
        while let Some(item) = slow.next().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
            seen.push(item.into_event().map(|w| w.0));
        }
        seen
    });
    let fast: Vec<_> = fast
        .map(|item| item.into_event().map(|w| w.0))
        .collect()
        .await;
    let slow = slow.await.unwrap();
    let expected: Vec<Option<String>> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|w| Some(w.to_string()))
        .chain([None])
        .collect();
    assert_eq!(fast, expected);
    assert_eq!(slow, expected);
}

#[tokio::test]
async fn a_dropped_connection_is_reported_and_reopened() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for word in [r#""first""#, r#""second""#] {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
            socket.send(tungstenite::Message::text(word)).await.unwrap();
            // Drop without a close frame, like a crashed server.
            drop(socket);
        }
    });
    let client = Client::builder(format!("http://{address}"))
        .build()
        .unwrap();
    let backoff =
        Backoff::new(Duration::from_millis(10), Duration::from_millis(50)).max_attempts(Some(3));
    let options = test_options().reconnect(Some(backoff));
    let mut stream = client
        .open_events::<Word>(events_request(), options, OwnRequests::of::<Words>())
        .await
        .unwrap();
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
    };
    assert!(matches!(next().await, Some(StreamItem::Event(Word(w))) if w == "first"));
    assert!(matches!(
        next().await,
        Some(StreamItem::Disconnected {
            will_reconnect: true,
            ..
        })
    ));
    assert!(matches!(
        next().await,
        Some(StreamItem::Reconnected { attempts: 1 })
    ));
    assert!(matches!(next().await, Some(StreamItem::Event(Word(w))) if w == "second"));
    assert!(matches!(
        next().await,
        Some(StreamItem::Disconnected {
            will_reconnect: true,
            ..
        })
    ));
    // Nobody listens any more: three failed attempts, then the end.
    match next().await {
        Some(StreamItem::Disconnected {
            reason,
            will_reconnect: false,
        }) => assert!(reason.contains("3 attempts"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(next().await.is_none());
}

#[cfg(feature = "wss")]
#[tokio::test]
async fn https_base_urls_speak_tls_to_the_event_socket() {
    // A plain-text server: a TLS client fails in the handshake; a
    // client without TLS would send it a plain HTTP upgrade instead.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let first_bytes = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut head = [0u8; 3];
        tcp.read_exact(&mut head).await.unwrap();
        tcp.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            .await
            .unwrap();
        head
    });
    let client = Client::builder(format!("https://{address}"))
        .build()
        .unwrap();
    let error = client
        .open_events::<Word>(events_request(), test_options(), OwnRequests::of::<Words>())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectError::WebSocket(_)), "{error:?}");
    // 0x16 0x03: a TLS handshake record, not `GET`.
    let head = first_bytes.await.unwrap();
    assert_eq!(&head[..2], &[0x16, 0x03], "{head:?}");
}

#[tokio::test]
async fn a_silent_server_is_detected_by_ping() {
    // Completes the handshake, then never reads or writes again.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (hold, mut held) = tokio::sync::mpsc::channel::<()>(1);
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 4096];
        let read = tcp.read(&mut request).await.unwrap();
        let request = String::from_utf8_lossy(&request[..read]).into_owned();
        let key = request
            .lines()
            .find_map(|l| {
                l.strip_prefix("Sec-WebSocket-Key: ")
                    .or(l.strip_prefix("sec-websocket-key: "))
            })
            .unwrap()
            .trim()
            .to_owned();
        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        tcp.write_all(answer.as_bytes()).await.unwrap();
        let _keep = tcp;
        held.recv().await;
    });
    let client = Client::builder(format!("http://{address}"))
        .build()
        .unwrap();
    let options = test_options()
        .reconnect(None)
        .keepalive(Some(Duration::from_millis(50)), Duration::from_millis(100));
    let mut stream = client
        .open_events::<Word>(events_request(), options, OwnRequests::of::<Words>())
        .await
        .unwrap();
    let item = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap();
    match item {
        Some(StreamItem::Disconnected { reason, .. }) => {
            assert!(reason.contains("no pong"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    drop(hold);
}

/// A server for one application `lamp` that watches every device:
/// WebSocket upgrades and ARI's applications resource, answering
/// `DELETE …/subscription` with `delete_status`. It reports each request
/// (`GET /ari/applications/lamp`) and the WebSocket's end (`closed`) in
/// the order they happen.
async fn serve_app_watching_devices(
    delete_status: u16,
) -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (log, seen) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = vec![0u8; 4096];
                let peeked = tcp.peek(&mut head).await.unwrap();
                let head = String::from_utf8_lossy(&head[..peeked]).to_lowercase();
                if head.contains("upgrade: websocket") {
                    let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
                    while let Some(Ok(_)) = socket.next().await {}
                    let _ = log.send("closed".to_owned());
                    return;
                }
                let mut request = vec![0u8; 4096];
                let read = tcp.read(&mut request).await.unwrap();
                let request = String::from_utf8_lossy(&request[..read]).into_owned();
                let line = request.lines().next().unwrap_or_default();
                let target = line.split(' ').take(2).collect::<Vec<_>>().join(" ");
                let (status, body) = if target.starts_with("GET ") {
                    (
                        200,
                        r#"{"name":"lamp","device_names":["__AST_DEVICE_STATE_ALL_TOPIC"]}"#,
                    )
                } else {
                    (delete_status, r#"{"message":"no"}"#)
                };
                let _ = log.send(target);
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                tcp.write_all(answer.as_bytes()).await.unwrap();
            });
        }
    });
    (format!("http://{address}"), seen)
}

/// A stream for `lamp` (watching every device) against
/// [`serve_app_watching_devices`], and what that server sees.
async fn lamp_stream(delete_status: u16) -> (EventStream<Word>, mpsc::UnboundedReceiver<String>) {
    let (url, seen) = serve_app_watching_devices(delete_status).await;
    let client = Client::builder(url)
        .event_options(test_options())
        .build()
        .unwrap();
    let stream = EventStreamBuilder::<Words>::new(client, ["lamp"])
        .subscribe_all(true)
        .connect()
        .await
        .unwrap();
    (stream, seen)
}

/// The server saw the release, then the WebSocket's end, in that order.
async fn assert_released_then_closed(seen: &mut mpsc::UnboundedReceiver<String>) {
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(5), seen.recv())
            .await
            .expect("nothing within 5 s")
            .expect("server gone")
    };
    assert_eq!(next().await, "GET /ari/applications/lamp");
    assert_eq!(
        next().await,
        "DELETE /ari/applications/lamp/subscription?eventSource=deviceState%3A"
    );
    assert_eq!(next().await, "closed");
}

#[tokio::test]
async fn dropping_the_last_handle_releases_device_states_before_closing() {
    let (stream, mut seen) = lamp_stream(200).await;
    let second = stream.subscribe();
    drop(stream);
    // Another handle still holds the connection.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), seen.recv())
            .await
            .is_err()
    );
    drop(second);
    assert_released_then_closed(&mut seen).await;
}

#[tokio::test]
async fn close_releases_then_closes_and_reports_a_refusal() {
    let (stream, mut seen) = lamp_stream(200).await;
    stream.close().await.unwrap();
    assert_released_then_closed(&mut seen).await;

    let (stream, mut seen) = lamp_stream(500).await;
    match stream.close().await {
        Err(ReleaseError::Refused { app, response }) => {
            assert_eq!((app.as_str(), response.status), ("lamp", 500));
        }
        other => panic!("{other:?}"),
    }
    assert_released_then_closed(&mut seen).await;
}
