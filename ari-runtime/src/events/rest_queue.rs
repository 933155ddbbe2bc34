//! One queue of REST requests for a pool of sockets (the client's own):
//! a socket's reader takes the next request the moment its socket has no
//! request in Asterisk, and writes it itself. Asterisk answers one socket's
//! requests one after another on one thread, so a request queued behind
//! another on a socket would wait for it; here it waits in the client for
//! whichever socket frees first, and no task hop lies between an answer
//! and the next request going out on that socket.
//!
//! A request that gives up once written (its deadline, or its caller
//! dropping it) leaves its socket busy until Asterisk's late answer comes
//! or the connection is lost: Asterisk is still working on it.

use super::rest::{Lost, encode};
use crate::client::{Request, Response};
use crate::error::TransportError;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Requests waiting for a socket; a full queue makes a caller wait
/// (within its deadline), never grows.
const WAITING: usize = 1024;

/// A job's state, moved on once by whichever side gets there first.
const QUEUED: u8 = 0;
const WRITTEN: u8 = 1;
const ABANDONED: u8 = 2;

/// Shared by the pool (which submits) and every reader of its sockets
/// (which take); cheap to clone.
#[derive(Clone)]
pub(crate) struct RestQueue {
    shared: Arc<QueueShared>,
}

struct QueueShared {
    submit: mpsc::Sender<Job>,
    /// Taken by one idle reader at a time, the others waiting for it in
    /// turn.
    take: tokio::sync::Mutex<mpsc::Receiver<Job>>,
    /// Unique over every socket of the pool, so unique on each.
    next_id: AtomicU64,
    /// Sockets with a request in Asterisk.
    busy: AtomicUsize,
    /// Sockets connected.
    connected: AtomicUsize,
    /// Sockets being opened.
    opening: AtomicUsize,
}

/// A request waiting in the queue.
pub(crate) struct Job {
    pub(super) id: u64,
    pub(super) text: String,
    state: Arc<AtomicU8>,
    pub(super) answer: oneshot::Sender<Result<Response, Lost>>,
}

impl RestQueue {
    pub(crate) fn new() -> Self {
        let (submit, take) = mpsc::channel(WAITING);
        RestQueue {
            shared: Arc::new(QueueShared {
                submit,
                take: tokio::sync::Mutex::new(take),
                next_id: AtomicU64::new(1),
                busy: AtomicUsize::new(0),
                connected: AtomicUsize::new(0),
                opening: AtomicUsize::new(0),
            }),
        }
    }

    /// Sockets connected with no request in Asterisk now.
    pub(crate) fn free(&self) -> usize {
        self.connected()
            .saturating_sub(self.shared.busy.load(Ordering::Acquire))
    }

    /// Sockets connected now.
    pub(crate) fn connected(&self) -> usize {
        // Sequentially consistent with `opening`: a loss and an opening's
        // end on two threads must not both miss that the other left none.
        self.shared.connected.load(Ordering::SeqCst)
    }

    /// Sockets being opened now.
    pub(crate) fn opening(&self) -> usize {
        self.shared.opening.load(Ordering::SeqCst)
    }

    /// Requests waiting for a socket now.
    pub(crate) fn waiting(&self) -> usize {
        self.shared.submit.max_capacity() - self.shared.submit.capacity()
    }

    /// Queues `request` for the first socket free and waits up to
    /// `deadline` for its answer. Cancellation-safe: a request dropped
    /// before a reader took it is never written.
    pub(crate) async fn execute(
        &self,
        request: &Request,
        deadline: Option<Duration>,
    ) -> Result<Response, TransportError> {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let text = encode(request, id).map_err(TransportError::Encode)?;
        let (answer, answered) = oneshot::channel();
        let state = Arc::new(AtomicU8::new(QUEUED));
        let guard = Abandon(Arc::clone(&state));
        let job = Job {
            id,
            text,
            state,
            answer,
        };
        let exchange = async {
            if self.shared.submit.send(job).await.is_err() {
                // The receiver lives as long as the sender, in `shared`.
                return Err(Lost {
                    written: false,
                    reason: "the REST queue is closed".into(),
                });
            }
            // The last socket may have gone while this request waited to
            // be queued, after the queue was failed.
            self.fail_if_unreachable("no REST WebSocket is connected");
            answered.await.unwrap_or_else(|_| {
                Err(Lost {
                    written: guard.written(),
                    reason: "the WebSocket is closed".into(),
                })
            })
        };
        let outcome = match deadline {
            Some(limit) => match tokio::time::timeout(limit, exchange).await {
                Ok(outcome) => outcome,
                Err(_) if guard.abandon() => Err(Lost {
                    written: false,
                    reason: format!("no REST WebSocket free within {limit:?}"),
                }),
                Err(_) => Err(Lost {
                    written: true,
                    reason: format!("no answer within {limit:?}"),
                }),
            },
            None => exchange.await,
        };
        outcome.map_err(|lost| lost.into_error(request.method(), request.template()))
    }

    /// The next request no caller has given up on, marked written; for a
    /// reader whose socket has no request in Asterisk. Cancellation-safe:
    /// a request taken is returned in the same poll.
    /// The socket counts as busy until [`settled`](Self::settled).
    pub(super) async fn take(&self) -> Job {
        let mut take = self.shared.take.lock().await;
        loop {
            let Some(job) = take.recv().await else {
                // `shared` holds the sender: never closed.
                return std::future::pending().await;
            };
            if job
                .state
                .compare_exchange(QUEUED, WRITTEN, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.shared.busy.fetch_add(1, Ordering::AcqRel);
                return job;
            }
        }
    }

    /// A request taken has its answer, or its connection is lost.
    pub(super) fn settled(&self) {
        self.shared.busy.fetch_sub(1, Ordering::AcqRel);
    }

    /// Fails every waiting request as not sent (no socket can take them:
    /// none is connected and none is opening). Skipped while a reader is
    /// taking one: that reader is connected.
    fn fail_waiting(&self, reason: &str) {
        let Ok(mut take) = self.shared.take.try_lock() else {
            return;
        };
        while let Ok(job) = take.try_recv() {
            if job
                .state
                .compare_exchange(QUEUED, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                let _ = job.answer.send(Err(Lost {
                    written: false,
                    reason: reason.to_owned(),
                }));
            }
        }
    }

    /// A socket of the pool starts opening.
    pub(crate) fn opening_started(&self) {
        self.shared.opening.fetch_add(1, Ordering::SeqCst);
    }

    /// A socket's opening ended (when it succeeded, the socket counts as
    /// connected already); with no socket connected or opening, nothing
    /// waits for one.
    pub(crate) fn opening_ended(&self, failure: Option<&str>) {
        self.shared.opening.fetch_sub(1, Ordering::SeqCst);
        // Also after a success: the socket may be lost already.
        self.fail_if_unreachable(&match failure {
            Some(failure) => format!("cannot open the REST WebSocket: {failure}"),
            None => "the REST WebSocket opened and was lost".to_owned(),
        });
    }

    /// A socket of the pool connected.
    pub(super) fn socket_connected(&self) {
        self.shared.connected.fetch_add(1, Ordering::SeqCst);
    }

    /// A socket of the pool lost its connection: with none left, and none
    /// opening, nothing waits for one to come back (reconnecting takes a
    /// backoff).
    pub(super) fn socket_lost(&self, reason: &str) {
        self.shared.connected.fetch_sub(1, Ordering::SeqCst);
        self.fail_if_unreachable(&format!("no REST WebSocket is connected: {reason}"));
    }

    fn fail_if_unreachable(&self, reason: &str) {
        if self.connected() == 0 && self.opening() == 0 {
            self.fail_waiting(reason);
        }
    }
}

/// Marks a job abandoned when its caller gives up before a reader took it.
struct Abandon(Arc<AtomicU8>);

impl Abandon {
    /// True if the job was still queued: it will never be written.
    fn abandon(&self) -> bool {
        self.0
            .compare_exchange(QUEUED, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    fn written(&self) -> bool {
        self.0.load(Ordering::Acquire) == WRITTEN
    }
}

impl Drop for Abandon {
    fn drop(&mut self) {
        self.abandon();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Method;
    use crate::events::rest::{Outgoing, RestLink};
    use crate::socket_pool::SocketPool;

    fn ping() -> Request {
        Request::new(Method::GET, "/asterisk/ping", "/asterisk/ping".into())
    }

    fn set_variable() -> Request {
        let mut request = Request::new(
            Method::POST,
            "/asterisk/variable",
            "/asterisk/variable".into(),
        );
        request.query("variable", "A");
        request
    }

    fn answer_to(id: u64) -> String {
        format!(
            r#"{{"type":"RESTResponse","request_id":"{id}","status_code":200,"reason_phrase":"OK","message_body":"{{}}"}}"#
        )
    }

    /// The request `link` writes next, or `None` if it writes none within
    /// 50 ms.
    async fn next(link: &mut RestLink) -> Option<Outgoing> {
        tokio::time::timeout(Duration::from_millis(50), link.next_outgoing())
            .await
            .ok()
            .flatten()
    }

    fn send(
        queue: &RestQueue,
        request: Request,
        deadline: Duration,
    ) -> tokio::task::JoinHandle<Result<Response, TransportError>> {
        let queue = queue.clone();
        tokio::spawn(async move { queue.execute(&request, Some(deadline)).await })
    }

    const LONG: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn rest_over_ws_a_pooled_socket_takes_one_request_at_a_time_and_the_first_free_the_next()
    {
        let queue = RestQueue::new();
        let (mut a, mut b) = (
            RestLink::pulling(queue.clone()),
            RestLink::pulling(queue.clone()),
        );
        let requests: Vec<_> = (0..3).map(|_| send(&queue, ping(), LONG)).collect();
        let first = next(&mut a).await.expect("a takes one");
        let second = next(&mut b).await.expect("b takes one");
        assert!(next(&mut a).await.is_none(), "a took a second request");
        assert_eq!(queue.free(), 0);
        assert!(a.take_answer(&answer_to(first.id)));
        assert_eq!(queue.free(), 1);
        let third = next(&mut a).await.expect("a, free again, takes the third");
        assert!(b.take_answer(&answer_to(second.id)));
        assert!(a.take_answer(&answer_to(third.id)));
        for request in requests {
            assert_eq!(request.await.unwrap().unwrap().status(), 200);
        }
        let ids = [first.id, second.id, third.id];
        assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    }

    #[tokio::test]
    async fn rest_over_ws_a_socket_stays_busy_with_a_request_that_gave_up_until_its_late_answer() {
        let queue = RestQueue::new();
        let mut link = RestLink::pulling(queue.clone());
        let gave_up = send(&queue, ping(), Duration::from_millis(50));
        let written = next(&mut link).await.expect("taken");
        assert!(matches!(
            gave_up.await.unwrap(),
            Err(TransportError::NoAnswer { .. })
        ));
        let waiting = send(&queue, ping(), LONG);
        assert!(
            next(&mut link).await.is_none(),
            "a request went out behind one Asterisk is still working on"
        );
        assert!(link.take_answer(&answer_to(written.id)));
        let after = next(&mut link).await.expect("taken after the late answer");
        assert!(link.take_answer(&answer_to(after.id)));
        assert_eq!(waiting.await.unwrap().unwrap().status(), 200);
    }

    #[tokio::test]
    async fn rest_over_ws_a_request_no_socket_took_in_time_is_not_sent_and_never_written() {
        let queue = RestQueue::new();
        let mut link = RestLink::pulling(queue.clone());
        let first = send(&queue, ping(), LONG);
        let written = next(&mut link).await.expect("taken");
        let unsent = send(&queue, set_variable(), Duration::from_millis(30));
        assert!(matches!(
            unsent.await.unwrap(),
            Err(TransportError::NotSent { .. })
        ));
        assert!(link.take_answer(&answer_to(written.id)));
        assert!(
            next(&mut link).await.is_none(),
            "a request that gave up was written"
        );
        assert_eq!(first.await.unwrap().unwrap().status(), 200);
        // Dropped while waiting: never written either.
        let dropped = send(&queue, set_variable(), LONG);
        tokio::task::yield_now().await;
        dropped.abort();
        let _ = dropped.await;
        assert!(
            next(&mut link).await.is_none(),
            "a dropped request was written"
        );
    }

    #[tokio::test]
    async fn rest_over_ws_a_lost_socket_fails_its_request_by_method_and_the_waiting_as_not_sent() {
        let queue = RestQueue::new();
        let mut link = RestLink::pulling(queue.clone());
        let post = send(&queue, set_variable(), LONG);
        next(&mut link).await.expect("taken");
        let waiting = send(&queue, ping(), LONG);
        tokio::time::sleep(Duration::from_millis(20)).await;
        link.lost("reset");
        assert!(matches!(
            post.await.unwrap(),
            Err(TransportError::OutcomeUnknown { method, .. }) if method == Method::POST
        ));
        // No socket is left to take it: it fails now, not at its deadline.
        let unsent = tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("failed at once")
            .unwrap();
        assert!(
            matches!(unsent, Err(TransportError::NotSent { .. })),
            "{unsent:?}"
        );
        assert_eq!((queue.connected(), queue.free()), (0, 0));
        link.reconnected();
        assert_eq!((queue.connected(), queue.free()), (1, 1));
        drop(link);
        assert_eq!(queue.connected(), 0, "a dropped link still counted");
    }

    #[tokio::test]
    async fn rest_over_ws_an_unreadable_request_answer_ends_the_pooled_request() {
        let queue = RestQueue::new();
        let mut link = RestLink::pulling(queue.clone());
        let request = send(&queue, ping(), LONG);
        next(&mut link).await.expect("taken");
        assert!(link.take_answer(
            r#"{"type":"RESTResponse","request_id":"","status_code":400,"reason_phrase":"Bad Request"}"#
        ));
        assert_eq!(request.await.unwrap().unwrap().status(), 400);
        assert_eq!(queue.free(), 1, "the socket is free again");
    }

    /// A socket that answers every request after `delay`, connected
    /// before it is returned (as an opening's socket is).
    fn answering(queue: RestQueue, delay: Duration) -> tokio::task::JoinHandle<()> {
        let mut link = RestLink::pulling(queue);
        tokio::spawn(async move {
            while let Some(outgoing) = link.next_outgoing().await {
                tokio::time::sleep(delay).await;
                link.take_answer(&answer_to(outgoing.id));
            }
        })
    }

    /// Aborts the fake socket's task with the pool.
    struct Opened(tokio::task::JoinHandle<()>);

    impl crate::socket_pool::PooledSocket for Opened {
        fn is_alive(&self) -> bool {
            !self.0.is_finished()
        }
    }

    impl Drop for Opened {
        fn drop(&mut self) {
            self.0.abort();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rest_over_ws_the_pool_opens_a_socket_only_when_every_open_one_is_busy() {
        let pool = Arc::new(SocketPool::<Opened>::new(3));
        let opened = Arc::new(AtomicUsize::new(0));
        let request = |pool: Arc<SocketPool<Opened>>, opened: Arc<AtomicUsize>| async move {
            pool.execute(&ping(), Some(LONG), |_, queue| {
                opened.fetch_add(1, Ordering::SeqCst);
                async move { Ok(Opened(answering(queue, Duration::from_millis(5)))) }
            })
            .await
            .map(|response| response.status())
        };
        for _ in 0..20 {
            assert_eq!(request(pool.clone(), opened.clone()).await.unwrap(), 200);
        }
        assert_eq!(
            opened.load(Ordering::SeqCst),
            1,
            "one after another: one socket"
        );
        let concurrent: Vec<_> = (0..30)
            .map(|_| tokio::spawn(request(pool.clone(), opened.clone())))
            .collect();
        for done in concurrent {
            assert_eq!(done.await.unwrap().unwrap(), 200);
        }
        assert_eq!(
            opened.load(Ordering::SeqCst),
            3,
            "at once: every socket, no more"
        );
    }

    #[tokio::test]
    async fn rest_over_ws_a_socket_that_cannot_open_fails_its_requests_as_not_sent_with_why() {
        let pool = SocketPool::<Opened>::new(2);
        let refused = pool
            .execute(&ping(), Some(LONG), |_, _| async {
                Err::<Opened, _>("connection refused".to_owned())
            })
            .await;
        match refused {
            Err(TransportError::NotSent { reason }) => {
                assert!(reason.contains("connection refused"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn rest_over_ws_a_socket_whose_reader_ended_or_whose_opening_died_is_opened_again() {
        let pool = SocketPool::<Opened>::new(1);
        let opened = AtomicUsize::new(0);
        // A socket that answers one request, then its reader gives up.
        let once = |_, queue: RestQueue| {
            opened.fetch_add(1, Ordering::SeqCst);
            async move {
                let mut link = RestLink::pulling(queue);
                Ok(Opened(tokio::spawn(async move {
                    if let Some(outgoing) = link.next_outgoing().await {
                        link.take_answer(&answer_to(outgoing.id));
                    }
                })))
            }
        };
        for round in 1..=2 {
            let answer = pool.execute(&ping(), Some(LONG), once).await;
            assert_eq!(answer.unwrap().status(), 200);
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert_eq!(
                opened.load(Ordering::SeqCst),
                round,
                "the ended socket reopened"
            );
        }
        // An opening whose task dies: its place is free again, and its
        // request fails at once.
        let pool = SocketPool::<Opened>::new(1);
        let dying = pool
            .execute(&ping(), Some(LONG), |_, _| async {
                let never: Result<Opened, String> = Err(String::new());
                if never.is_err() {
                    panic!("the opening task dies (on purpose)");
                }
                never
            })
            .await;
        assert!(
            matches!(dying, Err(TransportError::NotSent { .. })),
            "{dying:?}"
        );
        let answer = pool.execute(&ping(), Some(LONG), once).await;
        assert_eq!(answer.unwrap().status(), 200);
    }
}
