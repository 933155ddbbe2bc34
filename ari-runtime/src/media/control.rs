//! chan_websocket's control messages: the events Asterisk sends (TEXT
//! frames, JSON with `f(json)`, the deprecated plain text otherwise) and
//! the commands the application sends, in the dialect the session speaks.
//! Source: `channels/chan_websocket.c` (Asterisk 22.8 and later for JSON).

use std::collections::BTreeMap;

/// `MEDIA_START`: the first event of every media session, with what the
/// audio is. Frame sizes and timing come from here, never from constants.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaStart {
    /// The connection id (`MEDIA_WEBSOCKET_CONNECTION_ID`).
    pub connection_id: String,
    /// The channel's name (`WebSocket/INCOMING/0x…`).
    pub channel: String,
    /// The channel's id (Asterisk 22.7 and later; empty before).
    pub channel_id: String,
    /// The audio format (`ulaw`, `slin16`, …).
    pub format: String,
    /// Bytes of one frame of `ptime` ms; 0 for codecs Asterisk passes
    /// through unframed (opus, g729, …).
    pub optimal_frame_size: usize,
    /// Milliseconds of audio per frame (20 for most codecs).
    pub ptime: u32,
    /// The channel's variables (JSON mode only).
    pub channel_variables: BTreeMap<String, String>,
}

/// The channel's media queue as `GET_STATUS` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MediaStatus {
    /// Frames queued for playing.
    pub queue_length: u64,
    /// `MEDIA_XON` is sent once the queue is below this.
    pub xon_level: u64,
    /// `MEDIA_XOFF` is sent once the queue reaches this.
    pub xoff_level: u64,
    /// Whether the queue is full (incoming audio then dropped).
    pub queue_full: bool,
    /// Whether `START_MEDIA_BUFFERING` is in effect.
    pub bulk_media: bool,
    /// Whether `PAUSE_MEDIA` is in effect.
    pub media_paused: bool,
}

/// An event from Asterisk on a media session. A type this runtime does not
/// know is kept as data (`Unknown`), never an error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// The session's audio parameters (also [`MediaSession::start_event`](super::MediaSession::start_event)).
    MediaStart(MediaStart),
    /// A DTMF digit ended on the channel.
    DtmfEnd {
        /// `0`–`9`, `*`, `#`, `A`–`D`.
        digit: String,
    },
    /// Asterisk's queue reached its high level: the sender waits.
    MediaXoff,
    /// Asterisk's queue is below its low level again: the sender goes on.
    MediaXon,
    /// The queue is empty (after `REPORT_QUEUE_DRAINED`).
    QueueDrained,
    /// Everything sent before `STOP_MEDIA_BUFFERING` has been played.
    MediaBufferingCompleted {
        /// The command's correlation id.
        correlation_id: String,
    },
    /// Everything sent before `MARK_MEDIA` has been played.
    MediaMarkProcessed {
        /// The mark's correlation id.
        correlation_id: String,
    },
    /// The answer to `GET_STATUS`.
    Status(MediaStatus),
    /// Asterisk refused a command.
    Error {
        /// Asterisk's text.
        error_text: String,
    },
    /// An event this runtime does not know, as received.
    Unknown {
        /// Its name (`event` in JSON, the first word in plain text).
        event: String,
        /// The whole message.
        raw: String,
    },
}

/// The dialect of a session's control messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Json,
    PlainText,
}

impl MediaEvent {
    /// Decodes a TEXT frame of either dialect, and says which it was.
    pub(crate) fn decode(text: &str) -> (MediaEvent, Dialect) {
        let trimmed = text.trim();
        if trimmed.starts_with('{') {
            (decode_json(trimmed, text), Dialect::Json)
        } else {
            (decode_plain(trimmed, text), Dialect::PlainText)
        }
    }
}

fn decode_json(trimmed: &str, raw: &str) -> MediaEvent {
    let unknown = |event: &str| MediaEvent::Unknown {
        event: event.to_owned(),
        raw: raw.to_owned(),
    };
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(trimmed)
    else {
        return unknown("");
    };
    let text = |key: &str| match map.get(key) {
        Some(serde_json::Value::String(value)) => value.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let number = |key: &str| {
        map.get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    let flag = |key: &str| {
        map.get(key)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    };
    let event = text("event");
    match event.as_str() {
        "MEDIA_START" => MediaEvent::MediaStart(MediaStart {
            connection_id: text("connection_id"),
            channel: text("channel"),
            channel_id: text("channel_id"),
            format: text("format"),
            optimal_frame_size: usize::try_from(number("optimal_frame_size")).unwrap_or(0),
            ptime: u32::try_from(number("ptime")).unwrap_or(0),
            channel_variables: match map.get("channel_variables") {
                Some(serde_json::Value::Object(vars)) => vars
                    .iter()
                    .map(|(name, value)| {
                        let value = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned);
                        (name.clone(), value)
                    })
                    .collect(),
                _ => BTreeMap::new(),
            },
        }),
        "DTMF_END" => MediaEvent::DtmfEnd {
            digit: text("digit"),
        },
        "MEDIA_XOFF" => MediaEvent::MediaXoff,
        "MEDIA_XON" => MediaEvent::MediaXon,
        "QUEUE_DRAINED" => MediaEvent::QueueDrained,
        "MEDIA_BUFFERING_COMPLETED" => MediaEvent::MediaBufferingCompleted {
            correlation_id: text("correlation_id"),
        },
        "MEDIA_MARK_PROCESSED" => MediaEvent::MediaMarkProcessed {
            correlation_id: text("correlation_id"),
        },
        "STATUS" => MediaEvent::Status(MediaStatus {
            queue_length: number("queue_length"),
            xon_level: number("xon_level"),
            xoff_level: number("xoff_level"),
            queue_full: flag("queue_full"),
            bulk_media: flag("bulk_media"),
            media_paused: flag("media_paused"),
        }),
        "ERROR" => MediaEvent::Error {
            error_text: text("error_text").trim_end().to_owned(),
        },
        other => unknown(other),
    }
}

/// `NAME key:value key:value …`; `ERROR`'s `error_text` runs to the end.
fn decode_plain(trimmed: &str, raw: &str) -> MediaEvent {
    let (name, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    let field = |key: &str| -> String {
        let prefix = format!("{key}:");
        if key == "error_text" {
            return rest
                .find(&prefix)
                .map(|at| rest[at + prefix.len()..].trim().to_owned())
                .unwrap_or_default();
        }
        rest.split(' ')
            .find_map(|pair| pair.strip_prefix(prefix.as_str()))
            .unwrap_or_default()
            .to_owned()
    };
    let number = |key: &str| field(key).parse::<u64>().unwrap_or(0);
    match name {
        "MEDIA_START" => MediaEvent::MediaStart(MediaStart {
            connection_id: field("connection_id"),
            channel: field("channel"),
            channel_id: field("channel_id"),
            format: field("format"),
            optimal_frame_size: usize::try_from(number("optimal_frame_size")).unwrap_or(0),
            ptime: u32::try_from(number("ptime")).unwrap_or(0),
            channel_variables: BTreeMap::new(),
        }),
        "DTMF_END" => MediaEvent::DtmfEnd {
            digit: field("digit"),
        },
        "MEDIA_XOFF" => MediaEvent::MediaXoff,
        "MEDIA_XON" => MediaEvent::MediaXon,
        "QUEUE_DRAINED" => MediaEvent::QueueDrained,
        "MEDIA_BUFFERING_COMPLETED" => MediaEvent::MediaBufferingCompleted {
            correlation_id: rest.trim().to_owned(),
        },
        "MEDIA_MARK_PROCESSED" => MediaEvent::MediaMarkProcessed {
            correlation_id: rest.trim().to_owned(),
        },
        "STATUS" => MediaEvent::Status(MediaStatus {
            queue_length: number("queue_length"),
            xon_level: number("xon_level"),
            xoff_level: number("xoff_level"),
            queue_full: field("queue_full") == "true",
            bulk_media: field("bulk_media") == "true",
            media_paused: field("media_paused") == "true",
        }),
        "ERROR" => MediaEvent::Error {
            error_text: field("error_text"),
        },
        other => MediaEvent::Unknown {
            event: other.to_owned(),
            raw: raw.to_owned(),
        },
    }
}

/// A command to Asterisk on a media session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaCommand {
    /// Answer the channel (when created with `n`, no auto-answer).
    Answer,
    /// Hang the channel up.
    Hangup,
    /// Take audio in chunks of any size until `StopMediaBuffering`.
    StartMediaBuffering,
    /// End buffering; `MEDIA_BUFFERING_COMPLETED` follows once played.
    StopMediaBuffering {
        /// Echoed in the completion event.
        correlation_id: String,
    },
    /// Drop everything queued (barge-in). Pending marks are never reported.
    FlushMedia,
    /// Stop playing, keeping the queue.
    PauseMedia,
    /// Play on after `PauseMedia`.
    ContinueMedia,
    /// `MEDIA_MARK_PROCESSED` once everything sent before it has played.
    MarkMedia {
        /// Echoed in the event.
        correlation_id: String,
    },
    /// Ask for a `STATUS` event.
    GetStatus,
    /// `QUEUE_DRAINED` once the queue is empty.
    ReportQueueDrained,
    /// Which way media flows: `in`, `out` or `both` (JSON dialect only).
    SetMediaDirection {
        /// `in`, `out` or `both`.
        direction: String,
    },
}

/// Asterisk ignores a control message longer than this (`MAX_TEXT_MESSAGE_LEN`).
pub(crate) const MAX_COMMAND_LEN: usize = 128;

impl MediaCommand {
    fn name(&self) -> &'static str {
        match self {
            MediaCommand::Answer => "ANSWER",
            MediaCommand::Hangup => "HANGUP",
            MediaCommand::StartMediaBuffering => "START_MEDIA_BUFFERING",
            MediaCommand::StopMediaBuffering { .. } => "STOP_MEDIA_BUFFERING",
            MediaCommand::FlushMedia => "FLUSH_MEDIA",
            MediaCommand::PauseMedia => "PAUSE_MEDIA",
            MediaCommand::ContinueMedia => "CONTINUE_MEDIA",
            MediaCommand::MarkMedia { .. } => "MARK_MEDIA",
            MediaCommand::GetStatus => "GET_STATUS",
            MediaCommand::ReportQueueDrained => "REPORT_QUEUE_DRAINED",
            MediaCommand::SetMediaDirection { .. } => "SET_MEDIA_DIRECTION",
        }
    }

    /// The TEXT frame in `dialect`; `Err` with the reason when Asterisk
    /// would ignore or refuse it (too long, JSON-only).
    pub(crate) fn encode(&self, dialect: Dialect) -> Result<String, String> {
        let name = self.name();
        let text = match (dialect, self) {
            (
                Dialect::Json,
                MediaCommand::StopMediaBuffering { correlation_id }
                | MediaCommand::MarkMedia { correlation_id },
            ) => serde_json::json!({"command": name, "correlation_id": correlation_id}).to_string(),
            (Dialect::Json, MediaCommand::SetMediaDirection { direction }) => {
                serde_json::json!({"command": name, "direction": direction}).to_string()
            }
            (Dialect::Json, _) => serde_json::json!({ "command": name }).to_string(),
            (Dialect::PlainText, MediaCommand::SetMediaDirection { .. }) => {
                return Err(format!("{name} needs the JSON control format (f(json))"));
            }
            (
                Dialect::PlainText,
                MediaCommand::StopMediaBuffering { correlation_id }
                | MediaCommand::MarkMedia { correlation_id },
            ) => format!("{name} {correlation_id}"),
            (Dialect::PlainText, _) => name.to_owned(),
        };
        if text.len() > MAX_COMMAND_LEN {
            return Err(format!(
                "{name} is {} bytes; Asterisk ignores control messages over {MAX_COMMAND_LEN}",
                text.len()
            ));
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_events_decode_as_asterisk_sends_them() {
        let (start, dialect) = MediaEvent::decode(
            r#"{"event":"MEDIA_START","connection_id":"6f1c","channel":"WebSocket/INCOMING/0x7f12","channel_id":"1761245643.1","format":"ulaw","optimal_frame_size":160,"ptime":20,"channel_variables":{"MEDIA_WEBSOCKET_CONNECTION_ID":"6f1c","MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE":"160"}}"#,
        );
        assert_eq!(dialect, Dialect::Json);
        let MediaEvent::MediaStart(start) = start else {
            panic!("{start:?}")
        };
        assert_eq!(
            (start.format.as_str(), start.optimal_frame_size, start.ptime),
            ("ulaw", 160, 20)
        );
        assert_eq!(
            start.channel_variables["MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE"],
            "160"
        );
        assert_eq!(
            MediaEvent::decode(r#"{"event":"DTMF_END","channel_id":"1.1","digit":"5"}"#).0,
            MediaEvent::DtmfEnd { digit: "5".into() }
        );
        assert_eq!(
            MediaEvent::decode(
                r#"{"event":"MEDIA_MARK_PROCESSED","channel_id":"1.1","correlation_id":"m1"}"#
            )
            .0,
            MediaEvent::MediaMarkProcessed {
                correlation_id: "m1".into()
            }
        );
        assert_eq!(
            MediaEvent::decode(r#"{"event":"ERROR","channel_id":"1.1","error_text":"nope\n"}"#).0,
            MediaEvent::Error {
                error_text: "nope".into()
            }
        );
        let status = MediaEvent::decode(r#"{"event":"STATUS","channel_id":"1","queue_length":12,"xon_level":800,"xoff_level":900,"queue_full":false,"bulk_media":true,"media_paused":false}"#).0;
        assert!(matches!(
            status,
            MediaEvent::Status(MediaStatus {
                queue_length: 12,
                xoff_level: 900,
                bulk_media: true,
                ..
            })
        ));
        let new = r#"{"event":"MEDIA_SOMETHING_NEW","x":1}"#;
        assert_eq!(
            MediaEvent::decode(new).0,
            MediaEvent::Unknown {
                event: "MEDIA_SOMETHING_NEW".into(),
                raw: new.into()
            }
        );
    }

    #[test]
    fn plain_text_events_decode_too() {
        let (start, dialect) = MediaEvent::decode(
            "MEDIA_START connection_id:abc channel:WebSocket/INCOMING/0x1 channel_id:1.2 format:slin16 optimal_frame_size:640 ptime:20",
        );
        assert_eq!(dialect, Dialect::PlainText);
        assert!(
            matches!(start, MediaEvent::MediaStart(MediaStart { optimal_frame_size: 640, ref format, .. }) if format == "slin16")
        );
        assert_eq!(MediaEvent::decode("MEDIA_XOFF").0, MediaEvent::MediaXoff);
        assert_eq!(
            MediaEvent::decode("MEDIA_MARK_PROCESSED m7").0,
            MediaEvent::MediaMarkProcessed {
                correlation_id: "m7".into()
            }
        );
        assert_eq!(
            MediaEvent::decode("ERROR channel_id:1 error_text:MARK_MEDIA not supported here").0,
            MediaEvent::Error {
                error_text: "MARK_MEDIA not supported here".into()
            }
        );
    }

    #[test]
    fn commands_encode_per_dialect_and_refuse_what_asterisk_would_ignore() {
        let mark = MediaCommand::MarkMedia {
            correlation_id: "m1".into(),
        };
        assert_eq!(
            mark.encode(Dialect::Json).unwrap(),
            r#"{"command":"MARK_MEDIA","correlation_id":"m1"}"#
        );
        assert_eq!(mark.encode(Dialect::PlainText).unwrap(), "MARK_MEDIA m1");
        assert_eq!(
            MediaCommand::FlushMedia.encode(Dialect::Json).unwrap(),
            r#"{"command":"FLUSH_MEDIA"}"#
        );
        assert!(
            MediaCommand::SetMediaDirection {
                direction: "in".into()
            }
            .encode(Dialect::PlainText)
            .is_err()
        );
        let long = MediaCommand::MarkMedia {
            correlation_id: "x".repeat(120),
        };
        assert!(long.encode(Dialect::Json).unwrap_err().contains("128"));
    }
}
