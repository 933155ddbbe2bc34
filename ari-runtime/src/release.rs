//! Taking back an application's device-state subscriptions before its event
//! WebSocket closes.
//!
//! Asterisk 22 (seen on 22.10.1) tears an application's session down by
//! joining its device-state subscriptions while holding the lock that a
//! device state event on its way to the same application waits for. A
//! connection that closes while such an event is in flight deadlocks ARI
//! for good: `GET /applications` and every new event WebSocket hang until
//! Asterisk restarts. A `subscribeAll` application watches every device, and
//! every call changes device states, so closing one under traffic hits this
//! within a few tries. Released through REST first, the subscriptions are
//! gone before the session is torn down, and nothing is left to join.

use super::bindings::OwnRequests;
use super::client::{Client, Response};
use super::error::{ErrorResponse, TransportError};

/// A device-state subscription could not be released.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// A request to Asterisk failed, or its answer did not decode.
    #[error("cannot release the device-state subscriptions of {app}: {source}")]
    Transport {
        /// The application whose subscriptions were being released.
        app: String,
        /// What went wrong with the request.
        #[source]
        source: TransportError,
    },
    /// Asterisk answered listing or unsubscribing the application's devices with an unexpected status.
    #[error("cannot release the device-state subscriptions of {app}: {response}")]
    Refused {
        /// The application whose subscriptions were being released.
        app: String,
        /// Asterisk's answer.
        response: ErrorResponse,
    },
}

/// The part of `GET /applications/{app}` this needs; older Asterisk
/// versions may leave it out.
#[derive(serde::Deserialize)]
struct WatchedDevices {
    #[serde(default)]
    device_names: Vec<String>,
}

/// How Asterisk lists the subscription to every device (what `subscribeAll`
/// makes); it takes it back by the empty device name.
const ALL_DEVICES_TOPIC: &str = "__AST_DEVICE_STATE_ALL_TOPIC";

/// The `eventSource` that takes back a listed device-state subscription.
fn event_source(device: &str) -> String {
    if device == ALL_DEVICES_TOPIC {
        "deviceState:".to_owned()
    } else {
        format!("deviceState:{device}")
    }
}

/// Releases every device-state subscription of each of `apps`. An
/// application Asterisk no longer knows has none left.
pub(crate) async fn release_device_states(
    client: &Client,
    requests: &OwnRequests,
    apps: &[String],
) -> Result<(), ReleaseError> {
    for app in apps {
        release_for(client, requests, app).await?;
    }
    Ok(())
}

async fn release_for(
    client: &Client,
    requests: &OwnRequests,
    app: &str,
) -> Result<(), ReleaseError> {
    let transport = |source| ReleaseError::Transport {
        app: app.to_owned(),
        source,
    };
    let refused = |answer: Response| ReleaseError::Refused {
        app: app.to_owned(),
        response: answer.into_error(),
    };
    let answer = client
        .execute((requests.get_application)(app))
        .await
        .map_err(transport)?;
    match answer.status() {
        200..=299 => {}
        404 => return Ok(()),
        _ => return Err(refused(answer)),
    }
    let watched: WatchedDevices = answer.json().map_err(transport)?;
    if watched.device_names.is_empty() {
        return Ok(());
    }
    let sources: Vec<String> = watched
        .device_names
        .iter()
        .map(|device| event_source(device))
        .collect();
    let answer = client
        .execute((requests.unsubscribe)(app, &sources))
        .await
        .map_err(transport)?;
    match answer.status() {
        // 404: the application has gone meanwhile; 409: the subscriptions
        // have (its session ended on its own).
        200..=299 | 404 | 409 => Ok(()),
        _ => Err(refused(answer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_all_devices_subscription_is_released_by_the_empty_name() {
        assert_eq!(event_source(ALL_DEVICES_TOPIC), "deviceState:");
        assert_eq!(event_source("Stasis:lamp"), "deviceState:Stasis:lamp");
        let listed: WatchedDevices = serde_json::from_str(r#"{"name":"a"}"#).unwrap();
        assert!(listed.device_names.is_empty());
    }
}
