//! Asking a local Asterisk `GET /ari/asterisk/info`, and checking that the
//! package mirror can be reached at all.
//!
//! Blocking `ureq` without TLS: the harness only ever talks plain HTTP to
//! 127.0.0.1, and xtask stays free of an async runtime.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine as _;

/// A parsed HTTP response; the body is kept as text because ARI answers JSON.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// `GET path` with basic auth; any status is an answer, not an error.
pub fn get(
    host: &str,
    port: u16,
    path: &str,
    credentials: (&str, &str),
    timeout: Duration,
) -> anyhow::Result<Response> {
    let url = format!("http://{host}:{port}{path}");
    let token = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", credentials.0, credentials.1));
    let mut response = ureq::get(&url)
        .header("Authorization", &format!("Basic {token}"))
        .header("Accept", "application/json")
        .config()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .call()
        .with_context(|| format!("GET {url}"))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the answer of GET {url}"))?;
    Ok(Response { status, body })
}

/// Whether a TCP connection to `host:port` can be opened at all; used to tell
/// "no route to the mirror" apart from later download errors.
pub fn can_connect(host: &str, port: u16, timeout: Duration) -> anyhow::Result<()> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {host}"))?
        .collect();
    let mut last_error = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(()),
            Err(error) => last_error = Some(format!("{addr}: {error}")),
        }
    }
    match last_error {
        Some(error) => bail!("cannot connect to {host}:{port} ({error})"),
        None => bail!("{host} resolves to no address"),
    }
}

/// The Asterisk version from the body of `GET /ari/asterisk/info`.
pub fn version_from_info(body: &str) -> anyhow::Result<String> {
    let info: serde_json::Value =
        serde_json::from_str(body).context("/ari/asterisk/info did not return JSON")?;
    info.pointer("/system/version")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .context("/ari/asterisk/info has no system.version")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_real_info() {
        // Captured from the Debian sid package this harness installs.
        let body = r#"{"build":{"os":"Linux","kernel":"unknown","machine":"unknown","options":"OPTIONAL_API, TEST_FRAMEWORK","date":"2026-07-20 21:35:32 UTC","user":"nobody"},"system":{"version":"22.10.1+dfsg+~cs6.17.60671434-1","entity_id":"02:fc:00:00:00:01"},"config":{"name":"","default_language":"en","setid":{"user":"","group":""}},"status":{"startup_time":"2026-11-23T09:41:11.852+0000","last_reload_time":"2026-11-23T09:41:11.852+0000"}}"#;
        assert_eq!(
            version_from_info(body).expect("version present"),
            "22.10.1+dfsg+~cs6.17.60671434-1"
        );
    }

    #[test]
    fn version_missing_or_not_json_is_an_error() {
        assert!(version_from_info(r#"{"build":{}}"#).is_err());
        assert!(version_from_info(r#"{"system":{"version":22}}"#).is_err());
        assert!(version_from_info("<html>Unauthorized</html>").is_err());
    }
}
