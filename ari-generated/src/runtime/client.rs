//! The HTTP side: base URL, credentials, requests and answers.

use super::error::{ErrorResponse, TransportError};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use reqwest::Method;

/// How to authenticate to ARI.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Credentials {
    #[default]
    None,
    /// HTTP basic authentication (an `ari.conf` user).
    Basic { user: String, password: String },
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
}

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
    #[error("the base URL `{0}` must start with http:// or https://")]
    InvalidBaseUrl(String),
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    base_url: String,
    credentials: Credentials,
    request_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: String,
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
            user_agent: concat!("ari-generated/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

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

    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Limit for a whole request; `None` waits forever.
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    pub fn build(self) -> Result<Client, BuildError> {
        let trimmed = self.base_url.trim_end_matches('/');
        if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
            return Err(BuildError::InvalidBaseUrl(self.base_url));
        }
        let scheme_end = trimmed.find("://").map_or(0, |i| i + 3);
        let has_path = trimmed[scheme_end..].contains('/');
        let base_url = if has_path {
            trimmed.to_owned()
        } else {
            format!("{trimmed}/ari")
        };
        let mut http = reqwest::Client::builder().user_agent(self.user_agent);
        if let Some(timeout) = self.request_timeout {
            http = http.timeout(timeout);
        }
        if let Some(timeout) = self.connect_timeout {
            http = http.connect_timeout(timeout);
        }
        Ok(Client {
            inner: Arc::new(Inner {
                http: http.build().map_err(BuildError::Http)?,
                base_url,
                credentials: self.credentials,
            }),
        })
    }
}

impl Client {
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

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// Sends one request; used by every generated operation.
    pub async fn execute(&self, request: Request) -> Result<Response, TransportError> {
        let span = tracing::debug_span!("ari_request", method = %request.method, path = request.template, status = tracing::field::Empty, elapsed_ms = tracing::field::Empty);
        let _guard = span.enter();
        let started = Instant::now();
        let url = format!("{}{}", self.inner.base_url, request.path);
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url)
            .query(&request.query);
        match &self.inner.credentials {
            Credentials::None => {}
            Credentials::Basic { user, password } => {
                builder = builder.basic_auth(user, Some(password))
            }
            Credentials::ApiKey(key) => builder = builder.query(&[("api_key", key)]),
        }
        if let Some(body) = request.body {
            let bytes = serde_json::to_vec(&body).map_err(TransportError::Encode)?;
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes);
        }
        let response = builder.send().await.map_err(TransportError::http)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(TransportError::http)?;
        span.record("status", status);
        span.record("elapsed_ms", started.elapsed().as_millis() as u64);
        tracing::debug!(status, "ARI answered");
        Ok(Response { status, body })
    }
}

/// A value that can be written into a path segment or query string.
pub trait ParamValue {
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
    pub fn new(method: Method, template: &'static str, path: String) -> Self {
        Request {
            method,
            template,
            path,
            query: Vec::new(),
            body: None,
        }
    }

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

    pub(crate) fn path(&self) -> &str {
        &self.path
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
    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, TransportError> {
        serde_json::from_slice(&self.body).map_err(|source| TransportError::Decode {
            status: self.status,
            body: String::from_utf8_lossy(&self.body).into_owned(),
            source,
        })
    }

    pub fn into_bytes(self) -> bytes::Bytes {
        self.body
    }

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
    fn base_url_gets_ari_root() {
        let client = Client::builder("http://127.0.0.1:8088/").build().unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:8088/ari");
        let client = Client::builder("https://pbx/asterisk/ari").build().unwrap();
        assert_eq!(client.base_url(), "https://pbx/asterisk/ari");
        assert!(Client::builder("pbx:8088").build().is_err());
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
