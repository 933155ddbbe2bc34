//! ARI outbound WebSockets against the real Asterisk (`cargo test --
//! outbound`): Asterisk connects to servers these tests run on the loopback
//! ports of `tests/asterisk/etc/websocket_client.conf`, and every request
//! of a call goes over that socket. `outbound_persistent`: one long-lived
//! session, and the events Asterisk queued while our server was down;
//! `outbound_per_call`: a session per call; `outbound_auth`: wrong
//! credentials refused with 401, no extension negotiated; `outbound_tls`:
//! a `wss://` listener Asterisk verifies, and which verifies Asterisk's
//! client certificate when it asks for one.

use ari_generated::channels::ChannelHandle;
use ari_generated::models::Message;
use ari_generated::runtime::{EndCause, OutboundServer, OutboundServerBuilder, Session};
use ari_generated::{Api, App, Client, Tracked};
use ari_tests::*;
use std::time::Duration;

/// `websocket_client.conf`'s ports and credentials.
const PERSISTENT: &str = "127.0.0.1:8095";
const PER_CALL: &str = "127.0.0.1:8096";
const BAD_AUTH: &str = "127.0.0.1:8097";
const TLS: &str = "127.0.0.1:8099";
const USER: &str = "outbound";
const PASSWORD: &str = "outbound-secret";

fn listener(direct: &Client) -> OutboundServerBuilder<Api> {
    OutboundServer::<Api>::builder(direct.runtime().clone())
        .credentials(USER, PASSWORD)
        .handshake_timeout(Duration::from_secs(5))
}

/// The next session, within the bound of Asterisk's retries.
async fn accept(server: &mut OutboundServer<Api>) -> Session<Api> {
    tokio::time::timeout(WAIT, server.accept())
        .await
        .expect("Asterisk connects within the bound")
        .expect("the server runs")
}

/// Waits until `server` has refused more than `beyond` connections, then
/// checks that none of them became a session.
async fn refused_without_a_session(server: &mut OutboundServer<Api>, beyond: u64, what: &str) {
    poll(what, || async {
        if server.refused() > beyond {
            Ok(())
        } else {
            Err(format!("{} refused", server.refused()))
        }
    })
    .await;
    assert!(
        tokio::time::timeout(Duration::from_millis(500), server.accept())
            .await
            .is_err(),
        "a session opened: {what}"
    );
}

/// The name of the channel a `StasisStart` brought in.
fn entered_name(start: &Message) -> String {
    match start {
        Message::StasisStart(start) => start.channel.name.to_string(),
        other => panic!("{other:?}"),
    }
}

/// The call whose channel is named `name` on `app`: its handle, from the
/// application's calls.
async fn incoming(app: &App, name: &str) -> Tracked<ChannelHandle> {
    let mut calls = app.calls().expect("calls not taken");
    tokio::time::timeout(WAIT, async {
        loop {
            let call = calls.next().await.expect("the application runs");
            if entered_name(&call.start).starts_with(name) {
                return call.channel;
            }
        }
    })
    .await
    .expect("the call arrives")
}

/// Answer, play, hang up, every request over the session's socket; the
/// handle ends with the channel.
async fn full_call(app: &App, mut channel: Tracked<ChannelHandle>) {
    channel.answer().send().await.unwrap();
    let mut playback = channel.play(&["sound:beep"]).tracked(app).await.unwrap();
    let finished = playback.finished_timeout(WAIT).await.unwrap();
    assert!(
        matches!(&*finished, Message::PlaybackFinished(_)),
        "{finished:?}"
    );
    channel.hangup().send().await.unwrap();
    let end = loop {
        match channel.next_event_timeout(WAIT).await {
            Ok(_) => {}
            Err(error) => break error,
        }
    };
    assert!(
        matches!(end.ended(), Some(ended) if matches!(ended.cause, EndCause::Event { .. })),
        "{end}"
    );
}

async fn assert_gone(direct: &Client, name: &str) {
    no_channels_left(direct, name, |c| c.name.starts_with(name)).await;
}

#[tokio::test]
async fn outbound_persistent_carries_a_full_call_and_the_events_queued_while_down() {
    let direct = client_or_return!();
    let app_name = "outbound-persistent";
    let mut server = listener(&direct).bind(PERSISTENT).await.unwrap();
    let session = accept(&mut server).await;
    assert_eq!(session.application(), app_name);
    let app = session.into_app(|builder| builder);
    let call = local_call_into(&direct, app_name).await;
    let channel = incoming(&app, &call).await;
    full_call(&app, channel).await;
    assert_gone(&direct, &call).await;

    // Our server goes away; a call arrives meanwhile; Asterisk keeps its
    // events and hands them to the next session. It goes away once the
    // first call's last events are through: Asterisk 22.10.1 crashed once
    // (a segfault in its core) when a persistent socket dropped while it
    // was writing an event to it.
    quiet().await;
    app.close().await;
    drop(server);
    let queued = local_call_into(&direct, app_name).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut server = listener(&direct).bind(PERSISTENT).await.unwrap();
    let session = accept(&mut server).await;
    let app = session.into_app(|builder| builder);
    let channel = incoming(&app, &queued).await;
    full_call(&app, channel).await;
    assert_gone(&direct, &queued).await;
    quiet().await;
    app.close().await;
}

/// Time for Asterisk to send a finished call's last events.
async fn quiet() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn outbound_per_call_each_call_gets_its_own_session() {
    let direct = client_or_return!();
    let mut server = listener(&direct).bind(PER_CALL).await.unwrap();
    let mut names = Vec::new();
    for _ in 0..2 {
        names.push(local_call_into(&direct, "outbound-per-call").await);
    }
    let mut applications = Vec::new();
    let mut calls = Vec::new();
    for _ in &names {
        let session = accept(&mut server).await;
        applications.push(session.application().to_owned());
        let app = session.into_app(|builder| builder);
        calls.push(tokio::spawn(async move {
            let mut incoming_calls = app.calls().expect("calls not taken");
            let call = tokio::time::timeout(WAIT, incoming_calls.next())
                .await
                .expect("the session's call arrives")
                .expect("the application runs");
            let name = entered_name(&call.start);
            full_call(&app, call.channel).await;
            name
        }));
    }
    for application in &applications {
        assert!(
            application.starts_with("outbound-per-call:Local/stasis-outbound-per-call@default-"),
            "{application}"
        );
    }
    assert_ne!(applications[0], applications[1]);
    // Each session's application names its call's channel.
    let mut handled = Vec::new();
    for call in calls {
        handled.push(call.await.unwrap());
    }
    for name in &handled {
        assert!(
            applications.contains(&format!("outbound-per-call:{name}")),
            "{name} {applications:?}"
        );
    }
    let mut expected: Vec<String> = names.iter().map(|name| format!("{name};2")).collect();
    expected.sort();
    handled.sort();
    assert_eq!(handled, expected);
    for name in &names {
        assert_gone(&direct, name).await;
    }
    per_call_sessions_closed(&direct, "outbound-per-call").await;
}

#[tokio::test]
async fn outbound_auth_wrong_credentials_are_refused_with_401() {
    let direct = client_or_return!();
    let mut server = listener(&direct).bind(BAD_AUTH).await.unwrap();
    // Asterisk's `outbound-bad-auth` client retries every 250 ms.
    refused_without_a_session(&mut server, 1, "Asterisk's wrong password refused").await;

    // What Asterisk saw: 401, and no extension even when one is offered.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let url = format!("ws://{BAD_AUTH}/ari");
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Extensions",
        "permessage-deflate".parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request.clone()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 401)
        }
        other => panic!("{:?}", other.map(|(_, response)| response)),
    }
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    request
        .headers_mut()
        .insert("Authorization", format!("Basic {basic}").parse().unwrap());
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "ari".parse().unwrap());
    let (_socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert!(
        response.headers().get("Sec-WebSocket-Extensions").is_none(),
        "{response:?}"
    );
    assert_eq!(
        response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok()),
        Some("ari")
    );
}

#[tokio::test]
async fn outbound_tls_asterisk_connects_to_a_wss_listener_and_its_client_certificate_is_checked() {
    let direct = client_or_return!();
    let tls = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("asterisk/tls");
    let chain = std::fs::read(tls.join("localhost.pem")).unwrap();
    let key = std::fs::read(tls.join("localhost.key")).unwrap();
    // A key for a certificate is refused before anything listens.
    assert!(matches!(
        listener(&direct).tls_pem(&key, &key).bind(TLS).await,
        Err(ari_generated::runtime::OutboundError::Tls(_))
    ));
    let mut server = listener(&direct)
        .tls_pem(&chain, &key)
        .bind(TLS)
        .await
        .unwrap();
    let session = accept(&mut server).await;
    assert_eq!(session.application(), "outbound-tls");
    // REST over the TLS socket.
    let client: Client = session.client();
    client.asterisk().ping().send().await.unwrap();
    let application = client
        .applications()
        .get("outbound-tls")
        .send()
        .await
        .unwrap();
    assert_eq!(application.name, "outbound-tls");
    drop((client, session));
    server.close().await;

    // Client certificates: Asterisk presents `asterisk-client.pem`
    // (`cert_file`), which `client-ca.pem` signed and `ca.pem` did not.
    let requiring = |ca: &[u8]| {
        listener(&direct)
            .tls_pem(&chain, &key)
            .tls_client_ca_pem(ca)
            .bind(TLS)
    };
    let client_ca = std::fs::read(tls.join("client-ca.pem")).unwrap();
    let other_ca = std::fs::read(tls.join("ca.pem")).unwrap();
    assert!(matches!(
        requiring(b"not a certificate").await,
        Err(ari_generated::runtime::OutboundError::Tls(_))
    ));
    let mut server = requiring(&client_ca).await.unwrap();
    let session = accept(&mut server).await;
    assert_eq!(session.application(), "outbound-tls");
    let client: Client = session.client();
    client.asterisk().ping().send().await.unwrap();
    // A client with no certificate (this runtime's own, trusting the
    // server's CA) fails its handshake, and counts as refused.
    let refused = server.refused();
    let port = TLS.rsplit(':').next().unwrap();
    let without_certificate: Client = Client::builder(format!("https://localhost:{port}"))
        .add_root_certificates_pem(&other_ca)
        .basic_auth(USER, PASSWORD)
        .build()
        .unwrap();
    assert!(
        without_certificate
            .event_stream(["outbound-tls"])
            .connect()
            .await
            .is_err()
    );
    refused_without_a_session(
        &mut server,
        refused,
        "a client without a certificate refused",
    )
    .await;
    drop((client, session));
    server.close().await;
    let mut server = requiring(&other_ca).await.unwrap();
    // Asterisk's `outbound-tls` client retries every 250 ms.
    refused_without_a_session(&mut server, 1, "a client certificate of another CA refused").await;
}
