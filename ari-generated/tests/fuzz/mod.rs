//! The differential check of the event decoder: for any text, the fast
//! path with its serde fallback (`Path::Auto`) must give what serde alone
//! gives, the fast path alone must never give anything else, and nothing
//! may panic.

pub mod json;
pub mod mutate;
pub mod rng;

use ari_generated::models::Message;
use ari_generated::runtime::decode::Path;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The recorded real messages, one per line.
pub fn recorded() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/events");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let lines: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let text =
                std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!lines.is_empty(), "no recorded events in {}", dir.display());
    lines
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: u64,
    /// Inputs serde accepts (the rest are broken on purpose).
    pub accepted: u64,
    /// Inputs the fast path settled alone.
    pub fast: u64,
    pub divergences: Vec<String>,
    /// The slowest input's decode through `Auto`, serde's time for it, and its length.
    pub slowest: (Duration, Duration, usize),
}

/// Checks `inputs` mutated messages made from `seed`, then the recorded
/// messages themselves.
pub fn run(seed: u64, inputs: u64) -> Report {
    let seeds: Vec<json::Json> = recorded()
        .iter()
        .map(|line| json::Json::parse(line).expect("a recorded message is JSON"))
        .collect();
    let mut rng = rng::Rng::new(seed);
    let mut report = Report::default();
    for (i, line) in recorded().iter().enumerate() {
        check(line, &format!("recorded message {i}"), &mut report);
    }
    for index in 0..inputs {
        let base = rng.pick(&seeds);
        let text = mutate::mutate(base, &mut rng);
        check(&text, &format!("seed {seed}, input {index}"), &mut report);
        if report.divergences.len() >= 20 {
            break;
        }
    }
    report
}

/// Holds one text against serde; a divergence is added to the report.
pub fn check(text: &str, origin: &str, report: &mut Report) {
    report.inputs += 1;
    let started = Instant::now();
    let auto = decode(text, Path::Auto);
    let auto_time = started.elapsed();
    let started = Instant::now();
    let serde = decode(text, Path::SerdeOnly);
    let serde_time = started.elapsed();
    let fast = decode(text, Path::FastOnly);
    if auto_time > report.slowest.0 {
        report.slowest = (auto_time, serde_time, text.len());
    }
    let mut problems = Vec::new();
    for (name, outcome) in [("Auto", &auto), ("SerdeOnly", &serde), ("FastOnly", &fast)] {
        if let Err(Some(panic)) = outcome {
            problems.push(format!("{name} panicked: {panic}"));
        }
    }
    match (&auto, &serde) {
        (Ok(a), Ok(s)) => {
            report.accepted += 1;
            if let Some(difference) = difference(a, s) {
                problems.push(format!("Auto ≠ SerdeOnly: {difference}"));
            }
        }
        (Err(None), Err(None)) => {}
        (Ok(_), Err(None)) => problems.push("Auto accepts what serde refuses".to_owned()),
        (Err(None), Ok(_)) => problems.push("Auto refuses what serde accepts".to_owned()),
        _ => {}
    }
    if let Ok(f) = &fast {
        report.fast += 1;
        match &serde {
            Ok(s) => {
                if let Some(difference) = difference(f, s) {
                    problems.push(format!("FastOnly ≠ SerdeOnly: {difference}"));
                }
            }
            Err(_) => problems.push("FastOnly accepts what serde refuses".to_owned()),
        }
    }
    if !problems.is_empty() {
        report.divergences.push(format!(
            "{origin}: {}\n  input: {}",
            problems.join("; "),
            shown(text)
        ));
    }
}

/// The decode, with a panic caught as `Err(Some(message))`.
fn decode(text: &str, path: Path) -> Result<Message, Option<String>> {
    match catch_unwind(AssertUnwindSafe(|| Message::from_json_via(text, path))) {
        Ok(Ok(message)) => Ok(message),
        Ok(Err(_)) => Err(None),
        Err(panic) => Err(Some(
            panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default(),
        )),
    }
}

/// Values compare equal, and serialize to the same text (which tells
/// `-0.0` from `0.0` and keeps unknown messages' raw text).
fn difference(a: &Message, b: &Message) -> Option<String> {
    let (text_a, text_b) = (serde_json::to_string(a).ok(), serde_json::to_string(b).ok());
    if a != b || text_a != text_b {
        Some(format!("{a:?}\n  vs {b:?}"))
    } else {
        None
    }
}

/// The input as a Rust string literal, cut when huge.
fn shown(text: &str) -> String {
    const MAX: usize = 4000;
    if text.len() <= MAX {
        format!("{text:?}")
    } else {
        let mut end = MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{:?}… ({} bytes)", &text[..end], text.len())
    }
}
