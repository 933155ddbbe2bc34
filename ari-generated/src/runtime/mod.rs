//! The hand-written runtime every generated operation calls into.

mod client;
mod error;
mod events;
mod timestamp;
pub mod wire;

pub use client::{
    BuildError, Client, ClientBuilder, Credentials, Method, ParamValue, Request, Response,
    encode_path,
};
pub use error::{DecodeError, ErrorResponse, TransportError};
pub use events::{ConnectError, EventError, EventStream, FromFrame};
pub use timestamp::{Timestamp, TimestampError};
