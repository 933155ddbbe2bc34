//! REST over the event WebSocket (Asterisk 20.14, 21.9, 22.4 and later):
//! a request goes out as a `RESTRequest` frame written by the connection's
//! reader, and its answer comes back as a `RESTResponse` frame, matched by
//! the `request_id` this side chose. The wire format is Asterisk's
//! `res/ari/ari_websocket_requests.c`: `uri` without its leading `/`, query
//! parameters as `query_strings`, the body as a *string* with its
//! `content_type`.
//!
//! Every request has a deadline, and its failure says whether it can have
//! taken effect: not yet written (`NotSent`, safe to send again), or
//! written and its answer lost (`OutcomeUnknown` for a request that changes
//! state, `NoAnswer` for one that does not).

use super::rest_queue::RestQueue;
use crate::client::{Method, Request, Response};
use crate::error::TransportError;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Requests queued for the reader to write; a full queue makes a caller
/// wait (within its deadline), never grows.
const OUTGOING_QUEUE: usize = 256;

/// The sending side of REST over one connection: cheap to clone, used by
/// every request of the clients that go through it.
#[derive(Clone)]
pub(crate) struct RestSocket {
    shared: Arc<RestShared>,
    outgoing: mpsc::Sender<Outgoing>,
}

/// The reader's side: the frames to write, and where answers go.
pub(crate) struct RestLink {
    /// `None` once every sender is gone, and on a socket of a pool.
    pub(super) outgoing: Option<mpsc::Receiver<Outgoing>>,
    /// The pool's queue, on a socket of a pool: taken from one request at
    /// a time, when the socket has none in Asterisk.
    queue: Option<RestQueue>,
    pub(super) shared: Arc<RestShared>,
}

pub(crate) struct RestShared {
    pending: Mutex<FxHashMap<u64, Pending>>,
    next_id: AtomicU64,
    connected: AtomicBool,
    /// Told of every loss, for [`RestSocket::closed`].
    lost: tokio::sync::Notify,
}

struct Pending {
    /// Set once the reader has started writing it: from then on it may
    /// have reached Asterisk.
    written: bool,
    answer: oneshot::Sender<Result<Response, Lost>>,
}

/// Why a request's answer will not come.
pub(super) struct Lost {
    pub(super) written: bool,
    pub(super) reason: String,
}

/// One `RESTRequest` frame, for the reader to write.
pub(crate) struct Outgoing {
    pub(super) id: u64,
    pub(super) text: String,
}

impl RestShared {
    fn connected() -> Arc<RestShared> {
        Arc::new(RestShared {
            pending: Mutex::default(),
            next_id: AtomicU64::new(1),
            connected: AtomicBool::new(true),
            lost: tokio::sync::Notify::new(),
        })
    }
}

impl RestLink {
    /// The reader's side of a connection that is open, a socket of the pool
    /// `queue` takes requests for.
    pub(crate) fn pulling(queue: RestQueue) -> RestLink {
        queue.socket_connected();
        RestLink {
            outgoing: None,
            queue: Some(queue),
            shared: RestShared::connected(),
        }
    }

    /// Tells whether this link's reader still runs.
    pub(crate) fn alive(&self) -> ReaderAlive {
        ReaderAlive(Arc::downgrade(&self.shared))
    }
}

/// Whether a pooled socket's reader still runs (it ends when it gives up
/// reconnecting): only its link holds what this points at.
pub(crate) struct ReaderAlive(std::sync::Weak<RestShared>);

impl ReaderAlive {
    pub(crate) fn is_alive(&self) -> bool {
        self.0.strong_count() > 0
    }
}

impl RestSocket {
    /// A socket side and its reader side, for a connection that is open.
    pub(crate) fn new() -> (RestSocket, RestLink) {
        let shared = RestShared::connected();
        let (outgoing, receiver) = mpsc::channel(OUTGOING_QUEUE);
        (
            RestSocket {
                shared: Arc::clone(&shared),
                outgoing,
            },
            RestLink {
                outgoing: Some(receiver),
                queue: None,
                shared,
            },
        )
    }

    /// Resolves once the connection is lost (at once if it is): for a
    /// connection that is not reopened, its end.
    pub(crate) async fn closed(&self) {
        loop {
            let notified = self.shared.lost.notified();
            if !self.shared.connected.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    /// Sends `request` over the socket and waits up to `deadline` for its
    /// answer. Cancellation-safe: a request dropped before it was written
    /// is never written.
    pub(crate) async fn execute(
        &self,
        request: &Request,
        deadline: Option<Duration>,
    ) -> Result<Response, TransportError> {
        let not_sent = |reason: &str| TransportError::NotSent {
            reason: reason.to_owned(),
        };
        if !self.shared.connected.load(Ordering::Acquire) {
            return Err(not_sent("the WebSocket is not connected"));
        }
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let text = encode(request, id).map_err(TransportError::Encode)?;
        let (answer, answered) = oneshot::channel();
        let entry = PendingEntry::insert(&self.shared, id, answer);
        // A loss between the check above and the insert drained the map
        // before this entry was in it.
        if !self.shared.connected.load(Ordering::Acquire) {
            return Err(not_sent("the WebSocket is not connected"));
        }
        let exchange = async {
            if self.outgoing.send(Outgoing { id, text }).await.is_err() {
                return Err(Lost {
                    written: false,
                    reason: "the WebSocket is closed".into(),
                });
            }
            answered.await.unwrap_or_else(|_| {
                Err(Lost {
                    written: entry.written(),
                    reason: "the WebSocket is closed".into(),
                })
            })
        };
        let outcome = match deadline {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or_else(|_| {
                    Err(Lost {
                        written: entry.written(),
                        reason: format!("no answer within {limit:?}"),
                    })
                }),
            None => exchange.await,
        };
        drop(entry);
        outcome.map_err(|lost| lost.into_error(request.method(), request.template()))
    }
}

impl Lost {
    pub(super) fn into_error(self, method: &Method, template: &'static str) -> TransportError {
        let Lost { written, reason } = self;
        if !written {
            TransportError::NotSent { reason }
        } else if *method == Method::GET || *method == Method::HEAD {
            TransportError::NoAnswer { reason }
        } else {
            TransportError::OutcomeUnknown {
                method: method.clone(),
                template,
                reason,
            }
        }
    }
}

/// A request's place in the pending map, removed when the request is done
/// or dropped.
struct PendingEntry<'s> {
    shared: &'s RestShared,
    id: u64,
}

impl<'s> PendingEntry<'s> {
    fn insert(
        shared: &'s RestShared,
        id: u64,
        answer: oneshot::Sender<Result<Response, Lost>>,
    ) -> Self {
        shared.lock().insert(
            id,
            Pending {
                written: false,
                answer,
            },
        );
        PendingEntry { shared, id }
    }

    /// Whether the reader had started writing it; an entry the reader
    /// already answered or failed counts as written, since the reader
    /// only answers what it wrote.
    fn written(&self) -> bool {
        self.shared
            .lock()
            .get(&self.id)
            .is_none_or(|pending| pending.written)
    }
}

impl Drop for PendingEntry<'_> {
    fn drop(&mut self) {
        self.shared.lock().remove(&self.id);
    }
}

impl RestShared {
    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<u64, Pending>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl RestLink {
    /// The next request to write; pending while there is none. A socket of
    /// a pool takes one only while it has none in Asterisk (an answer not
    /// in yet, even to a request that gave up). Cancellation-safe.
    pub(super) async fn next_outgoing(&mut self) -> Option<Outgoing> {
        if let Some(queue) = &self.queue {
            if !self.shared.lock().is_empty() {
                return std::future::pending().await;
            }
            let job = queue.take().await;
            self.shared.lock().insert(
                job.id,
                Pending {
                    written: true,
                    answer: job.answer,
                },
            );
            return Some(Outgoing {
                id: job.id,
                text: job.text,
            });
        }
        match self.outgoing.as_mut() {
            Some(outgoing) => outgoing.recv().await,
            None => std::future::pending().await,
        }
    }

    /// Whether `outgoing` is still wanted, marking it written: a request
    /// whose caller gave up (or whose connection was lost) is not sent.
    pub(super) fn start_writing(&self, outgoing: &Outgoing) -> bool {
        match self.shared.lock().get_mut(&outgoing.id) {
            Some(pending) => {
                pending.written = true;
                true
            }
            None => false,
        }
    }

    /// Takes `text` when it is a `RESTResponse`: the answer goes to its
    /// request, and the frame to no event consumer. False for any other
    /// frame.
    pub(super) fn take_answer(&self, text: &str) -> bool {
        if !matches!(crate::wire::discriminator(text, "type"), Ok(kind) if kind == "RESTResponse") {
            return false;
        }
        let answer = match serde_json::from_str::<WireAnswer>(text) {
            Ok(answer) => answer,
            Err(error) => {
                tracing::warn!(target: "ari_runtime::rest", %error, frame = text, "undecodable RESTResponse");
                return true;
            }
        };
        let pending = match answer.request_id.parse::<u64>() {
            Ok(id) => match self.shared.lock().remove(&id) {
                Some(pending) => pending,
                None => {
                    tracing::debug!(target: "ari_runtime::rest", id, "RESTResponse after its request gave up");
                    return true;
                }
            },
            // Asterisk answers a request it could not parse without its id.
            Err(_) => match self.take_pooled_request() {
                Some(pending) => {
                    tracing::warn!(target: "ari_runtime::rest", status = answer.status_code, frame = text, "Asterisk could not read a request");
                    pending
                }
                None => {
                    tracing::warn!(target: "ari_runtime::rest", status = answer.status_code, frame = text, "RESTResponse for no request of ours (Asterisk could not read one)");
                    return true;
                }
            },
        };
        if let Some(queue) = &self.queue {
            queue.settled();
        }
        let body = answer
            .message_body
            .map(String::into_bytes)
            .unwrap_or_default();
        let _ = pending
            .answer
            .send(Ok(Response::new(answer.status_code, body.into())));
        true
    }

    /// A socket of a pool's one request in Asterisk, taken out: an answer
    /// without an id is its. `None` on any other connection.
    fn take_pooled_request(&self) -> Option<Pending> {
        self.queue.as_ref()?;
        let mut pending = self.shared.lock();
        let id = *pending.keys().next()?;
        pending.remove(&id)
    }

    /// The connection is gone: every request waiting on it fails, by
    /// whether it had been written.
    pub(super) fn lost(&self, reason: &str) {
        let was_connected = self.shared.connected.swap(false, Ordering::AcqRel);
        self.shared.lost.notify_waiters();
        let drained: Vec<Pending> = self.shared.lock().drain().map(|(_, p)| p).collect();
        for pending in drained {
            if let Some(queue) = &self.queue {
                queue.settled();
            }
            let _ = pending.answer.send(Err(Lost {
                written: pending.written,
                reason: format!("the WebSocket was lost: {reason}"),
            }));
        }
        if let Some(queue) = self.queue.as_ref().filter(|_| was_connected) {
            queue.socket_lost(reason);
        }
    }

    /// Every sender is gone: no request will come.
    pub(super) fn close_outgoing(&mut self) {
        self.outgoing = None;
    }

    /// A new connection is open: requests go out again.
    pub(super) fn reconnected(&self) {
        let was_connected = self.shared.connected.swap(true, Ordering::AcqRel);
        if let Some(queue) = self.queue.as_ref().filter(|_| !was_connected) {
            queue.socket_connected();
        }
    }
}

impl Drop for RestLink {
    // A reader that ends without a loss (its task aborted) still leaves
    // its pool's counts right.
    fn drop(&mut self) {
        let Some(queue) = &self.queue else {
            return;
        };
        let unanswered = self.shared.lock().drain().count();
        for _ in 0..unanswered {
            queue.settled();
        }
        if self.shared.connected.swap(false, Ordering::AcqRel) {
            queue.socket_lost("the connection is closed");
        }
    }
}

/// The members of a `RESTResponse` this side reads.
#[derive(serde::Deserialize)]
struct WireAnswer {
    #[serde(default)]
    request_id: String,
    status_code: u16,
    #[serde(default)]
    message_body: Option<String>,
}

/// A `RESTRequest` frame for `request`, with `request_id` `id`.
pub(super) fn encode(request: &Request, id: u64) -> Result<String, serde_json::Error> {
    #[derive(serde::Serialize)]
    struct QueryString<'a> {
        name: &'a str,
        value: &'a str,
    }
    #[derive(serde::Serialize)]
    struct RestRequest<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        request_id: String,
        method: &'a str,
        uri: &'a str,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        query_strings: Vec<QueryString<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        content_type: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        message_body: Option<String>,
    }
    let message_body = match request.body_value() {
        Some(body) => Some(serde_json::to_string(body)?),
        // Over HTTP a POST or PUT without a body reaches its handler as no
        // JSON at all; over the socket as JSON `null`, which handlers that
        // take the whole body refuse (`PUT /applications/{name}/eventFilter`
        // answers 400 where HTTP resets the filter). An empty object reads
        // as "nothing" to every handler, as no body does over HTTP.
        None if *request.method() == Method::POST || *request.method() == Method::PUT => {
            Some("{}".to_owned())
        }
        None => None,
    };
    serde_json::to_string(&RestRequest {
        kind: "RESTRequest",
        request_id: id.to_string(),
        method: request.method().as_str(),
        uri: request.path().trim_start_matches('/'),
        query_strings: request
            .query_pairs()
            .iter()
            .map(|(name, value)| QueryString { name, value })
            .collect(),
        content_type: message_body.as_ref().map(|_| "application/json"),
        message_body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        let mut request = Request::new(
            Method::POST,
            "/channels/{channelId}/play",
            "/channels/a%2Fb/play".into(),
        );
        request.query("media", "sound:hello-world");
        request.body_field("variables", &serde_json::json!({"A": "1"}));
        request
    }

    #[test]
    fn a_request_frame_is_asterisks_wire_format() {
        let frame: serde_json::Value =
            serde_json::from_str(&encode(&request(), 7).unwrap()).unwrap();
        assert_eq!(
            frame,
            serde_json::json!({
                "type": "RESTRequest",
                "request_id": "7",
                "method": "POST",
                "uri": "channels/a%2Fb/play",
                "query_strings": [{"name": "media", "value": "sound:hello-world"}],
                "content_type": "application/json",
                "message_body": "{\"variables\":{\"A\":\"1\"}}",
            })
        );
    }

    #[tokio::test]
    async fn answers_match_by_id_and_losses_say_whether_it_was_written() {
        let (socket, mut link) = RestSocket::new();
        let post = request();
        let get = Request::new(Method::GET, "/asterisk/ping", "/asterisk/ping".into());
        let first = tokio::spawn({
            let socket = socket.clone();
            let post = post.clone();
            async move { socket.execute(&post, Some(Duration::from_secs(5))).await }
        });
        let second = tokio::spawn({
            let socket = socket.clone();
            let get = get.clone();
            async move { socket.execute(&get, Some(Duration::from_secs(5))).await }
        });
        let a = link.outgoing.as_mut().unwrap().recv().await.unwrap();
        let b = link.outgoing.as_mut().unwrap().recv().await.unwrap();
        let (post_frame, get_frame) = if a.text.contains("POST") {
            (a, b)
        } else {
            (b, a)
        };
        assert!(link.start_writing(&get_frame));
        let answer = format!(
            r#"{{"type":"RESTResponse","transaction_id":"","request_id":"{}","status_code":200,"reason_phrase":"OK","uri":"asterisk/ping","content_type":"application/json","message_body":"{{\"ping\":\"pong\"}}"}}"#,
            get_frame.id
        );
        assert!(link.take_answer(&answer));
        assert!(!link.take_answer(r#"{"type":"StasisStart"}"#));
        assert!(link.start_writing(&post_frame));
        link.lost("reset");
        let got = second.await.unwrap().unwrap();
        assert_eq!(
            (got.status(), &got.into_bytes()[..]),
            (200, &br#"{"ping":"pong"}"#[..])
        );
        assert!(matches!(
            first.await.unwrap(),
            Err(TransportError::OutcomeUnknown { method, .. }) if method == Method::POST
        ));
        // While disconnected, nothing is sent.
        assert!(matches!(
            socket.execute(&get, Some(Duration::from_secs(5))).await,
            Err(TransportError::NotSent { .. })
        ));
        link.reconnected();
        let waiting = tokio::spawn({
            let socket = socket.clone();
            async move { socket.execute(&post, Some(Duration::from_millis(50))).await }
        });
        // Never written: the deadline makes it "not sent".
        assert!(matches!(
            waiting.await.unwrap(),
            Err(TransportError::NotSent { .. })
        ));
        let late = link.outgoing.as_mut().unwrap().recv().await.unwrap();
        assert!(
            !link.start_writing(&late),
            "a request that gave up is not written"
        );
    }
}
