//! Hostile api-docs (`cargo test -- hostile`): each case is either refused
//! with the file and JSON path named, or accepted with bindings that compile
//! (all accepted cases are built together, `-D warnings`, as modules of one
//! crate). No case may make the generator panic or hang.

mod common;

use ari_codegen::ApiDocs;
use common::{edited, fixture};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The fixture with one file's text replaced.
fn with_text(file: &str, text: String) -> ApiDocs {
    let mut docs = fixture();
    docs.resources
        .iter_mut()
        .find(|f| f.name == file)
        .unwrap()
        .text = text;
    docs
}

/// A model added to `things.json`, used by a new property of `Thing` so
/// that it is emitted.
fn with_model(id: &str, model: Value) -> ApiDocs {
    let id = id.to_owned();
    edited("things.json", move |v| {
        v["models"][&id] = model;
        v["models"]["Thing"]["properties"]["extra"] = json!({ "type": id });
    })
}

/// An operation added to `things.json` under its own path.
fn with_operation(path: &str, operation: Value) -> ApiDocs {
    let path = path.to_owned();
    edited("things.json", move |v| {
        v["apis"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "path": path, "operations": [operation] }));
    })
}

/// A case's input: api-docs, or the loader's refusal of its folder.
type Loaded = Result<ApiDocs, String>;

trait IntoLoaded {
    fn loaded(self) -> Loaded;
}

impl IntoLoaded for ApiDocs {
    fn loaded(self) -> Loaded {
        Ok(self)
    }
}

impl IntoLoaded for Loaded {
    fn loaded(self) -> Loaded {
        self
    }
}

fn case(
    name: &'static str,
    input: impl IntoLoaded,
    expect: Expect,
) -> (&'static str, Loaded, Expect) {
    (name, input.loaded(), expect)
}

enum Expect {
    /// Refused: the message starts with `file: $.path` and mentions the words.
    Refused(&'static str, &'static str),
    /// Accepted: the bindings must compile.
    Accepted,
}

fn cases() -> Vec<(&'static str, Loaded, Expect)> {
    use Expect::*;
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    vec![
        // Names the generator reserves for itself.
        case(
            "event_named_unknown",
            edited("events.json", |v| {
                v["models"]["Event"]["subTypes"] = json!(["ThingHappened", "Unknown"]);
                v["models"]["Unknown"] = json!({ "id": "Unknown", "properties": {} });
            }),
            Accepted,
        ),
        case(
            "model_named_like_the_unknown_type",
            with_model(
                "UnknownMessage",
                json!({ "id": "UnknownMessage", "properties": {} }),
            ),
            Refused("events.json: $.models.Message", "UnknownMessage"),
        ),
        case(
            "models_named_like_the_generated_root",
            edited("things.json", |v| {
                for id in ["Client", "Api", "Bindings", "Request", "Response", "Vec"] {
                    v["models"][id] =
                        json!({ "id": id, "properties": { "x": { "type": "string" } } });
                    v["models"]["Thing"]["properties"][format!("has_{id}")] = json!({ "type": id });
                }
            }),
            Accepted,
        ),
        case(
            "resource_named_models",
            resource_named("models"),
            Refused("resources.json: $.apis", "reserve"),
        ),
        case(
            "resource_named_runtime",
            resource_named("runtime"),
            Refused("resources.json: $.apis", "reserve"),
        ),
        case("resource_named_self", resource_named("self"), Accepted),
        case("resource_named_client", resource_named("client"), Accepted),
        case(
            "parameters_named_like_builder_internals",
            with_operation(
                "/things/internals",
                json!({ "httpMethod": "POST", "nickname": "internals", "responseClass": "void",
                    "parameters": internal_names() }),
            ),
            Accepted,
        ),
        case(
            "keywords_that_cannot_be_raw_identifiers",
            with_model(
                "Keywords",
                json!({ "id": "Keywords", "properties": {
                    "self": { "type": "string" }, "Self": { "type": "string" },
                    "super": { "type": "string" }, "crate": { "type": "string" },
                    "_": { "type": "string" }, "r#type": { "type": "string" } } }),
            ),
            Accepted,
        ),
        case(
            "operation_nicknamed_self",
            with_operation(
                "/things/self",
                json!({ "httpMethod": "GET", "nickname": "self", "responseClass": "void" }),
            ),
            Accepted,
        ),
        // Names that collide after conversion.
        case(
            "enum_values_equal_after_case_conversion",
            enum_values(&["up", "Up", "UP", "u_p", "u-p", "u p", "", "1", "-1"]),
            Accepted,
        ),
        case(
            "properties_equal_after_case_conversion",
            with_model(
                "Cased",
                json!({ "id": "Cased", "properties": {
                    "fooBar": { "type": "string" }, "foo_bar": { "type": "int" },
                    "FooBar": { "type": "boolean" }, "foo-bar": { "type": "long" } } }),
            ),
            Accepted,
        ),
        case(
            "models_equal_after_case_conversion",
            edited("things.json", |v| {
                v["models"]["foo_bar"] = json!({ "id": "foo_bar", "properties": {} });
                v["models"]["FooBar"] = json!({ "id": "FooBar", "properties": {} });
                v["models"]["Thing"]["properties"]["a"] = json!({ "type": "foo_bar" });
                v["models"]["Thing"]["properties"]["b"] = json!({ "type": "FooBar" });
            }),
            Refused("things.json: $.models", "FooBar"),
        ),
        case(
            "unicode_names",
            with_model(
                "Größe",
                json!({ "id": "Größe", "properties": { "höhe": { "type": "string" },
                    "名前": { "type": "string", "allowableValues": { "valueType": "LIST", "values": ["ü", "é", "😀"] } } } }),
            ),
            Accepted,
        ),
        case(
            "punctuation_in_a_model_id",
            with_model("My Model!", json!({ "id": "My Model!", "properties": {} })),
            Accepted,
        ),
        case(
            "huge_enum",
            enum_values(
                &(0..3000)
                    .map(|i| format!("value_{i}"))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ),
            Accepted,
        ),
        case(
            "property_named_like_an_enum_method",
            edited("events.json", |v| {
                for prop in ["kind", "from_json", "serialize", "fmt"] {
                    v["models"]["ThingHappened"]["properties"][prop] = json!({ "type": "string" });
                    v["models"]["NothingHappened"]["properties"][prop] =
                        json!({ "type": "string" });
                }
            }),
            Accepted,
        ),
        case(
            "nested_lists",
            with_model(
                "Nested",
                json!({ "id": "Nested", "properties": { "grid": { "type": "List[List[int]]" } } }),
            ),
            Accepted,
        ),
        // Listings.
        case(
            "a_listing_with_no_resources",
            from_folder(json!([])),
            Accepted,
        ),
        (
            // Only the last segment names a file, always in the folder.
            "a_listed_path_outside_the_folder",
            from_folder(json!([{ "path": "/api-docs/../../../etc/passwd.{format}" }])),
            Refused("", "passwd.json"),
        ),
        case(
            "a_listed_path_that_names_no_file",
            from_folder(json!([{ "path": "/api-docs/.." }])),
            Refused("resources.json: $.apis[0].path", "resource file"),
        ),
        case(
            "a_listing_without_apis",
            from_folder(json!(null)),
            Refused("resources.json: $.apis", "invalid type"),
        ),
        // Files.
        case(
            "an_empty_file",
            with_text("things.json", String::new()),
            Refused("things.json: ", "EOF"),
        ),
        case(
            "a_truncated_file",
            with_text("things.json", fixture_text("things.json")[..400].to_owned()),
            Refused("things.json: ", "EOF"),
        ),
        case(
            "a_deeply_nested_file",
            edited("things.json", |v| v["apis"][0]["description"] = json!("x")).pipe(|docs| {
                let text = docs.resources[0].text.replace("\"x\"", &deep);
                with_text("things.json", text)
            }),
            Refused("things.json: $.apis[0].description", "invalid type"),
        ),
        case(
            "deep_nesting_under_a_stray_key",
            edited("things.json", |v| v["_stray"] = json!("x")).pipe(|docs| {
                let text = docs.resources[0].text.replace("\"x\"", &deep);
                with_text("things.json", text)
            }),
            Refused("things.json: $._stray[0][0]", "recursion limit"),
        ),
        case(
            "a_file_that_is_not_an_object",
            with_text("things.json", "[1, 2, 3]".to_owned()),
            Refused("things.json: ", "invalid type"),
        ),
        // Structure.
        case(
            "a_cycle_of_subtypes",
            edited("events.json", |v| {
                v["models"]["ThingHappened"]["subTypes"] = json!(["Event"]);
            }),
            Refused(
                "events.json: $.models.ThingHappened.subTypes[0]",
                "already a subtype",
            ),
        ),
        case(
            "a_cycle_of_subtypes_outside_any_message",
            edited("things.json", |v| {
                v["models"]["CycleA"] = json!({ "id": "CycleA", "discriminator": "type",
                    "properties": { "type": { "type": "string", "required": true } }, "subTypes": ["CycleB"] });
                v["models"]["CycleB"] =
                    json!({ "id": "CycleB", "properties": {}, "subTypes": ["CycleA"] });
            }),
            Refused("things.json: $.models.Cycle", "cycle"),
        ),
        case(
            "an_operation_without_nickname",
            edited("things.json", |v| {
                v["apis"][0]["operations"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("nickname");
            }),
            Refused("things.json: $.apis[0].operations[0]", "nickname"),
        ),
        case(
            "an_unknown_data_type",
            edited("things.json", |v| {
                v["apis"][0]["operations"][0]["parameters"][0]["dataType"] = json!("float128")
            }),
            Refused(
                "things.json: $.apis[0].operations[0].parameters[0].dataType",
                "float128",
            ),
        ),
        case(
            "a_path_parameter_missing_from_the_template",
            with_operation(
                "/things/fixed",
                json!({ "httpMethod": "GET", "nickname": "fixed", "responseClass": "void",
                    "parameters": [{ "name": "thingId", "paramType": "path", "dataType": "string" }] }),
            ),
            Refused(
                "things.json: $.apis[4].operations[0].parameters[0]",
                "thingId",
            ),
        ),
        case(
            "a_template_parameter_without_a_parameter",
            with_operation(
                "/things/{thingId}/orphan",
                json!({ "httpMethod": "GET", "nickname": "orphan", "responseClass": "void" }),
            ),
            Refused("things.json: $.apis[4]", "thingId"),
        ),
        case(
            "a_status_code_out_of_range",
            edited("things.json", |v| {
                v["apis"][0]["operations"][1]["errorResponses"][0]["code"] = json!(99)
            }),
            Refused(
                "things.json: $.apis[0].operations[1].errorResponses[0].code",
                "HTTP status",
            ),
        ),
        case(
            "an_empty_enum",
            edited("things.json", |v| {
                v["apis"][0]["operations"][0]["parameters"][1]["allowableValues"]["values"] =
                    json!([])
            }),
            Refused(
                "things.json: $.apis[0].operations[0].parameters[1].allowableValues.values",
                "at least one",
            ),
        ),
    ]
}

/// Query parameters named like what a builder or Rust itself reserves.
fn internal_names() -> Vec<Value> {
    [
        "send", "connect", "new", "client", "clone", "request", "self", "Self", "super", "crate",
    ]
    .iter()
    .map(|name| json!({ "name": name, "paramType": "query", "dataType": "string" }))
    .collect()
}

fn fixture_text(file: &str) -> String {
    fixture()
        .resources
        .into_iter()
        .find(|f| f.name == file)
        .unwrap()
        .text
}

/// `things.json` listed (and named) as `name.json`.
fn resource_named(name: &str) -> ApiDocs {
    let mut docs = fixture();
    let file = format!("{name}.json");
    for source in &mut docs.resources {
        if source.name == "things.json" {
            source.name = file.clone();
            source.text = source
                .text
                .replace("/api-docs/things.", &format!("/api-docs/{name}."));
        }
    }
    docs.listing.text = docs
        .listing
        .text
        .replace("/api-docs/things.", &format!("/api-docs/{name}."));
    docs
}

/// The fixture in a folder of its own with `resources.json`'s `apis`
/// replaced, loaded as `--api-docs DIR` would load it.
fn from_folder(apis: Value) -> Loaded {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ari-hostile-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let docs = fixture();
    for file in &docs.resources {
        std::fs::write(dir.join(&file.name), &file.text).unwrap();
    }
    let mut listing: Value = serde_json::from_str(&docs.listing.text).unwrap();
    listing["apis"] = apis;
    std::fs::write(dir.join("resources.json"), listing.to_string()).unwrap();
    let loaded = ApiDocs::from_dir(&dir).map_err(|e| e.to_string());
    std::fs::remove_dir_all(&dir).unwrap();
    loaded
}

/// A query parameter of `things.list` with these allowed values.
fn enum_values(values: &[&str]) -> ApiDocs {
    let values: Vec<Value> = values.iter().map(|v| json!(v)).collect();
    edited("things.json", move |v| {
        v["apis"][0]["operations"][0]["parameters"][1]["allowableValues"]["values"] = json!(values)
    })
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl<T> Pipe for T {}

/// The generator's answer within a bound, with a panic caught as an error.
fn generate_bounded(name: &str, docs: Loaded) -> Result<String, String> {
    let docs = docs?;
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        // The default test-thread stack, as a build script has.
        .stack_size(8 << 20)
        .spawn(move || {
            let answer = std::panic::catch_unwind(|| ari_codegen::generate_single_file(&docs));
            let _ = send.send(answer);
        })
        .unwrap();
    match receive.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(Ok(code))) => Ok(code),
        Ok(Ok(Err(error))) => Err(error.to_string()),
        Ok(Err(_)) => panic!("{name}: the generator panicked"),
        Err(_) => panic!("{name}: the generator did not answer within 60 s"),
    }
}

#[test]
fn hostile_api_docs_are_refused_with_a_location_or_compile() {
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut accepted = Vec::new();
    let mut failures = Vec::new();
    for (name, docs, expect) in cases {
        match (generate_bounded(name, docs), expect) {
            (Err(message), Expect::Refused(location, words)) => {
                if !message.starts_with(location) || !message.contains(words) {
                    failures.push(format!(
                        "{name}: `{message}` should start with `{location}` and mention `{words}`"
                    ));
                }
            }
            (Ok(code), Expect::Accepted) => accepted.push((name, code)),
            (Ok(_), Expect::Refused(location, _)) => failures.push(format!(
                "{name}: accepted, expected a refusal at {location}"
            )),
            (Err(message), Expect::Accepted) => {
                failures.push(format!("{name}: refused: {message}"))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    compile_together(&accepted);
}

/// Builds every accepted case as a module of one crate, warnings denied.
fn compile_together(cases: &[(&str, String)]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let work = root.join("target/hostile");
    let crate_dir = work.join("cases");
    let _ = std::fs::remove_dir_all(&crate_dir);
    std::fs::create_dir_all(crate_dir.join("src")).unwrap();
    let mut lib = String::new();
    for (name, code) in cases {
        std::fs::write(crate_dir.join(format!("src/{name}.rs")), code).unwrap();
        lib.push_str(&format!(
            "pub mod {name} {{\n    include!(\"{name}.rs\");\n    pub use generated::*;\n}}\n"
        ));
    }
    std::fs::write(crate_dir.join("src/lib.rs"), lib).unwrap();
    let runtime: PathBuf = root.join("ari-runtime");
    std::fs::write(
        crate_dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"hostile-cases\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nari-runtime = {{ path = \"{}\" }}\n\
             serde = {{ version = \"1\", features = [\"derive\"] }}\n\
             serde_json = {{ version = \"1\", features = [\"raw_value\"] }}\n\
             thiserror = \"2\"\nbytes = \"1\"\n\n[workspace]\n",
            runtime.display()
        ),
    )
    .unwrap();
    std::fs::copy(root.join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    common::check_crate(&crate_dir, &[], "accepted cases do not compile");
}
