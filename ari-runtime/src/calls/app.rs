//! [`App`]: one Stasis application on one event connection, with a router
//! that feeds tracked handles, and its supervision.

use super::notice::{AppState, Notice};
use super::resource::Handle;
use super::router::{Router, RouterShared};
use super::run::Arrival;
use super::table::RouteTable;
use super::tracked::Tracked;
use crate::bindings::Bindings;
use crate::client::Client;
use crate::events::{ConnectError, EventStream, EventStreamBuilder, Subscriber};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};

/// How an [`App`] is set up.
#[must_use = "nothing is connected until `connect` is awaited"]
pub struct AppBuilder<B: Bindings> {
    events: EventStreamBuilder<B>,
    settings: Settings,
}

/// Everything of an [`AppBuilder`] but its event connection.
struct Settings {
    client: Client,
    name: String,
    handle_capacity: usize,
    id_prefix: Option<String>,
    clean_up_orphans: bool,
    ready_timeout: Duration,
    reconcile_timeout: Duration,
    enter_timeout: Duration,
    claim_offers: bool,
}

impl<B: Bindings> AppBuilder<B> {
    /// The application `name` on `client`, with the client's event options.
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        let name = name.into();
        AppBuilder {
            events: EventStreamBuilder::new(client.clone(), [name.clone()]),
            settings: Settings {
                client,
                name,
                handle_capacity: 256,
                id_prefix: None,
                clean_up_orphans: false,
                ready_timeout: Duration::from_secs(10),
                reconcile_timeout: Duration::from_secs(10),
                enter_timeout: Duration::from_secs(60),
                claim_offers: false,
            },
        }
    }

    /// Adjusts the event connection (keepalive, reconnect, buffer, …).
    pub fn events(
        mut self,
        adjust: impl FnOnce(EventStreamBuilder<B>) -> EventStreamBuilder<B>,
    ) -> Self {
        self.events = adjust(self.events);
        self
    }

    /// How many events a tracked handle may have unread before it
    /// overflows (256 by default).
    pub fn handle_capacity(mut self, capacity: usize) -> Self {
        self.settings.handle_capacity = capacity.max(1);
        self
    }

    /// The prefix of the ids the application's creators give resources
    /// (`<name>-<random>` by default), so that its own channels can be told
    /// from inbound ones (see [`App::is_own`]).
    pub fn id_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.settings.id_prefix = Some(prefix.into());
        self
    }

    /// After a reconnect, hang up channels that carry the application's id
    /// prefix but no live handle (orphans of the gap). Off by default.
    pub fn clean_up_orphans(mut self, clean_up: bool) -> Self {
        self.settings.clean_up_orphans = clean_up;
        self
    }

    /// How long `connect` waits for Asterisk to list the application as
    /// registered (10 s by default).
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.settings.ready_timeout = timeout;
        self
    }

    /// Bound on the requests that reconcile handles after a reconnect (10 s
    /// by default): past it, the handles are kept and a notice says so.
    pub fn reconcile_timeout(mut self, timeout: Duration) -> Self {
        self.settings.reconcile_timeout = timeout;
        self
    }

    /// How long a creator waits for a channel it created into the
    /// application to enter it (60 s by default; an originated channel
    /// enters when answered).
    pub fn enter_timeout(mut self, timeout: Duration) -> Self {
        self.settings.enter_timeout = timeout;
        self
    }

    /// Claim every call offered to the application (`CallBroadcast`, from
    /// a `StasisBroadcast` whose filter matches it): a won claim brings the
    /// channel in as an incoming call; each outcome is a
    /// [`Notice::Claimed`](super::Notice::Claimed). Off by default.
    pub fn claim_offers(mut self, claim: bool) -> Self {
        self.settings.claim_offers = claim;
        self
    }

    /// The application on an event stream already open for it (an
    /// outbound session), which Asterisk has registered.
    pub(crate) fn serve(self, stream: EventStream<B::Message>) -> App<B> {
        App::start(stream, self.settings)
    }

    /// Connects and returns once Asterisk lists the application as
    /// registered (`GET /applications/{name}` answers): REST requests naming
    /// it cannot fail with "application not registered" after that.
    pub async fn connect(self) -> Result<App<B>, AppError> {
        let stream = self.events.connect().await.map_err(AppError::Connect)?;
        let settings = self.settings;
        wait_registered::<B>(&settings.client, &settings.name, settings.ready_timeout).await?;
        Ok(App::start(stream, settings))
    }
}

async fn wait_registered<B: Bindings>(
    client: &Client,
    name: &str,
    timeout: Duration,
) -> Result<(), AppError> {
    let check = async {
        let mut delay = Duration::from_millis(10);
        loop {
            match client.execute(B::get_application(name)).await {
                Ok(response) if (200..300).contains(&response.status()) => return Ok(()),
                Ok(response) if response.status() == 404 => {}
                Ok(response) => {
                    return Err(AppError::NotRegistered(format!(
                        "GET /applications/{name} answered {}",
                        response.status()
                    )));
                }
                Err(error) => return Err(AppError::NotRegistered(error.to_string())),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(200));
        }
    };
    tokio::time::timeout(timeout, check)
        .await
        .unwrap_or_else(|_| {
            Err(AppError::NotRegistered(format!(
                "Asterisk did not list {name} within {timeout:?}"
            )))
        })
}

/// How many hex digits the counter of an own id has. Fixed, because
/// Asterisk's check for a taken channel id matches *prefixes*
/// (`channelstorage_ao2_legacy.c`, `get_by_uniqueid` compares the length
/// of the new id only): with a plain counter, originating `<prefix>-4`
/// answers 409 while `<prefix>-40` exists. Ids of one width are never a
/// prefix of one another. 48 bits outlast any process.
const ID_COUNTER_DIGITS: usize = 12;

/// `<prefix>-<n>`, `n` in [`ID_COUNTER_DIGITS`] hex digits.
pub(crate) fn own_id(prefix: &str, n: u64) -> String {
    format!(
        "{prefix}-{:0width$x}",
        n & ((1 << (4 * ID_COUNTER_DIGITS)) - 1),
        width = ID_COUNTER_DIGITS
    )
}

/// [`own_id`]'s form exactly: not the ids Asterisk derives from one (the
/// `<id>;2` of a Local channel's other half), which are not the
/// application's to clean up.
pub(crate) fn is_own_id(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|n| {
            n.len() == ID_COUNTER_DIGITS
                && n.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

/// `<name>-<6 hex digits>`: distinct per process start, so that ids of an
/// earlier run's orphans never collide with new ones.
fn default_prefix(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.subsec_nanos() ^ since.as_secs() as u32)
        .unwrap_or_default();
    let mixed = (nanos ^ std::process::id().rotate_left(16)).wrapping_mul(0x9E37_79B9);
    format!("{name}-{:06x}", mixed >> 8)
}

/// [`AppBuilder::connect`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The event connection could not be opened.
    #[error(transparent)]
    Connect(ConnectError),
    /// Connected, but Asterisk did not list the application as registered.
    #[error("the application is not registered: {0}")]
    NotRegistered(String),
}

/// One Stasis application on its event connection: tracked handles,
/// race-free creators, a task per call, and its state.
///
/// A router reads the connection and hands each event to the handles of
/// the resources it names (one map lookup per resource, whatever the
/// number of handles). Cloning shares the application; dropping the last
/// clone closes its connection.
pub struct App<B: Bindings> {
    shared: Arc<AppShared<B>>,
}

impl<B: Bindings> Clone for App<B> {
    fn clone(&self) -> Self {
        App {
            shared: Arc::clone(&self.shared),
        }
    }
}

pub(crate) struct AppShared<B: Bindings> {
    pub(crate) client: Client,
    pub(crate) name: String,
    prefix: String,
    next_id: AtomicU64,
    pub(crate) enter_timeout: Duration,
    pub(crate) table: Arc<RouteTable<B::Message>>,
    state: watch::Receiver<AppState>,
    notices: broadcast::Sender<Notice>,
    pub(crate) router: Arc<RouterShared<B>>,
    calls: Mutex<Option<mpsc::Receiver<Arrival<B>>>>,
    subscriber: Subscriber<B::Message>,
    task: tokio::task::JoinHandle<()>,
}

impl<B: Bindings> Drop for AppShared<B> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Incoming calls waiting to be taken: few, since `run` takes them at once.
const CALLS_QUEUE: usize = 64;

impl<B: Bindings> App<B> {
    fn start(stream: EventStream<B::Message>, settings: Settings) -> Self {
        let Settings {
            client,
            name,
            handle_capacity,
            id_prefix,
            clean_up_orphans,
            ready_timeout: _,
            reconcile_timeout,
            enter_timeout,
            claim_offers,
        } = settings;
        let prefix = id_prefix.unwrap_or_else(|| default_prefix(&name));
        let table = Arc::new(RouteTable::new(handle_capacity));
        let (state_sender, state) = watch::channel(AppState::Ready);
        let (notices, _) = broadcast::channel(256);
        let (calls_sender, calls) = mpsc::channel(CALLS_QUEUE);
        let router = Arc::new(RouterShared::new(calls_sender));
        let subscriber = stream.subscriber();
        // The handles decode what they receive; the router reads only ids.
        stream.take_raw();
        let task = tokio::spawn(
            Router::<B> {
                stream,
                client: client.clone(),
                name: name.clone(),
                prefix: prefix.clone(),
                table: Arc::clone(&table),
                state: state_sender,
                notices: notices.clone(),
                shared: Arc::clone(&router),
                clean_up_orphans,
                reconcile_timeout,
                claim_offers,
                last_loss: String::new(),
                buffers: Default::default(),
            }
            .run(),
        );
        App {
            shared: Arc::new(AppShared {
                client,
                name,
                prefix,
                next_id: AtomicU64::new(1),
                enter_timeout,
                table,
                state,
                notices,
                router,
                calls: Mutex::new(Some(calls)),
                subscriber,
                task,
            }),
        }
    }

    /// The application's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The client it makes requests with.
    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    /// A fresh id for a resource the application creates:
    /// `<prefix>-<counter>`, the counter in 12 hex digits. The fixed width
    /// matters: Asterisk refuses (409) a channel id that is a prefix of a
    /// live channel's id.
    pub fn new_id(&self) -> String {
        own_id(
            &self.shared.prefix,
            self.shared.next_id.fetch_add(1, Ordering::Relaxed),
        )
    }

    /// Whether `id` was made by [`new_id`](Self::new_id) of this
    /// application (or of an earlier run with the same prefix).
    pub fn is_own(&self, id: &str) -> bool {
        is_own_id(&self.shared.prefix, id)
    }

    /// Follows resource `H` `id`: events about it from now on reach the
    /// returned handle.
    pub fn track<H: Handle>(&self, id: impl Into<String>) -> Tracked<H, B::Message> {
        self.track_handle(H::from_parts(self.shared.client.clone(), id.into()))
    }

    /// Follows what `handle` addresses (see [`track`](Self::track)).
    pub fn track_handle<H: Handle>(&self, handle: H) -> Tracked<H, B::Message> {
        let tracked = self.follow(handle);
        // Named by the caller: it exists, so a reconnect may find it gone.
        tracked.confirm();
        tracked
    }

    /// A route to `handle`'s resource and the handle with it, not yet
    /// known to exist (see `Slot::confirm`).
    pub(crate) fn follow<H: Handle>(&self, handle: H) -> Tracked<H, B::Message> {
        let slot = self.shared.table.register(H::KIND, handle.resource_id());
        Tracked::new(handle, slot, Arc::clone(&self.shared.table))
    }

    /// The application's state, as it changes.
    pub fn state(&self) -> watch::Receiver<AppState> {
        self.shared.state.clone()
    }

    /// Supervision notices from now on: connection changes, malformed
    /// frames, displacement, what reconciling after a reconnect found. A
    /// receiver that falls behind gets `Lagged` with the count it missed.
    pub fn notices(&self) -> broadcast::Receiver<Notice> {
        self.shared.notices.subscribe()
    }

    /// Every item of the connection, as the plain event stream gives them
    /// (a consumer must keep reading: the connection goes at the pace of
    /// its slowest consumer).
    pub fn events(&self) -> EventStream<B::Message> {
        self.shared.subscriber.subscribe()
    }

    /// Waits until the application ends (displaced, or its connection gone
    /// for good) and returns the final state.
    pub async fn ended(&self) -> AppState {
        let mut state = self.state();
        let ended = state.wait_for(AppState::is_final).await;
        match ended {
            Ok(state) => state.clone(),
            Err(_) => AppState::Closed {
                reason: "the router stopped".into(),
            },
        }
    }

    /// Ends the application: every handle ends with
    /// [`EndCause::Closed`](super::EndCause::Closed), the device-state
    /// subscriptions are released and the connection closes. Returns the
    /// final state.
    pub async fn close(&self) -> AppState {
        self.shared.router.close.notify_one();
        self.ended().await
    }

    pub(crate) fn take_calls(&self) -> Option<mpsc::Receiver<Arrival<B>>> {
        let receiver = self
            .shared
            .calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if receiver.is_some() {
            self.shared.router.want_calls();
        }
        receiver
    }

    pub(crate) fn shared(&self) -> &AppShared<B> {
        &self.shared
    }
}

impl<B: Bindings> std::fmt::Debug for App<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("name", &self.shared.name)
            .field("prefix", &self.shared.prefix)
            .field("state", &*self.shared.state.borrow())
            .finish_non_exhaustive()
    }
}
