//! Every api-docs folder in `../shared/api-docs` (and the hostile fixture)
//! generates and compiles, through the path users take: a fresh project that
//! depends on `ari-generated` with the `codegen` feature and points
//! `ARI_API_DOCS` at the folder. One target dir serves every run, so only
//! `ari-generated` and the project are rebuilt per version.

mod common;

use ari_codegen::{ApiDocs, Summary};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn shared_versions() -> Vec<(String, PathBuf)> {
    let shared = workspace_root().join("../shared/api-docs");
    let mut inputs: Vec<(String, PathBuf)> = std::fs::read_dir(&shared)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (CI checks out ../shared beside the clone)",
                shared.display()
            )
        })
        .filter_map(Result::ok)
        .filter(|e| e.path().join("resources.json").is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 2,
        "expected several versions in {}",
        shared.display()
    );
    inputs
}

/// A project outside the workspace that depends on `ari-generated`.
struct Project {
    dir: PathBuf,
    target: PathBuf,
}

impl Project {
    fn new(name: &str, features: &str) -> Project {
        let root = workspace_root();
        let work = root.join("target/cross-version");
        let dir = work.join(name);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [dependencies]\nari-generated = {{ path = \"{}\"{features} }}\n\n[workspace]\n",
                root.join("ari-generated").display()
            ),
        )
        .unwrap();
        if !dir.join("Cargo.lock").exists() {
            let _ = std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"));
        }
        Project {
            dir,
            target: work.join("target"),
        }
    }

    fn check(&self, main_rs: &str, api_docs: &Path) -> Output {
        std::fs::write(self.dir.join("src/main.rs"), main_rs).unwrap();
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["check", "--quiet", "--message-format=short"])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env("ARI_API_DOCS", api_docs)
            .env("RUSTFLAGS", "-D warnings")
            .output()
            .expect("cargo runs")
    }
}

const SAME: &str = "const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() { return false; }
    let mut i = 0;
    while i < a.len() { if a[i] != b[i] { return false; } i += 1; }
    true
}
";

/// A program that only compiles when the constants are those of `docs`,
/// and that calls `extra` (operations of that version).
fn program(digest: &str, api_version: &str, extra: &str) -> String {
    format!(
        "{SAME}
const _: () = assert!(same(ari_generated::API_DOCS_DIGEST, \"{digest}\"));
const _: () = assert!(same(ari_generated::API_VERSION, \"{api_version}\"));
fn main() {{
    let client = ari_generated::Client::new(\"http://127.0.0.1:1\", \"user\", \"password\").expect(\"client\");
    let _ = &client;
    {extra}
    println!(\"{{}}\", ari_generated::models::Message::KNOWN_TYPES.len());
}}
"
    )
}

fn has_operation(api: &ari_codegen::ir::Api, resource: &str, nickname: &str) -> bool {
    api.resources
        .get(resource)
        .is_some_and(|r| r.operations.iter().any(|op| op.api_name == nickname))
}

#[test]
fn every_version_builds_through_ari_api_docs() {
    let project = Project::new("consumer", ", features = [\"codegen\"]");
    let mut inputs = shared_versions();
    inputs.push((
        "hostile".into(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile"),
    ));
    let mut report = Vec::new();
    let mut digests = std::collections::BTreeSet::new();
    for (label, dir) in &inputs {
        let docs = ApiDocs::from_dir(dir).unwrap_or_else(|e| panic!("{label}: {e}"));
        let api =
            ari_codegen::normalize::normalize(&docs).unwrap_or_else(|e| panic!("{label}: {e}"));
        report.push(format!("{label}: {}", Summary::of(&api)));
        digests.insert(api.meta.digest.clone());
        // A version-specific operation: claiming a broadcast channel exists
        // only in recent releases; the hostile fixture has its own.
        let mut extra = String::new();
        if has_operation(&api, "events", "claimChannel") {
            extra
                .push_str("let _claim = client.events().claim_channel(\"channel-id\", \"app\");\n");
        }
        if has_operation(&api, "things", "move") {
            extra.push_str("let _moved = client.things().move_(\"thing-id\", \"here\", 1);\n");
        }
        let main_rs = program(
            &api.meta.digest,
            api.meta.api_version.as_deref().unwrap_or(""),
            &extra,
        );
        let output = project.check(&main_rs, dir);
        assert!(
            output.status.success(),
            "{label} does not build through ARI_API_DOCS:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    println!("{}", report.join("\n"));
    assert_eq!(
        digests.len(),
        inputs.len() - count_identical(&inputs),
        "digests follow the content"
    );
}

/// Folders whose files are identical share a digest, and only those.
fn count_identical(inputs: &[(String, PathBuf)]) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    inputs
        .iter()
        .filter(|(_, dir)| {
            let mut names: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            names.sort();
            let contents: Vec<(PathBuf, Vec<u8>)> = names
                .into_iter()
                .map(|p| (p.file_name().unwrap().into(), std::fs::read(&p).unwrap()))
                .collect();
            !seen.insert(contents)
        })
        .count()
}

#[test]
fn an_operation_missing_from_the_version_does_not_compile() {
    let project = Project::new("consumer-old", ", features = [\"codegen\"]");
    let (_, old) = shared_versions()
        .into_iter()
        .find(|(label, _)| label.starts_with("12."))
        .expect("12.x in shared");
    let docs = ApiDocs::from_dir(&old).unwrap();
    let api = ari_codegen::normalize::normalize(&docs).unwrap();
    assert!(!has_operation(&api, "events", "claimChannel"));
    let main_rs = program(
        &api.meta.digest,
        api.meta.api_version.as_deref().unwrap_or(""),
        "let _claim = client.events().claim_channel(\"channel-id\", \"app\");",
    );
    let output = project.check(&main_rs, &old);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("claim_channel"), "{stderr}");
}

#[test]
fn bad_api_docs_fail_the_build_naming_file_and_path() {
    let project = Project::new("consumer-bad", ", features = [\"codegen\"]");
    let bad = workspace_root().join("target/cross-version/bad-api-docs");
    std::fs::create_dir_all(&bad).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), bad.join(entry.file_name())).unwrap();
    }
    let things = std::fs::read_to_string(bad.join("things.json"))
        .unwrap()
        .replace("\"paramType\": \"path\"", "\"paramType\": \"cookie\"");
    std::fs::write(bad.join("things.json"), things).unwrap();
    let output = project.check(&program("", "", ""), &bad);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("things.json: $.apis[2].operations[0].parameters[0].paramType"),
        "{stderr}"
    );
}

#[test]
fn ari_api_docs_without_the_feature_names_the_feature() {
    let project = Project::new("consumer-no-feature", "");
    let (_, dir) = shared_versions().remove(0);
    let output = project.check(&program("", "", ""), &dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("`codegen` feature"), "{stderr}");
}

/// `ari-codegen generate --crate-name` writes a crate that compiles on its
/// own: its bindings over `ari-runtime`, nothing of `ari-generated`.
#[test]
fn a_standalone_crate_compiles() {
    let root = workspace_root();
    let work = root.join("target/cross-version");
    let crate_dir = work.join("standalone");
    let (_, dir) = shared_versions()
        .into_iter()
        .find(|(label, _)| label.starts_with("20."))
        .expect("20.x in shared");
    let output = Command::new(env!("CARGO_BIN_EXE_ari-codegen"))
        .args(["generate", "--api-docs"])
        .arg(&dir)
        .arg("--out")
        .arg(&crate_dir)
        .args(["--crate-name", "my-ari-bindings", "--runtime"])
        .arg(format!(
            "{{ path = \"{}\" }}",
            root.join("ari-runtime").display()
        ))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated_manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(
        generated_manifest.contains("ari-runtime") && !generated_manifest.contains("ari-generated"),
        "{generated_manifest}"
    );
    std::fs::copy(root.join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    let mut manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    manifest.push_str("\n[workspace]\n");
    std::fs::write(crate_dir.join("Cargo.toml"), manifest).unwrap();
    // A user of the crate reaches this crate's bindings (20.x, apiVersion
    // 8.0.0), not the 22.x ones `ari-generated` itself carries: the builder
    // type is this crate's, so are `API_VERSION` and the messages of
    // `event_stream`.
    std::fs::create_dir_all(crate_dir.join("examples")).unwrap();
    std::fs::write(
        crate_dir.join("examples/use.rs"),
        concat!(
            "use my_ari_bindings::{models::Message, runtime::{ConnectError, EventStream}};\n",
            "async fn events(client: &my_ari_bindings::Client) -> Result<EventStream<Message>, ConnectError> {\n",
            "    client.event_stream([\"app\"]).subscribe_all(true).buffer(16).connect().await\n",
            "}\n",
            "fn main() {\n",
            "    let client = my_ari_bindings::Client::new(\"http://127.0.0.1:1\", \"u\", \"p\").unwrap();\n",
            "    let _request: my_ari_bindings::channels::ListRequest = client.channels().list();\n",
            "    let built: my_ari_bindings::Client = my_ari_bindings::Client::builder(\"http://127.0.0.1:1\").build().unwrap();\n",
            "    let _check = built.check_version();\n",
            "    let _events = events(&client);\n",
            "    assert_eq!(my_ari_bindings::API_VERSION, \"8.0.0\");\n",
            "}\n",
        ),
    )
    .unwrap();
    common::check_crate(
        &crate_dir,
        &["--examples"],
        "the standalone crate does not compile",
    );
}
