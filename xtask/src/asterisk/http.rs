//! Just enough HTTP/1.1 to ask a local Asterisk `GET /ari/asterisk/info`.
//!
//! xtask stays free of an async runtime and of a TLS stack: the harness only
//! ever talks plain HTTP to 127.0.0.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, bail};

/// A parsed HTTP response; the body is kept as text because ARI answers JSON.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// `GET path` with basic auth and `Connection: close`.
pub fn get(
    host: &str,
    port: u16,
    path: &str,
    credentials: (&str, &str),
    timeout: Duration,
) -> anyhow::Result<Response> {
    let addr = resolve(host, port)?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let auth = base64(format!("{}:{}", credentials.0, credentials.1).as_bytes());
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {auth}\r\n\
         Accept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .with_context(|| format!("reading the answer from {addr}"))?;
    parse_response(&raw)
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

fn resolve(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {host}"))?
        .next()
        .with_context(|| format!("{host} resolves to no address"))
}

pub fn parse_response(raw: &[u8]) -> anyhow::Result<Response> {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .context("incomplete HTTP response (no end of headers)")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .with_context(|| format!("malformed HTTP status line {status_line:?}"))?;
    let chunked = lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("transfer-encoding")
                && value.trim().eq_ignore_ascii_case("chunked")
        })
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|window| window == b"\r\n")
            .context("truncated chunked body")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .with_context(|| format!("bad chunk size {size_text:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).context("truncated chunk")?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).context("truncated chunk trailer")?;
    }
}

pub fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let bytes = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
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
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"asterisk:asterisk"), "YXN0ZXJpc2s6YXN0ZXJpc2s=");
    }

    #[test]
    fn parses_plain_response() {
        let raw = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\n{}";
        let response = parse_response(raw).expect("valid response");
        assert_eq!(response.status, 401);
        assert_eq!(response.body, "{}");
    }

    #[test]
    fn parses_chunked_response() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=y\r\n\":1}\r\n0\r\n\r\n";
        let response = parse_response(raw).expect("valid response");
        assert_eq!(response.status, 200);
        assert_eq!(response.body, "{\"a\":1}");
    }

    #[test]
    fn rejects_truncated_response() {
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-").is_err());
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }

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
