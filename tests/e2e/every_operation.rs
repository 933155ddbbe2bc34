//! Every operation of the committed bindings against the real Asterisk,
//! over HTTP (`every_operation_suite.rs`; `rest_over_ws.rs` runs the same
//! suite over the WebSocket).

use ari_generated::runtime::RestTransport;

/// How the suite's clients send their requests.
const TRANSPORT: RestTransport = RestTransport::Http;

#[path = "every_operation_suite.rs"]
mod over_http;
