//! The WebSocket side: `GET /events` as a stream of typed messages.

use super::client::{Client, Credentials, Request};
use super::error::DecodeError;
use base64::Engine as _;
use futures_util::{Stream, StreamExt as _};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest as _};

/// A message type that can be decoded from one WebSocket text frame.
pub trait FromFrame: Sized + Send + 'static {
    fn from_frame(text: &str) -> Result<Self, DecodeError>;
}

/// The event WebSocket could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    #[error("invalid event URL: {0}")]
    InvalidUrl(String),
    #[error("WebSocket handshake failed: {0}")]
    WebSocket(#[source] tungstenite::Error),
}

/// One item of the stream that is not a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// A frame that could not be decoded; the stream goes on.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The connection failed or closed; the stream ends after this item.
    #[error("event connection lost: {0}")]
    Connection(String),
}

/// Bounded: when the application is slower than Asterisk, the reader stops
/// reading and TCP pushes back, instead of overwriting or dropping events.
const BUFFER: usize = 1024;

/// Typed messages from the event WebSocket.
pub struct EventStream<T> {
    receiver: tokio::sync::mpsc::Receiver<Result<T, EventError>>,
    reader: tokio::task::JoinHandle<()>,
}

impl<T> Stream for EventStream<T> {
    type Item = Result<T, EventError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}

impl<T> Drop for EventStream<T> {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Client {
    /// The WebSocket URL for a request, `http` becoming `ws`.
    fn websocket_url(&self, request: &Request) -> Result<String, ConnectError> {
        let base = self.base_url();
        let base = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            return Err(ConnectError::InvalidUrl(base.to_owned()));
        };
        let mut pairs: Vec<(&str, &str)> = request
            .query_pairs()
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        if let Credentials::ApiKey(key) = self.credentials() {
            pairs.push(("api_key", key));
        }
        let query = pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, QUERY_VALUE)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        Ok(format!(
            "{base}{}{}{query}",
            request.path(),
            if query.is_empty() { "" } else { "?" }
        ))
    }

    /// Opens the event WebSocket; used by the generated `connect` methods.
    pub async fn connect_events<T: FromFrame>(
        &self,
        request: Request,
    ) -> Result<EventStream<T>, ConnectError> {
        let url = self.websocket_url(&request)?;
        let mut ws_request = url
            .as_str()
            .into_client_request()
            .map_err(|_| ConnectError::InvalidUrl(self.base_url().to_owned()))?;
        if let Credentials::Basic { user, password } = self.credentials() {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let value = format!("Basic {token}").parse().map_err(|_| {
                ConnectError::InvalidUrl("credentials are not a valid header".into())
            })?;
            ws_request.headers_mut().insert("Authorization", value);
        }
        let (mut socket, _) = tokio_tungstenite::connect_async(ws_request)
            .await
            .map_err(ConnectError::WebSocket)?;
        let (sender, receiver) = tokio::sync::mpsc::channel(BUFFER);
        let reader = tokio::spawn(async move {
            loop {
                let item = match socket.next().await {
                    Some(Ok(tungstenite::Message::Text(text))) => {
                        T::from_frame(text.as_str()).map_err(EventError::from)
                    }
                    Some(Ok(tungstenite::Message::Close(_))) | None => {
                        let _ = sender
                            .send(Err(EventError::Connection("closed by the server".into())))
                            .await;
                        return;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => {
                        let _ = sender
                            .send(Err(EventError::Connection(error.to_string())))
                            .await;
                        return;
                    }
                };
                if sender.send(item).await.is_err() {
                    let _ = socket.close(None).await;
                    return;
                }
            }
        });
        Ok(EventStream { receiver, reader })
    }
}
