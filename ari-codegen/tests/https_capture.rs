//! Capturing api-docs from an `https://` Asterisk: a local TLS server (rustls,
//! a test CA's certificate for `localhost`) serves `../shared/api-docs/22.10.1`
//! the way a live Asterisk does, behind basic authentication.

#![cfg(feature = "https")]

use ari_codegen::{ApiDocs, Error, Remote};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tls_fixture(name: &str) -> PathBuf {
    manifest_dir().join("../tests/asterisk/tls").join(name)
}

fn served_dir() -> PathBuf {
    manifest_dir().join("../../shared/api-docs/22.10.1")
}

/// The `Authorization` value of asterisk:asterisk.
const AUTHORIZATION: &str = "Basic YXN0ZXJpc2s6YXN0ZXJpc2s=";

fn authorized(head: &[String]) -> bool {
    head.iter().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("authorization") && value.trim() == AUTHORIZATION
        })
    })
}

fn server_config() -> Arc<rustls::ServerConfig> {
    let pem = |name: &str| std::fs::read(tls_fixture(name)).unwrap();
    let certificates = rustls::pki_types::pem::PemObject::pem_slice_iter(&pem("localhost.pem"))
        .collect::<Result<Vec<rustls::pki_types::CertificateDer<'static>>, _>>()
        .unwrap();
    let key = rustls::pki_types::pem::PemObject::from_pem_slice(&pem("localhost.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certificates, key)
    .unwrap();
    Arc::new(config)
}

/// Serves `/ari/api-docs/<file>` from `served_dir()` and `/ari/asterisk/info`
/// over TLS, one request per connection; 401 without the credentials.
/// Returns the port.
fn serve_https() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = server_config();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let Ok(connection) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(connection, tcp);
                let mut head = Vec::new();
                let mut reader = BufReader::new(&mut tls);
                loop {
                    let mut line = String::new();
                    // A client that refuses the certificate hangs up here.
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => head.push(line.trim_end().to_owned()),
                    }
                }
                let path = head
                    .first()
                    .and_then(|line| line.split(' ').nth(1))
                    .unwrap_or_default()
                    .to_owned();
                let (status, body) = if !authorized(&head) {
                    ("401 Unauthorized", String::new())
                } else if path == "/ari/asterisk/info" {
                    ("200 OK", r#"{"system":{"version":"22.10.1"}}"#.to_owned())
                } else if let Some(file) = path.strip_prefix("/ari/api-docs/") {
                    match std::fs::read_to_string(served_dir().join(file)) {
                        Ok(text) => ("200 OK", text),
                        Err(_) => ("404 Not Found", String::new()),
                    }
                } else {
                    ("404 Not Found", String::new())
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes());
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

fn trusting_the_test_ca() -> Remote {
    Remote {
        ca_cert: Some(tls_fixture("ca.pem")),
        ..Remote::with_credentials("asterisk", "asterisk")
    }
}

#[test]
fn api_docs_are_captured_over_https_verified_against_a_given_ca() {
    let port = serve_https();
    let url = format!("https://localhost:{port}/ari/api-docs/resources.json");
    let captured = ApiDocs::from_url(&url, &trusting_the_test_ca()).unwrap();
    let expected = ApiDocs::from_dir(&served_dir()).unwrap();
    assert_eq!(captured.listing, expected.listing);
    assert_eq!(captured.resources, expected.resources);
    assert_eq!(captured.resources.len(), 11);
    assert_eq!(captured.asterisk_version.as_deref(), Some("22.10.1"));
}

#[test]
fn an_untrusted_certificate_or_a_bad_ca_file_is_a_clear_error() {
    let port = serve_https();
    let url = format!("https://localhost:{port}/ari");
    // The platform's trust store does not know the test CA.
    let platform = Remote::with_credentials("asterisk", "asterisk");
    match ApiDocs::from_url(&url, &platform) {
        Err(Error::Http { url, message }) => {
            assert!(url.ends_with("/ari/api-docs/resources.json"), "{url}");
            assert!(message.to_lowercase().contains("certificate"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Wrong credentials still get through TLS, and are named as such.
    let wrong = Remote {
        ca_cert: Some(tls_fixture("ca.pem")),
        ..Remote::with_credentials("asterisk", "wrong")
    };
    match ApiDocs::from_url(&url, &wrong) {
        Err(Error::Http { message, .. }) => assert!(message.contains("401"), "{message}"),
        other => panic!("{other:?}"),
    }
    // A key is not a certificate; a missing file is named.
    for (file, expected) in [
        ("localhost.key", "no certificate"),
        ("missing.pem", "No such file"),
    ] {
        let remote = Remote {
            ca_cert: Some(tls_fixture(file)),
            ..trusting_the_test_ca()
        };
        let error = ApiDocs::from_url(&url, &remote).unwrap_err().to_string();
        assert!(error.contains(file) && error.contains(expected), "{error}");
    }
}
