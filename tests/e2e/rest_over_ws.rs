//! REST over the event WebSocket against the real Asterisk
//! (`cargo test -- rest_over_ws`): the whole every-operation suite with
//! every request as a `RESTRequest` frame (binary downloads fall back to
//! HTTP on Asterisk's 406), a real `RESTResponse` decoded by the bindings,
//! and what a request's failure says about its outcome over both
//! transports: "not sent" (safe to repeat) or "outcome unknown".

use ari_generated::models::Message;
use ari_generated::runtime::{FromFrame, RestTransport, TransportError};
use ari_tests::proxy::{Fault, Proxy, upstream_of};
use ari_tests::*;
use futures_util::{SinkExt as _, StreamExt as _};
use std::time::Duration;

/// How the suite's clients send their requests.
const TRANSPORT: RestTransport = RestTransport::WebSocket;

#[path = "every_operation_suite.rs"]
mod every_operation_rest_over_ws;

/// A `RESTResponse` as Asterisk sends it decodes into the bindings'
/// `Message::RESTResponse`, with the request's id and the answer's body.
#[tokio::test]
async fn rest_over_ws_a_real_response_decodes_in_the_bindings() {
    let _client = client_or_return!();
    let (url, user, password) = settings();
    let app = unique("restws-raw");
    let ws_url = format!(
        "{}/ari/events?app={app}&api_key={user}:{password}",
        url.trim_end_matches('/').replacen("http", "ws", 1)
    );
    let (mut socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(ws_url))
        .await
        .expect("handshake in time")
        .expect("handshake");
    let request = serde_json::json!({
        "type": "RESTRequest",
        "request_id": "raw-1",
        "method": "GET",
        "uri": "asterisk/ping",
    });
    socket
        .send(tokio_tungstenite::tungstenite::Message::Text(
            request.to_string().into(),
        ))
        .await
        .unwrap();
    let frame = tokio::time::timeout(WAIT, async {
        loop {
            let message = socket.next().await.expect("socket open").expect("frame");
            if let tokio_tungstenite::tungstenite::Message::Text(text) = message
                && text.contains("RESTResponse")
            {
                return text.to_string();
            }
        }
    })
    .await
    .expect("a RESTResponse in time");
    match Message::from_frame(&frame) {
        Ok(Message::RESTResponse(response)) => {
            assert_eq!(response.request_id, "raw-1", "{frame}");
            assert_eq!(response.status_code, 200, "{frame}");
            let body: serde_json::Value =
                serde_json::from_str(response.message_body.as_deref().unwrap_or_default()).unwrap();
            assert_eq!(body["ping"], "pong", "{frame}");
        }
        other => panic!("{other:?} from {frame}"),
    }
}

/// Requests through a fault proxy, over `transport` (at most `sockets`
/// WebSockets), with a 2 s deadline.
async fn through_proxy(
    transport: RestTransport,
    sockets: usize,
) -> Option<(Proxy, ari_generated::Client)> {
    let _direct = client_or_skip().await?;
    let (url, _, _) = settings();
    let proxy = Proxy::start(upstream_of(&url)).await.expect("proxy");
    let options = quick_events(
        Duration::from_millis(100),
        Duration::from_millis(400),
        Duration::from_secs(1),
    );
    let client = client_with_events(
        &format!("{}/ari", proxy.url()),
        options.check_version(false),
    )
    .request_timeout(Some(Duration::from_secs(2)))
    .connect_timeout(Some(Duration::from_secs(2)))
    .rest_transport(transport)
    .rest_sockets(sockets)
    .build()
    .unwrap();
    Some((proxy, client))
}

/// A POST whose answer is held back until the link is reset: "outcome
/// unknown", though it did take effect (the variable is set); then, with
/// connections refused, a request is "not sent".
async fn a_lost_answer_is_outcome_unknown_and_a_refused_link_not_sent(transport: RestTransport) {
    let Some((proxy, client)) = through_proxy(transport, 4).await else {
        return;
    };
    let direct = client_or_skip().await.unwrap();
    client.asterisk().ping().send().await.unwrap();
    let variable = unique("RESTWS").replace('-', "_");
    proxy.set(Fault::StallAnswers);
    let post = tokio::spawn({
        let client = client.clone();
        let variable = variable.clone();
        async move {
            client
                .asterisk()
                .set_global_var(&variable)
                .value("set")
                .send()
                .await
        }
    });
    // Reaches Asterisk, whose answer the proxy holds.
    poll("the variable set past the proxy", || async {
        match direct.asterisk().get_global_var(&variable).send().await {
            Ok(value) if value.value == "set" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    proxy.set(Fault::ResetAfter(0));
    let lost = tokio::time::timeout(WAIT, post)
        .await
        .expect("the POST ends within its deadline")
        .unwrap();
    match lost {
        Err(ari_generated::asterisk::SetGlobalVarError::Transport(error)) => {
            assert!(error.is_outcome_unknown(), "{error:?}");
            assert!(
                matches!(&error, TransportError::OutcomeUnknown { template, .. } if *template == "/asterisk/variable"),
                "{error:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // No link at all: connections are refused.
    drop(proxy);
    // Over the WebSocket, its reader notices the loss meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    match client.asterisk().get_info().send().await {
        Err(ari_generated::asterisk::GetInfoError::Transport(error)) => {
            assert!(error.is_not_sent(), "{error:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rest_over_ws_a_lost_answer_is_outcome_unknown_and_a_refused_link_not_sent() {
    a_lost_answer_is_outcome_unknown_and_a_refused_link_not_sent(RestTransport::WebSocket).await;
}

/// The same distinction over HTTP: a lost answer to a POST is "outcome
/// unknown", a connection that cannot be made is "not sent".
#[tokio::test]
async fn http_a_lost_answer_is_outcome_unknown_and_a_refused_link_not_sent() {
    a_lost_answer_is_outcome_unknown_and_a_refused_link_not_sent(RestTransport::Http).await;
}

/// A socket carries one request at a time: with one socket whose answer
/// the proxy holds, a second request waits in the client instead of
/// queueing behind the first in Asterisk, and when the link is lost it
/// was never written: "not sent", and it did not take effect.
#[tokio::test]
async fn rest_over_ws_a_busy_socket_takes_no_second_request() {
    let Some((proxy, client)) = through_proxy(RestTransport::WebSocket, 1).await else {
        return;
    };
    let direct = client_or_skip().await.unwrap();
    client.asterisk().ping().send().await.unwrap();
    let [first, second] =
        ["RESTWS_FIRST", "RESTWS_SECOND"].map(|name| unique(name).replace('-', "_"));
    let set = |variable: &String| {
        let (client, variable) = (client.clone(), variable.clone());
        tokio::spawn(async move {
            client
                .asterisk()
                .set_global_var(&variable)
                .value("set")
                .send()
                .await
        })
    };
    let is_set = |variable: &String| {
        let (direct, variable) = (direct.clone(), variable.clone());
        async move {
            matches!(
                direct.asterisk().get_global_var(&variable).send().await,
                Ok(value) if value.value == "set"
            )
        }
    };
    proxy.set(Fault::StallAnswers);
    let held = set(&first);
    poll("the first variable set past the proxy", || async {
        if is_set(&first).await {
            Ok(())
        } else {
            Err("not yet".to_owned())
        }
    })
    .await;
    let waiting = set(&second);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !is_set(&second).await,
        "a second request went out on a socket with one in flight"
    );
    proxy.set(Fault::ResetAfter(0));
    let ended = |task: tokio::task::JoinHandle<_>, which: &'static str| async move {
        tokio::time::timeout(WAIT, task)
            .await
            .unwrap_or_else(|_| panic!("the {which} request ends in time"))
            .unwrap()
    };
    let lost = ended(held, "first").await;
    let never_sent = ended(waiting, "second").await;
    match (&lost, &never_sent) {
        (
            Err(ari_generated::asterisk::SetGlobalVarError::Transport(lost)),
            Err(ari_generated::asterisk::SetGlobalVarError::Transport(never_sent)),
        ) => {
            assert!(lost.is_outcome_unknown(), "{lost:?}");
            assert!(never_sent.is_not_sent(), "{never_sent:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !is_set(&second).await,
        "a request reported not sent took effect"
    );
}
