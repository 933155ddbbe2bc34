//! The hostile fixture, shared by the tests of bad and hostile api-docs.

use ari_codegen::ApiDocs;
use serde_json::Value;
use std::path::{Path, PathBuf};

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
