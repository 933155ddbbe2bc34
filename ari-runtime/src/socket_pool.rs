//! The client's own REST WebSockets: which one a request goes over.
//!
//! Asterisk answers one socket's requests one after another on one thread,
//! so a request holds a socket alone until its answer is in, even past its
//! own deadline or cancellation once it was written (Asterisk is still
//! working on it): a request slow in Asterisk, or a socket thread off the
//! CPU, then holds up no request queued behind it. Requests beyond the
//! sockets wait here, in the client, for whichever frees first.

use crate::error::TransportError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

/// Sockets, each opened by the first request that needs it, and one permit
/// per socket: a request holding a permit always finds a socket that no
/// other request holds.
pub(crate) struct SocketPool<S> {
    slots: Vec<Arc<Slot<S>>>,
    permits: Arc<Semaphore>,
}

struct Slot<S> {
    held: AtomicBool,
    socket: OnceCell<S>,
}

/// One socket, held by one request until dropped (which may be after the
/// request is gone: see the module).
pub(crate) struct Held<S> {
    index: usize,
    slot: Arc<Slot<S>>,
    // Released after the slot (fields drop after `Drop::drop`), so that a
    // request woken by this permit finds the slot free.
    _permit: OwnedSemaphorePermit,
}

impl<S> SocketPool<S> {
    /// `size` sockets at most (at least one), none open yet.
    pub(crate) fn new(size: usize) -> Self {
        let size = size.max(1);
        SocketPool {
            slots: (0..size)
                .map(|_| {
                    Arc::new(Slot {
                        held: AtomicBool::new(false),
                        socket: OnceCell::new(),
                    })
                })
                .collect(),
            permits: Arc::new(Semaphore::new(size)),
        }
    }

    /// A socket no other request holds: an open one that `usable` accepts
    /// (connected) if one is free, else one still to open, else any.
    /// Waits up to `limit` for one to free; past it the request fails as
    /// not sent.
    pub(crate) async fn hold(
        &self,
        limit: Option<Duration>,
        usable: impl Fn(&S) -> bool,
    ) -> Result<Held<S>, TransportError> {
        let acquire = Arc::clone(&self.permits).acquire_owned();
        let permit =
            match limit {
                Some(limit) => tokio::time::timeout(limit, acquire).await.map_err(|_| {
                    TransportError::NotSent {
                        reason: format!("no REST WebSocket free within {limit:?}"),
                    }
                })?,
                None => acquire.await,
            }
            // The semaphore is never closed.
            .map_err(|_| TransportError::NotSent {
                reason: "the client is closing".into(),
            })?;
        let rank = |slot: &Slot<S>| match slot.socket.get() {
            Some(socket) if usable(socket) => 0,
            None => 1,
            Some(_) => 2,
        };
        loop {
            // Permits never outnumber slots, so one is free; another request
            // can take it between the look and the claim, hence the loop.
            for wanted in 0..3 {
                for (index, slot) in self.slots.iter().enumerate() {
                    if rank(slot) == wanted
                        && slot
                            .held
                            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                            .is_ok()
                    {
                        return Ok(Held {
                            index,
                            slot: Arc::clone(slot),
                            _permit: permit,
                        });
                    }
                }
            }
            tokio::task::yield_now().await;
        }
    }
}

impl<S> Held<S> {
    /// The socket's place in the pool, from 0 (for naming its application).
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// The socket, opened by `open` if it is not open yet (a failed opening
    /// leaves it to the next request).
    pub(crate) async fn socket<F, Fut, E>(&self, open: F) -> Result<&S, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<S, E>>,
    {
        self.slot.socket.get_or_try_init(open).await
    }
}

impl<S> Drop for Held<S> {
    fn drop(&mut self) {
        self.slot.held.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rest_over_ws_a_socket_is_held_by_one_request_at_a_time() {
        let pool = Arc::new(SocketPool::<usize>::new(3));
        let in_use: Arc<[AtomicUsize; 3]> = Arc::new(Default::default());
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..200 {
            let (pool, in_use, most) = (Arc::clone(&pool), Arc::clone(&in_use), Arc::clone(&most));
            tasks.spawn(async move {
                let held = pool
                    .hold(Some(Duration::from_secs(10)), |_| true)
                    .await
                    .unwrap();
                let socket = *held
                    .socket(|| async { Ok::<_, ()>(held.index()) })
                    .await
                    .unwrap();
                assert_eq!(socket, held.index(), "a slot's socket is its own");
                let users = in_use[held.index()].fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(users, Ordering::SeqCst);
                if n % 3 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                } else {
                    tokio::task::yield_now().await;
                }
                in_use[held.index()].fetch_sub(1, Ordering::SeqCst);
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        assert_eq!(
            most.load(Ordering::SeqCst),
            1,
            "two requests held one socket"
        );
    }

    #[tokio::test]
    async fn rest_over_ws_connected_sockets_go_first_then_new_ones_and_a_full_pool_fails_as_not_sent()
     {
        let pool = SocketPool::<&str>::new(3);
        {
            let a = pool.hold(None, |_| true).await.unwrap();
            let b = pool.hold(None, |_| true).await.unwrap();
            assert_eq!((a.index(), b.index()), (0, 1), "none open: in order");
            a.socket(|| async { Ok::<_, ()>("down") }).await.unwrap();
            b.socket(|| async { Ok::<_, ()>("up") }).await.unwrap();
        }
        let connected = |socket: &&str| *socket == "up";
        let first = pool.hold(None, connected).await.unwrap();
        let second = pool.hold(None, connected).await.unwrap();
        let third = pool.hold(None, connected).await.unwrap();
        assert_eq!(
            (first.index(), second.index(), third.index()),
            (1, 2, 0),
            "connected, then not yet open, then disconnected"
        );
        assert!(matches!(
            pool.hold(Some(Duration::from_millis(20)), connected).await,
            Err(TransportError::NotSent { .. })
        ));
        drop((first, second, third));
        assert_eq!(pool.hold(None, connected).await.unwrap().index(), 1);
    }
}
