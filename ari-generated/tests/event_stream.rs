//! The generated client's event stream against a local WebSocket server:
//! frames decode into these bindings' messages, an unknown type is data, a
//! known type with a broken body is a `Malformed` item keeping the text.

use ari_generated::models::Message;
use ari_generated::runtime::StreamItem;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite;

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

#[tokio::test]
async fn typed_messages_unknown_types_and_broken_known_ones() {
    let url = serve(vec![
        r#"{"type":"FutureThing","application":"app","timestamp":"2026-11-23T10:00:00.000+0000","extra":1}"#,
        r#"{"type":"StasisStart","application":"app"}"#,
        r#"{"application":"app","type":"ApplicationRegistered","timestamp":"2026-11-23T10:00:00.000+0000"}"#,
    ])
    .await;
    let client = ari_generated::Client::builder(url).build().unwrap();
    // The server speaks only WebSocket: no version check, no reconnect.
    let mut stream = client
        .event_stream(["app"])
        .check_version(false)
        .reconnect(None)
        .connect()
        .await
        .unwrap();
    match stream.next().await {
        Some(StreamItem::Event(Message::Unknown(unknown))) => {
            assert_eq!(unknown.kind, "FutureThing");
        }
        other => panic!("{other:?}"),
    }
    match stream.next().await {
        Some(StreamItem::Malformed(error)) => {
            assert_eq!(error.kind.as_deref(), Some("StasisStart"));
            assert_eq!(error.raw, r#"{"type":"StasisStart","application":"app"}"#);
        }
        other => panic!("{other:?}"),
    }
    match stream.next().await {
        Some(StreamItem::Event(Message::ApplicationRegistered(registered))) => {
            assert_eq!(registered.application, "app");
        }
        other => panic!("{other:?}"),
    }
}
