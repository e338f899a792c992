//! Where state is kept: a local file (`fireform-state`'s own backend), an S3-compatible object
//! store, or a PostgreSQL database. [`Location::parse`] reads a `--state` value, and
//! [`Location::open`] gives the [`Backend`] for it.
//!
//! Both remote backends drive async clients (the project's reqwest for S3, tokio-postgres) on a
//! private runtime thread, so they serve the synchronous `Backend` interface from the state
//! saver's thread and from inside a command's runtime alike.

mod aws;
mod postgres;
mod s3;
mod sigv4;
mod worker;

use std::path::{Path, PathBuf};

use fireform_state::{Backend, LocalBackend};

pub use crate::postgres::{PgBackend, PgLocation};
pub use crate::s3::{S3Backend, S3Location};

/// The URL schemes a state location may use.
pub const SCHEMES: &[&str] = &["s3://", "postgres://", "postgresql://"];

/// A state location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local file.
    Local(PathBuf),
    /// An object in an S3-compatible store.
    S3(S3Location),
    /// A row in a PostgreSQL table.
    Postgres(PgLocation),
}

/// Why a state location cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    /// A URL scheme this build does not support.
    #[error(
        "unsupported state location `{location}`: `{scheme}:` is not a supported scheme; a state \
         location is a file path, `s3://BUCKET/KEY` or `postgres://…`"
    )]
    Unsupported {
        /// The location.
        location: String,
        /// Its scheme.
        scheme: String,
    },
    /// A location of a supported scheme that does not parse.
    #[error("invalid state location `{location}`: expected {expected}")]
    Malformed {
        /// The location.
        location: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The settings around the location (credentials, endpoint) are missing or wrong.
    #[error("{0}")]
    Settings(String),
}

impl Location {
    /// Reads a location: a URL of a supported scheme, or a path (relative ones are taken from
    /// `base`). Anything else that looks like a URL is refused, never taken for a path.
    pub fn parse(text: &str, base: &Path) -> Result<Location, LocationError> {
        if text.starts_with("s3://") {
            return S3Location::parse(text).map(Location::S3);
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return PgLocation::parse(text).map(Location::Postgres);
        }
        if let Some(scheme) = url_scheme(text) {
            return Err(LocationError::Unsupported {
                location: text.to_owned(),
                scheme: scheme.to_owned(),
            });
        }
        Ok(Location::Local(base.join(text)))
    }

    /// Whether the location is a remote store.
    pub fn is_remote(&self) -> bool {
        !matches!(self, Location::Local(_))
    }

    /// The location as a user writes it; credentials left out.
    pub fn display(&self) -> String {
        match self {
            Location::Local(path) => path.display().to_string(),
            Location::S3(location) => format!("s3://{}/{}", location.bucket, location.key),
            Location::Postgres(location) => location.display(),
        }
    }

    /// The backend for this location. `lookup` reads environment variables (`AWS_*`,
    /// `PGPASSWORD`).
    pub fn open(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Box<dyn Backend>, LocationError> {
        Ok(match self {
            Location::Local(path) => Box::new(LocalBackend::new(path.clone())),
            Location::S3(location) => Box::new(S3Backend::new(location.clone(), lookup)?),
            Location::Postgres(location) => Box::new(PgBackend::new(location.clone(), lookup)?),
        })
    }
}

/// The scheme of a location that looks like a URL (`s3://…`, `gs:/x`, `http://…`), if it
/// does: letters, digits, `+`, `-` or `.` (at least two, so a drive letter is not one) then `:`.
pub fn url_scheme(location: &str) -> Option<&str> {
    let (scheme, _) = location.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|first| first.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && scheme.len() >= 2;
    valid.then_some(scheme)
}

/// The TLS settings of both backends: rustls with the ring provider and the platform's
/// certificate verifier, as the API client uses.
fn tls_config() -> Result<rustls::ClientConfig, String> {
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_platform_verifier()
        .map_err(|error| error.to_string())?
        .with_no_client_auth())
}

/// The HTTP client of the S3 backend: the project's reqwest, rustls with the ring provider.
fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .user_agent(format!("fireform/{}", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        // Runs wait for a lock for minutes; an idle pooled connection held meanwhile is one a
        // small store (LocalStack, MinIO) may stall on. Each request opens its own.
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| error.without_url().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_paths_or_supported_urls_and_nothing_else() {
        let base = Path::new("/project");
        assert_eq!(
            Location::parse(".fireform/state.json", base).unwrap(),
            Location::Local(PathBuf::from("/project/.fireform/state.json"))
        );
        assert!(matches!(Location::parse("s3://bucket/key", base), Ok(Location::S3(_))));
        assert!(matches!(
            Location::parse("postgres://db.example/fireform", base),
            Ok(Location::Postgres(_))
        ));
        for other in ["gs://bucket/key", "http://x/y", "s4://bucket/key", "azurerm://x"] {
            let error = Location::parse(other, base).unwrap_err();
            assert!(error.to_string().contains("not a supported scheme"), "{error}");
        }
        assert_eq!(
            Location::parse("./s3:/bucket", base).unwrap(),
            Location::Local(PathBuf::from("/project/./s3:/bucket"))
        );
    }

    #[test]
    fn url_like_locations_are_recognised() {
        assert_eq!(url_scheme("s3://bucket/key"), Some("s3"));
        assert_eq!(url_scheme("gs:/bucket"), Some("gs"));
        assert_eq!(url_scheme("git+ssh://x"), Some("git+ssh"));
        assert_eq!(url_scheme(".fireform/state.json"), None);
        assert_eq!(url_scheme("C:/state.json"), None);
        assert_eq!(url_scheme("/abs/path:x"), None);
    }
}
