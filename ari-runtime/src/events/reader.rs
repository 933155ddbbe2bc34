//! The reader task: one per connection, it reads frames, hands them to every consumer, pings, and reconnects.

use super::backoff::jitter_unit;
use super::connect::Target;
use super::rest::{Outgoing, RestLink};
use super::stream::{BATCH, Batch, Delivery, decode_text, frame};
use super::{Backoff, EventOptions, FromFrame};
use crate::bindings::OwnRequests;
use crate::release;
use crate::tls::Socket;
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite;
// For the intra-doc links of the private items.
#[cfg(doc)]
use super::{EventStream, stream::ReaderGuard};

/// Why reading one connection stopped.
enum Ended {
    /// Every consumer is gone.
    NoConsumers,
    Lost(String),
}

pub(super) struct Reader<T> {
    pub(super) target: Target,
    pub(super) options: EventOptions,
    pub(super) consumers: Vec<mpsc::Sender<Batch<T>>>,
    pub(super) registrations: mpsc::UnboundedReceiver<mpsc::Sender<Batch<T>>>,
    /// Ready once every handle is gone (see [`ReaderGuard`]).
    pub(super) stopped: oneshot::Receiver<()>,
    /// The requests the reader makes on its own (version check, device
    /// state release); `None` on a connection that carries REST only.
    pub(super) requests: Option<OwnRequests>,
    /// The applications the connection registers, released before it closes.
    pub(super) apps: Vec<String>,
    /// Set when the first consumer takes frames undecoded (a router, whose
    /// handles decode): the reader then never decodes for it.
    pub(super) raw: Arc<AtomicBool>,
    /// REST over this connection: the frames to write, and where the
    /// `RESTResponse` frames go (never to a consumer).
    pub(super) rest: Option<RestLink>,
    /// Stay connected with no consumer (a connection that carries REST
    /// only, whose application's own events are not wanted).
    pub(super) keep_open: bool,
    /// Once every consumer is gone, leave the closing to the server for up
    /// to this long (see [`Reader::linger`]).
    pub(super) linger: Option<Duration>,
}

/// How long the reader may spend releasing device states before it closes
/// anyway.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// What one frame means to the reader.
enum Frame {
    Text(tungstenite::Utf8Bytes),
    /// Pings are answered by tungstenite; pongs only prove liveness.
    Skip,
    End(Ended),
}

fn classify(frame: Option<Result<tungstenite::Message, tungstenite::Error>>) -> Frame {
    match frame {
        Some(Ok(tungstenite::Message::Text(text))) => Frame::Text(text),
        Some(Ok(tungstenite::Message::Close(frame))) => Frame::End(Ended::Lost(match frame {
            Some(frame) if !frame.reason.is_empty() => {
                format!("closed by the server ({}: {})", frame.code, frame.reason)
            }
            Some(frame) => format!("closed by the server ({})", frame.code),
            None => "closed by the server".into(),
        })),
        None => Frame::End(Ended::Lost("connection closed".into())),
        Some(Err(error)) => Frame::End(Ended::Lost(error.to_string())),
        Some(Ok(_)) => Frame::Skip,
    }
}

impl<T: FromFrame> Reader<T> {
    pub(super) async fn run(mut self, mut socket: Socket) {
        loop {
            let reason = match self.read(&mut socket).await {
                Ended::NoConsumers => return self.finish(socket).await,
                Ended::Lost(reason) => reason,
            };
            if let Some(rest) = &self.rest {
                rest.lost(&reason);
            }
            let Some(backoff) = self.options.reconnect.clone() else {
                tracing::warn!(target: "ari_runtime::events", events = %self.target.display, %reason, "event WebSocket lost; not reconnecting");
                self.deliver(Delivery::Disconnected {
                    reason,
                    will_reconnect: false,
                })
                .await;
                return;
            };
            tracing::warn!(target: "ari_runtime::events", events = %self.target.display, %reason, "event WebSocket lost; reconnecting");
            if !self
                .deliver(Delivery::Disconnected {
                    reason,
                    will_reconnect: true,
                })
                .await
            {
                return;
            }
            match self.reconnect(&backoff).await {
                Ok((new_socket, attempts)) => {
                    socket = new_socket;
                    tracing::info!(target: "ari_runtime::events", events = %self.target.display, attempts, "event WebSocket reconnected");
                    if let Some(rest) = &self.rest {
                        rest.reconnected();
                    }
                    if let Some(requests) = self.requests {
                        self.options
                            .spawn_version_check(&self.target.client, requests);
                    }
                    if !self.deliver(Delivery::Reconnected { attempts }).await {
                        return self.finish(socket).await;
                    }
                }
                Err(reason) => {
                    tracing::error!(target: "ari_runtime::events", events = %self.target.display, %reason, "event WebSocket: giving up");
                    self.deliver(Delivery::Disconnected {
                        reason,
                        will_reconnect: false,
                    })
                    .await;
                    return;
                }
            }
        }
    }

    /// Every consumer is gone: releases the apps' device states (see
    /// [`EventStream::close`]), then closes.
    async fn finish(&mut self, mut socket: Socket) {
        if let Some(limit) = self.linger {
            self.linger(&mut socket, limit).await;
        }
        if let Some(rest) = &self.rest {
            rest.lost("the connection is closing");
        }
        if let Some(requests) = &self.requests {
            let release = release::release_device_states(&self.target.client, requests, &self.apps);
            let failure = match tokio::time::timeout(RELEASE_TIMEOUT, release).await {
                Ok(released) => released.err().map(|error| error.to_string()),
                Err(_) => Some(format!("no answer within {RELEASE_TIMEOUT:?}")),
            };
            if let Some(error) = failure {
                tracing::warn!(target: "ari_runtime::events", events = %self.target.display, %error, "closing without releasing device states");
            }
        }
        let _ = socket.close(None).await;
    }

    /// Keeps reading a connection the server closes itself (a per-call
    /// outbound session, which Asterisk closes after the call's
    /// `StasisEnd`) until it does or `limit` passes; REST answers still
    /// reach their requests, events go nowhere. Closing it first, while the
    /// call is still in Stasis, makes Asterisk 22.10.1 reconnect the
    /// session, and that path crashed it (a segfault in
    /// `res_http_websocket.so`) under load in the `workers` test.
    async fn linger(&mut self, socket: &mut Socket, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            tokio::select! {
                frame = socket.next() => match classify(frame) {
                    Frame::Text(text) => {
                        if let Some(rest) = &self.rest {
                            rest.take_answer(&text);
                        }
                    }
                    Frame::Skip => {}
                    Frame::End(_) => return,
                },
                outgoing = next_outgoing(self.rest.as_mut()) => {
                    if self.write(socket, outgoing).await.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    tracing::debug!(target: "ari_runtime::events", events = %self.target.display, ?limit, "closing a session the server kept open");
                    return;
                }
            }
        }
    }

    async fn reconnect(&mut self, backoff: &Backoff) -> Result<(Socket, u32), String> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            tokio::select! {
                () = tokio::time::sleep(backoff.delay(attempt, jitter_unit())) => {}
                _ = &mut self.stopped => return Err("every consumer is gone".into()),
            }
            self.accept_consumers();
            if self.consumers.is_empty() && !self.keep_open {
                return Err("every consumer is gone".into());
            }
            match self.target.open().await {
                Ok(socket) => return Ok((socket, attempt)),
                Err(error) => {
                    tracing::debug!(target: "ari_runtime::events", attempt, %error, "reconnect attempt failed");
                    if backoff.max_attempts.is_some_and(|max| attempt >= max) {
                        return Err(format!(
                            "no connection after {attempt} attempts, last: {error}"
                        ));
                    }
                }
            }
        }
    }

    async fn read(&mut self, socket: &mut Socket) -> Ended {
        let mut next_ping = self
            .options
            .ping_interval
            .map(|every| Instant::now() + every);
        let mut pong_deadline: Option<Instant> = None;
        loop {
            // Biased towards the socket: after waiting for a slow consumer,
            // frames already received prove the connection alive before the
            // pong deadline is looked at.
            let frame = tokio::select! {
                biased;
                _ = &mut self.stopped => return Ended::NoConsumers,
                frame = socket.next() => frame,
                outgoing = next_outgoing(self.rest.as_mut()) => {
                    if let Err(error) = self.write(socket, outgoing).await {
                        return Ended::Lost(format!("cannot send a request: {error}"));
                    }
                    continue;
                }
                () = sleep_until(pong_deadline) => {
                    return Ended::Lost(format!(
                        "no pong within {:?} of a ping",
                        self.options.pong_timeout
                    ));
                }
                () = sleep_until(next_ping) => {
                    // One ping at a time: a second one must not push the
                    // deadline of the first further out.
                    if pong_deadline.is_none() {
                        if let Err(error) = socket.send(tungstenite::Message::Ping(Default::default())).await {
                            return Ended::Lost(format!("cannot send a ping: {error}"));
                        }
                        pong_deadline = Some(Instant::now() + self.options.pong_timeout);
                    }
                    next_ping = self.options.ping_interval.map(|every| Instant::now() + every);
                    continue;
                }
            };
            pong_deadline = None;
            let mut batch = Batch::new();
            let mut ended = None;
            match classify(frame) {
                Frame::Text(text) => self.take_text(&mut batch, &text),
                Frame::Skip => {}
                Frame::End(end) => ended = Some(end),
            }
            // Frames that have already arrived join the batch without waiting.
            while ended.is_none() && batch.items.len() < BATCH {
                let Some(frame) = socket.next().now_or_never() else {
                    break;
                };
                match classify(frame) {
                    Frame::Text(text) => self.take_text(&mut batch, &text),
                    Frame::Skip => {}
                    Frame::End(end) => ended = Some(end),
                }
            }
            if !batch.items.is_empty() && !self.deliver_frames(batch).await {
                return Ended::NoConsumers;
            }
            if let Some(end) = ended {
                return end;
            }
        }
    }

    /// Queues a frame for the consumers, unless it is the answer to a REST
    /// request made over this connection.
    fn take_text(&self, batch: &mut Batch<T>, text: &str) {
        if !self
            .rest
            .as_ref()
            .is_some_and(|rest| rest.take_answer(text))
        {
            batch.push_text(text);
        }
    }

    /// Writes a REST request, unless its caller has given up; `None`:
    /// nobody can send requests any more.
    async fn write(
        &mut self,
        socket: &mut Socket,
        outgoing: Option<Outgoing>,
    ) -> Result<(), tungstenite::Error> {
        let Some(rest) = self.rest.as_mut() else {
            return Ok(());
        };
        match outgoing {
            Some(outgoing) if rest.start_writing(&outgoing) => {
                socket
                    .send(tungstenite::Message::Text(outgoing.text.into()))
                    .await
            }
            Some(_) => Ok(()),
            None => {
                rest.close_outgoing();
                Ok(())
            }
        }
    }

    fn accept_consumers(&mut self) {
        while let Ok(consumer) = self.registrations.try_recv() {
            self.consumers.push(consumer);
        }
        self.consumers.retain(|consumer| !consumer.is_closed());
    }

    /// Hands `item` to every consumer, waiting for room in each. False when
    /// none is left.
    async fn deliver(&mut self, item: Delivery<T>) -> bool {
        self.accept_consumers();
        self.deliver_batch(Batch::of(item)).await
    }

    /// Hands a batch of frames over. With a single consumer that is behind
    /// (its channel full), the reader decodes frames of the batch itself
    /// instead of waiting idle, until room appears: decoding is most of the
    /// work per event, and this spreads it over the reader's thread and the
    /// consumer's on a multi-thread runtime, in whatever share keeps both
    /// busy. Order is unchanged: the batch is still delivered whole.
    async fn deliver_frames(&mut self, mut batch: Batch<T>) -> bool {
        self.accept_consumers();
        if let [consumer] = self.consumers.as_slice()
            && consumer.capacity() == 0
            && !self.raw.load(Ordering::Relaxed)
        {
            let text = &batch.text;
            for delivery in &mut batch.items {
                if consumer.capacity() > 0 {
                    break;
                }
                if let Delivery::Text(range) = delivery {
                    *delivery = Delivery::Decoded(decode_text(frame(text, range)));
                }
            }
        }
        self.deliver_batch(batch).await
    }

    /// Hands `batch` to every consumer, waiting for room in each; consumers
    /// that register meanwhile start with the next batch. False when none is
    /// left.
    async fn deliver_batch(&mut self, batch: Batch<T>) -> bool {
        let Some((last, others)) = self.consumers.split_last() else {
            // A REST-only connection's own application events are not wanted.
            return self.keep_open;
        };
        for consumer in others {
            // A consumer that is gone is removed at the next delivery.
            let _ = consumer.send(batch.share()).await;
        }
        let _ = last.send(batch).await;
        self.consumers.retain(|consumer| !consumer.is_closed());
        !self.consumers.is_empty()
    }
}

/// The next REST request to write; pending while there is none, or no
/// REST over this connection.
async fn next_outgoing(rest: Option<&mut RestLink>) -> Option<Outgoing> {
    match rest {
        Some(rest) => rest.next_outgoing().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
