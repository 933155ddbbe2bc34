//! The event decoder's fast path held against serde on mutated real
//! messages (`cargo test -- fuzz`). `ARI_FUZZ_INPUTS` and `ARI_FUZZ_SEED`
//! set the amount and the seed; `cargo xtask fuzz --inputs N --seed S`
//! runs any amount in release mode.

mod fuzz;

use ari_generated::models::Message;
use ari_generated::runtime::decode::Path;

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
        Err(_) => default,
    }
}

#[test]
fn fuzz_decoder_matches_serde_on_mutated_messages() {
    let inputs = env_number("ARI_FUZZ_INPUTS", 100_000);
    let seed = env_number("ARI_FUZZ_SEED", 0x00A1_2026);
    let started = std::time::Instant::now();
    let report = fuzz::run(seed, inputs);
    let (slowest, slowest_serde, slowest_len) = report.slowest;
    println!(
        "fuzz: seed {seed}, {} inputs ({} accepted by serde, {} settled by the fast path alone), \
         {} divergences, {:.1?} in all; slowest input {slowest:.1?} through Auto \
         ({slowest_serde:.1?} through serde alone, {slowest_len} bytes)",
        report.inputs,
        report.accepted,
        report.fast,
        report.divergences.len(),
        started.elapsed(),
    );
    assert!(
        report.divergences.is_empty(),
        "{} divergences:\n{}",
        report.divergences.len(),
        report.divergences.join("\n")
    );
    // A generator that only broke its inputs would prove nothing.
    assert!(
        report.accepted * 10 > report.inputs && report.fast * 10 > report.inputs,
        "too few inputs decoded: {report:?}"
    );
}

/// Minimal inputs of divergences the fuzzer found, kept.
#[test]
fn fuzz_regressions_agree_with_serde() {
    let base = r#"{"type":"ChannelVarset","variable":"X","value":"1","application":"app","timestamp":"2026-11-22T10:00:00.123+0000"CHANNEL}"#;
    let deep = |levels: usize| "[".repeat(levels) + &"]".repeat(levels);
    let cases = [
        // `-0` is a float to serde, so no integer field takes it.
        r#"{"type":"ChannelDtmfReceived","digit":"1","duration_ms":-0,"channel":CH,"application":"a","timestamp":"2026-11-22T10:00:00.123+0000"}"#
            .replace("CH", &channel()),
        // 127 levels in all are the most serde reads: the message, its
        // channel and `channelvars` are three of them.
        base.replace("CHANNEL", &format!(r#","channel":{}"#, with_vars(&deep(123)))),
        base.replace("CHANNEL", &format!(r#","channel":{}"#, with_vars(&deep(124)))),
        base.replace("CHANNEL", &format!(r#","channel":{}"#, with_vars(&deep(125)))),
        // Escapes of every kind, in a value the fast path unescapes itself.
        base.replace("\"X\"", r#""a\"b\\c\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00""#).replace("CHANNEL", ""),
        base.replace("\"X\"", r#""lone \ud800 high""#).replace("CHANNEL", ""),
        base.replace("\"X\"", r#""lone \udc00 low""#).replace("CHANNEL", ""),
        base.replace("\"X\"", r#""\ud800\u0041""#).replace("CHANNEL", ""),
        // An unknown type whose later member name serde cannot read as a
        // string: the head scan stops at `type`, the full scan does not.
        r#"{"type":"NewEvent","\ud800x":1}"#.to_owned(),
    ];
    let mut report = fuzz::Report::default();
    for (i, case) in cases.iter().enumerate() {
        fuzz::check(case, &format!("case {i}"), &mut report);
    }
    assert!(
        report.divergences.is_empty(),
        "{}",
        report.divergences.join("\n")
    );
    // The cases mean what they say: the depth cases straddle serde's limit.
    let serde_accepts = |text: &str| Message::from_json_via(text, Path::SerdeOnly).is_ok();
    assert!(serde_accepts(&cases[1]) && serde_accepts(&cases[2]));
    assert!(!serde_accepts(&cases[3]) && !serde_accepts(&cases[0]));
    assert!(serde_accepts(&cases[4]) && !serde_accepts(&cases[5]));
}

fn channel() -> String {
    r#"{"id":"1","name":"PJSIP/a-1","state":"Up","protocol_id":"","caller":{"name":"","number":""},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"default","exten":"s","priority":1,"app_name":"","app_data":""},"creationtime":"2026-11-22T10:00:00.123+0000","language":"en"}"#.to_owned()
}

/// The channel with a `channelvars` member holding `value`.
fn with_vars(value: &str) -> String {
    let channel = channel();
    format!(
        r#"{},"channelvars":{{"v":{value}}}}}"#,
        &channel[..channel.len() - 1]
    )
}
