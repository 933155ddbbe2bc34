//! A WebSocket media channel created in an application and its session
//! opened, in one step: the route to the channel exists before the request
//! (its events are queued on its handle), the session is connected before
//! the channel is waited for (it answers, and enters the application, only
//! once its socket is up), and bad input is a typed error before anything
//! reaches Asterisk (which answers an unknown format with a bare 500).

use super::session::{MediaError, MediaOptions, MediaSession};
use crate::bindings::Bindings;
use crate::calls::{App, Tracked};

/// The audio formats of Asterisk's format cache (`main/codec_builtin.c`).
const AUDIO_FORMATS: &[&str] = &[
    "ulaw", "alaw", "gsm", "g722", "g723", "g726", "g726aal2", "g729", "g719", "adpcm", "lpc10",
    "ilbc", "siren7", "siren14", "speex", "speex16", "speex32", "opus", "codec2", "silk8",
    "silk12", "silk16", "silk24", "slin", "slin12", "slin16", "slin24", "slin32", "slin44",
    "slin48", "slin96", "slin192",
];

/// Builds a WebSocket media channel of an [`App`]; see [`App::media_channel`].
#[must_use = "nothing is created until `create` is awaited"]
pub struct MediaChannelBuilder<'a, B: Bindings> {
    app: &'a App<B>,
    format: String,
    id: Option<String>,
    direction: Option<String>,
    dial_options: String,
    options: MediaOptions,
}

impl<B: Bindings> App<B> {
    /// A WebSocket media channel in `format` (`slin16`, `ulaw`, …) for this
    /// application, whose media session the application opens
    /// (`connection_type=server`, JSON control): `.create().await` gives
    /// the channel's handle, in the application, and its session.
    pub fn media_channel(&self, format: impl Into<String>) -> MediaChannelBuilder<'_, B> {
        MediaChannelBuilder {
            app: self,
            format: format.into(),
            id: None,
            direction: None,
            dial_options: String::new(),
            options: MediaOptions::default(),
        }
    }
}

impl<B: Bindings> MediaChannelBuilder<'_, B> {
    /// The channel's id (the application's `new_id()` by default).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// `in`, `out` or `both` (Asterisk 20.19, 22.9 and later; `both` by
    /// default).
    pub fn direction(mut self, direction: impl Into<String>) -> Self {
        self.direction = Some(direction.into());
        self
    }

    /// More chan_websocket dial options, after `f(json)` (`n` for no
    /// auto-answer: the application then sends `ANSWER`).
    pub fn dial_options(mut self, options: impl Into<String>) -> Self {
        self.dial_options = options.into();
        self
    }

    /// The session's settings.
    pub fn options(mut self, options: MediaOptions) -> Self {
        self.options = options;
        self
    }

    /// Creates the channel, opens its session, and returns once the channel
    /// is in the application (within the application's `enter_timeout`).
    pub async fn create(
        self,
    ) -> Result<(Tracked<B::Entering, B::Message>, MediaSession), MediaError> {
        let MediaChannelBuilder {
            app,
            format,
            id,
            direction,
            dial_options,
            options,
        } = self;
        if !AUDIO_FORMATS.contains(&format.as_str()) {
            return Err(MediaError::Format(format!(
                "`{format}` is not an audio format Asterisk knows ({})",
                AUDIO_FORMATS.join(", ")
            )));
        }
        if let Some(direction) = &direction
            && !["in", "out", "both"].contains(&direction.as_str())
        {
            return Err(MediaError::Format(format!(
                "the media direction is `in`, `out` or `both`, not `{direction}`"
            )));
        }
        let id = id.unwrap_or_else(|| app.new_id());
        let mut query = vec![
            ("connection_type", "server".to_owned()),
            ("transport_data", format!("f(json){dial_options}")),
        ];
        if let Some(direction) = direction {
            query.push(("direction", direction));
        }
        let request = B::websocket_media(app.name(), &format, &id, &query).ok_or_else(|| {
            MediaError::Unsupported(
                "these bindings' api-docs offer no WebSocket transport for externalMedia \
                 (Asterisk 20.16, 21.11, 22.6 and later)"
                    .into(),
            )
        })?;
        let tracked = app.track::<B::Entering>(&id);
        let response = app
            .client()
            .execute(request)
            .await
            .map_err(|error| MediaError::Rejected(error.to_string()))?;
        if !(200..300).contains(&response.status()) {
            return Err(MediaError::Rejected(response.into_error().to_string()));
        }
        let channel: serde_json::Value = response
            .json()
            .map_err(|error| MediaError::Rejected(error.to_string()))?;
        let connection = super::connection_id(channel.get("channelvars"))
            .ok_or_else(|| {
                MediaError::NoStart("the answer has no MEDIA_WEBSOCKET_CONNECTION_ID".into())
            })?
            .to_owned();
        let session = MediaSession::connect(app.client(), &connection, options).await?;
        let limit = app.enter_timeout();
        match tokio::time::timeout(limit, tracked.entered()).await {
            Ok(Ok(())) => Ok((tracked, session)),
            Ok(Err(error)) => Err(MediaError::NoStart(format!(
                "the channel did not enter the application: {error}"
            ))),
            Err(_) => Err(MediaError::NoStart(format!(
                "the channel did not enter the application within {limit:?}"
            ))),
        }
    }
}
