//! What the generator's tests share: the hostile fixture, and checking a
//! crate of generated code with warnings denied.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use ari_codegen::ApiDocs;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

pub fn fixture() -> ApiDocs {
    ApiDocs::from_dir(&fixture_dir()).unwrap()
}

/// The hostile fixture with one file's JSON edited.
pub fn edited(file: &str, edit: impl FnOnce(&mut Value)) -> ApiDocs {
    let mut docs = fixture();
    let target = if file == "resources.json" {
        &mut docs.listing
    } else {
        docs.resources.iter_mut().find(|f| f.name == file).unwrap()
    };
    let mut value: Value = serde_json::from_str(&target.text).unwrap();
    edit(&mut value);
    target.text = value.to_string();
    docs
}

/// `cargo check` of a crate outside the workspace (its own `[workspace]`),
/// warnings denied, with the target folder the cross-version test uses so
/// that the dependencies build once; fails the test with the compiler's
/// message, after `what`.
pub fn check_crate(crate_dir: &Path, extra: &[&str], what: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--quiet", "--message-format=short"])
        .args(extra)
        .current_dir(crate_dir)
        .env("CARGO_TARGET_DIR", root.join("target/cross-version/target"))
        .env("RUSTFLAGS", "-D warnings")
        .env_remove("ARI_API_DOCS")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{what}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
