//! The routes of one application: resource id → the queues of the handles
//! tracking it. A message costs one lookup per resource it names, however
//! many handles are live.

use super::ended::{EndCause, Ended, HandleError};
use super::resource::ResourceKind;
use crate::events::{FromFrame, SharedFrame};
use compact_str::CompactString;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// One handle's queue. The router pushes, the handle pops; each side holds
/// the lock for a push or a pop only.
pub(crate) struct Slot<T> {
    pub(crate) kind: ResourceKind,
    pub(crate) id: CompactString,
    state: Mutex<SlotState<T>>,
}

struct SlotState<T> {
    /// Frames still to decode: each handle decodes on its own task.
    queue: VecDeque<SharedFrame>,
    capacity: usize,
    /// Handed out once the queue is empty; nothing is queued after it.
    terminal: Option<Terminal<T>>,
    /// Events that found the queue full, counted until the handle reads
    /// its terminal `Overflowed`.
    missed: u64,
    entered: bool,
    /// Known to exist in Asterisk: an event came, or its creator's request
    /// succeeded. Only confirmed resources can vanish in a reconnect.
    confirmed: bool,
    waker: Option<Waker>,
}

enum Terminal<T> {
    Ended(EndCause<T>),
    /// Ended by the event in this frame (of this type), decoded when read.
    EndedBy(CompactString, SharedFrame),
    Overflowed,
    /// Already handed out: every later read gets the same error.
    Read(HandleError<T>),
}

/// What a push did.
pub(crate) enum Pushed {
    Queued,
    /// This push found the queue full: the handle is overflowed from now on.
    Overflowed,
    /// The handle had already overflowed or ended.
    Ignored,
}

impl<T> Slot<T> {
    pub(crate) fn new(kind: ResourceKind, id: CompactString, capacity: usize) -> Self {
        Slot {
            kind,
            id,
            state: Mutex::new(SlotState {
                queue: VecDeque::new(),
                capacity: capacity.max(1),
                terminal: None,
                missed: 0,
                entered: false,
                confirmed: false,
                waker: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        // A panic while holding the lock leaves a consistent queue (each
        // critical section is a single push or pop): keep going.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `event`; the handle's waker, if it waits, goes to `wakes`
    /// for the router to wake once its batch is delivered.
    pub(crate) fn push(&self, event: &SharedFrame, wakes: &mut Vec<Waker>) -> Pushed {
        let mut state = self.lock();
        let pushed = match state.terminal {
            Some(Terminal::Overflowed) => {
                state.missed += 1;
                return Pushed::Ignored;
            }
            Some(_) => return Pushed::Ignored,
            None if state.queue.len() >= state.capacity => {
                state.terminal = Some(Terminal::Overflowed);
                state.missed = 1;
                Pushed::Overflowed
            }
            None => {
                state.queue.push_back(event.clone());
                state.confirmed = true;
                Pushed::Queued
            }
        };
        wakes.extend(state.waker.take());
        pushed
    }

    /// Ends the handle after what it has queued; the first end wins.
    pub(crate) fn end(&self, cause: EndCause<T>) {
        self.terminate(Terminal::Ended(cause));
    }

    /// Ends the handle with the event of `frame` (of type `kind`).
    pub(crate) fn end_by(&self, kind: &str, frame: &SharedFrame) {
        self.terminate(Terminal::EndedBy(kind.into(), frame.clone()));
    }

    fn terminate(&self, terminal: Terminal<T>) {
        let mut state = self.lock();
        if state.terminal.is_none() {
            state.terminal = Some(terminal);
            wake(&mut state);
        }
    }

    pub(crate) fn enter(&self) {
        let mut state = self.lock();
        state.entered = true;
        wake(&mut state);
    }

    pub(crate) fn confirm(&self) {
        self.lock().confirmed = true;
    }

    pub(crate) fn is_confirmed(&self) -> bool {
        self.lock().confirmed
    }

    pub(crate) fn is_done(&self) -> bool {
        self.lock().terminal.is_some()
    }

    /// Whether the terminal error has been handed out.
    pub(crate) fn terminal_read(&self) -> bool {
        matches!(self.lock().terminal, Some(Terminal::Read(_)))
    }
}

impl<T: FromFrame> Slot<T> {
    /// The next event, decoded here (on the handle's task), or the terminal
    /// error once the queue is empty.
    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Result<T, HandleError<T>>> {
        let mut state = self.lock();
        if let Some(frame) = state.queue.pop_front() {
            drop(state);
            return Poll::Ready(T::from_frame(frame.text()).map_err(HandleError::Malformed));
        }
        let error = match state.terminal.take() {
            None => {
                state.waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            Some(Terminal::Read(error)) => error,
            Some(Terminal::Overflowed) => HandleError::Overflowed {
                missed: state.missed,
            },
            Some(Terminal::Ended(cause)) => self.ended(cause),
            Some(Terminal::EndedBy(kind, frame)) => self.ended(match T::from_frame(frame.text()) {
                Ok(event) => EndCause::Event {
                    kind,
                    event: Arc::new(event),
                },
                Err(error) => EndCause::Undecodable { kind, error },
            }),
        };
        state.terminal = Some(Terminal::Read(error.clone()));
        Poll::Ready(Err(error))
    }

    fn ended(&self, cause: EndCause<T>) -> HandleError<T> {
        HandleError::Ended(Ended {
            kind: self.kind,
            id: self.id.clone(),
            cause,
        })
    }

    /// Ready once the resource has entered the application, or with the
    /// terminal error if it ended first. Queued events stay queued.
    pub(crate) fn poll_entered(&self, cx: &mut Context<'_>) -> Poll<Result<(), HandleError<T>>> {
        let mut state = self.lock();
        if state.entered {
            return Poll::Ready(Ok(()));
        }
        if state.terminal.is_some() {
            drop(state);
            // Drain to the terminal: what came before entering ends with it.
            loop {
                match self.poll_next(cx) {
                    Poll::Ready(Ok(_) | Err(HandleError::Malformed(_))) => continue,
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

fn wake<T>(state: &mut SlotState<T>) {
    if let Some(waker) = state.waker.take() {
        waker.wake();
    }
}

/// Resource id → the slots following it (usually one).
pub(crate) type Routes<T> = FxHashMap<CompactString, Vec<Arc<Slot<T>>>>;

/// Every live route of an application.
pub(crate) struct RouteTable<T> {
    routes: Mutex<Routes<T>>,
    capacity: usize,
}

impl<T> RouteTable<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        RouteTable {
            routes: Mutex::new(Routes::default()),
            capacity,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Routes<T>> {
        self.routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new route to `id`, live until [`remove`](Self::remove).
    pub(crate) fn register(&self, kind: ResourceKind, id: &str) -> Arc<Slot<T>> {
        let slot = Arc::new(Slot::new(kind, id.into(), self.capacity));
        self.lock()
            .entry(id.into())
            .or_default()
            .push(Arc::clone(&slot));
        slot
    }

    pub(crate) fn remove(&self, slot: &Arc<Slot<T>>) {
        let mut routes = self.lock();
        if let Some(slots) = routes.get_mut(slot.id.as_str()) {
            slots.retain(|other| !Arc::ptr_eq(other, slot));
            if slots.is_empty() {
                routes.remove(slot.id.as_str());
            }
        }
    }

    /// The slots of every live route, for reconciling and ending them all.
    pub(crate) fn all(&self) -> Vec<Arc<Slot<T>>> {
        self.lock().values().flatten().cloned().collect()
    }

    pub(crate) fn is_tracked(&self, kind: ResourceKind, id: &str) -> bool {
        self.lock()
            .get(id)
            .is_some_and(|slots| slots.iter().any(|slot| slot.kind == kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::ended::EndCause;
    use serde_json::Value;
    use std::task::Context;

    fn next(slot: &Slot<Value>) -> Poll<Result<Value, HandleError<Value>>> {
        slot.poll_next(&mut Context::from_waker(Waker::noop()))
    }

    fn push(slot: &Slot<Value>, text: &str) -> Pushed {
        slot.push(&SharedFrame::of(text), &mut Vec::new())
    }

    #[test]
    fn overflow_delivers_what_was_queued_then_the_count_it_missed() {
        let slot = Slot::new(ResourceKind("channel"), "c".into(), 2);
        for n in 0..5 {
            push(&slot, &n.to_string());
        }
        assert!(matches!(next(&slot), Poll::Ready(Ok(n)) if n == 0));
        assert!(matches!(next(&slot), Poll::Ready(Ok(n)) if n == 1));
        assert!(matches!(
            next(&slot),
            Poll::Ready(Err(HandleError::Overflowed { missed: 3 }))
        ));
        // Terminal: the same error again, and nothing queued after it.
        push(&slot, "9");
        assert!(matches!(
            next(&slot),
            Poll::Ready(Err(HandleError::Overflowed { missed: 3 }))
        ));
    }

    #[test]
    fn an_end_comes_after_the_queued_events_and_stays() {
        let slot = Slot::new(ResourceKind("channel"), "c".into(), 8);
        assert!(next(&slot).is_pending());
        push(&slot, r#""first""#);
        slot.end(EndCause::Displaced);
        slot.end(EndCause::Closed {
            reason: "later".into(),
        });
        assert!(matches!(next(&slot), Poll::Ready(Ok(e)) if e == "first"));
        for _ in 0..2 {
            match next(&slot) {
                Poll::Ready(Err(HandleError::Ended(ended))) => {
                    assert!(matches!(ended.cause, EndCause::Displaced));
                    assert_eq!(ended.id, "c");
                }
                other => panic!("expected the end, got {other:?}"),
            }
        }
    }

    #[test]
    fn an_ending_event_is_decoded_when_read_and_a_bad_frame_is_not_terminal() {
        let slot = Slot::new(ResourceKind("channel"), "c".into(), 8);
        push(&slot, "{broken");
        let ending = SharedFrame::of(r#"{"type":"ChannelDestroyed"}"#);
        slot.push(&ending, &mut Vec::new());
        slot.end_by("ChannelDestroyed", &ending);
        assert!(
            matches!(next(&slot), Poll::Ready(Err(HandleError::Malformed(e))) if e.raw == "{broken")
        );
        assert!(matches!(next(&slot), Poll::Ready(Ok(e)) if e["type"] == "ChannelDestroyed"));
        match next(&slot) {
            Poll::Ready(Err(HandleError::Ended(Ended {
                cause: EndCause::Event { kind, event },
                ..
            }))) => {
                assert_eq!(kind, "ChannelDestroyed");
                assert_eq!(event["type"], "ChannelDestroyed");
            }
            other => panic!("expected the end, got {other:?}"),
        }
    }

    #[test]
    fn entering_leaves_the_queue_alone() {
        let slot = Slot::new(ResourceKind("channel"), "c".into(), 8);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(slot.poll_entered(&mut cx).is_pending());
        push(&slot, r#""StasisStart""#);
        slot.enter();
        assert!(matches!(slot.poll_entered(&mut cx), Poll::Ready(Ok(()))));
        assert!(matches!(next(&slot), Poll::Ready(Ok(e)) if e == "StasisStart"));
    }

    #[test]
    fn own_ids_are_the_counter_form_only() {
        use crate::calls::app::{is_own_id, own_id};
        assert_eq!(own_id("app-1a2b3c", 23), "app-1a2b3c-000000000017");
        assert!(is_own_id("app-1a2b3c", &own_id("app-1a2b3c", 23)));
        assert!(!is_own_id("app-1a2b3c", "app-1a2b3c-17"));
        assert!(!is_own_id("app-1a2b3c", "app-1a2b3c-000000000017;2"));
        assert!(!is_own_id("app-1a2b3c", "app-1a2b3c-"));
        assert!(!is_own_id("app-1a2b3c", "app-1a2b3cd-1"));
        assert!(!is_own_id("app-1a2b3c", "1795371843.2"));
    }

    /// Asterisk takes a new channel id for taken when it is a prefix of a
    /// live one, so no own id may be a prefix of another.
    #[test]
    fn own_ids_are_never_a_prefix_of_one_another() {
        use crate::calls::app::own_id;
        let ids: Vec<String> = (0..300u64)
            .chain([u64::from(u32::MAX), u64::MAX])
            .map(|n| own_id("app-1a2b3c", n))
            .collect();
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                assert!(
                    !b.starts_with(a.as_str()) && !a.starts_with(b.as_str()),
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn the_table_routes_by_id_and_forgets_removed_slots() {
        let table: RouteTable<u8> = RouteTable::new(4);
        let a = table.register(ResourceKind("channel"), "x");
        let b = table.register(ResourceKind("bridge"), "x");
        assert!(table.is_tracked(ResourceKind("channel"), "x"));
        table.remove(&a);
        assert!(!table.is_tracked(ResourceKind("channel"), "x"));
        assert!(table.is_tracked(ResourceKind("bridge"), "x"));
        table.remove(&b);
        assert!(table.lock().is_empty());
    }
}
