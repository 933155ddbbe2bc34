//! Claiming broadcast calls (`StasisBroadcast`, `POST /events/claim`):
//! Asterisk offers a channel to every matching application with a
//! `CallBroadcast`; the first claim wins, and the winner gets an ordinary
//! `StasisStart`.

use super::app::App;
use super::notice::Notice;
use crate::bindings::Bindings;
use crate::client::Client;
use crate::error::TransportError;
use tokio::sync::broadcast;

/// What a claim gave: each is an ordinary answer, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The channel is this application's: its `StasisStart` follows.
    Won,
    /// Another application claimed it first (409).
    AlreadyClaimed,
    /// No such channel is being offered (404): gone, or its offer timed out.
    NotOffered,
}

/// A claim could not be made or answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// These bindings' api-docs have no claim operation (Asterisk before
    /// 20.20 / 22.10).
    #[error("these bindings have no POST /events/claim")]
    Unsupported,
    /// The request failed.
    #[error(transparent)]
    Transport(TransportError),
    /// An answer the api-docs do not describe.
    #[error("unexpected status {0} to a claim")]
    Status(u16),
}

async fn claim<B: Bindings>(
    client: &Client,
    app: &str,
    channel: &str,
) -> Result<Claim, ClaimError> {
    let request = B::claim(channel, app).ok_or(ClaimError::Unsupported)?;
    let response = client
        .execute(request)
        .await
        .map_err(ClaimError::Transport)?;
    match response.status() {
        200..=299 => Ok(Claim::Won),
        409 => Ok(Claim::AlreadyClaimed),
        404 => Ok(Claim::NotOffered),
        status => Err(ClaimError::Status(status)),
    }
}

impl<B: Bindings> App<B> {
    /// Claims the offered `channel` (from a `CallBroadcast`) for this
    /// application. With [`AppBuilder::claim_offers`](super::AppBuilder::claim_offers)
    /// the router does this for every offer.
    pub async fn claim(&self, channel: &str) -> Result<Claim, ClaimError> {
        claim::<B>(self.client(), self.name(), channel).await
    }
}

/// The router's claim of an offer, off its own task; the outcome is a
/// notice.
pub(crate) fn claim_offer<B: Bindings>(
    client: Client,
    app: String,
    channel: String,
    notices: broadcast::Sender<Notice>,
) {
    tokio::spawn(async move {
        let outcome = claim::<B>(&client, &app, &channel)
            .await
            .map_err(|error| error.to_string());
        if let Err(error) = &outcome {
            tracing::warn!(target: "ari_runtime::calls", %app, %channel, %error, "claiming an offered call");
        }
        let _ = notices.send(Notice::Claimed { channel, outcome });
    });
}
