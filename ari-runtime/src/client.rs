//! The HTTP side: base URL, credentials, requests and answers.

use super::error::{ErrorResponse, TransportError};
use super::events::{EventOptions, RestSocket};
use super::transport::{RestPath, RestTransport};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument as _;

pub use reqwest::Method;

/// How to authenticate to ARI.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials (the default); a base URL with `user:password@` then supplies basic auth.
    #[default]
    None,
    /// HTTP basic authentication (an `ari.conf` user).
    Basic {
        /// The user name, as in `ari.conf`.
        user: String,
        /// That user's password; `Debug` never shows it.
        password: String,
    },
    /// `api_key=user:password` in the query string.
    ApiKey(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Basic { user, .. } => {
                write!(f, "Basic {{ user: {user:?}, password: <redacted> }}")
            }
            Credentials::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
        }
    }
}

/// An ARI client: cheap to clone, usable from many tasks at once.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// E.g. `http://127.0.0.1:8088/ari`, without a trailing slash.
    base_url: String,
    credentials: Credentials,
    /// `Authorization` for basic auth, encoded once rather than per request.
    authorization: Option<reqwest::header::HeaderValue>,
    connect_timeout: Option<Duration>,
    user_agent: String,
    event_options: EventOptions,
    /// For `wss://`: the same rustls configuration as REST.
    websocket_tls: super::tls::TlsConfig,
    /// Sees every answer, see [`ClientBuilder::inspect_answers`].
    inspector: Option<AnswerInspector>,
    request_timeout: Option<Duration>,
    rest: RestPath,
}

/// One answer of Asterisk as it arrived, before any decoding.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Answer<'a> {
    /// The request's method.
    pub method: &'a Method,
    /// The request's path template from the api-docs (`/channels/{channelId}`).
    pub template: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The body, exactly as received.
    pub body: &'a [u8],
}

/// Called with every answer; see [`ClientBuilder::inspect_answers`].
pub type AnswerInspector = Arc<dyn Fn(&Answer<'_>) + Send + Sync>;

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("credentials", &self.inner.credentials)
            .finish()
    }
}

/// The configuration could not be turned into a client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The base URL is not `http://` or `https://` with a host, or has a query or fragment; holds the URL with any `user:password` redacted.
    #[error("the base URL `{0}` must be http:// or https:// followed by a host, without query")]
    InvalidBaseUrl(String),
    /// The underlying `reqwest` HTTP client could not be built from these settings.
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
    /// What [`ClientBuilder::add_root_certificates_pem`] was given holds no
    /// usable certificate.
    #[error("cannot read the root certificates: {0}")]
    RootCertificates(String),
}

/// Builds a [`Client`], or the client of a set of bindings `C` (made
/// `From` the runtime's client, as the generated `Client::builder` does).
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder<C = Client> {
    base_url: String,
    credentials: Credentials,
    request_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: String,
    event_options: EventOptions,
    /// PEM blocks given to [`ClientBuilder::add_root_certificates_pem`].
    root_certificates_pem: Vec<u8>,
    inspector: Option<AnswerInspectorSlot>,
    rest_transport: RestTransport,
    rest_socket_app: Option<String>,
    rest_sockets: usize,
    output: std::marker::PhantomData<fn() -> C>,
}

/// The inspector in the builder, which must stay `Debug`.
#[derive(Clone)]
struct AnswerInspectorSlot(AnswerInspector);

impl std::fmt::Debug for AnswerInspectorSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerInspector")
    }
}

impl ClientBuilder {
    /// `base_url` is the server (`http://host:8088`) or the ARI root
    /// (`http://host:8088/ari`, or with an http.conf `prefix`).
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientBuilder {
            base_url: base_url.into(),
            credentials: Credentials::None,
            request_timeout: Some(Duration::from_secs(30)),
            connect_timeout: Some(Duration::from_secs(10)),
            user_agent: concat!("ari-runtime/", env!("CARGO_PKG_VERSION")).to_owned(),
            event_options: EventOptions::default(),
            root_certificates_pem: Vec::new(),
            inspector: None,
            rest_transport: RestTransport::Http,
            rest_socket_app: None,
            rest_sockets: 8,
            output: std::marker::PhantomData,
        }
    }
}

impl<C: From<Client>> ClientBuilder<C> {
    /// The same settings, building a `D` instead (the client of a set of
    /// bindings).
    pub fn building<D: From<Client>>(self) -> ClientBuilder<D> {
        ClientBuilder {
            base_url: self.base_url,
            credentials: self.credentials,
            request_timeout: self.request_timeout,
            connect_timeout: self.connect_timeout,
            user_agent: self.user_agent,
            event_options: self.event_options,
            root_certificates_pem: self.root_certificates_pem,
            inspector: self.inspector,
            rest_transport: self.rest_transport,
            rest_socket_app: self.rest_socket_app,
            rest_sockets: self.rest_sockets,
            output: std::marker::PhantomData,
        }
    }

    /// Calls `inspect` with every REST answer (method, path template,
    /// status, raw body) before it is decoded: for logging raw answers, or
    /// recording them (the end-to-end tests record Asterisk's answers this
    /// way). It runs on the request's task, so it must be quick.
    pub fn inspect_answers(
        mut self,
        inspect: impl Fn(&Answer<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.inspector = Some(AnswerInspectorSlot(Arc::new(inspect)));
        self
    }

    /// Trusts the certificate authorities of a PEM bundle, besides the
    /// platform's trust store, for `https://` requests and `wss://` events:
    /// an Asterisk whose certificate comes from a private CA. May be called
    /// more than once.
    pub fn add_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates_pem.extend_from_slice(pem.as_ref());
        self.root_certificates_pem.push(b'\n');
        self
    }

    /// HTTP basic authentication with an `ari.conf` user and password.
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Credentials::Basic {
            user: user.into(),
            password: password.into(),
        };
        self
    }

    /// `api_key` authentication, `user:password`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.credentials = Credentials::ApiKey(key.into());
        self
    }

    /// Sets the credentials directly, replacing any set by `basic_auth` or `api_key`.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// How REST requests reach Asterisk: HTTP (the default) or the event
    /// WebSocket (Asterisk 20.14, 21.9, 22.4 and later). Call sites do not
    /// change; see [`RestTransport`].
    pub fn rest_transport(mut self, transport: RestTransport) -> Self {
        self.rest_transport = transport;
        self
    }

    /// The application the REST WebSockets register (Asterisk opens no
    /// socket without one): `ari-rest-<6 hex digits>` by default, the
    /// second socket's `<app>-1` and so on. No channel enters them; they
    /// show in `GET /applications`.
    pub fn rest_socket_app(mut self, app: impl Into<String>) -> Self {
        self.rest_socket_app = Some(app.into());
        self
    }

    /// At most this many REST WebSockets (8 by default, at least 1).
    /// Asterisk answers the requests of one socket one after another (one
    /// thread per socket), so concurrent requests are spread over them, one
    /// on each at a time, the rest waiting for the first socket free; a
    /// socket opens only once every open one has a request in flight. At
    /// most this many requests are in Asterisk at once.
    pub fn rest_sockets(mut self, sockets: usize) -> Self {
        self.rest_sockets = sockets.max(1);
        self
    }

    /// Limit for a whole request (over either transport: the deadline of a
    /// request over the WebSocket); `None` waits forever.
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Limit for establishing a connection, for REST requests and for the whole event WebSocket handshake; `None` waits forever.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` of requests and WebSocket handshakes (default `ari-runtime/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Reconnect, keep-alive and buffering of event streams (the default of
    /// every [`EventStreamBuilder`](crate::EventStreamBuilder)).
    pub fn event_options(mut self, options: EventOptions) -> Self {
        self.event_options = options;
        self
    }

    /// The client; fails on a base URL that is not `http(s)://` or on TLS
    /// settings that cannot be used.
    pub fn build(self) -> Result<C, BuildError> {
        self.build_runtime_client().map(C::from)
    }

    fn build_runtime_client(self) -> Result<Client, BuildError> {
        let (base_url, userinfo) = split_base_url(&self.base_url)?;
        // `http://user:pass@host` works, but the pair never stays in the URL,
        // where it would show up in logs and errors.
        let credentials = match (self.credentials, userinfo) {
            (Credentials::None, Some((user, password))) => Credentials::Basic { user, password },
            (credentials, _) => credentials,
        };
        let mut http = reqwest::Client::builder().user_agent(self.user_agent.clone());
        if let Some(timeout) = self.request_timeout {
            http = http.timeout(timeout);
        }
        if let Some(timeout) = self.connect_timeout {
            http = http.connect_timeout(timeout);
        }
        let tls = super::tls::rustls_config(&self.root_certificates_pem)
            .map_err(BuildError::RootCertificates)?;
        let websocket_tls = super::tls::TlsConfig::from_config(tls.clone());
        http = http.tls_backend_preconfigured(tls);
        let authorization = match &credentials {
            Credentials::Basic { user, password } => {
                use base64::Engine as _;
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                reqwest::header::HeaderValue::from_str(&format!("Basic {token}"))
                    .ok()
                    .map(|mut value| {
                        // Keeps it out of reqwest's and hyper's debug output.
                        value.set_sensitive(true);
                        value
                    })
            }
            _ => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http: http.build().map_err(BuildError::Http)?,
                base_url,
                credentials,
                authorization,
                connect_timeout: self.connect_timeout,
                user_agent: self.user_agent,
                event_options: self.event_options,
                websocket_tls,
                inspector: self.inspector.map(|slot| slot.0),
                request_timeout: self.request_timeout,
                rest: RestPath::new(
                    self.rest_transport,
                    self.rest_socket_app
                        .unwrap_or_else(super::transport::default_rest_app),
                    self.rest_sockets,
                ),
            }),
        })
    }
}

/// The ARI root of a base URL, and the user and password it embeds.
#[allow(clippy::type_complexity)]
fn split_base_url(url: &str) -> Result<(String, Option<(String, String)>), BuildError> {
    // The rejected URL is not echoed back: it may hold a password.
    let invalid = || BuildError::InvalidBaseUrl(redact_userinfo(url));
    let trimmed = url.trim().trim_end_matches('/');
    let (scheme, rest) = if let Some(rest) = trimmed.strip_prefix("http://") {
        ("http://", rest)
    } else if let Some(rest) = trimmed.strip_prefix("https://") {
        ("https://", rest)
    } else {
        return Err(invalid());
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    if host.is_empty() || path.contains(['?', '#']) {
        return Err(invalid());
    }
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    let userinfo = userinfo.map(|info| match info.split_once(':') {
        Some((user, password)) => (decode(user), decode(password)),
        None => (decode(info), String::new()),
    });
    let path = if path.is_empty() { "/ari" } else { path };
    Ok((format!("{scheme}{host}{path}"), userinfo))
}

fn redact_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}<redacted>{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl Client {
    /// A [`ClientBuilder`] for `base_url`; see [`ClientBuilder::new`].
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    /// A client with basic authentication and default timeouts.
    pub fn new(
        base_url: impl Into<String>,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Result<Self, BuildError> {
        ClientBuilder::new(base_url)
            .basic_auth(user, password)
            .build()
    }

    /// The ARI root, e.g. `http://127.0.0.1:8088/ari`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The basic-auth `Authorization` header, when basic auth is configured
    /// and its value is a valid header.
    pub(crate) fn authorization(&self) -> Option<&reqwest::header::HeaderValue> {
        self.inner.authorization.as_ref()
    }

    pub(crate) fn rest_path(&self) -> &RestPath {
        &self.inner.rest
    }

    pub(crate) fn request_timeout(&self) -> Option<Duration> {
        self.inner.request_timeout
    }

    /// The same client with its requests going over `rest`'s connection.
    pub(crate) fn over_socket(&self, rest: RestSocket) -> Client {
        self.with_path(RestPath::Socket(rest))
    }

    /// The same client over HTTP: what a connection's own reader uses (a
    /// client whose requests go through that connection would keep it
    /// open through itself).
    pub(crate) fn http_only(&self) -> Client {
        self.with_path(RestPath::Http)
    }

    fn with_path(&self, rest: RestPath) -> Client {
        let inner = &self.inner;
        Client {
            inner: Arc::new(Inner {
                http: inner.http.clone(),
                base_url: inner.base_url.clone(),
                credentials: inner.credentials.clone(),
                authorization: inner.authorization.clone(),
                connect_timeout: inner.connect_timeout,
                user_agent: inner.user_agent.clone(),
                event_options: inner.event_options.clone(),
                websocket_tls: inner.websocket_tls.clone(),
                inspector: inner.inspector.clone(),
                request_timeout: inner.request_timeout,
                rest,
            }),
        }
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    pub(crate) fn connect_timeout(&self) -> Option<Duration> {
        self.inner.connect_timeout
    }

    pub(crate) fn websocket_tls(&self) -> &super::tls::TlsConfig {
        &self.inner.websocket_tls
    }

    pub(crate) fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }

    /// What event streams opened through the generated `connect` use.
    pub fn event_options(&self) -> &EventOptions {
        &self.inner.event_options
    }

    /// Sends one request; used by every generated operation.
    ///
    /// Each request runs in a `debug` span `ari_request` with `method`, the
    /// path template (`/channels/{channelId}`, never the ids or query, which
    /// may hold an `api_key`), and once answered `status` and `elapsed_ms`.
    pub async fn execute(&self, request: Request) -> Result<Response, TransportError> {
        let span = tracing::debug_span!(
            "ari_request",
            method = %request.method,
            path = request.template,
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        self.execute_in(request, &span)
            .instrument(span.clone())
            .await
    }

    async fn execute_in(
        &self,
        request: Request,
        span: &tracing::Span,
    ) -> Result<Response, TransportError> {
        let started = Instant::now();
        let outcome = self.send_request(&request).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("elapsed_ms", elapsed_ms);
        match &outcome {
            Ok(response) => {
                let status = response.status;
                span.record("status", status);
                tracing::debug!(status, elapsed_ms, "ARI answered");
                if let Some(inspect) = &self.inner.inspector {
                    inspect(&Answer {
                        method: &request.method,
                        template: request.template,
                        status,
                        body: &response.body,
                    });
                }
            }
            Err(error) => tracing::debug!(%error, elapsed_ms, "ARI request failed"),
        }
        outcome
    }

    /// One HTTP request, within the client's request timeout.
    pub(crate) async fn send_http(&self, request: &Request) -> Result<Response, TransportError> {
        self.send_http_within(request, None).await
    }

    /// One HTTP request, within `limit` when given (what is left of a
    /// request's deadline) instead of the client's request timeout.
    pub(crate) async fn send_http_within(
        &self,
        request: &Request,
        limit: Option<Duration>,
    ) -> Result<Response, TransportError> {
        let url = format!("{}{}", self.inner.base_url, request.path);
        let mut builder = self.inner.http.request(request.method.clone(), url);
        if let Some(limit) = limit {
            builder = builder.timeout(limit);
        }
        // Encoding an empty query still costs a pass through serde_urlencoded.
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if let Some(authorization) = &self.inner.authorization {
            builder = builder.header(reqwest::header::AUTHORIZATION, authorization.clone());
        }
        if let Credentials::ApiKey(key) = &self.inner.credentials {
            builder = builder.query(&[("api_key", key)]);
        }
        if let Some(body) = &request.body {
            let bytes = serde_json::to_vec(body).map_err(TransportError::Encode)?;
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes);
        }
        let outcome = async {
            let response = builder.send().await?;
            let status = response.status().as_u16();
            Ok((status, response.bytes().await?))
        }
        .await;
        outcome
            .map(|(status, body)| Response { status, body })
            .map_err(|error| TransportError::http(error, &request.method, request.template))
    }
}

/// A value that can be written into a path segment or query string.
pub trait ParamValue {
    /// The value as written into the URL, before percent-encoding.
    fn to_param(&self) -> Cow<'_, str>;
}

impl ParamValue for String {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ParamValue for str {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ParamValue for bool {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
}

macro_rules! display_param {
    ($($ty:ty),*) => {$(
        impl ParamValue for $ty {
            fn to_param(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        }
    )*};
}
display_param!(i32, i64, f64);

/// Path segments are encoded completely, so that ids holding `/`, `?`, `#`,
/// spaces or `%` reach Asterisk as the intended id.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (an id): everything but ASCII letters, digits and `-._~`.
pub fn encode_path(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, PATH_SEGMENT).to_string()
}

/// One ARI request, filled in by the generated builders.
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    /// The path template from the api-docs, for logs and spans.
    template: &'static str,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<serde_json::Value>,
}

impl Request {
    /// A request for `method` on `path` (already encoded, relative to the ARI root), logged as `template`.
    pub fn new(method: Method, template: &'static str, path: String) -> Self {
        Request {
            method,
            template,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    /// Appends the query parameter `name=value`.
    pub fn query(&mut self, name: &'static str, value: &(impl ParamValue + ?Sized)) {
        self.query.push((name, value.to_param().into_owned()));
    }

    /// `allowMultiple`: Asterisk reads a comma-separated list.
    pub fn query_list<T: ParamValue>(&mut self, name: &'static str, values: &[T]) {
        let joined = values
            .iter()
            .map(|v| v.to_param())
            .collect::<Vec<_>>()
            .join(",");
        self.query.push((name, joined));
    }

    /// A `containers` parameter: a key of the body object.
    pub fn body_field(&mut self, name: &'static str, value: &serde_json::Value) {
        let body = self
            .body
            .get_or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
        if let serde_json::Value::Object(map) = body {
            map.insert(name.to_owned(), value.clone());
        }
    }

    /// A parameter that is the whole body.
    pub fn body(&mut self, value: &impl serde::Serialize) {
        // Models and JSON values always serialize; a failure would be a bug
        // in a hand-written Serialize, and sending no body surfaces it as a 400.
        if let Ok(value) = serde_json::to_value(value) {
            match (&mut self.body, value) {
                (Some(serde_json::Value::Object(existing)), serde_json::Value::Object(extra)) => {
                    existing.extend(extra)
                }
                (slot, value) => *slot = Some(value),
            }
        }
    }

    /// The path template from the api-docs (`/channels/{channelId}`).
    pub fn template(&self) -> &'static str {
        self.template
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn method(&self) -> &Method {
        &self.method
    }

    pub(crate) fn body_value(&self) -> Option<&serde_json::Value> {
        self.body.as_ref()
    }

    pub(crate) fn query_pairs(&self) -> &[(&'static str, String)] {
        &self.query
    }
}

/// An answer, status and body.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    body: bytes::Bytes,
}

impl Response {
    pub(crate) fn new(status: u16, body: bytes::Bytes) -> Self {
        Response { status, body }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Decodes the body as JSON into `T`; a mismatch is a [`TransportError::Decode`] keeping the status and body.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, TransportError> {
        serde_json::from_slice(&self.body).map_err(|source| TransportError::Decode {
            status: self.status,
            body: String::from_utf8_lossy(&self.body).into_owned(),
            source,
        })
    }

    /// The body as received.
    pub fn into_bytes(self) -> bytes::Bytes {
        self.body
    }

    /// The answer as an [`ErrorResponse`] (status, body and Asterisk's `message`), for an unsuccessful status.
    pub fn into_error(self) -> ErrorResponse {
        ErrorResponse::new(self.status, &self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_fully_encoded() {
        assert_eq!(encode_path("a/b?c#d e%f"), "a%2Fb%3Fc%23d%20e%25f");
        assert_eq!(encode_path("1795371843.2"), "1795371843.2");
    }

    #[test]
    fn root_certificates_must_be_certificates() {
        let key =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
        match Client::builder("https://pbx:8089")
            .add_root_certificates_pem(key)
            .build()
        {
            Err(BuildError::RootCertificates(message)) => {
                assert!(message.contains("no certificate"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let ca = include_str!("../../tests/asterisk/tls/ca.pem");
        Client::builder("https://pbx:8089")
            .add_root_certificates_pem(ca)
            .build()
            .expect("a CA certificate is accepted");
    }

    #[test]
    fn base_url_gets_ari_root() {
        let client = Client::builder("http://127.0.0.1:8088/").build().unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:8088/ari");
        let client = Client::builder("https://pbx/asterisk/ari").build().unwrap();
        assert_eq!(client.base_url(), "https://pbx/asterisk/ari");
        assert!(Client::builder("pbx:8088").build().is_err());
        assert!(Client::builder("http://").build().is_err());
        assert!(Client::builder("http://pbx/ari?x=1").build().is_err());
    }

    #[test]
    fn credentials_in_the_url_move_out_of_it() {
        let client = Client::builder("http://ari%40user:p%3Ass@pbx:8088/")
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "http://pbx:8088/ari");
        assert!(matches!(
            client.credentials(),
            Credentials::Basic { user, password } if user == "ari@user" && password == "p:ss"
        ));
        let debug = format!("{client:?}");
        assert!(
            !debug.contains("p:ss") && !debug.contains("p%3Ass"),
            "{debug}"
        );
        // Explicit credentials win over the URL's.
        let client = Client::builder("http://u:url-pw@pbx")
            .api_key("k:v")
            .build()
            .unwrap();
        assert!(matches!(client.credentials(), Credentials::ApiKey(_)));
        let error = Client::builder("ftp://u:hidden-pw@pbx")
            .build()
            .unwrap_err();
        assert!(!error.to_string().contains("hidden-pw"), "{error}");
    }

    #[test]
    fn credentials_never_show() {
        let client = Client::new("http://h:1", "user", "s3cret-pw").unwrap();
        assert!(!format!("{client:?}").contains("s3cret-pw"));
        let client = Client::builder("http://h:1")
            .api_key("u:k3y-secret")
            .build()
            .unwrap();
        assert!(!format!("{client:?}").contains("k3y-secret"));
    }
}
