use std::fmt;

/// Everything that can go wrong between reading api-docs and writing files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The api-docs are not what the dialect allows: names the file and the
    /// JSON path of the offending value.
    #[error("{file}: {path}: {message}")]
    Spec {
        file: String,
        path: String,
        message: String,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{url}: {message}")]
    Http { url: String, message: String },
    /// Emitted code that does not parse is a generator bug, never the input's fault.
    #[error("internal error: generated {file} does not parse: {message}")]
    Emit { file: String, message: String },
}

impl Error {
    pub fn spec(
        file: impl Into<String>,
        path: impl Into<String>,
        message: impl fmt::Display,
    ) -> Self {
        Error::Spec {
            file: file.into(),
            path: path.into(),
            message: message.to_string(),
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
