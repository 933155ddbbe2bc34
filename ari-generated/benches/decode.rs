//! Typed decode vs untyped: every recorded Asterisk 22.10.1 message into the
//! typed `Message` enum, and into `serde_json::Value`.
//!
//! The corpus is read at run time from the shared folder beside the
//! workspace (`../shared/events/…`), never copied into the project.
//! `cargo bench -p ari-generated --bench decode`

use ari_generated::models::Message;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/events/asterisk-22.10.1-scenarios.jsonl"
);

fn corpus() -> Vec<String> {
    let text = std::fs::read_to_string(CORPUS)
        .unwrap_or_else(|error| panic!("cannot read the event corpus {CORPUS}: {error}"));
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn decode(c: &mut Criterion) {
    let lines = corpus();
    let bytes: usize = lines.iter().map(String::len).sum();
    // Every recorded message must decode into a known, typed variant.
    for line in &lines {
        match Message::from_json(line) {
            Ok(Message::Unknown(unknown)) => panic!("unknown type {}", unknown.kind),
            Ok(_) => {}
            Err(error) => panic!("{error}: {line}"),
        }
    }

    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("typed_message", |b| {
        b.iter(|| {
            for line in &lines {
                black_box(Message::from_json(black_box(line)).ok());
            }
        })
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for line in &lines {
                black_box(serde_json::from_str::<serde_json::Value>(black_box(line)).ok());
            }
        })
    });
    group.bench_function("discriminator_only", |b| {
        b.iter(|| {
            for line in &lines {
                black_box(
                    ari_generated::runtime::wire::discriminator(black_box(line), "type").ok(),
                );
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("decode_bytes");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("typed_message", |b| {
        b.iter(|| {
            for line in &lines {
                black_box(Message::from_json(black_box(line)).ok());
            }
        })
    });
    group.finish();

    // A megabyte of escaped strings: the fast path unescapes them itself, so
    // it must not fall behind serde there (it was 1.6× slower when it handed
    // each escaped string to serde).
    let escaped = megabyte_of_escapes(&lines);
    let mut group = c.benchmark_group("decode_escaped_megabyte");
    group.throughput(Throughput::Bytes(escaped.len() as u64));
    group.sample_size(20);
    for (name, path) in [
        ("auto", ari_generated::runtime::decode::Path::Auto),
        (
            "serde_only",
            ari_generated::runtime::decode::Path::SerdeOnly,
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(Message::from_json_via(black_box(&escaped), path).ok()))
        });
    }
    group.finish();
}

/// A recorded `ChannelVarset` whose value is a megabyte of short strings'
/// worth of escapes (quotes, backslashes, `\n`, `\u00e9`, surrogate pairs).
fn megabyte_of_escapes(lines: &[String]) -> String {
    let line = lines
        .iter()
        .find(|line| line.contains(r#""type":"ChannelVarset""#))
        .expect("the corpus has a ChannelVarset");
    let mut message: serde_json::Value = serde_json::from_str(line).unwrap();
    let piece = "a\"b\\c\n\u{e9}\u{1f600} ";
    message["value"] = serde_json::Value::String(piece.repeat((1 << 20) / piece.len()));
    let text = serde_json::to_string(&message).unwrap();
    let text = text
        .replace('\u{e9}', "\\u00e9")
        .replace('\u{1f600}', "\\ud83d\\ude00");
    assert!(matches!(
        Message::from_json(&text),
        Ok(Message::ChannelVarset(_))
    ));
    text
}

criterion_group!(benches, decode);
criterion_main!(benches);
