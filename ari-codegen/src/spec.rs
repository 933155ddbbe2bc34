//! The Swagger 1.1/1.2 dialect exactly as Asterisk writes it.
//!
//! These structs are deliberately tolerant: keys Asterisk never documented are
//! ignored, and the misspellings found in real releases (`descriptioni`,
//! `defalutValue`) are accepted as aliases. Everything that needs judgement
//! happens in [`crate::normalize`], where errors can name the JSON path.

use serde::Deserialize;
use std::collections::BTreeMap;

/// `resources.json`: the list of resource files.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceListing {
    pub api_version: Option<String>,
    pub swagger_version: String,
    pub apis: Vec<ListingEntry>,
}

#[derive(Debug, Deserialize)]
pub struct ListingEntry {
    pub path: String,
    pub description: Option<String>,
}

/// One resource file such as `channels.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiDeclaration {
    pub api_version: Option<String>,
    pub swagger_version: String,
    pub resource_path: String,
    #[serde(default)]
    pub requires_modules: Vec<String>,
    #[serde(default)]
    pub since: Vec<String>,
    pub apis: Vec<Api>,
    #[serde(default)]
    pub models: BTreeMap<String, Model>,
}

#[derive(Debug, Deserialize)]
pub struct Api {
    pub path: String,
    pub description: Option<String>,
    #[serde(default)]
    pub operations: Vec<Operation>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub http_method: String,
    pub nickname: String,
    pub summary: Option<String>,
    pub notes: Option<String>,
    pub response_class: Option<String>,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(default)]
    pub error_responses: Vec<ErrorResponse>,
    #[serde(default)]
    pub since: Vec<String>,
    pub upgrade: Option<String>,
    pub websocket_protocol: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    pub name: String,
    #[serde(alias = "descriptioni")]
    pub description: Option<String>,
    pub param_type: String,
    pub required: Option<bool>,
    #[serde(default)]
    pub allow_multiple: bool,
    pub data_type: String,
    #[serde(alias = "defalutValue")]
    pub default_value: Option<serde_json::Value>,
    pub allowable_values: Option<AllowableValues>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AllowableValues {
    pub value_type: String,
    pub values: Option<Vec<String>>,
    pub min: Option<serde_json::Number>,
    pub max: Option<serde_json::Number>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorResponse {
    /// Asterisk writes most codes as numbers and a few as strings (`"404"`).
    pub code: StatusCode,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StatusCode {
    Number(u64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub id: String,
    pub description: Option<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, Property>,
    #[serde(default)]
    pub sub_types: Vec<String>,
    pub discriminator: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    #[serde(rename = "type")]
    pub data_type: String,
    pub description: Option<String>,
    pub required: Option<bool>,
    pub allowable_values: Option<AllowableValues>,
}
