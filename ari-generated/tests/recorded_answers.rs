//! Success answers recorded from the real Asterisk 22.10.1 of the harness
//! (`tests/answers/`, refreshed by `cargo xtask record-answers`) decode into
//! their operations' documented types, like the recorded events.

use ari_generated::models::decode_answer;
use std::path::PathBuf;

#[test]
fn every_recorded_answer_decodes_into_its_documented_type() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/answers");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    // The harness serves most operations with a JSON answer.
    assert!(files.len() >= 40, "only {} recorded answers", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let record: serde_json::Value = serde_json::from_str(&text).unwrap();
        let field = |name: &str| record[name].as_str().unwrap_or_default().to_owned();
        let (method, template, body) = (field("method"), field("template"), field("body"));
        match decode_answer(&method, &template, body.as_bytes()) {
            Some(Ok(())) => {}
            Some(Err(error)) => failures.push(format!("{}: {error}", file.display())),
            None => failures.push(format!(
                "{}: no operation {method} {template}",
                file.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
