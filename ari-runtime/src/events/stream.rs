//! The consumer side: the batches the reader hands over, and [`EventStream`], which decodes them.

use super::{FromFrame, StreamItem};
use crate::bindings::OwnRequests;
use crate::client::Client;
use crate::release::{self, ReleaseError};
use futures_util::Stream;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, oneshot};

/// The most frames the reader collects before handing them over.
pub(super) const BATCH: usize = 64;

/// What the reader hands to consumers: frames, usually still to be decoded,
/// and the connection changes in between.
pub(super) enum Delivery<T> {
    /// A frame's text, as a range of [`Batch::text`].
    Text(std::ops::Range<usize>),
    /// Decoded by the reader while its only consumer was behind.
    Decoded(StreamItem<T>),
    Disconnected {
        reason: String,
        will_reconnect: bool,
    },
    Reconnected {
        attempts: u32,
    },
}

impl<T> Delivery<T> {
    /// The same delivery for another consumer. Only the reader's own
    /// decodes cannot be shared (`T` need not be `Clone`), and the reader
    /// decodes only for a single consumer.
    fn share(&self) -> Option<Self> {
        Some(match self {
            Delivery::Text(range) => Delivery::Text(range.clone()),
            Delivery::Decoded(_) => return None,
            Delivery::Disconnected {
                reason,
                will_reconnect,
            } => Delivery::Disconnected {
                reason: reason.clone(),
                will_reconnect: *will_reconnect,
            },
            Delivery::Reconnected { attempts } => Delivery::Reconnected {
                attempts: *attempts,
            },
        })
    }
}

/// Deliveries handed to a consumer at once.
///
/// The frames' texts are copied one after another into one string: the
/// consumer then reads one block that no other thread touches, where the
/// frames themselves are views into tungstenite's shared read buffer whose
/// reference count both threads would update for every event (a cache line
/// bouncing between cores). The copy costs the reader less than that.
pub(super) struct Batch<T> {
    pub(super) text: String,
    pub(super) items: Vec<Delivery<T>>,
}

impl<T> Batch<T> {
    pub(super) fn new() -> Self {
        Batch {
            text: String::new(),
            items: Vec::new(),
        }
    }

    pub(super) fn of(item: Delivery<T>) -> Self {
        Batch {
            text: String::new(),
            items: vec![item],
        }
    }

    pub(super) fn push_text(&mut self, frame: &str) {
        if self.text.is_empty() {
            // Room for a full batch of typical events: one allocation.
            self.text.reserve(BATCH * 512);
        }
        let start = self.text.len();
        self.text.push_str(frame);
        self.items.push(Delivery::Text(start..self.text.len()));
    }

    /// The same batch for another consumer (see [`Delivery::share`]).
    pub(super) fn share(&self) -> Self {
        Batch {
            text: self.text.clone(),
            items: self.items.iter().filter_map(Delivery::share).collect(),
        }
    }
}

/// Channel capacity, in batches, for a buffer of `buffer` items.
pub(super) fn batches_for(buffer: usize) -> usize {
    buffer.div_ceil(BATCH).max(1)
}

/// Shared by every handle on a connection. When the last one goes, `stop`
/// is dropped with it: the reader, waiting on the other end even when no
/// event arrives, releases the apps' device states and closes.
pub(super) struct ReaderGuard<T> {
    pub(super) task: tokio::task::JoinHandle<()>,
    pub(super) register: mpsc::UnboundedSender<mpsc::Sender<Batch<T>>>,
    /// See `Reader::raw`.
    pub(super) raw: Arc<std::sync::atomic::AtomicBool>,
    pub(super) capacity: usize,
    pub(super) _stop: oneshot::Sender<()>,
    /// For [`EventStream::release_device_states`].
    pub(super) client: Client,
    pub(super) requests: Option<OwnRequests>,
    pub(super) apps: Vec<String>,
}

/// Typed messages from the event WebSocket, with connection changes in
/// between (see [`StreamItem`]). Ends only when reconnecting is disabled or
/// gives up.
pub struct EventStream<T> {
    pub(super) receiver: mpsc::Receiver<Batch<T>>,
    /// The rest of the batch being handed out, and its text.
    pub(super) pending: std::vec::IntoIter<Delivery<T>>,
    pub(super) pending_text: Arc<String>,
    pub(super) guard: Arc<ReaderGuard<T>>,
}

// Nothing in the stream is ever pinned in place: items are moved out.
impl<T> Unpin for EventStream<T> {}

impl<T> EventStream<T> {
    /// Closes the connection, ending every consumer of it, after releasing
    /// the device-state subscriptions of its applications through REST
    /// ([`release_device_states`](Self::release_device_states)): Asterisk 22
    /// can deadlock its ARI when a connection closes while a device state
    /// event is on its way to it, and `subscribe_all` watches every device.
    ///
    /// Dropping the last handle does the same in the background (while the
    /// tokio runtime still runs), and only logs a failure. `close` waits
    /// for the release and returns its error, naming the application that
    /// kept its subscriptions; the connection is closed either way.
    pub async fn close(self) -> Result<(), ReleaseError> {
        let released = self.release_device_states().await;
        self.guard.task.abort();
        released
    }

    /// Releases, through REST, every device-state subscription of the
    /// connection's applications (`subscribe_all` makes one to every
    /// device), so that they can close without risking Asterisk 22's
    /// deadlock (see [`close`](Self::close)). The connection stays open;
    /// the applications get no more `DeviceStateChanged` events.
    pub async fn release_device_states(&self) -> Result<(), ReleaseError> {
        let guard = &self.guard;
        match &guard.requests {
            Some(requests) => {
                release::release_device_states(&guard.client, requests, &guard.apps).await
            }
            None => Ok(()),
        }
    }

    /// Another consumer of the same connection. It receives every item from
    /// now on; the reader goes at the pace of the slowest consumer.
    pub fn subscribe(&self) -> EventStream<T> {
        self.subscriber().subscribe()
    }

    /// Whether items already received wait to be handed out: the next
    /// `poll_next` returns one without waiting.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.len() > 0
    }

    /// Frames undecoded from now on (see [`RawItem`]); the reader stops
    /// decoding for this stream when it falls behind.
    pub(crate) fn take_raw(&self) {
        self.guard
            .raw
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The next frame undecoded, or a connection change. After
    /// [`take_raw`](Self::take_raw).
    pub(crate) fn poll_raw(&mut self, cx: &mut Context<'_>) -> Poll<Option<RawItem<T>>>
    where
        T: FromFrame,
    {
        self.poll_delivery(cx).map(|delivery| {
            Some(match delivery? {
                Delivery::Text(range) => RawItem::Frame(SharedFrame {
                    text: Arc::clone(&self.pending_text),
                    range,
                }),
                other => RawItem::Item(decode(other, "")),
            })
        })
    }

    /// The next delivery of the batch at hand, or of the next batch.
    fn poll_delivery(&mut self, cx: &mut Context<'_>) -> Poll<Option<Delivery<T>>> {
        loop {
            if let Some(delivery) = self.pending.next() {
                return Poll::Ready(Some(delivery));
            }
            match self.receiver.poll_recv(cx) {
                Poll::Ready(Some(batch)) => {
                    self.pending = batch.items.into_iter();
                    self.pending_text = Arc::new(batch.text);
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// What makes consumers of this connection, without being one.
    pub(crate) fn subscriber(&self) -> Subscriber<T> {
        Subscriber {
            guard: Arc::clone(&self.guard),
        }
    }

    /// Closes the connection at once, releasing nothing: for an application
    /// another connection has taken over, whose subscriptions are now that
    /// connection's.
    pub(crate) fn abandon(self) {
        self.guard.task.abort();
    }
}

/// One frame's text in the batch it came in, shared by everyone it is
/// routed to: a batch's frames cost one allocation, not one each.
#[derive(Clone)]
pub(crate) struct SharedFrame {
    text: Arc<String>,
    range: std::ops::Range<usize>,
}

impl SharedFrame {
    pub(crate) fn text(&self) -> &str {
        frame(&self.text, &self.range)
    }

    /// A frame of its own, for tests.
    #[cfg(test)]
    pub(crate) fn of(text: &str) -> Self {
        SharedFrame {
            text: Arc::new(text.to_owned()),
            range: 0..text.len(),
        }
    }
}

/// What [`EventStream::poll_raw`] gives.
pub(crate) enum RawItem<T> {
    Frame(SharedFrame),
    Item(StreamItem<T>),
}

/// Makes consumers of a connection (see [`EventStream::subscribe`]); keeps
/// the connection open like a consumer does.
pub(crate) struct Subscriber<T> {
    guard: Arc<ReaderGuard<T>>,
}

impl<T> Subscriber<T> {
    pub(crate) fn subscribe(&self) -> EventStream<T> {
        let (sender, receiver) = mpsc::channel(self.guard.capacity);
        // A closed register means the reader has ended: the new stream then
        // ends at once, like this one.
        let _ = self.guard.register.send(sender);
        EventStream {
            receiver,
            pending: Vec::new().into_iter(),
            pending_text: Arc::default(),
            guard: Arc::clone(&self.guard),
        }
    }
}

pub(super) fn decode_text<T: FromFrame>(text: &str) -> StreamItem<T> {
    match T::from_frame(text) {
        Ok(event) => StreamItem::Event(event),
        Err(error) => {
            tracing::warn!(target: "ari_runtime::events", %error, "malformed event frame");
            StreamItem::Malformed(error)
        }
    }
}

/// A frame of a batch's text. The ranges are made by `Batch::push_text` on
/// that very text, so the empty fallback is never taken.
pub(super) fn frame<'t>(text: &'t str, range: &std::ops::Range<usize>) -> &'t str {
    text.get(range.clone()).unwrap_or_default()
}

fn decode<T: FromFrame>(delivery: Delivery<T>, text: &str) -> StreamItem<T> {
    match delivery {
        Delivery::Text(range) => decode_text(frame(text, &range)),
        Delivery::Decoded(item) => item,
        Delivery::Disconnected {
            reason,
            will_reconnect,
        } => StreamItem::Disconnected {
            reason,
            will_reconnect,
        },
        Delivery::Reconnected { attempts } => StreamItem::Reconnected { attempts },
    }
}

impl<T: FromFrame> Stream for EventStream<T> {
    type Item = StreamItem<T>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_delivery(cx)
            .map(|delivery| Some(decode(delivery?, &self.pending_text)))
    }
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}
