//! Does the server speak the API these bindings were generated from?

use super::bindings::{Bindings, OwnRequests};
use super::client::{Client, Method, Request};
use super::error::{ErrorResponse, TransportError};

/// What a set of bindings was generated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindingsVersion {
    /// The Asterisk version whose api-docs the bindings were generated from (empty when unknown).
    pub asterisk_version: &'static str,
    /// The `apiVersion` of those api-docs.
    pub api_version: &'static str,
}

/// The server's versions next to the bindings'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionCheck {
    /// `system.version` of `GET /asterisk/info`.
    pub server_asterisk_version: String,
    /// `apiVersion` of `GET /api-docs/resources.json`.
    pub server_api_version: String,
    /// The versions the bindings were generated from.
    pub bindings: BindingsVersion,
}

impl VersionCheck {
    /// Whether the server runs exactly the Asterisk version the bindings were generated from.
    pub fn asterisk_version_matches(&self) -> bool {
        self.server_asterisk_version == self.bindings.asterisk_version
    }

    /// Whether the server's `apiVersion` is exactly the bindings'; [`is_compatible`](Self::is_compatible) is the looser test.
    pub fn api_version_matches(&self) -> bool {
        self.server_api_version == self.bindings.api_version
    }

    /// Same major `apiVersion`: ARI only breaks compatibility on a major
    /// bump, so operations and events of the bindings exist on the server
    /// (newer minors only add).
    pub fn is_compatible(&self) -> bool {
        let major = |version: &str| version.split('.').next().map(str::to_owned);
        major(&self.server_api_version) == major(self.bindings.api_version)
    }
}

/// The versions could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// A request failed, or its answer did not decode.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A request got an unsuccessful answer: the answer, and the path requested.
    #[error("{path} answered {0}", path = .1)]
    Status(ErrorResponse, &'static str),
    /// The answer of the named path lacks its version field (`system.version` or `apiVersion`).
    #[error("{0} has no version field")]
    Missing(&'static str),
}

impl Client {
    /// Compares the server's Asterisk version and ARI `apiVersion` with
    /// the ones bindings `B` were generated from, and logs a
    /// `tracing::warn!` for each that differs (the generated client's
    /// `check_version` calls this with its own bindings).
    pub async fn check_version<B: Bindings>(&self) -> Result<VersionCheck, VersionError> {
        self.check_version_with(&OwnRequests::of::<B>()).await
    }

    pub(crate) async fn check_version_with(
        &self,
        requests: &OwnRequests,
    ) -> Result<VersionCheck, VersionError> {
        let info = self.get_json((requests.asterisk_info)()).await?;
        let server_asterisk_version = info
            .pointer("/system/version")
            .and_then(|v| v.as_str())
            .ok_or(VersionError::Missing("/asterisk/info"))?
            .to_owned();
        // Not an operation: where every ARI serves its api-docs.
        let resources_path = "/api-docs/resources.json";
        let resources = self
            .get_json(Request::new(
                Method::GET,
                resources_path,
                resources_path.to_owned(),
            ))
            .await?;
        let server_api_version = resources
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .ok_or(VersionError::Missing("/api-docs/resources.json"))?
            .to_owned();
        let check = VersionCheck {
            server_asterisk_version,
            server_api_version,
            bindings: requests.version,
        };
        if !check.api_version_matches() {
            tracing::warn!(
                server = %check.server_api_version,
                bindings = check.bindings.api_version,
                compatible = check.is_compatible(),
                "ARI apiVersion differs from the one the bindings were generated from"
            );
        }
        if !check.asterisk_version_matches() {
            tracing::warn!(
                server = %check.server_asterisk_version,
                bindings = check.bindings.asterisk_version,
                "Asterisk version differs from the one the bindings were generated from"
            );
        }
        Ok(check)
    }

    async fn get_json(&self, request: Request) -> Result<serde_json::Value, VersionError> {
        let path = request.template();
        let response = self.execute(request).await?;
        match response.status() {
            200..=299 => Ok(response.json()?),
            _ => Err(VersionError::Status(response.into_error(), path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(server_api: &str, server_asterisk: &str) -> VersionCheck {
        VersionCheck {
            server_asterisk_version: server_asterisk.into(),
            server_api_version: server_api.into(),
            bindings: BindingsVersion {
                asterisk_version: "22.10.1",
                api_version: "10.0.0",
            },
        }
    }

    #[test]
    fn compatibility_follows_the_major_api_version() {
        let same = check("10.0.0", "22.10.1");
        assert!(same.api_version_matches() && same.asterisk_version_matches());
        let newer_minor = check("10.1.0", "22.11.0");
        assert!(!newer_minor.api_version_matches() && newer_minor.is_compatible());
        assert!(!newer_minor.asterisk_version_matches());
        assert!(!check("9.0.0", "21.12.0").is_compatible());
    }
}
