//! Unit tests of the stage's parts: swagger types, path templates, closed values.

use super::operations::path_template_params;
use super::types::{closed_values, parse_type};
use super::*;
use crate::ir::TypeRef;

fn no_models() -> BTreeMap<String, RawModel<'static>> {
    BTreeMap::new()
}

#[test]
fn swagger_types_map_to_the_ir() {
    let models = no_models();
    let parse = |text: &str, special: bool| parse_type("f.json", "$.x", text, &models, special);
    assert_eq!(parse("string", false).unwrap(), TypeRef::String);
    assert_eq!(parse("int", false).unwrap(), TypeRef::Int);
    assert_eq!(parse("long", false).unwrap(), TypeRef::Long);
    assert_eq!(parse("double", false).unwrap(), TypeRef::Double);
    assert_eq!(parse("boolean", false).unwrap(), TypeRef::Boolean);
    assert_eq!(parse("Date", false).unwrap(), TypeRef::Date);
    assert_eq!(parse("object", false).unwrap(), TypeRef::Object);
    assert_eq!(
        parse("List[object]", false).unwrap(),
        TypeRef::List(Box::new(TypeRef::Object))
    );
    assert_eq!(
        parse("List[List[string]]", false).unwrap(),
        TypeRef::List(Box::new(TypeRef::List(Box::new(TypeRef::String))))
    );
    assert_eq!(parse("void", true).unwrap(), TypeRef::Void);
    assert_eq!(parse("binary", true).unwrap(), TypeRef::Binary);
    // `void` and `binary` only make sense as a response.
    assert!(parse("void", false).is_err());
    assert!(parse("binary", false).is_err());
    let error = parse("Channel", false).unwrap_err().to_string();
    assert_eq!(
        error,
        "f.json: $.x: `Channel` is neither a primitive type nor a declared model"
    );
}

#[test]
fn path_templates_name_their_parameters() {
    assert_eq!(
        path_template_params("/channels/{channelId}/snoop/{snoopId}"),
        ["channelId", "snoopId"]
    );
    assert!(path_template_params("/channels").is_empty());
}

#[test]
fn closed_values_only_for_lists() {
    let list = spec::AllowableValues {
        value_type: "LIST".into(),
        values: Some(vec!["in".into(), "out".into()]),
        min: None,
        max: None,
    };
    assert_eq!(
        closed_values("f", "$", Some(&list)).unwrap(),
        Some(vec!["in".to_owned(), "out".to_owned()])
    );
    let range = spec::AllowableValues {
        value_type: "RANGE".into(),
        values: None,
        min: Some(0.into()),
        max: None,
    };
    assert_eq!(closed_values("f", "$", Some(&range)).unwrap(), None);
    let empty = spec::AllowableValues {
        value_type: "LIST".into(),
        values: Some(vec![]),
        min: None,
        max: None,
    };
    assert!(closed_values("f", "$", Some(&empty)).is_err());
}
