//! A typed client for the Asterisk REST Interface (ARI).
//!
//! Models, events and operations are generated from Asterisk's api-docs
//! (see [`ASTERISK_VERSION`]); the [`runtime`] is written by hand.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = ari_generated::Client::new("http://127.0.0.1:8088", "asterisk", "asterisk")?;
//! let channel = client.channels().originate("Local/answer-wait@default").app("hello").send().await?;
//! println!("originated {}", channel.id);
//! # Ok(()) }
//! ```

pub mod runtime;

// Formatted by the generator (prettyplease), so that freshness never depends
// on the local rustfmt.
#[rustfmt::skip]
mod generated;

pub use generated::*;
pub use runtime::{Client, ClientBuilder};
