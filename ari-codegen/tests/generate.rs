//! Generated output for a small hostile input: snapshots of every file, and
//! assertions on the shapes that matter.
//! Update snapshots with `INSTA_UPDATE=always cargo test -p ari-codegen --test generate`.

use ari_codegen::{ApiDocs, GeneratedFile};
use std::path::Path;

fn hostile() -> ApiDocs {
    let mut docs =
        ApiDocs::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile"))
            .unwrap();
    docs.asterisk_version = Some("0.0.0-test".into());
    docs
}

fn file<'a>(files: &'a [GeneratedFile], name: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .contents
}

#[test]
fn snapshots_of_the_hostile_fixture() {
    let files = ari_codegen::generate(&hostile()).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        names,
        [
            "decoders.rs",
            "events.rs",
            "mod.rs",
            "models.rs",
            "things.rs"
        ]
    );
    for f in &files {
        insta::assert_snapshot!(f.path.replace('.', "_"), &f.contents);
    }
}

#[test]
fn output_is_deterministic() {
    let first = ari_codegen::generate(&hostile()).unwrap();
    let second = ari_codegen::generate(&hostile()).unwrap();
    assert_eq!(first, second);
}

#[test]
fn every_file_is_marked_generated() {
    for f in ari_codegen::generate(&hostile()).unwrap() {
        assert!(f.contents.starts_with("// @generated"), "{}", f.path);
        assert!(
            f.contents
                .contains("Asterisk 0.0.0-test (apiVersion 9.9.9)"),
            "{}",
            f.path
        );
    }
}

#[test]
fn hostile_names_become_usable_rust() {
    let files = ari_codegen::generate(&hostile()).unwrap();
    let models = file(&files, "models.rs");
    let things = file(&files, "things.rs");
    // Punctuation-only values are spelled, keywords get a trailing underscore.
    assert!(
        models.contains("Star,") && models.contains("Hash,"),
        "`*`/`#` variants"
    );
    assert!(models.contains("\"*\" => TerminateOn::Star"));
    assert!(models.contains("pub type_: ::ari_runtime::CompactString"));
    assert!(models.contains("#[serde(rename = \"type\")]"));
    assert!(things.contains("pub fn move_("));
    // Models named like prelude items get the keywords' underscore, and a
    // cycle of models held by value is boxed where it closes.
    for name in ["Result_", "Option_", "Serialize_", "String_"] {
        assert!(
            models.contains(&format!("pub struct {name} {{")),
            "model {name}"
        );
    }
    assert!(models.contains("pub option: Box<super::models::Option_>,"));
    assert!(models.contains("pub result: Option<Box<super::models::Result_>>,"));
    assert!(models.contains("pub again: Option<Box<super::models::Option_>>,"));
    assert!(models.contains("pub text: Option<super::models::String_>,"));
    assert!(things.contains("in_: i64"));
    assert!(things.contains("from: impl AsRef<str>"));
    // Model ids keep their spelling; value sets get readable variants and an
    // open catch-all that does not collide with listed values.
    assert!(models.contains("pub struct CallerID"));
    assert!(models.contains("pub struct RTPstat"));
    assert!(models.contains("DialingOffhook,") && models.contains("PreRing,"));
    assert!(
        models.contains("Other2(String)"),
        "`Other` is a listed value, so the catch-all moves"
    );
    // A single-value enum is still open.
    assert!(models.contains("pub enum Direction"));
    // Binary downloads are bytes, containers go under their name in the body,
    // an object parameter is the whole body.
    assert!(things.contains("Result<bytes::Bytes, GetFileError>"));
    assert!(things.contains("request.body_field(\"variables\", value)"));
    assert!(things.contains("request.body(value)"));
    // Error codes given as strings, duplicate codes merged, braces escaped.
    assert!(things.contains("Conflict(::ari_runtime::ErrorResponse)"));
    assert!(things.contains("`404`: Thing not found; Really not found"));
    assert!(things.contains("Bad {{braces}} in reason"));
    // A known type named like the catch-all takes the name; the catch-all
    // yields, and a property named like an enum method gets no accessor.
    assert!(models.contains("Unknown(Box<Unknown>)"));
    assert!(models.contains("Unknown2(UnknownEvent)"));
    assert!(models.contains("Unknown2(UnknownMessage)"));
    // A parameter named like a builder method is renamed, not lost.
    assert!(things.contains("send_2"));
    // The WebSocket operation connects instead of sending.
    let events = file(&files, "events.rs");
    assert!(events.contains("pub async fn connect("));
    assert!(!events.contains("pub async fn send(self)"));
}

#[test]
fn events_inherit_base_properties_and_dispatch_on_type() {
    let files = ari_codegen::generate(&hostile()).unwrap();
    let models = file(&files, "models.rs");
    assert!(models.contains("pub enum Message"));
    assert!(models.contains("pub enum Event"));
    assert!(models.contains("pub struct UnknownMessage"));
    let compact: String = models.split_whitespace().collect();
    assert!(compact.contains("\"ThingHappened\"=>via(text,path).map(Self::ThingHappened),"));
    // Every struct has a fast-path decoder, keyed by wire names.
    let decoders = file(&files, "decoders.rs");
    assert!(decoders.contains("impl WireDecode for models::Thing {"));
    assert!(decoders.contains("\"type\" => cursor.field(&mut slot8),"));
    // The leaf struct carries inherited fields, but not the discriminator.
    let thing_happened = models
        .split("pub struct ThingHappened")
        .nth(1)
        .unwrap()
        .split("}\n")
        .next()
        .unwrap();
    for field in [
        "pub application: ::ari_runtime::CompactString",
        "pub timestamp: ::ari_runtime::Timestamp",
        "pub asterisk_id: Option<::ari_runtime::CompactString>",
        "pub thing: super::models::Thing",
    ] {
        assert!(
            thing_happened.contains(field),
            "ThingHappened lacks `{field}`:\n{thing_happened}"
        );
    }
    assert!(!thing_happened.contains("type_"));
    // An event declared with no properties still has the inherited ones.
    let nothing = models
        .split("pub struct NothingHappened {")
        .nth(1)
        .unwrap()
        .split("}\n")
        .next()
        .unwrap();
    assert_eq!(nothing.matches("pub ").count(), 3, "{nothing}");
}
