//! The router: reads an application's connection and hands every event to
//! the handles of the resources it names; keeps the application's state.

use super::ended::EndCause;
use super::notice::{AppState, Notice};
use super::reconcile;
use super::resource::{Handle, ResourceKind, split_target_uri};
use super::run::Arrival;
use super::scan;
use super::table::{Pushed, RouteTable, Routes, Slot};
use super::tracked::Tracked;
use crate::bindings::Bindings;
use crate::client::Client;
use crate::events::{EventStream, FromFrame, RawItem, SharedFrame, StreamItem};
use compact_str::CompactString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, broadcast, mpsc, watch};

/// Wakes held back at most, so that no handle waits long for its event.
const MAX_DEFERRED_WAKES: usize = 64;

/// What the router shares with its application.
pub(crate) struct RouterShared<B: Bindings> {
    calls: mpsc::Sender<Arrival<B>>,
    wants_calls: AtomicBool,
    pub(crate) close: Notify,
}

impl<B: Bindings> RouterShared<B> {
    pub(crate) fn new(calls: mpsc::Sender<Arrival<B>>) -> Self {
        RouterShared {
            calls,
            wants_calls: AtomicBool::new(false),
            close: Notify::new(),
        }
    }

    /// From now on, channels entering the application untracked become
    /// incoming calls.
    pub(crate) fn want_calls(&self) {
        self.wants_calls.store(true, Ordering::Release);
    }
}

pub(crate) struct Router<B: Bindings> {
    pub(crate) stream: EventStream<B::Message>,
    pub(crate) client: Client,
    pub(crate) name: String,
    pub(crate) prefix: String,
    pub(crate) table: Arc<RouteTable<B::Message>>,
    pub(crate) state: watch::Sender<AppState>,
    pub(crate) notices: broadcast::Sender<Notice>,
    pub(crate) shared: Arc<RouterShared<B>>,
    pub(crate) clean_up_orphans: bool,
    pub(crate) reconcile_timeout: Duration,
    pub(crate) claim_offers: bool,
    /// Why the connection was last lost: the cause of what vanished meanwhile.
    pub(crate) last_loss: String,
    /// What one event is delivered to: kept between events, so that these
    /// lists allocate once (the ids read from a frame borrow it and are
    /// collected per frame).
    pub(crate) buffers: Buffers<B::Message>,
}

/// The slots one event reaches, ends and brings in.
pub(crate) struct Buffers<T> {
    targets: Vec<Arc<Slot<T>>>,
    ends: Vec<Arc<Slot<T>>>,
    entered: Vec<Arc<Slot<T>>>,
    /// Handles to wake once the events at hand are delivered: they then run
    /// beside the router instead of between its events.
    wakes: Vec<std::task::Waker>,
}

impl<T> Default for Buffers<T> {
    fn default() -> Self {
        Buffers {
            targets: Vec::new(),
            ends: Vec::new(),
            entered: Vec::new(),
            wakes: Vec::new(),
        }
    }
}

/// The live slots of resource `id` whose kind is named `scheme`.
fn matching<'r, T>(
    routes: &'r Routes<T>,
    scheme: &'r str,
    id: &str,
) -> impl Iterator<Item = &'r Arc<Slot<T>>> {
    routes
        .get(id)
        .into_iter()
        .flatten()
        .filter(move |slot| slot.kind.0 == scheme)
}

fn add_once<T>(list: &mut Vec<Arc<Slot<T>>>, slot: &Arc<Slot<T>>) {
    if !list.iter().any(|known| Arc::ptr_eq(known, slot)) {
        list.push(Arc::clone(slot));
    }
}

impl<B: Bindings> Router<B> {
    pub(crate) async fn run(mut self) {
        let shared = Arc::clone(&self.shared);
        let reason = loop {
            // Before waiting for more, and every so many events.
            if !self.stream.has_pending() || self.buffers.wakes.len() >= MAX_DEFERRED_WAKES {
                self.wake_handles();
            }
            // Unconstrained: the router hands a batch out without yielding
            // between frames (the handles it wakes run beside it, on other
            // workers); it yields when the connection's buffer is empty, so
            // it never holds a worker for more than a buffer's worth.
            let item = tokio::select! {
                item = tokio::task::unconstrained(std::future::poll_fn(|cx| self.stream.poll_raw(cx))) => item,
                () = shared.close.notified() => break "closed by the application".to_owned(),
            };
            let item = match item {
                None => break "the event connection ended".to_owned(),
                Some(RawItem::Frame(frame)) => {
                    if self.dispatch(frame).await {
                        self.displace();
                        return;
                    }
                    continue;
                }
                Some(RawItem::Item(item)) => item,
            };
            match item {
                StreamItem::Event(_) => {}
                StreamItem::Malformed(error) => self.notify(Notice::Malformed(error)),
                StreamItem::Disconnected {
                    reason,
                    will_reconnect,
                } => {
                    self.notify(Notice::Disconnected {
                        reason: reason.clone(),
                        will_reconnect,
                    });
                    if !will_reconnect {
                        break reason;
                    }
                    self.state.send_replace(AppState::Reconnecting {
                        reason: reason.clone(),
                    });
                    self.last_loss = reason;
                }
                StreamItem::Reconnected { attempts } => {
                    let notice = reconcile::reconcile::<B>(&self, attempts).await;
                    self.state.send_replace(AppState::Ready);
                    self.notify(notice);
                }
            }
        };
        self.wake_handles();
        for slot in self.table.all() {
            slot.end(EndCause::Closed {
                reason: reason.clone(),
            });
        }
        self.state.send_replace(AppState::Closed { reason });
        if let Err(error) = self.stream.close().await {
            tracing::warn!(target: "ari_runtime::calls", app = %self.name, %error, "closing the application's connection");
        }
    }

    fn notify(&self, notice: Notice) {
        // No receiver is fine: notices are for whoever asked.
        let _ = self.notices.send(notice);
    }

    /// Another connection has the application: end everything, and close
    /// without releasing what is now that connection's.
    fn displace(mut self) {
        self.wake_handles();
        tracing::error!(target: "ari_runtime::calls", app = %self.name, "ApplicationReplaced: another connection registered the application");
        for slot in self.table.all() {
            slot.end(EndCause::Displaced);
        }
        self.notify(Notice::Displaced);
        self.state.send_replace(AppState::Displaced);
        self.stream.abandon();
    }

    /// Delivers one frame to the handles of the resources it names; true
    /// when it displaces the application. Only the ids are read here: each
    /// handle decodes the frame itself.
    async fn dispatch(&mut self, frame: SharedFrame) -> bool {
        let text = frame.text();
        let kind = match crate::wire::discriminator(text, B::DISCRIMINATOR) {
            Ok(kind) => kind,
            Err(_) => {
                self.malformed(text);
                return false;
            }
        };
        let Some(route) = B::event_route(&kind) else {
            return false;
        };
        let mut named = Vec::new();
        if scan::named(text, route, &mut named).is_none() {
            self.malformed(text);
            return false;
        }
        let Buffers {
            targets,
            ends,
            entered,
            wakes,
        } = &mut self.buffers;
        let mut arriving = None;
        {
            let routes = self.table.lock();
            for resource in &named {
                let field = resource.field;
                for slot in matching(&routes, field.kind.0, &resource.key) {
                    add_once(targets, slot);
                    if field.ends {
                        add_once(ends, slot);
                    }
                    if field.enters {
                        add_once(entered, slot);
                    }
                }
                if field.enters && arriving.is_none() && entered.is_empty() {
                    arriving = Some((field.kind, CompactString::from(&*resource.key)));
                }
                if let Some((scheme, id)) = resource.target.as_deref().and_then(split_target_uri) {
                    for slot in matching(&routes, scheme, id) {
                        add_once(targets, slot);
                    }
                }
            }
        }
        for slot in targets.drain(..) {
            if let Pushed::Overflowed = slot.push(&frame, wakes) {
                tracing::warn!(target: "ari_runtime::calls", app = %self.name, kind = %slot.kind, id = %slot.id, "a handle's queue is full: it stops following its resource");
            }
        }
        for slot in entered.drain(..) {
            slot.enter();
        }
        for slot in ends.drain(..) {
            slot.end_by(&kind, &frame);
            self.table.remove(&slot);
        }
        if route.offers && self.claim_offers {
            let entering = <B::Entering as Handle>::KIND;
            if let Some(offered) = named.iter().find(|n| n.field.kind == entering) {
                super::claim::claim_offer::<B>(
                    self.client.clone(),
                    self.name.clone(),
                    offered.key.to_string(),
                    self.notices.clone(),
                );
            }
        }
        if let Some((kind, id)) = arriving {
            self.wake_handles();
            match B::Message::from_frame(text) {
                Ok(start) => self.arrive(kind, id, start).await,
                Err(error) => self.notify(Notice::Malformed(error)),
            }
        }
        route.displaces
    }

    /// A frame that is no JSON event: reported, as the plain stream would.
    fn malformed(&self, text: &str) {
        if let Err(error) = B::Message::from_frame(text) {
            tracing::warn!(target: "ari_runtime::calls", app = %self.name, %error, "malformed event frame");
            self.notify(Notice::Malformed(error));
        }
    }

    fn wake_handles(&mut self) {
        for waker in self.buffers.wakes.drain(..) {
            waker.wake();
        }
    }

    /// A resource entered the application untracked: an incoming call, if
    /// the application takes calls.
    async fn arrive(&self, kind: ResourceKind, id: CompactString, start: B::Message) {
        if kind != <B::Entering as Handle>::KIND || !self.shared.wants_calls.load(Ordering::Acquire)
        {
            return;
        }
        let slot = self.table.register(kind, &id);
        let handle = <B::Entering as Handle>::from_parts(self.client.clone(), id.to_string());
        let channel = Tracked::new(handle, slot, Arc::clone(&self.table));
        // Waits while the calls queue is full: `run` empties it at once.
        if self
            .shared
            .calls
            .send(Arrival { channel, start })
            .await
            .is_err()
        {
            tracing::warn!(target: "ari_runtime::calls", app = %self.name, channel = %id, "an incoming call arrived after the application stopped taking calls");
        }
    }

    pub(crate) fn is_own(&self, id: &str) -> bool {
        super::app::is_own_id(&self.prefix, id)
    }
}
