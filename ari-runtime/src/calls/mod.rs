//! Call control on top of the bindings: an [`App`] routes each event of its
//! connection to [`Tracked`] handles of the resources the event names, so
//! call logic waits on its own channel rather than filtering one stream.
//!
//! - **Routing.** The generated route table ([`Bindings::event_route`](crate::Bindings::event_route))
//!   names the properties of each event type that hold resources: its
//!   channels, bridges, playbacks and recordings, and through a
//!   `target_uri` the channel or bridge a playback or recording is attached
//!   to. The router reads only those ids from a frame (one hash-map lookup
//!   each) and hands the frame on; each handle decodes what it receives,
//!   on its own task.
//! - **Overflow.** Every handle has a bounded queue; when an event finds it
//!   full, that handle alone ends with [`HandleError::Overflowed`] (counting
//!   what it missed); the router and every other handle go on.
//! - **Creators** register the route before the request that creates the
//!   resource, and a channel's creator completes on its `StasisStart`.
//! - **Supervision.** [`AppState`] tells ready, reconnecting, displaced
//!   (`ApplicationReplaced`) and closed; after a reconnect the handles are
//!   reconciled with what Asterisk still has ([`Notice::Reconciled`]).

mod app;
mod claim;
mod creators;
mod ended;
mod notice;
mod reconcile;
mod resource;
mod router;
mod run;
mod scan;
mod table;
mod tracked;

pub use app::{App, AppBuilder, AppError};
pub use claim::{Claim, ClaimError};
pub use creators::CreateError;
pub use ended::{EndCause, Ended, HandleError};
pub use notice::{AppState, Notice};
pub use resource::{EventRoute, Handle, ResourceKind, RouteField, UntypedHandle};
pub use run::{Calls, IncomingCall};
pub use tracked::Tracked;
