//! Bad api-docs fail with the file and JSON path named, and nothing written.

mod common;

use ari_codegen::ApiDocs;
use common::{edited, fixture_dir};
use serde_json::json;

fn error_of(docs: &ApiDocs) -> String {
    match ari_codegen::generate(docs) {
        Ok(_) => panic!("bad input was accepted"),
        Err(error) => error.to_string(),
    }
}

fn assert_located(message: &str, expected_prefix: &str, expected_words: &str) {
    assert!(
        message.starts_with(expected_prefix),
        "`{message}` should start with `{expected_prefix}`"
    );
    assert!(
        message.contains(expected_words),
        "`{message}` should mention `{expected_words}`"
    );
}

#[test]
fn invalid_json_names_the_file() {
    let mut docs = ApiDocs::from_dir(&fixture_dir()).unwrap();
    docs.resources[0].text = "{\"apis\": [".into();
    let message = error_of(&docs);
    assert!(message.starts_with("things.json: "), "{message}");
}

#[test]
fn a_missing_listed_file_is_named() {
    let dir = std::env::temp_dir().join(format!("ari-bad-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("resources.json"),
        r#"{"swaggerVersion":"1.1","apis":[{"path":"/api-docs/nope.{format}"}]}"#,
    )
    .unwrap();
    let message = ApiDocs::from_dir(&dir).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(message.contains("nope.json"), "{message}");
}

#[test]
fn a_construct_the_dialect_does_not_have() {
    let docs = edited("things.json", |v| {
        v["apis"][0]["operations"][0]["parameters"][0]["paramType"] = json!("header")
    });
    assert_located(
        &error_of(&docs),
        "things.json: $.apis[0].operations[0].parameters[0].paramType",
        "header",
    );
    let docs = edited("things.json", |v| {
        v["apis"][0]["operations"][0]["httpMethod"] = json!("TRACE")
    });
    assert_located(
        &error_of(&docs),
        "things.json: $.apis[0].operations[0].httpMethod",
        "TRACE",
    );
    let docs = edited("things.json", |v| v["swaggerVersion"] = json!("2.0"));
    assert_located(&error_of(&docs), "things.json: $.swaggerVersion", "2.0");
    let docs = edited("things.json", |v| {
        v["apis"][0]["operations"][0]["parameters"][1]["allowableValues"]["valueType"] =
            json!("SET")
    });
    assert_located(
        &error_of(&docs),
        "things.json: $.apis[0].operations[0].parameters[1].allowableValues.valueType",
        "SET",
    );
}

#[test]
fn a_value_of_the_wrong_type_names_its_path() {
    let docs = edited("things.json", |v| {
        v["apis"][0]["operations"][0]["parameters"][0]["required"] = json!("yes")
    });
    assert_located(
        &error_of(&docs),
        "things.json: $.apis[0].operations[0].parameters[0].required",
        "invalid type",
    );
}

#[test]
fn dangling_references() {
    let docs = edited("things.json", |v| {
        v["models"]["Thing"]["properties"]["caller"]["type"] = json!("Nope")
    });
    assert_located(
        &error_of(&docs),
        "things.json: $.models.Thing.properties.caller.type",
        "`Nope`",
    );
    let docs = edited("events.json", |v| {
        v["models"]["Event"]["subTypes"][0] = json!("Ghost")
    });
    assert_located(
        &error_of(&docs),
        "events.json: $.models.Event.subTypes[0]",
        "`Ghost`",
    );
    let docs = edited("things.json", |v| {
        v["apis"][0]["operations"][0]["responseClass"] = json!("List[Ghost]")
    });
    assert_located(
        &error_of(&docs),
        "things.json: $.apis[0].operations[0].responseClass",
        "`Ghost`",
    );
}

#[test]
fn conflicting_duplicate_models() {
    let docs = edited("events.json", |v| {
        v["models"]["CallerID"]["properties"]["number"] = json!({"type": "string"})
    });
    assert_located(
        &error_of(&docs),
        "events.json: $.models.CallerID",
        "things.json",
    );
}

#[test]
fn name_collisions() {
    let docs = edited("things.json", |v| {
        v["apis"][0]["operations"][1]["nickname"] = json!("list")
    });
    assert_located(
        &error_of(&docs),
        "things.json: $.apis[0].operations[1].nickname",
        "already used",
    );
    let docs = edited("things.json", |v| {
        v["apis"][3]["operations"][0]["nickname"] = json!("get_file_")
    });
    let docs_snake = edited("things.json", |v| {
        v["apis"][2]["operations"][0]["nickname"] = json!("get_file")
    });
    assert!(
        ari_codegen::generate(&docs).is_ok(),
        "distinct method names are fine"
    );
    assert_located(
        &error_of(&docs_snake),
        "things.json: $.apis[3].operations[0].nickname",
        "get_file",
    );
}

#[test]
fn path_parameters_must_match_the_template() {
    let docs = edited("things.json", |v| {
        v["apis"][2]["operations"][0]["parameters"][0]["name"] = json!("other")
    });
    let message = error_of(&docs);
    assert_located(
        &message,
        "things.json: $.apis[2].operations[0].parameters[0].name",
        "other",
    );
}

#[test]
fn bad_status_codes() {
    let docs = edited("things.json", |v| {
        v["apis"][0]["operations"][1]["errorResponses"][0]["code"] = json!("oops")
    });
    assert_located(
        &error_of(&docs),
        "things.json: $.apis[0].operations[1].errorResponses[0].code",
        "status",
    );
}

#[test]
fn subtypes_need_a_discriminator() {
    let docs = edited("events.json", |v| {
        v["models"]["Message"]
            .as_object_mut()
            .unwrap()
            .remove("discriminator");
    });
    assert_located(
        &error_of(&docs),
        "events.json: $.models.Event.subTypes",
        "discriminator",
    );
}

/// The CLI exits non-zero and leaves the previous output untouched.
#[test]
fn the_cli_writes_nothing_on_error() {
    let work = std::env::temp_dir().join(format!("ari-bad-cli-{}", std::process::id()));
    let input = work.join("docs");
    let out = work.join("out");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), input.join(entry.file_name())).unwrap();
    }
    std::fs::write(input.join("events.json"), "{ not json").unwrap();
    std::fs::write(out.join("previous.rs"), "// the previous bindings").unwrap();

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ari-codegen"))
        .args(["generate", "--api-docs"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let siblings = std::fs::read_dir(&work).unwrap().count();
    std::fs::remove_dir_all(&work).unwrap();
    assert!(!output.status.success());
    assert!(stderr.contains("events.json"), "{stderr}");
    assert_eq!(left, ["previous.rs"]);
    assert_eq!(siblings, 2, "no staging folder left behind");
}
