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

// ------------------------------------------------------------------ fast path
//
// `Message::from_json` decodes through the generated fast path and falls back
// to serde for whatever it does not settle. These tests hold it to serde: on
// every recorded message and on many rewritten or broken variants of each,
// the fast path alone either declines or gives exactly serde's value, and
// the combined decode gives serde's value or fails where serde fails.

use ari_generated::runtime::decode::Path;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON tree that keeps member order, so that a rewrite changes only what
/// it means to.
#[derive(Debug, Clone)]
enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Text(String),
    List(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Node, E> {
                serde_json::Number::from_f64(v)
                    .map(Node::Number)
                    .ok_or_else(|| E::custom("not a JSON number"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Text(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Node::Object(members))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

#[derive(Clone, Copy, Default)]
struct Style {
    /// Whitespace around every token.
    spaced: bool,
    /// Every character of string values written as `\uXXXX`.
    escaped_values: bool,
    /// Member names escaped too.
    escaped_names: bool,
}

fn write_string(out: &mut String, text: &str, escaped: bool) {
    if escaped {
        out.push('"');
        for unit in text.encode_utf16() {
            out.push_str(&format!("\\u{unit:04x}"));
        }
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(text).unwrap());
    }
}

fn write(node: &Node, style: Style, out: &mut String) {
    let gap = if style.spaced { " \n\t " } else { "" };
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(v) => out.push_str(&v.to_string()),
        Node::Number(v) => out.push_str(&v.to_string()),
        Node::Text(v) => write_string(out, v, style.escaped_values),
        Node::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { gap } else { "," });
                out.push_str(gap);
                write(item, style, out);
            }
            out.push_str(gap);
            out.push(']');
        }
        Node::Object(members) => {
            out.push('{');
            for (i, (name, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(gap);
                write_string(out, name, style.escaped_names);
                out.push_str(gap);
                out.push(':');
                out.push_str(gap);
                write(value, style, out);
            }
            out.push_str(gap);
            out.push('}');
        }
    }
}

fn text(node: &Node, style: Style) -> String {
    let mut out = String::new();
    write(node, style, &mut out);
    out
}

/// Every object in the tree, as paths of member indexes.
fn object_paths(node: &Node, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    if let Node::Object(members) = node {
        out.push(path.clone());
        for (i, (_, value)) in members.iter().enumerate() {
            path.push(i);
            object_paths(value, path, out);
            path.pop();
        }
    }
}

type Members = Vec<(String, Node)>;

fn members_at<'a>(node: &'a mut Node, path: &[usize]) -> &'a mut Members {
    let Node::Object(members) = node else {
        panic!("not an object")
    };
    match path.split_first() {
        None => members,
        Some((first, rest)) => members_at(&mut members[*first].1, rest),
    }
}

/// Rewrites of one message: valid JSON of another shape, values of the
/// wrong type, and broken texts.
fn variants(line: &str) -> Vec<(String, String)> {
    let root: Node = serde_json::from_str(line).unwrap();
    let mut out = vec![
        ("as recorded".to_owned(), line.to_owned()),
        (
            "spaced".to_owned(),
            text(
                &root,
                Style {
                    spaced: true,
                    ..Style::default()
                },
            ),
        ),
        (
            "escaped values".to_owned(),
            text(
                &root,
                Style {
                    escaped_values: true,
                    ..Style::default()
                },
            ),
        ),
        (
            "escaped names".to_owned(),
            text(
                &root,
                Style {
                    escaped_names: true,
                    ..Style::default()
                },
            ),
        ),
    ];
    let mut paths = Vec::new();
    object_paths(&root, &mut Vec::new(), &mut paths);
    let unknown: Node =
        serde_json::from_str(r#"{"a":[1,-2.5e3,{"b":null,"c":true}],"d":"\"q\\u00e9\"","e":[]}"#)
            .unwrap();
    for path in &paths {
        let mut with_unknown = root.clone();
        members_at(&mut with_unknown, path).insert(0, ("zz_unknown".into(), unknown.clone()));
        out.push((
            format!("unknown member at {path:?}"),
            text(&with_unknown, Style::default()),
        ));

        let mut reversed = root.clone();
        members_at(&mut reversed, path).reverse();
        out.push((
            format!("reversed at {path:?}"),
            text(&reversed, Style::default()),
        ));

        let count = members_at(&mut root.clone(), path).len();
        for i in 0..count {
            let rewrite = |change: &dyn Fn(&mut Members)| {
                let mut node = root.clone();
                change(members_at(&mut node, path));
                text(&node, Style::default())
            };
            let at = format!("member {i} of {path:?}");
            out.push((format!("{at} removed"), rewrite(&|m| drop(m.remove(i)))));
            out.push((format!("{at} null"), rewrite(&|m| m[i].1 = Node::Null)));
            out.push((format!("{at} twice"), rewrite(&|m| m.push(m[i].clone()))));
            out.push((
                format!("{at} as a string"),
                rewrite(&|m| m[i].1 = Node::Text("1".into())),
            ));
            out.push((
                format!("{at} as a number"),
                rewrite(&|m| m[i].1 = Node::Number(7.into())),
            ));
            out.push((
                format!("{at} as a fraction"),
                rewrite(&|m| m[i].1 = Node::Number(serde_json::Number::from_f64(1.5).unwrap())),
            ));
            out.push((
                format!("{at} as a huge number"),
                rewrite(&|m| m[i].1 = Node::Number(u64::MAX.into())),
            ));
            out.push((
                format!("{at} as an object"),
                rewrite(&|m| m[i].1 = Node::Object(Vec::new())),
            ));
            out.push((
                format!("{at} as a list"),
                rewrite(&|m| m[i].1 = Node::List(vec![Node::Bool(true)])),
            ));
        }
    }
    // Broken texts.
    for cut in (1..line.len()).step_by(7) {
        if line.is_char_boundary(cut) {
            out.push((format!("cut at {cut}"), line[..cut].to_owned()));
        }
    }
    out.push(("trailing garbage".into(), format!("{line} x")));
    out.push((
        "trailing comma".into(),
        format!("{},}}", &line[..line.len() - 1]),
    ));
    out.push((
        "control character".into(),
        line.replacen("\":\"", "\":\"\u{1}", 1),
    ));
    out.push(("bad escape".into(), line.replacen("\":\"", "\":\"\\q", 1)));
    out.push(("leading zero".into(), line.replacen(":1", ":01", 1)));
    out
}

#[test]
fn the_fast_path_gives_serdes_answer_or_none() {
    let mut checked = 0usize;
    let mut fast = 0usize;
    let mut failures = Vec::new();
    for (at, line) in corpus() {
        // Real messages never need serde.
        if let Err(error) = Message::from_json_via(&line, Path::FastOnly) {
            failures.push(format!(
                "{at}: the fast path declined a recorded message: {error}"
            ));
        }
        for (rewrite, text) in variants(&line) {
            checked += 1;
            let serde = Message::from_json_via(&text, Path::SerdeOnly).ok();
            let only_fast = Message::from_json_via(&text, Path::FastOnly).ok();
            let auto = Message::from_json_via(&text, Path::Auto).ok();
            if let Some(value) = &only_fast {
                fast += 1;
                if serde.as_ref() != Some(value) {
                    failures.push(format!(
                        "{at} ({rewrite}): the fast path gave {value:?}, serde {serde:?}\n  {text}"
                    ));
                }
            }
            if auto != serde {
                failures.push(format!(
                    "{at} ({rewrite}): from_json gave {auto:?}, serde {serde:?}\n  {text}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The rewrites must exercise both paths.
    assert!(
        fast > checked / 10 && fast < checked,
        "{fast} of {checked} decoded fast"
    );
    eprintln!("{checked} texts checked, {fast} settled by the fast path");
}

/// Asterisk fills `int` properties from C `unsigned int` (RTP SSRCs and
/// counters): an answer of `channels.rtpstatistics` from a phone whose SSRC
/// is 2³¹ or more must decode, as must every integer Jansson can write.
#[test]
fn integers_hold_every_value_asterisk_writes() {
    let body = serde_json::json!({
        "channel_uniqueid": "1795371843.3",
        "local_ssrc": 3_735_928_559u32,
        "remote_ssrc": u32::MAX,
        "rxcount": u32::MAX,
        "rxoctetcount": 4_294_967_296u64,
        "rxploss": -1,
        "txcount": 7,
        "txoctetcount": i64::MAX,
        "txploss": i64::MIN,
        "rxjitter": 0.5,
        "txjitter": 0.25,
    })
    .to_string();
    let stats: ari_generated::models::RTPstat =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(stats.local_ssrc, 3_735_928_559);
    assert_eq!(stats.remote_ssrc, i64::from(u32::MAX));
    assert_eq!(stats.txoctetcount, i64::MAX);
    assert_eq!(stats.txploss, i64::MIN);
    // The same through the event decoder, for an `int` of an event.
    let dtmf = r#"{"type":"ChannelDtmfReceived","digit":"1","duration_ms":4294967295,"channel":{"id":"1","name":"PJSIP/a-1","state":"Up","protocol_id":"","caller":{"name":"","number":""},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"default","exten":"s","priority":4294967295,"app_name":"","app_data":""},"creationtime":"2026-11-22T10:00:00.123+0000","language":"en"},"application":"a","timestamp":"2026-11-22T10:00:00.123+0000"}"#;
    match Message::from_json(dtmf) {
        Ok(Message::ChannelDtmfReceived(event)) => {
            assert_eq!(event.duration_ms, i64::from(u32::MAX));
            assert_eq!(event.channel.dialplan.priority, i64::from(u32::MAX));
        }
        other => panic!("{other:?}"),
    }
}
