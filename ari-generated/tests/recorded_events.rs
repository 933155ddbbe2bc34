//! Every message recorded from a real Asterisk decodes into its typed
//! variant and re-serializes with nothing lost.

use ari_generated::models::Message;
use std::path::PathBuf;

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/events");
    let mut lines = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            lines.push((
                format!("{}:{}", path.display(), number + 1),
                line.to_owned(),
            ));
        }
    }
    assert!(!lines.is_empty(), "no recorded events in {}", dir.display());
    lines
}

#[test]
fn every_recorded_message_decodes_into_its_typed_variant() {
    let mut failures = Vec::new();
    for (at, line) in corpus() {
        match Message::from_json(&line) {
            Ok(Message::Unknown(unknown)) => {
                failures.push(format!("{at}: `{}` fell to Unknown", unknown.kind))
            }
            Ok(message) => {
                let original: serde_json::Value = serde_json::from_str(&line).unwrap();
                let again = serde_json::to_value(&message).unwrap();
                if original != again {
                    failures.push(format!(
                        "{at}: re-serialized differs:\n  in:  {original}\n  out: {again}"
                    ));
                }
                assert_eq!(Some(message.kind()), original["type"].as_str());
            }
            Err(error) => failures.push(format!("{at}: {error}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn common_fields_are_reachable() {
    for (at, line) in corpus() {
        let message = Message::from_json(&line).unwrap();
        let original: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            message.application(),
            original["application"].as_str(),
            "{at}"
        );
        assert_eq!(
            message.asterisk_id(),
            original["asterisk_id"].as_str(),
            "{at}"
        );
        assert_eq!(
            message.timestamp().map(|t| t.to_string()),
            original["timestamp"].as_str().map(str::to_owned),
            "{at}"
        );
    }
}

#[test]
fn an_unknown_type_is_data_with_its_raw_text() {
    let text = r#"{"application":"app","type":"ChannelTeleported","timestamp":"2026-11-22T10:00:00.123+0000","destination":"mars"}"#;
    let Message::Unknown(unknown) = Message::from_json(text).unwrap() else {
        panic!("a new event type must arrive as Unknown");
    };
    assert_eq!(unknown.kind, "ChannelTeleported");
    assert_eq!(unknown.raw.get(), text);
    assert_eq!(unknown.application.as_deref(), Some("app"));
    let message = Message::Unknown(unknown);
    assert_eq!(message.kind(), "ChannelTeleported");
    assert_eq!(
        message.timestamp().map(|t| t.unix_millis()),
        Some(1_795_341_600_123)
    );
    assert_eq!(serde_json::to_string(&message).unwrap(), text);
}

#[test]
fn a_known_type_with_a_broken_body_is_an_error_keeping_the_raw_text() {
    let text = r#"{"type":"StasisStart","application":"app","timestamp":"2026-11-22T10:00:00.123+0000","channel":42}"#;
    let error = Message::from_json(text).unwrap_err();
    assert_eq!(error.kind.as_deref(), Some("StasisStart"));
    assert_eq!(error.raw, text);
}

#[test]
fn malformed_frames_are_errors() {
    for text in ["", "not json", "[]", r#"{"no_type":1}"#, r#"{"type":7}"#] {
        let error = Message::from_json(text).unwrap_err();
        assert_eq!(error.kind, None, "{text}");
    }
}

#[test]
fn open_enums_keep_unknown_values() {
    use ari_generated::models::ChannelState;
    let state: ChannelState = serde_json::from_str(r#""Pre-ring""#).unwrap();
    assert_eq!(state, ChannelState::PreRing);
    let state: ChannelState = serde_json::from_str(r#""Teleporting""#).unwrap();
    assert_eq!(state, ChannelState::Other("Teleporting".into()));
    assert_eq!(serde_json::to_string(&state).unwrap(), r#""Teleporting""#);
}

#[test]
fn fields_several_events_share_are_reachable() {
    let mut seen_channel = 0;
    for (at, line) in corpus() {
        let message = Message::from_json(&line).unwrap();
        let original: serde_json::Value = serde_json::from_str(&line).unwrap();
        let channel_id = message.channel().map(|c| c.id.as_str());
        // `Dial` names its channels `peer` and `caller`, so only `channel` counts here.
        assert_eq!(channel_id, original["channel"]["id"].as_str(), "{at}");
        assert_eq!(
            message.bridge().map(|b| b.id.as_str()),
            original["bridge"]["id"].as_str(),
            "{at}"
        );
        assert_eq!(
            message.playback().map(|p| p.id.as_str()),
            original["playback"]["id"].as_str(),
            "{at}"
        );
        seen_channel += usize::from(channel_id.is_some());
    }
    assert!(seen_channel > 10, "the corpus has channel events");
}
