//! The hand-written runtime of the ARI bindings: the HTTP client, the typed
//! event stream with reconnects, the version check, and the fast event
//! decoder the generated models plug into.
//!
//! It knows no bindings: the code `ari-codegen` generates for an Asterisk
//! version implements [`Bindings`] (its versions, its message type, the few
//! requests the runtime makes on its own) and calls into this crate. Most
//! users reach it through `ari_generated::runtime`.

#![warn(missing_docs)]

mod bindings;
mod calls;
mod client;
pub mod decode;
mod error;
mod events;
mod listen;
pub mod media;
mod outbound;
mod release;
mod socket_pool;
mod timestamp;
mod tls;
mod transport;
mod version;
pub mod wire;

#[doc(hidden)]
pub use crate::__open_enum_impls as open_enum_impls;
pub use bindings::Bindings;
pub use calls::{
    App, AppBuilder, AppError, AppState, Calls, Claim, ClaimError, CreateError, EndCause, Ended,
    EventRoute, Handle, HandleError, IncomingCall, Notice, ResourceKind, RouteField, Tracked,
    UntypedHandle,
};
pub use client::{
    Answer, AnswerInspector, BuildError, Client, ClientBuilder, Credentials, Method, ParamValue,
    Request, Response, encode_path,
};
/// The string type of every model property: inline up to 24 bytes, so
/// decoding an event allocates only for strings longer than that.
pub use compact_str::CompactString;
pub use error::{DecodeError, ErrorResponse, TransportError};
pub use events::{
    Backoff, ConnectError, EventOptions, EventStream, EventStreamBuilder, FromFrame, StreamItem,
};
pub use listen::ListenError;
pub use outbound::{OutboundError, OutboundServer, OutboundServerBuilder, Session};
pub use release::ReleaseError;
pub use timestamp::{Timestamp, TimestampError};
pub use transport::RestTransport;
pub use version::{BindingsVersion, VersionCheck, VersionError};
