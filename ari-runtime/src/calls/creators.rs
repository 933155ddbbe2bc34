//! Race-free creators: the route to a new resource exists before the
//! request that makes it, so no event about it can arrive unrouted.

use super::app::App;
use super::ended::HandleError;
use super::resource::{Handle, ResourceKind};
use super::tracked::Tracked;
use crate::bindings::Bindings;
use std::time::Duration;

/// A creator failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum CreateError<E, T> {
    /// The request failed: the operation's own typed error.
    Request(E),
    /// The resource ended before it entered the application (an originated
    /// channel that was not answered: the `ChannelDestroyed` has the cause).
    NotEntered(HandleError<T>),
    /// It did not enter the application in time.
    Timeout(Duration),
}

impl<E: std::fmt::Display, T> std::fmt::Display for CreateError<E, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CreateError::Request(error) => error.fmt(f),
            CreateError::NotEntered(error) => {
                write!(f, "the new resource did not enter the application: {error}")
            }
            CreateError::Timeout(after) => {
                write!(
                    f,
                    "the new resource did not enter the application within {after:?}"
                )
            }
        }
    }
}

impl<E: std::error::Error + 'static, T: std::fmt::Debug> std::error::Error for CreateError<E, T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CreateError::Request(error) => Some(error),
            _ => None,
        }
    }
}

impl<B: Bindings> App<B> {
    /// Creates a resource `H` with the id `id`: routes it, then awaits
    /// `send(id)` (the REST request that creates it with that id). When
    /// `enters` is true (a channel created into this application), waits
    /// up to `timeout` for its `StasisStart`, so that it is usable (say,
    /// by `addChannel`) once this returns.
    ///
    /// The generated `tracked(&app)` of every creating request calls this;
    /// events that arrive before the request returns are queued on the
    /// handle.
    ///
    /// `conflict` tells the operation's "already exists" (409) error. For an
    /// id of this application's own (`new_id`), which nothing else uses, a
    /// 409 while a resource with exactly that id exists can only mean an
    /// earlier delivery of this very request created it (a proxy or
    /// balancer in between that resent it): it is taken as created.
    pub async fn create<H, R, E, F, Fut>(
        &self,
        id: String,
        enters: bool,
        timeout: Duration,
        conflict: fn(&E) -> bool,
        send: F,
    ) -> Result<Tracked<H, B::Message>, CreateError<E, B::Message>>
    where
        H: Handle,
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<R, E>>,
    {
        let tracked = self.follow(H::from_parts(self.client().clone(), id.clone()));
        match send(id.clone()).await {
            Ok(_) => {}
            Err(error)
                if conflict(&error) && self.is_own(&id) && self.exists(H::KIND, &id).await =>
            {
                tracing::debug!(target: "ari_runtime::calls", app = %self.name(), %id, "409 for an own id that exists: an earlier delivery of the request created it");
            }
            Err(error) => return Err(CreateError::Request(error)),
        }
        tracked.confirm();
        if !enters {
            self.subscribe(H::KIND, &id).await;
        }
        if enters {
            match tokio::time::timeout(timeout, tracked.entered()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => return Err(CreateError::NotEntered(error)),
                Err(_) => return Err(CreateError::Timeout(timeout)),
            }
        }
        Ok(tracked)
    }

    /// Whether Asterisk has resource `id` of `kind` (`GET` answers 2xx).
    async fn exists(&self, kind: ResourceKind, id: &str) -> bool {
        let Some(request) = B::get(kind, id) else {
            return false;
        };
        matches!(self.client().execute(request).await, Ok(response) if (200..300).contains(&response.status()))
    }

    /// Subscribes the application to a resource it created outside Stasis
    /// (a bridge), so that its handle sees the whole life of it: Asterisk
    /// would otherwise send a bridge's events only while one of the
    /// application's channels is in it. A failure is logged; the handle
    /// then sees what Asterisk sends anyway.
    async fn subscribe(&self, kind: ResourceKind, id: &str) {
        let Some(source) = B::event_source(kind, id) else {
            return;
        };
        let Some(request) = B::subscribe(self.name(), std::slice::from_ref(&source)) else {
            return;
        };
        let failure = match self.client().execute(request).await {
            Ok(response) if (200..300).contains(&response.status()) => return,
            Ok(response) => format!("status {}", response.status()),
            Err(error) => error.to_string(),
        };
        tracing::warn!(target: "ari_runtime::calls", app = %self.name(), %source, %failure, "subscribing to a created resource");
    }

    /// How long a generated `tracked(&app)` waits for a channel to enter the
    /// application (see [`AppBuilder::enter_timeout`](super::AppBuilder::enter_timeout)).
    pub fn enter_timeout(&self) -> Duration {
        self.shared().enter_timeout
    }
}
