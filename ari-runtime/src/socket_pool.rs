//! The client's own REST WebSockets: which one a request goes over.
//!
//! Asterisk answers one socket's requests one after another on one thread,
//! so a request holds a socket alone until its answer is in: a request slow
//! in Asterisk, or a socket thread off the CPU, then holds up no request
//! queued behind it. Requests beyond the sockets wait here, in the client,
//! for whichever frees first.

use crate::error::TransportError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

/// Sockets, each opened by the first request that needs it, and one permit
/// per socket: a request holding a permit always finds a socket that no
/// other request holds.
pub(crate) struct SocketPool<S> {
    slots: Vec<Slot<S>>,
    permits: Semaphore,
}

struct Slot<S> {
    held: AtomicBool,
    socket: OnceCell<S>,
}

/// One socket, held by one request until dropped.
pub(crate) struct Held<'p, S> {
    index: usize,
    slot: &'p Slot<S>,
    // Released after the slot (fields drop after `Drop::drop`), so that a
    // request woken by this permit finds the slot free.
    _permit: SemaphorePermit<'p>,
}

impl<S> SocketPool<S> {
    /// `size` sockets at most (at least one), none open yet.
    pub(crate) fn new(size: usize) -> Self {
        let size = size.max(1);
        SocketPool {
            slots: (0..size)
                .map(|_| Slot {
                    held: AtomicBool::new(false),
                    socket: OnceCell::new(),
                })
                .collect(),
            permits: Semaphore::new(size),
        }
    }

    /// A socket no other request holds: an open one if one is free,
    /// otherwise one still to open. Waits up to `limit` for one to free;
    /// past it the request fails as not sent.
    pub(crate) async fn hold(
        &self,
        limit: Option<Duration>,
    ) -> Result<Held<'_, S>, TransportError> {
        let permit = match limit {
            Some(limit) => tokio::time::timeout(limit, self.permits.acquire())
                .await
                .map_err(|_| TransportError::NotSent {
                    reason: format!("no REST WebSocket free within {limit:?}"),
                })?,
            None => self.permits.acquire().await,
        }
        // The semaphore is never closed.
        .map_err(|_| TransportError::NotSent {
            reason: "the client is closing".into(),
        })?;
        loop {
            // Permits never outnumber slots, so one is free; another request
            // can take it between the look and the claim, hence the loop.
            let open_first = self
                .slots
                .iter()
                .enumerate()
                .filter(|(_, slot)| slot.socket.initialized())
                .chain(
                    self.slots
                        .iter()
                        .enumerate()
                        .filter(|(_, slot)| !slot.socket.initialized()),
                );
            for (index, slot) in open_first {
                if slot
                    .held
                    .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return Ok(Held {
                        index,
                        slot,
                        _permit: permit,
                    });
                }
            }
            tokio::task::yield_now().await;
        }
    }
}

impl<'p, S> Held<'p, S> {
    /// The socket's place in the pool, from 0 (for naming its application).
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// The socket, opened by `open` if it is not open yet (a failed opening
    /// leaves it to the next request).
    pub(crate) async fn socket<F, Fut, E>(&self, open: F) -> Result<&'p S, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<S, E>>,
    {
        self.slot.socket.get_or_try_init(open).await
    }
}

impl<S> Drop for Held<'_, S> {
    fn drop(&mut self) {
        self.slot.held.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
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
                let held = pool.hold(Some(Duration::from_secs(10))).await.unwrap();
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
    async fn rest_over_ws_open_sockets_go_first_and_a_full_pool_fails_as_not_sent() {
        let pool = SocketPool::<&str>::new(2);
        {
            let first = pool.hold(None).await.unwrap();
            assert_eq!(first.index(), 0);
            let second = pool.hold(None).await.unwrap();
            assert_eq!(second.index(), 1);
            second
                .socket(|| async { Ok::<_, ()>("one") })
                .await
                .unwrap();
            assert!(matches!(
                pool.hold(Some(Duration::from_millis(20))).await,
                Err(TransportError::NotSent { .. })
            ));
        }
        // Slot 1 is open and slot 0 is not: the open one is taken first.
        assert_eq!(pool.hold(None).await.unwrap().index(), 1);
    }
}
