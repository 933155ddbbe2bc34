//! Every api-docs folder in `../shared/api-docs` (and the hostile fixture)
//! generates, and the generated crate compiles: a temporary workspace holds
//! one copy of `ari-generated` per input, checked with one shared target dir.

use ari_codegen::{ApiDocs, Summary};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn inputs() -> Vec<(String, PathBuf)> {
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
    inputs.push((
        "hostile".to_owned(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile"),
    ));
    inputs
}

/// `ari-generated/Cargo.toml` without targets or dev-dependencies, renamed.
fn member_manifest(original: &str, name: &str) -> String {
    let mut out = String::new();
    let mut keep = true;
    for line in original.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            keep = matches!(
                trimmed,
                "[package]" | "[dependencies]" | "[features]" | "[build-dependencies]"
            ) || trimmed.starts_with("[dependencies.");
        }
        if !keep {
            continue;
        }
        if trimmed.starts_with("name = ") && out.contains("[package]") && !out.contains("\nname = ")
        {
            out.push_str(&format!(
                "name = \"{name}\"\nautoexamples = false\nautotests = false\nautobenches = false\n"
            ));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn every_version_generates_and_compiles() {
    let root = workspace_root().canonicalize().unwrap();
    let work = root.join("target/cross-version");
    let workspace = work.join("workspace");
    if workspace.exists() {
        std::fs::remove_dir_all(&workspace).unwrap();
    }
    std::fs::create_dir_all(&workspace).unwrap();

    let crate_dir = root.join("ari-generated");
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    let mut members = Vec::new();
    let mut report = Vec::new();
    for (label, dir) in inputs() {
        let mut docs = ApiDocs::from_dir(&dir).unwrap_or_else(|e| panic!("{label}: {e}"));
        docs.asterisk_version.get_or_insert_with(|| label.clone());
        let api =
            ari_codegen::normalize::normalize(&docs).unwrap_or_else(|e| panic!("{label}: {e}"));
        let files = ari_codegen::emit::emit(&api).unwrap_or_else(|e| panic!("{label}: {e}"));
        let s = Summary::of(&api);
        report.push(format!(
            "{label}: {} resources, {} operations, {} models, {} message types",
            s.resources, s.operations, s.models, s.messages
        ));

        let member = format!("v-{}", label.replace('.', "-"));
        let member_dir = workspace.join(&member);
        std::fs::create_dir_all(member_dir.join("src")).unwrap();
        std::fs::write(
            member_dir.join("Cargo.toml"),
            member_manifest(&manifest, &format!("ari-generated-{member}")),
        )
        .unwrap();
        std::fs::copy(crate_dir.join("src/lib.rs"), member_dir.join("src/lib.rs")).unwrap();
        copy_dir(
            &crate_dir.join("src/runtime"),
            &member_dir.join("src/runtime"),
        );
        ari_codegen::write_files(&member_dir.join("src/generated"), &files).unwrap();
        members.push(member);
    }

    // The real workspace's dependency table, with paths made absolute.
    let root_manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let shared_tables = root_manifest
        .split_once("[workspace.package]")
        .map(|(_, rest)| format!("[workspace.package]{rest}"))
        .unwrap()
        .replace("path = \"", &format!("path = \"{}/", root.display()));
    let member_list = members
        .iter()
        .map(|m| format!("\"{m}\""))
        .collect::<Vec<_>>()
        .join(", ");
    std::fs::write(
        workspace.join("Cargo.toml"),
        format!("[workspace]\nresolver = \"3\"\nmembers = [{member_list}]\n\n{shared_tables}"),
    )
    .unwrap();
    let _ = std::fs::copy(root.join("Cargo.lock"), workspace.join("Cargo.lock"));

    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--workspace", "--quiet", "--message-format=short"])
        .current_dir(&workspace)
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .expect("cargo runs");
    println!("{}", report.join("\n"));
    assert!(
        output.status.success(),
        "generated crates do not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
