//! [`Tracked`]: a handle with its own event queue, and the waits on it.

use super::ended::HandleError;
use super::resource::Handle;
use super::table::{RouteTable, Slot};
use crate::events::FromFrame;
use futures_util::Stream;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// A handle (`ChannelHandle`, `BridgeHandle`, …) that receives the events
/// of its resource and of the resources attached to it (a channel's
/// playbacks and recordings, the channels entering and leaving a bridge).
///
/// It dereferences to the handle, so every operation is a method:
/// `call.answer().send().await?`. Its waits return the next event, or a
/// [`HandleError`] once the resource is gone, so call logic is a plain
/// `async fn` using `?`. Dropping it stops the routing to it.
pub struct Tracked<H, T> {
    handle: H,
    slot: Arc<Slot<T>>,
    table: Arc<RouteTable<T>>,
}

impl<H: Handle, T: FromFrame> Tracked<H, T> {
    pub(crate) fn new(handle: H, slot: Arc<Slot<T>>, table: Arc<RouteTable<T>>) -> Self {
        Tracked {
            handle,
            slot,
            table,
        }
    }

    /// The plain handle (cloneable, no events).
    pub fn handle(&self) -> &H {
        &self.handle
    }

    /// The id of the resource.
    pub fn id(&self) -> &str {
        self.handle.resource_id()
    }

    /// The next event about the resource, decoded on the caller's task.
    /// Bounded by the resource's life: once it is gone (and the events
    /// before that are read) this returns [`HandleError::Ended`]. An event
    /// that does not decode is [`HandleError::Malformed`], and the next
    /// call goes on.
    pub async fn next_event(&mut self) -> Result<T, HandleError<T>> {
        std::future::poll_fn(|cx| self.slot.poll_next(cx)).await
    }

    /// [`next_event`](Self::next_event), or [`HandleError::Timeout`] after `timeout`.
    pub async fn next_event_timeout(&mut self, timeout: Duration) -> Result<T, HandleError<T>> {
        within(timeout, self.next_event()).await
    }

    /// Skips events (and undecodable ones, logged) until one satisfies
    /// `matches`, and returns it. The resource's end returns
    /// [`HandleError::Ended`] unless the ending event is the one looked for.
    pub async fn wait_for(
        &mut self,
        mut matches: impl FnMut(&T) -> bool,
    ) -> Result<T, HandleError<T>> {
        loop {
            match self.next_event().await {
                Ok(event) if matches(&event) => return Ok(event),
                Ok(_) => {}
                Err(HandleError::Malformed(error)) => skipped(&error),
                Err(error) => return Err(error),
            }
        }
    }

    /// [`wait_for`](Self::wait_for), or [`HandleError::Timeout`] after
    /// `timeout`; events skipped until then are gone.
    pub async fn wait_for_timeout(
        &mut self,
        timeout: Duration,
        matches: impl FnMut(&T) -> bool,
    ) -> Result<T, HandleError<T>> {
        within(timeout, self.wait_for(matches)).await
    }

    /// Waits until the resource ends and returns the event that ended it
    /// (`PlaybackFinished`, `RecordingFinished`, `ChannelDestroyed`, …),
    /// skipping the events before. Any other end (vanished in a reconnect,
    /// displaced, connection closed, overflowed) is the error.
    pub async fn finished(&mut self) -> Result<Arc<T>, HandleError<T>> {
        loop {
            match self.next_event().await {
                Ok(_) => continue,
                Err(HandleError::Malformed(error)) => skipped(&error),
                Err(error) => {
                    return match error.end_event() {
                        Some(event) => Ok(Arc::clone(event)),
                        None => Err(error),
                    };
                }
            }
        }
    }

    /// [`finished`](Self::finished), or [`HandleError::Timeout`] after `timeout`.
    pub async fn finished_timeout(&mut self, timeout: Duration) -> Result<Arc<T>, HandleError<T>> {
        within(timeout, self.finished()).await
    }

    /// Whether the handle has ended (or overflowed): its waits then return
    /// what is still queued, then the error.
    pub fn is_ended(&self) -> bool {
        self.slot.is_done()
    }

    /// Stops following the resource and gives back the plain handle.
    pub fn into_handle(self) -> H {
        self.handle.clone()
    }

    /// Marks the resource as known to exist (see `Slot::confirm`).
    pub(crate) fn confirm(&self) {
        self.slot.confirm();
    }

    pub(crate) async fn entered(&self) -> Result<(), HandleError<T>> {
        std::future::poll_fn(|cx| self.slot.poll_entered(cx)).await
    }
}

fn skipped(error: &crate::error::DecodeError) {
    tracing::warn!(target: "ari_runtime::calls", %error, "skipping an event a handle could not decode");
}

async fn within<O, T>(
    timeout: Duration,
    wait: impl Future<Output = Result<O, HandleError<T>>>,
) -> Result<O, HandleError<T>> {
    tokio::time::timeout(timeout, wait)
        .await
        .unwrap_or(Err(HandleError::Timeout(timeout)))
}

impl<H, T> std::ops::Deref for Tracked<H, T> {
    type Target = H;
    fn deref(&self) -> &H {
        &self.handle
    }
}

impl<H, T> Drop for Tracked<H, T> {
    fn drop(&mut self) {
        self.table.remove(&self.slot);
    }
}

impl<H, T> Unpin for Tracked<H, T> {}

/// The events, ending after the first error (the resource's end or an overflow).
impl<H, T: FromFrame> Stream for Tracked<H, T> {
    type Item = Result<T, HandleError<T>>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // After the terminal error, the slot repeats it: end instead.
        if self.slot.terminal_read() {
            return Poll::Ready(None);
        }
        self.slot.poll_next(cx).map(Some)
    }
}

impl<H: std::fmt::Debug, T> std::fmt::Debug for Tracked<H, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked")
            .field("handle", &self.handle)
            .field("ended", &self.slot.is_done())
            .finish()
    }
}
