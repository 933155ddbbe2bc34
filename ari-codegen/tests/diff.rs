//! `diff` and `matrix`: every change kind and its classification on small
//! synthetic api-docs, then real differences between the shared versions.

use ari_codegen::diff::render::{self, Format, View};
use ari_codegen::diff::{self, ApiDiff, Change, ChangeKind, Input, RustKind};
use ari_codegen::load::SourceFile;
use ari_codegen::{ApiDocs, Remote, generate};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

// ------------------------------------------------------------ synthetic input

/// Two files: `widgets.json` (operations, a model with an enum) and
/// `events.json` (a polymorphic `Message` over `Event` leaves).
fn base() -> (Value, Value) {
    let widgets = json!({
        "apiVersion": "2.0.0",
        "swaggerVersion": "1.2",
        "basePath": "http://localhost:8088/ari",
        "resourcePath": "/api-docs/widgets.{format}",
        "apis": [
            {
                "path": "/widgets",
                "operations": [
                    {
                        "httpMethod": "GET",
                        "nickname": "list",
                        "responseClass": "List[Widget]",
                        "parameters": [
                            { "name": "filter", "paramType": "query", "required": false, "dataType": "string" },
                            { "name": "direction", "paramType": "query", "required": false, "dataType": "string",
                              "allowableValues": { "valueType": "LIST", "values": ["in", "out"] } }
                        ]
                    },
                    {
                        "httpMethod": "POST",
                        "nickname": "create",
                        "responseClass": "Widget",
                        "parameters": [
                            { "name": "name", "paramType": "query", "required": true, "dataType": "string" },
                            { "name": "size", "paramType": "query", "required": false, "dataType": "int" }
                        ],
                        "errorResponses": [ { "code": 400, "reason": "Bad name" } ]
                    }
                ]
            },
            {
                "path": "/widgets/{widgetId}",
                "operations": [
                    {
                        "httpMethod": "DELETE",
                        "nickname": "destroy",
                        "parameters": [ { "name": "widgetId", "paramType": "path", "dataType": "string" } ],
                        "errorResponses": [ { "code": 404, "reason": "Widget not found" } ]
                    }
                ]
            }
        ],
        "models": {
            "Widget": {
                "id": "Widget",
                "properties": {
                    "id": { "type": "string", "required": true },
                    "label": { "type": "string" },
                    "state": { "type": "string", "required": true,
                               "allowableValues": { "valueType": "LIST", "values": ["idle", "busy"] } }
                }
            }
        }
    });
    let events = json!({
        "apiVersion": "2.0.0",
        "swaggerVersion": "1.2",
        "basePath": "http://localhost:8088/ari",
        "resourcePath": "/api-docs/events.{format}",
        "apis": [
            {
                "path": "/events",
                "operations": [
                    {
                        "httpMethod": "GET",
                        "upgrade": "websocket",
                        "nickname": "eventWebsocket",
                        "responseClass": "Message",
                        "parameters": [
                            { "name": "app", "paramType": "query", "required": true, "allowMultiple": true, "dataType": "string" }
                        ]
                    }
                ]
            }
        ],
        "models": {
            "Message": {
                "id": "Message",
                "discriminator": "type",
                "properties": { "type": { "type": "string", "required": true } },
                "subTypes": ["Event"]
            },
            "Event": {
                "id": "Event",
                "properties": { "application": { "type": "string", "required": true } },
                "subTypes": ["WidgetCreated", "WidgetDestroyed"]
            },
            "WidgetCreated": { "id": "WidgetCreated", "properties": { "widget": { "type": "Widget", "required": true } } },
            "WidgetDestroyed": { "id": "WidgetDestroyed", "properties": { "widget_id": { "type": "string", "required": true } } }
        }
    });
    (widgets, events)
}

fn docs_of(label: &str, widgets: &Value, events: &Value) -> ApiDocs {
    let listing = json!({
        "apiVersion": "2.0.0",
        "swaggerVersion": "1.1",
        "basePath": "http://localhost:8088/ari",
        "apis": [ { "path": "/api-docs/widgets.{format}" }, { "path": "/api-docs/events.{format}" } ]
    });
    ApiDocs {
        origin: format!("memory/{label}"),
        listing: SourceFile {
            name: "resources.json".into(),
            text: listing.to_string(),
        },
        resources: vec![
            SourceFile {
                name: "widgets.json".into(),
                text: widgets.to_string(),
            },
            SourceFile {
                name: "events.json".into(),
                text: events.to_string(),
            },
        ],
        asterisk_version: Some(label.into()),
    }
}

fn input(label: &str, widgets: &Value, events: &Value) -> Input {
    Input::from_docs(&docs_of(label, widgets, events)).unwrap()
}

/// The diff from the base to the base with `edit` applied to (widgets, events).
fn diff_after(edit: impl FnOnce(&mut Value, &mut Value)) -> ApiDiff {
    let (widgets, events) = base();
    let (mut new_widgets, mut new_events) = (widgets.clone(), events.clone());
    edit(&mut new_widgets, &mut new_events);
    diff::diff(
        &input("old", &widgets, &events),
        &input("new", &new_widgets, &new_events),
    )
}

/// The only change, asserting there is exactly one.
fn only(diff: &ApiDiff) -> &Change {
    assert_eq!(diff.changes.len(), 1, "{:#?}", diff.changes);
    &diff.changes[0]
}

fn kinds(diff: &ApiDiff) -> Vec<(ChangeKind, bool)> {
    diff.changes.iter().map(|c| (c.kind, c.breaking)).collect()
}

fn list_params(widgets: &mut Value) -> &mut Vec<Value> {
    widgets["apis"][0]["operations"][0]["parameters"]
        .as_array_mut()
        .unwrap()
}

fn create_op(widgets: &mut Value) -> &mut Value {
    &mut widgets["apis"][0]["operations"][1]
}

#[test]
fn identical_inputs_have_no_changes() {
    let diff = diff_after(|_, _| {});
    assert!(diff.is_empty());
    assert_eq!(diff.summary.total, 0);
    assert_eq!(diff.old.label, "old");
    assert_eq!(diff.new.label, "new");
}

#[test]
fn descriptions_and_order_are_not_changes() {
    let diff = diff_after(|widgets, _| {
        widgets["apis"][0]["operations"][0]["summary"] = json!("Reworded.");
        list_params(widgets).reverse();
        widgets["models"]["Widget"]["description"] = json!("Now documented.");
    });
    assert!(diff.is_empty(), "{:#?}", diff.changes);
}

#[test]
fn added_optional_parameter_is_a_builder_method() {
    let diff = diff_after(|widgets, _| {
        list_params(widgets).push(
            json!({ "name": "transport_data", "paramType": "query", "required": false, "dataType": "string" }),
        )
    });
    let change = only(&diff);
    assert_eq!(change.kind, ChangeKind::ParameterAdded);
    assert!(!change.breaking);
    assert_eq!(change.resource.as_deref(), Some("widgets"));
    assert_eq!(change.operation.as_deref(), Some("list"));
    assert_eq!(change.parameter.as_deref(), Some("transport_data"));
    assert_eq!(change.rust.kind, RustKind::BuilderMethod);
    assert_eq!(
        change.rust.item,
        "client.widgets().list(…).transport_data(…)"
    );
    assert_eq!(change.rust.new.as_deref(), Some("impl AsRef<str>"));
}

#[test]
fn added_required_parameter_is_a_new_argument_and_breaks() {
    let diff = diff_after(|widgets, _| {
        create_op(widgets)["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "name": "colour", "paramType": "query", "required": true, "dataType": "string" }))
    });
    let change = only(&diff);
    assert_eq!(
        (change.kind, change.breaking),
        (ChangeKind::ParameterAdded, true)
    );
    assert_eq!(change.rust.kind, RustKind::Argument);
    assert_eq!(change.rust.argument.as_deref(), Some("colour"));
    assert_eq!(change.rust.item, "client.widgets().create(name, colour)");
}

#[test]
fn removed_parameter_breaks() {
    let diff = diff_after(|widgets, _| {
        create_op(widgets)["parameters"]
            .as_array_mut()
            .unwrap()
            .remove(1);
    });
    let change = only(&diff);
    assert_eq!(
        (change.kind, change.breaking),
        (ChangeKind::ParameterRemoved, true)
    );
    assert_eq!(change.rust.item, "client.widgets().create(…).size(…)");
}

#[test]
fn required_changes_break_in_both_directions() {
    let diff = diff_after(|widgets, _| {
        create_op(widgets)["parameters"][0]["required"] = json!(false);
        create_op(widgets)["parameters"][1]["required"] = json!(true);
    });
    assert_eq!(
        kinds(&diff),
        [
            (ChangeKind::ParameterRequiredChanged, true),
            (ChangeKind::ParameterRequiredChanged, true)
        ]
    );
    let name = &diff.changes[0];
    assert_eq!(name.parameter.as_deref(), Some("name"));
    assert_eq!(
        (name.old.as_deref(), name.new.as_deref()),
        (Some("required"), Some("optional"))
    );
    assert!(
        name.reason.contains("becomes a builder method"),
        "{}",
        name.reason
    );
    let size = &diff.changes[1];
    assert_eq!(
        (size.old.as_deref(), size.new.as_deref()),
        (Some("optional"), Some("required"))
    );
}

#[test]
fn parameter_type_and_multiplicity_changes_break() {
    let diff = diff_after(|widgets, _| {
        create_op(widgets)["parameters"][1]["dataType"] = json!("long");
        list_params(widgets)[0]["allowMultiple"] = json!(true);
    });
    assert_eq!(
        kinds(&diff),
        [
            (ChangeKind::ParameterTypeChanged, true),
            (ChangeKind::ParameterTypeChanged, true)
        ]
    );
    let size = diff
        .changes
        .iter()
        .find(|c| c.parameter.as_deref() == Some("size"))
        .unwrap();
    assert_eq!(
        (size.old.as_deref(), size.new.as_deref()),
        (Some("int"), Some("long"))
    );
    assert_eq!(
        (size.rust.old.as_deref(), size.rust.new.as_deref()),
        (Some("i32"), Some("i64"))
    );
}

#[test]
fn parameter_location_change_does_not_break() {
    let diff = diff_after(|widgets, _| {
        list_params(widgets)[0]["paramType"] = json!("body");
    });
    // A string body is the whole body: its location changes, its type does not.
    let change = only(&diff);
    assert_eq!(
        (change.kind, change.breaking),
        (ChangeKind::ParameterLocationChanged, false)
    );
}

#[test]
fn allowed_values_are_enum_values() {
    let diff = diff_after(|widgets, _| {
        list_params(widgets)[1]["allowableValues"]["values"] = json!(["in", "both"]);
    });
    // Sorted by value.
    assert_eq!(
        kinds(&diff),
        [
            (ChangeKind::EnumValueAdded, false),
            (ChangeKind::EnumValueRemoved, true)
        ]
    );
    assert_eq!(diff.changes[0].rust.item, "models::Direction::Both");
    let removed = &diff.changes[1];
    assert_eq!(removed.enum_name.as_deref(), Some("Direction"));
    assert_eq!(removed.value.as_deref(), Some("out"));
    assert_eq!(removed.rust.item, "models::Direction::Out");
}

#[test]
fn a_string_parameter_gaining_allowed_values_changes_type() {
    let diff = diff_after(|widgets, _| {
        list_params(widgets)[0]["allowableValues"] =
            json!({ "valueType": "LIST", "values": ["a", "b"] });
    });
    assert_eq!(
        kinds(&diff),
        [
            (ChangeKind::ParameterTypeChanged, true),
            (ChangeKind::EnumAdded, false)
        ]
    );
    assert_eq!(diff.changes[0].new.as_deref(), Some("string (one of a, b)"));
}

#[test]
fn operations_added_removed_rerouted_and_responses() {
    let added =
        diff_after(|widgets, _| {
            widgets["apis"][1]["operations"].as_array_mut().unwrap().push(json!({
            "httpMethod": "GET", "nickname": "getWidget", "responseClass": "Widget",
            "parameters": [ { "name": "widgetId", "paramType": "path", "dataType": "string" } ]
        }))
        });
    let change = only(&added);
    assert_eq!(
        (change.kind, change.breaking),
        (ChangeKind::OperationAdded, false)
    );
    assert_eq!(change.rust.item, "client.widgets().get_widget(widget_id)");
    assert_eq!(change.new.as_deref(), Some("GET /widgets/{widgetId}"));

    let removed = diff_after(|widgets, _| {
        widgets["apis"].as_array_mut().unwrap().remove(1);
    });
    assert_eq!(kinds(&removed), [(ChangeKind::OperationRemoved, true)]);

    let rerouted = diff_after(|widgets, _| {
        widgets["apis"][0]["operations"][1]["httpMethod"] = json!("PUT");
    });
    assert_eq!(
        kinds(&rerouted),
        [(ChangeKind::OperationRouteChanged, false)]
    );

    let response = diff_after(|widgets, _| {
        widgets["apis"][0]["operations"][1]["responseClass"] = json!("List[Widget]");
    });
    let change = only(&response);
    assert_eq!(
        (change.kind, change.breaking),
        (ChangeKind::OperationResponseChanged, true)
    );
    assert_eq!(
        (change.old.as_deref(), change.new.as_deref()),
        (Some("Widget"), Some("List[Widget]"))
    );
    assert_eq!(change.rust.new.as_deref(), Some("Vec<models::Widget>"));
}

#[test]
fn error_statuses() {
    let diff = diff_after(|widgets, _| {
        create_op(widgets)["errorResponses"] = json!([{ "code": 422, "reason": "Unknown format" }]);
    });
    assert_eq!(
        kinds(&diff),
        [
            (ChangeKind::ErrorRemoved, true),
            (ChangeKind::ErrorAdded, false)
        ]
    );
    assert_eq!(diff.changes[0].status, Some(400));
    assert_eq!(
        diff.changes[0].rust.item,
        "widgets::CreateError::BadRequest"
    );
    assert_eq!(diff.changes[1].status, Some(422));
    assert_eq!(
        diff.changes[1].rust.item,
        "widgets::CreateError::UnprocessableEntity"
    );
}

#[test]
fn resources_added_and_removed() {
    let (widgets, events) = base();
    let with_widgets = docs_of("old", &widgets, &events);
    let mut without_widgets = with_widgets.clone();
    without_widgets.resources.remove(0);
    // `Widget` is declared in widgets.json; keep it reachable for the events.
    let mut events_alone = events.clone();
    events_alone["models"]["Widget"] = widgets["models"]["Widget"].clone();
    without_widgets.resources[0].text = events_alone.to_string();
    let listing: Value = json!({
        "swaggerVersion": "1.1",
        "apis": [ { "path": "/api-docs/events.{format}" } ]
    });
    without_widgets.listing.text = listing.to_string();
    let old = Input::from_docs(&with_widgets).unwrap();
    let new = Input::from_docs(&without_widgets).unwrap();

    // The `direction` value set only existed for a widgets operation.
    let removed = diff::diff(&old, &new);
    assert_eq!(
        kinds(&removed),
        [
            (ChangeKind::ResourceRemoved, true),
            (ChangeKind::EnumRemoved, true)
        ]
    );
    assert_eq!(removed.changes[0].rust.item, "client.widgets()");
    assert_eq!(removed.changes[1].rust.item, "models::Direction");
    let added = diff::diff(&new, &old);
    assert_eq!(
        kinds(&added),
        [
            (ChangeKind::ResourceAdded, false),
            (ChangeKind::EnumAdded, false)
        ]
    );
}

#[test]
fn a_model_that_closes_a_cycle_boxes_the_field_that_refers_to_it() {
    // `Widget` gains a `part: Part`; the new `Part` refers back to `Widget`,
    // so `part` is stored boxed. Adding `Part` is the cycle's only change.
    let cyclic = diff_after(|widgets, _| add_cyclic_part(widgets));
    let field = cyclic
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::PropertyAdded)
        .expect("a property added");
    assert_eq!(field.rust.new.as_deref(), Some("Option<Box<models::Part>>"));
    let (mut widgets, events) = base();
    add_cyclic_part(&mut widgets);
    let files = generate(&docs_of("cyclic", &widgets, &events)).unwrap();
    let models = &files
        .iter()
        .find(|f| f.path.ends_with("models.rs"))
        .unwrap()
        .contents;
    assert!(models.contains("pub part: Option<Box<super::models::Part>>,"));
    assert!(models.contains("pub owner: Box<super::models::Widget>,"));
}

fn add_cyclic_part(widgets: &mut Value) {
    widgets["models"]["Widget"]["properties"]["part"] = json!({ "type": "Part" });
    widgets["models"]["Part"] = json!({
        "id": "Part",
        "properties": { "owner": { "type": "Widget", "required": true } }
    });
}

#[test]
fn model_properties() {
    let optional = diff_after(|widgets, _| {
        widgets["models"]["Widget"]["properties"]["tenantid"] = json!({ "type": "string" });
    });
    let change = only(&optional);
    assert_eq!(
        (change.kind, change.breaking),
        (ChangeKind::PropertyAdded, false)
    );
    assert_eq!(change.rust.kind, RustKind::Field);
    assert_eq!(change.rust.item, "models::Widget::tenantid");
    assert_eq!(
        change.rust.new.as_deref(),
        Some("Option<runtime::CompactString>")
    );

    // Documented decision: a new required field breaks struct literals and
    // decoding the same object from an Asterisk that does not send it.
    let required = diff_after(|widgets, _| {
        widgets["models"]["Widget"]["properties"]["tenantid"] =
            json!({ "type": "string", "required": true });
    });
    assert_eq!(kinds(&required), [(ChangeKind::PropertyAdded, true)]);

    let removed = diff_after(|widgets, _| {
        widgets["models"]["Widget"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("label");
    });
    assert_eq!(kinds(&removed), [(ChangeKind::PropertyRemoved, true)]);

    let retyped = diff_after(|widgets, _| {
        widgets["models"]["Widget"]["properties"]["label"]["type"] = json!("List[string]");
    });
    let change = only(&retyped);
    assert_eq!(
        (change.kind, change.breaking),
        (ChangeKind::PropertyTypeChanged, true)
    );
    assert_eq!(
        change.rust.new.as_deref(),
        Some("Option<Vec<runtime::CompactString>>")
    );

    let now_required = diff_after(|widgets, _| {
        widgets["models"]["Widget"]["properties"]["label"]["required"] = json!(true);
        widgets["models"]["Widget"]["properties"]["id"]["required"] = json!(false);
    });
    assert_eq!(
        kinds(&now_required),
        [
            (ChangeKind::PropertyRequiredChanged, true),
            (ChangeKind::PropertyRequiredChanged, true)
        ]
    );
}

#[test]
fn models_added_and_removed() {
    let diff = diff_after(|widgets, _| {
        widgets["models"]["Gadget"] =
            json!({ "id": "Gadget", "properties": { "id": { "type": "string" } } });
    });
    let change = only(&diff);
    assert_eq!(
        (change.kind, change.breaking),
        (ChangeKind::ModelAdded, false)
    );
    assert_eq!(change.rust.item, "models::Gadget");

    let (widgets, events) = base();
    let mut with_gadget = widgets.clone();
    with_gadget["models"]["Gadget"] = json!({ "id": "Gadget", "properties": {} });
    let removed = diff::diff(
        &input("old", &with_gadget, &events),
        &input("new", &widgets, &events),
    );
    assert_eq!(kinds(&removed), [(ChangeKind::ModelRemoved, true)]);
}

#[test]
fn model_enum_values() {
    let diff = diff_after(|widgets, _| {
        widgets["models"]["Widget"]["properties"]["state"]["allowableValues"]["values"] =
            json!(["idle", "busy", "Dialing Offhook"]);
    });
    let change = only(&diff);
    assert_eq!(
        (change.kind, change.breaking),
        (ChangeKind::EnumValueAdded, false)
    );
    assert_eq!(change.enum_name.as_deref(), Some("WidgetState"));
    assert_eq!(change.value.as_deref(), Some("Dialing Offhook"));
    assert_eq!(change.rust.item, "models::WidgetState::DialingOffhook");
}

#[test]
fn event_types() {
    let added = diff_after(|_, events| {
        events["models"]["Event"]["subTypes"] =
            json!(["WidgetCreated", "WidgetDestroyed", "CallBroadcast"]);
        events["models"]["CallBroadcast"] = json!({ "id": "CallBroadcast", "properties": { "caller": { "type": "string", "required": true } } });
    });
    assert_eq!(
        kinds(&added),
        [
            (ChangeKind::ModelAdded, false),
            (ChangeKind::EventAdded, false),
            (ChangeKind::EventAdded, false)
        ]
    );
    let items: Vec<&str> = added.changes.iter().map(|c| c.rust.item.as_str()).collect();
    assert_eq!(
        items,
        [
            "models::CallBroadcast",
            "models::Event::CallBroadcast",
            "models::Message::CallBroadcast"
        ]
    );

    let removed = diff_after(|_, events| {
        events["models"]["Event"]["subTypes"] = json!(["WidgetCreated"]);
        events["models"]
            .as_object_mut()
            .unwrap()
            .remove("WidgetDestroyed");
    });
    assert_eq!(
        kinds(&removed),
        [
            (ChangeKind::ModelRemoved, true),
            (ChangeKind::EventRemoved, true),
            (ChangeKind::EventRemoved, true)
        ]
    );
}

#[test]
fn a_property_on_a_base_reaches_every_leaf_and_the_accessor() {
    let diff = diff_after(|_, events| {
        events["models"]["Event"]["properties"]["timestamp"] = json!({ "type": "Date" });
    });
    let items: BTreeSet<&str> = diff.changes.iter().map(|c| c.rust.item.as_str()).collect();
    assert_eq!(
        items,
        BTreeSet::from([
            "models::Event::timestamp()",
            "models::WidgetCreated::timestamp",
            "models::WidgetDestroyed::timestamp"
        ])
    );
    assert!(diff.changes.iter().all(|c| !c.breaking));
}

#[test]
fn summary_counts_by_effect() {
    let diff = diff_after(|widgets, _| {
        create_op(widgets)["parameters"][1]["required"] = json!(true);
        list_params(widgets)
            .push(json!({ "name": "extra", "paramType": "query", "dataType": "string" }));
        widgets["models"]["Widget"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("label");
    });
    let s = diff.summary;
    assert_eq!(
        (s.total, s.added, s.removed, s.changed, s.breaking),
        (3, 1, 1, 1, 2)
    );
    assert_eq!(diff.breaking().count(), 2);
}

#[test]
fn bad_input_fails_with_file_and_json_path() {
    let (mut widgets, events) = base();
    widgets["apis"][0]["operations"][0]["parameters"][0]["paramType"] = json!("header");
    let error = Input::from_docs(&docs_of("bad", &widgets, &events))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("widgets.json: $.apis[0].operations[0].parameters[0].paramType"),
        "{error}"
    );
}

// ------------------------------------------------------------ rendering

#[test]
fn json_has_the_documented_schema() {
    let diff = diff_after(|widgets, _| {
        list_params(widgets).push(
            json!({ "name": "transport_data", "paramType": "query", "required": false, "dataType": "string" }),
        )
    });
    let value: Value = serde_json::from_str(&render::json(&diff)).unwrap();
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["old"]["label"], "old");
    assert_eq!(value["summary"]["added"], 1);
    assert_eq!(
        value["changes"][0],
        json!({
            "kind": "parameter_added",
            "section": "operations",
            "effect": "added",
            "breaking": false,
            "reason": "a new optional parameter is a new builder method",
            "resource": "widgets",
            "operation": "list",
            "parameter": "transport_data",
            "new": "string",
            "rust": {
                "kind": "builder_method",
                "item": "client.widgets().list(…).transport_data(…)",
                "new": "impl AsRef<str>"
            }
        })
    );
}

#[test]
fn text_and_markdown_views() {
    let diff = diff_after(|widgets, _| {
        create_op(widgets)["parameters"][1]["required"] = json!(true);
    });
    let options = |format, view| render::Options {
        format,
        view,
        colour: false,
    };
    let text = render::render(&diff, options(Format::Text, View::Wire));
    assert!(
        text.starts_with("ARI changes old → new: 1 changes"),
        "{text}"
    );
    assert!(
        text.contains("~ `widgets.create` parameter `size`: `optional` → `required` BREAKING"),
        "{text}"
    );
    assert!(!text.contains('\x1b'));
    let coloured = render::render(
        &diff,
        render::Options {
            colour: true,
            ..options(Format::Text, View::Wire)
        },
    );
    assert!(coloured.contains("\x1b[31m"));
    let markdown = render::render(&diff, options(Format::Markdown, View::Bindings));
    assert!(
        markdown.contains("### Resources and operations"),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "argument `size` of `client.widgets().create(name, size)` moved: `client.widgets().create(…).size(…)` → `argument size of client.widgets().create(name, size)`"
        ),
        "{markdown}"
    );
    assert!(markdown.contains("| **yes** |"), "{markdown}");
}

#[test]
fn output_is_deterministic() {
    let render_all = || {
        let diff = diff::diff(&shared("18.26.4"), &shared("master"));
        [Format::Text, Format::Markdown, Format::Json].map(|format| {
            render::render(
                &diff,
                render::Options {
                    format,
                    ..Default::default()
                },
            )
        })
    };
    assert_eq!(render_all(), render_all());
}

// ------------------------------------------------------------ real versions

fn shared_dir(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../shared/api-docs/{version}"))
}

fn shared(version: &str) -> Input {
    Input::load(shared_dir(version).to_str().unwrap(), &Remote::default()).unwrap()
}

fn located(diff: &ApiDiff, kind: ChangeKind) -> BTreeSet<String> {
    diff.changes
        .iter()
        .filter(|c| c.kind == kind)
        .map(|c| {
            [
                c.resource.as_deref(),
                c.operation.as_deref(),
                c.model.as_deref(),
                c.parameter.as_deref(),
                c.property.as_deref(),
                c.event.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(".")
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_version_against_itself_is_empty() {
    for version in ["12.8.2", "22.10.1", "master"] {
        let diff = diff::diff(&shared(version), &shared(version));
        assert!(diff.is_empty(), "{version}: {:#?}", diff.changes);
    }
}

#[test]
fn labels_are_folder_names() {
    assert_eq!(shared("21.12.3").label, "21.12.3");
}

/// Checked against the files with a script before being written down.
#[test]
fn from_21_12_3_to_22_10_1() {
    let diff = diff::diff(&shared("21.12.3"), &shared("22.10.1"));
    let s = diff.summary;
    assert_eq!(
        (s.total, s.added, s.removed, s.changed, s.breaking),
        (29, 29, 0, 0, 0)
    );
    assert_eq!(
        located(&diff, ChangeKind::OperationAdded),
        set(&[
            "bridges.getBridgeVar",
            "bridges.getBridgeVars",
            "bridges.setBridgeVar",
            "bridges.setBridgeVars",
            "channels.getChannelVars",
            "channels.setChannelVars",
            "events.claimChannel",
        ])
    );
    assert_eq!(
        located(&diff, ChangeKind::ParameterAdded),
        set(&[
            "bridges.create.variables",
            "bridges.createWithId.variables",
            "bridges.play.announcer_format",
            "bridges.playWithId.announcer_format",
            "bridges.record.recorder_format",
            "channels.externalMedia.transport_data",
            "channels.setChannelVar.report_events",
        ])
    );
    assert_eq!(
        located(&diff, ChangeKind::ErrorAdded),
        set(&["bridges.play", "bridges.playWithId"])
    );
    assert_eq!(
        located(&diff, ChangeKind::ModelAdded),
        set(&[
            "CallBroadcast",
            "CallClaimed",
            "ChannelToneDetected",
            "Variables"
        ])
    );
    assert_eq!(
        located(&diff, ChangeKind::PropertyAdded),
        set(&[
            "Bridge.bridgevars",
            "ChannelDestroyed.tech_cause",
            "ChannelHangupRequest.tech_cause",
        ])
    );
    assert_eq!(
        located(&diff, ChangeKind::EventAdded),
        set(&[
            "Event.CallBroadcast",
            "Event.CallClaimed",
            "Event.ChannelToneDetected",
            "Message.CallBroadcast",
            "Message.CallClaimed",
            "Message.ChannelToneDetected",
        ])
    );
    let transport = diff
        .changes
        .iter()
        .find(|c| c.parameter.as_deref() == Some("transport_data"))
        .unwrap();
    assert_eq!(
        transport.rust.item,
        "client.channels().external_media(…).transport_data(…)"
    );
}

/// Tags are not chronological: 20.20.1 has what 21.12.3 lacks. The diff
/// reports it as it is.
#[test]
fn from_20_20_1_to_21_12_3_things_disappear() {
    let diff = diff::diff(&shared("20.20.1"), &shared("21.12.3"));
    assert_eq!(diff.summary.added, 0);
    assert_eq!(diff.summary.removed, 26);
    assert_eq!(diff.summary.breaking, 26);
    assert_eq!(
        located(&diff, ChangeKind::EventRemoved),
        set(&[
            "Event.CallBroadcast",
            "Event.CallClaimed",
            "Message.CallBroadcast",
            "Message.CallClaimed",
        ])
    );
    assert_eq!(
        located(&diff, ChangeKind::ModelRemoved),
        set(&["CallBroadcast", "CallClaimed", "Variables"])
    );
}

#[test]
fn from_18_26_4_to_20_20_1_external_host_becomes_optional() {
    let diff = diff::diff(&shared("18.26.4"), &shared("20.20.1"));
    let breaking: Vec<&Change> = diff.breaking().collect();
    assert_eq!(breaking.len(), 1, "{breaking:#?}");
    assert_eq!(breaking[0].kind, ChangeKind::ParameterRequiredChanged);
    assert_eq!(breaking[0].operation.as_deref(), Some("externalMedia"));
    assert_eq!(breaking[0].parameter.as_deref(), Some("external_host"));
    let values: BTreeSet<(String, String)> = diff
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::EnumValueAdded)
        .map(|c| (c.enum_name.clone().unwrap(), c.value.clone().unwrap()))
        .collect();
    assert!(
        values.contains(&("ConnectionType".into(), "server".into())),
        "{values:?}"
    );
    assert!(
        values.contains(&("Encapsulation".into(), "none".into())),
        "{values:?}"
    );
    assert!(
        values.contains(&("Transport".into(), "websocket".into())),
        "{values:?}"
    );
}

/// The diff names error variants without the emitter's help; the generated
/// code must agree.
#[test]
fn error_variant_names_match_the_generated_code() {
    let docs = ApiDocs::from_dir(&shared_dir("22.10.1")).unwrap();
    let bridges = generate(&docs)
        .unwrap()
        .into_iter()
        .find(|f| f.path == "bridges.rs")
        .unwrap();
    let diff = diff::diff(&shared("21.12.3"), &shared("22.10.1"));
    for change in diff
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::ErrorAdded)
    {
        let (_, variant) = change.rust.item.rsplit_once("::").unwrap();
        assert!(
            bridges
                .contents
                .contains(&format!("{variant}(::ari_runtime::ErrorResponse)")),
            "{variant} is not a variant in the generated bridges.rs"
        );
    }
}

#[test]
fn matrix_columns_follow_the_input_order() {
    let inputs = [shared("22.10.1"), shared("20.20.1"), shared("21.12.3")];
    let matrix = diff::matrix::matrix(&inputs);
    assert_eq!(matrix.labels, ["22.10.1", "20.20.1", "21.12.3"]);
    let row = |name: &str| {
        matrix
            .rows
            .iter()
            .find(|r| r.kind == diff::matrix::Kind::Event && r.name == name)
            .unwrap()
    };
    assert_eq!(row("CallBroadcast").present, [true, true, false]);
    assert_eq!(row("ChannelToneDetected").present, [true, false, false]);
    assert_eq!(row("StasisStart").present, [true, true, true]);
    assert_eq!(row("CallBroadcast").first_seen(), Some(0));
    assert_eq!(row("CallBroadcast").last_seen(), Some(1));

    let table = matrix.to_markdown(true);
    assert!(
        table.contains("| `CallBroadcast` | ✓ | ✓ |   | 22.10.1 | 20.20.1 |"),
        "{table}"
    );
    assert!(table.contains("| `events.claimChannel` |"), "{table}");
    assert!(!table.contains("`StasisStart`"), "{table}");
    assert!(matrix.to_markdown(false).contains("`StasisStart`"));
}
