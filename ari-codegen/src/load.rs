//! Reading api-docs from a folder or from a live Asterisk.

use crate::error::{Error, Result};
use crate::spec;
use base64::Engine as _;
use std::path::{Path, PathBuf};

/// Name of the file, next to captured api-docs, that records which Asterisk served them.
pub const VERSION_FILE: &str = "ASTERISK_VERSION";
pub const LISTING_FILE: &str = "resources.json";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// File name as listed, e.g. `channels.json`.
    pub name: String,
    pub text: String,
}

/// The raw input: `resources.json` and every file it lists.
#[derive(Debug, Clone)]
pub struct ApiDocs {
    /// Folder or URL, for messages.
    pub origin: String,
    pub listing: SourceFile,
    pub resources: Vec<SourceFile>,
    pub asterisk_version: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

/// How to reach a live Asterisk.
#[derive(Debug, Clone, Default)]
pub struct Remote {
    pub credentials: Option<Credentials>,
    /// A PEM file of the certificate authorities to trust for `https://`
    /// instead of the platform's (an Asterisk with its own CA).
    pub ca_cert: Option<PathBuf>,
}

impl Remote {
    /// Basic credentials, nothing else.
    pub fn with_credentials(user: impl Into<String>, password: impl Into<String>) -> Self {
        Remote {
            credentials: Some(Credentials {
                user: user.into(),
                password: password.into(),
            }),
            ca_cert: None,
        }
    }
}

impl ApiDocs {
    /// A folder, or an `http://`/`https://` URL of `resources.json` (or of
    /// the ARI base).
    pub fn load(source: &str, remote: &Remote) -> Result<Self> {
        if source.starts_with("http://") || source.starts_with("https://") {
            Self::from_url(source, remote)
        } else {
            Self::from_dir(Path::new(source))
        }
    }

    pub fn from_dir(dir: &Path) -> Result<Self> {
        let read = |name: &str| -> Result<String> {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| Error::io(path.display().to_string(), e))
        };
        let listing_text = read(LISTING_FILE)?;
        let names = listed_files(&listing_text)?;
        let resources = names
            .into_iter()
            .map(|name| {
                let text = read(&name)?;
                Ok(SourceFile { name, text })
            })
            .collect::<Result<Vec<_>>>()?;
        let version_path = dir.join(VERSION_FILE);
        let asterisk_version = match std::fs::read_to_string(&version_path) {
            Ok(text) => Some(text.trim().to_owned()).filter(|v| !v.is_empty()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(version_path.display().to_string(), e)),
        };
        Ok(ApiDocs {
            origin: dir.display().to_string(),
            listing: SourceFile {
                name: LISTING_FILE.to_owned(),
                text: listing_text,
            },
            resources,
            asterisk_version,
        })
    }

    /// Captures from a live Asterisk. `url` is either `…/ari/api-docs/resources.json`
    /// or the ARI base `http://host:port/ari`.
    pub fn from_url(url: &str, remote: &Remote) -> Result<Self> {
        let http = Http::new(url, remote)?;
        let ari_base = url
            .trim_end_matches('/')
            .trim_end_matches("/resources.json")
            .trim_end_matches("/api-docs")
            .to_owned();
        let docs_base = format!("{ari_base}/api-docs");
        let listing_text = http.get(&format!("{docs_base}/{LISTING_FILE}"))?;
        let names = listed_files(&listing_text)?;
        let resources = names
            .into_iter()
            .map(|name| {
                let text = http.get(&format!("{docs_base}/{name}"))?;
                Ok(SourceFile { name, text })
            })
            .collect::<Result<Vec<_>>>()?;
        let info_url = format!("{ari_base}/asterisk/info");
        let info = http.get(&info_url)?;
        let asterisk_version = serde_json::from_str::<serde_json::Value>(&info)
            .ok()
            .and_then(|v| v["system"]["version"].as_str().map(str::to_owned));
        Ok(ApiDocs {
            origin: url.to_owned(),
            listing: SourceFile {
                name: LISTING_FILE.to_owned(),
                text: listing_text,
            },
            resources,
            asterisk_version,
        })
    }

    /// Writes the files exactly as loaded, plus the version record, so that a
    /// capture can be committed and regenerated from later.
    pub fn save(&self, dir: &Path) -> Result<()> {
        // Asterisk serves each file as one long line; indented, a later
        // capture's diff shows what changed.
        let pretty = |file: &SourceFile| -> Result<(PathBuf, String)> {
            let value: serde_json::Value = crate::normalize::parse_json(&file.name, &file.text)?;
            let text = serde_json::to_string_pretty(&value)
                .map_err(|e| Error::spec(file.name.as_str(), "$", e))?;
            Ok((PathBuf::from(&file.name), format!("{text}\n")))
        };
        let mut files = vec![pretty(&self.listing)?];
        for file in &self.resources {
            files.push(pretty(file)?);
        }
        if let Some(version) = &self.asterisk_version {
            files.push((PathBuf::from(VERSION_FILE), format!("{version}\n")));
        }
        crate::write::replace_dir(dir, &files)
    }
}

/// The resource files `resources.json` lists, as file names.
fn listed_files(listing_text: &str) -> Result<Vec<String>> {
    let listing: spec::ResourceListing = crate::normalize::parse_json(LISTING_FILE, listing_text)?;
    listing
        .apis
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            resource_file_name(&entry.path).ok_or_else(|| {
                Error::spec(
                    LISTING_FILE,
                    format!("$.apis[{index}].path"),
                    format!("`{}` does not name a resource file", entry.path),
                )
            })
        })
        .collect()
}

/// `/api-docs/channels.{format}` → `channels.json`.
pub fn resource_file_name(listed_path: &str) -> Option<String> {
    let last = listed_path.rsplit('/').next()?;
    let name = last.replace("{format}", "json");
    let plain = !name.is_empty()
        && name != ".."
        && name.ends_with(".json")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    plain.then_some(name)
}

/// One agent (connections reused) with the `Authorization` header to send.
struct Http {
    agent: ureq::Agent,
    authorization: Option<String>,
}

impl Http {
    fn new(url: &str, remote: &Remote) -> Result<Self> {
        let authorization = remote.credentials.as_ref().map(|c| {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", c.user, c.password));
            format!("Basic {token}")
        });
        let agent = if url.starts_with("https://") {
            tls_agent(url, remote.ca_cert.as_deref())?
        } else {
            ureq::Agent::new_with_defaults()
        };
        Ok(Http {
            agent,
            authorization,
        })
    }

    fn get(&self, url: &str) -> Result<String> {
        let http_error = |message: String| Error::Http {
            url: url.to_owned(),
            message,
        };
        let mut request = self.agent.get(url);
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        let mut response = request.call().map_err(|e| http_error(e.to_string()))?;
        response
            .body_mut()
            .read_to_string()
            .map_err(|e| http_error(e.to_string()))
    }
}

/// An agent for `https://`: rustls with the aws-lc-rs provider, passed
/// explicitly (no process-wide default is installed), verifying against
/// `ca_cert` or, without one, the platform's trust store.
#[cfg(feature = "https")]
fn tls_agent(_url: &str, ca_cert: Option<&Path>) -> Result<ureq::Agent> {
    use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
    let roots = match ca_cert {
        Some(path) => RootCerts::new_with_certs(&read_certificates(path)?),
        None => RootCerts::PlatformVerifier,
    };
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .root_certs(roots)
        .build();
    Ok(ureq::Agent::config_builder()
        .tls_config(tls)
        .build()
        .new_agent())
}

#[cfg(not(feature = "https"))]
fn tls_agent(url: &str, _ca_cert: Option<&Path>) -> Result<ureq::Agent> {
    Err(Error::Http {
        url: url.to_owned(),
        message: "this build of ari-codegen has no https support (its `https` feature, \
                  `codegen-https` for ari-generated's build-time generation); \
                  use the plain-http ARI address"
            .into(),
    })
}

/// The certificates of a PEM file, or an error naming it.
#[cfg(feature = "https")]
fn read_certificates(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>> {
    let invalid = |message: String| {
        Error::io(
            path.display().to_string(),
            std::io::Error::new(std::io::ErrorKind::InvalidData, message),
        )
    };
    let pem = std::fs::read(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(certificate)) => certificates.push(certificate),
            Ok(_) => {}
            Err(error) => return Err(invalid(format!("not a PEM certificate file: {error}"))),
        }
    }
    if certificates.is_empty() {
        return Err(invalid("no certificate in this PEM file".into()));
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_paths_become_file_names() {
        assert_eq!(
            resource_file_name("/api-docs/channels.{format}").as_deref(),
            Some("channels.json")
        );
        assert_eq!(
            resource_file_name("/api-docs/deviceStates.json").as_deref(),
            Some("deviceStates.json")
        );
        assert_eq!(resource_file_name("/api-docs/../../etc/passwd"), None);
        assert_eq!(resource_file_name("/api-docs/"), None);
    }
}
