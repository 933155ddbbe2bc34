//! The hand-written runtime every generated operation calls into: the HTTP
//! client, the event stream and the version check.

mod client;
pub mod decode;
mod error;
mod events;
mod release;
mod timestamp;
mod tls;
mod version;
pub mod wire;

#[doc(hidden)]
pub use crate::__open_enum_impls as open_enum_impls;
pub use client::{
    BuildError, Client, ClientBuilder, Credentials, Method, ParamValue, Request, Response,
    encode_path,
};
/// The string type of every model property: inline up to 24 bytes, so
/// decoding an event allocates only for strings longer than that.
pub use compact_str::CompactString;
pub use error::{DecodeError, ErrorResponse, TransportError};
pub use events::{
    Backoff, ConnectError, EventOptions, EventStream, EventStreamBuilder, FromFrame, StreamItem,
};
pub use release::ReleaseError;
pub use timestamp::{Timestamp, TimestampError};
pub use version::{BindingsVersion, VersionCheck, VersionError};
