//! A task per call: every channel entering the application untracked runs
//! the application's handler with its own tracked handle.

use super::app::App;
use super::notice::AppState;
use super::tracked::Tracked;
use crate::bindings::Bindings;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};

/// A channel that entered the application on its own (not made by one of
/// its creators): a call for the handler of [`App::run`].
#[non_exhaustive]
pub struct IncomingCall<B: Bindings> {
    /// The channel, tracked from its `StasisStart` on.
    pub channel: Tracked<B::Entering, B::Message>,
    /// Its `StasisStart` (with the application's arguments).
    pub start: B::Message,
    /// The application, for its creators (`….tracked(&call.app)`).
    pub app: App<B>,
}

/// What the router hands over for an incoming call.
pub(crate) struct Arrival<B: Bindings> {
    pub(crate) channel: Tracked<B::Entering, B::Message>,
    pub(crate) start: B::Message,
}

impl<B: Bindings> std::fmt::Debug for IncomingCall<B>
where
    B::Entering: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingCall")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

/// Incoming calls, for an application that runs them itself (see
/// [`App::calls`]).
pub struct Calls<B: Bindings> {
    receiver: mpsc::Receiver<Arrival<B>>,
    app: App<B>,
}

impl<B: Bindings> Calls<B> {
    /// The next incoming call; `None` once the application has ended.
    pub async fn next(&mut self) -> Option<IncomingCall<B>> {
        let arrival = self.receiver.recv().await?;
        Some(IncomingCall {
            channel: arrival.channel,
            start: arrival.start,
            app: self.app.clone(),
        })
    }
}

impl<B: Bindings> App<B> {
    /// The incoming calls from now on, for one taker: `None` if taken
    /// already (by an earlier call or by [`run`](Self::run)). Keep reading
    /// it: while its small queue is full, the router waits.
    pub fn calls(&self) -> Option<Calls<B>> {
        self.take_calls().map(|receiver| Calls {
            receiver,
            app: self.clone(),
        })
    }

    /// Runs `handler` as a task for every incoming call, at most `limit` at
    /// once (later calls wait for a slot, their events queued on their
    /// handles). A handler's error is logged with the channel id; so is a
    /// panic. When the caller hangs up, the handler's next wait returns
    /// [`HandleError::Ended`](super::HandleError::Ended).
    ///
    /// Returns the application's final state (displaced or closed) once
    /// the running tasks have finished; at once with the current state if
    /// the calls were taken already.
    pub async fn run<F, Fut, E>(&self, limit: usize, handler: F) -> AppState
    where
        F: Fn(IncomingCall<B>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let Some(mut calls) = self.calls() else {
            tracing::error!(target: "ari_runtime::calls", app = %self.name(), "run: the incoming calls were taken already");
            return self.state().borrow().clone();
        };
        let handler = Arc::new(handler);
        let slots = Arc::new(Semaphore::new(limit.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        let ended = self.ended();
        tokio::pin!(ended);
        let state = loop {
            tokio::select! {
                call = calls.next() => {
                    let Some(call) = call else { break self.state().borrow().clone() };
                    let handler = Arc::clone(&handler);
                    let slots = Arc::clone(&slots);
                    let app = self.name().to_owned();
                    tasks.spawn(async move {
                        let Ok(_slot) = slots.acquire_owned().await else { return };
                        let channel = call.channel.id().to_owned();
                        match AssertUnwindSafe(handler(call)).catch_unwind().await {
                            Ok(Ok(())) => {}
                            Ok(Err(error)) => {
                                tracing::warn!(target: "ari_runtime::calls", %app, %channel, %error, "call task failed");
                            }
                            Err(_) => {
                                tracing::error!(target: "ari_runtime::calls", %app, %channel, "call task panicked");
                            }
                        }
                    });
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                state = &mut ended => break state,
            }
        };
        while tasks.join_next().await.is_some() {}
        state
    }
}
