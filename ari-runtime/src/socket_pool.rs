//! The client's own REST WebSockets: opened as requests need them, each
//! taking requests from one queue (see [`RestQueue`]), so that a request
//! goes out on whichever socket frees first, the moment it does.

use crate::client::{Request, Response};
use crate::error::TransportError;
use crate::events::RestQueue;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// A socket the pool keeps: open until dropped, alive while its reader
/// runs (a reader that gave up reconnecting leaves its place to reopen).
pub(crate) trait PooledSocket: Send + 'static {
    fn is_alive(&self) -> bool;
}

/// At most `size` sockets, and the queue their readers take requests from.
pub(crate) struct SocketPool<S> {
    queue: RestQueue,
    shared: Arc<Mutex<Slots<S>>>,
}

struct Slots<S> {
    slots: Vec<Slot<S>>,
    /// Why the last opening failed, for the requests it leaves unsent.
    last_failure: Option<String>,
}

enum Slot<S> {
    Unopened,
    Opening,
    /// Keeps its connection open (reconnecting when lost).
    Open {
        connection: S,
    },
}

impl<S: PooledSocket> SocketPool<S> {
    /// `size` sockets at most (at least one), none open yet.
    pub(crate) fn new(size: usize) -> Self {
        SocketPool {
            queue: RestQueue::new(),
            shared: Arc::new(Mutex::new(Slots {
                slots: (0..size.max(1)).map(|_| Slot::Unopened).collect(),
                last_failure: None,
            })),
        }
    }

    /// Sends `request` over the first socket free and waits up to
    /// `deadline` for its answer. When every socket is busy and the pool is
    /// not full, `open(index, queue)` opens another in a task of its own:
    /// a socket taking requests from `queue`, its place `index` from 0.
    /// With no socket connected or opening, the request fails at once as
    /// not sent.
    pub(crate) async fn execute<F, Fut>(
        &self,
        request: &Request,
        deadline: Option<Duration>,
        open: F,
    ) -> Result<Response, TransportError>
    where
        F: FnOnce(usize, RestQueue) -> Fut,
        Fut: Future<Output = Result<S, String>> + Send + 'static,
    {
        self.grow(open);
        if self.queue.connected() == 0 && self.queue.opening() == 0 {
            let reason = match &self.lock().last_failure {
                Some(failure) => {
                    format!("no REST WebSocket is connected (the last opening failed: {failure})")
                }
                None => "no REST WebSocket is connected".to_owned(),
            };
            return Err(TransportError::NotSent { reason });
        }
        self.queue.execute(request, deadline).await
    }

    /// Opens another socket if the requests waiting, this one too,
    /// outnumber the sockets that will take them and a place is left.
    fn grow<F, Fut>(&self, open: F)
    where
        F: FnOnce(usize, RestQueue) -> Fut,
        Fut: Future<Output = Result<S, String>> + Send + 'static,
    {
        let queue = &self.queue;
        if queue.waiting() < queue.free() + queue.opening() {
            return;
        }
        let index = {
            let mut slots = self.lock();
            let Some(index) = slots.slots.iter().position(|slot| match slot {
                Slot::Unopened => true,
                Slot::Opening => false,
                Slot::Open { connection } => !connection.is_alive(),
            }) else {
                return;
            };
            slots.slots[index] = Slot::Opening;
            index
        };
        queue.opening_started();
        let opening = open(index, queue.clone());
        let ending = OpeningEnd {
            shared: Arc::clone(&self.shared),
            queue: queue.clone(),
            index,
            opened: None,
        };
        tokio::spawn(async move {
            ending.end(opening.await);
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots<S>> {
        lock(&self.shared)
    }
}

fn lock<S>(shared: &Mutex<Slots<S>>) -> std::sync::MutexGuard<'_, Slots<S>> {
    // A panic while holding the lock leaves slots that are still whole.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Ends an opening when its task does, however it ends: a task dropped
/// unfinished (its runtime shutting down) frees the place like a failure.
struct OpeningEnd<S> {
    shared: Arc<Mutex<Slots<S>>>,
    queue: RestQueue,
    index: usize,
    opened: Option<Result<S, String>>,
}

impl<S> OpeningEnd<S> {
    fn end(mut self, opened: Result<S, String>) {
        self.opened = Some(opened);
    }
}

impl<S> Drop for OpeningEnd<S> {
    fn drop(&mut self) {
        let opened = self
            .opened
            .take()
            .unwrap_or_else(|| Err("the opening was cancelled".to_owned()));
        let failure = {
            let mut slots = lock(&self.shared);
            match opened {
                Ok(socket) => {
                    slots.slots[self.index] = Slot::Open { connection: socket };
                    slots.last_failure = None;
                    None
                }
                Err(failure) => {
                    tracing::warn!(target: "ari_runtime::rest", %failure, "cannot open a REST WebSocket");
                    slots.slots[self.index] = Slot::Unopened;
                    slots.last_failure = Some(failure.clone());
                    Some(failure)
                }
            }
        };
        self.queue.opening_ended(failure.as_deref());
    }
}
