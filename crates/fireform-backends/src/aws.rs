//! S3 settings from the standard AWS environment variables and profile files, as the AWS
//! CLI and SDKs read them: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`),
//! `AWS_PROFILE`, `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`.

use std::path::PathBuf;

use crate::LocationError;
use crate::sigv4::Credentials;

/// Where and how to reach the store.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `http` or `https`.
    pub(crate) scheme: String,
    /// The endpoint's host and port (`127.0.0.1:4566`); `None` for AWS itself.
    pub(crate) endpoint: Option<String>,
    pub(crate) region: String,
    pub(crate) credentials: Credentials,
    /// `https://host/bucket/key` rather than `https://bucket.host/key`.
    pub(crate) path_style: bool,
}

impl Settings {
    /// Reads the settings; `path_style` is the location's choice, if it made one (default:
    /// path-style for a custom endpoint, virtual-hosted for AWS).
    pub(crate) fn from_env(
        lookup: &dyn Fn(&str) -> Option<String>,
        path_style: Option<bool>,
    ) -> Result<Settings, LocationError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let profile = get("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
        let home = get("HOME").map(PathBuf::from);
        let credentials_file = get("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|home| home.join(".aws/credentials")));
        let config_file = get("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|home| home.join(".aws/config")));
        let from_credentials = |key: &str| {
            credentials_file.as_ref().and_then(|file| profile_value(file, &profile, false, key))
        };
        let from_config = |key: &str| {
            config_file.as_ref().and_then(|file| profile_value(file, &profile, true, key))
        };

        let (access_key_id, secret_access_key, session_token) =
            match (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
                (Some(id), Some(secret)) => (id, secret, get("AWS_SESSION_TOKEN")),
                _ => {
                    let id = from_credentials("aws_access_key_id")
                        .or_else(|| from_config("aws_access_key_id"));
                    let secret = from_credentials("aws_secret_access_key")
                        .or_else(|| from_config("aws_secret_access_key"));
                    match (id, secret) {
                        (Some(id), Some(secret)) => (
                            id,
                            secret,
                            from_credentials("aws_session_token")
                                .or_else(|| from_config("aws_session_token")),
                        ),
                        _ => {
                            return Err(LocationError::Settings(format!(
                                "no S3 credentials: set `AWS_ACCESS_KEY_ID` and \
                                 `AWS_SECRET_ACCESS_KEY`, or give profile `{profile}` keys in \
                                 the AWS credentials file"
                            )));
                        }
                    }
                }
            };
        let region = get("AWS_REGION")
            .or_else(|| get("AWS_DEFAULT_REGION"))
            .or_else(|| from_config("region"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint_url = get("AWS_ENDPOINT_URL_S3")
            .or_else(|| get("AWS_ENDPOINT_URL"))
            .or_else(|| from_config("endpoint_url"));
        let (scheme, endpoint) = match endpoint_url {
            None => ("https".to_owned(), None),
            Some(url) => {
                let (scheme, rest) = url.split_once("://").ok_or_else(|| {
                    LocationError::Settings(format!(
                        "the S3 endpoint `{url}` is not a URL (e.g. `http://127.0.0.1:4566`)"
                    ))
                })?;
                if scheme != "http" && scheme != "https" {
                    return Err(LocationError::Settings(format!(
                        "the S3 endpoint `{url}` must be http or https"
                    )));
                }
                let host = rest.trim_end_matches('/');
                if host.is_empty() || host.contains('/') {
                    return Err(LocationError::Settings(format!(
                        "the S3 endpoint `{url}` must be a scheme and a host (and port) only"
                    )));
                }
                (scheme.to_owned(), Some(host.to_owned()))
            }
        };
        let path_style = path_style.unwrap_or(endpoint.is_some());
        Ok(Settings {
            scheme,
            endpoint,
            region,
            credentials: Credentials { access_key_id, secret_access_key, session_token },
            path_style,
        })
    }

    /// The host to send a request for `bucket` to, and the path prefix before the key.
    pub(crate) fn host_and_prefix(&self, bucket: &str) -> (String, String) {
        let host = match &self.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => format!("s3.{}.amazonaws.com", self.region),
        };
        if self.path_style {
            (host, format!("/{bucket}"))
        } else {
            (format!("{bucket}.{host}"), String::new())
        }
    }
}

/// The value of `key` in `profile` of an AWS INI file. The config file names profiles
/// `[profile NAME]` (but `[default]`); the credentials file `[NAME]`.
fn profile_value(file: &std::path::Path, profile: &str, config: bool, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let wanted = if config && profile != "default" {
        format!("profile {profile}")
    } else {
        profile.to_owned()
    };
    let mut in_profile = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            in_profile = section.trim() == wanted;
            continue;
        }
        if in_profile
            && let Some((name, value)) = line.split_once('=')
            && name.trim() == key
        {
            return Some(value.trim().to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, LocationError> {
        let vars: BTreeMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_env(&|name| vars.get(name).cloned(), None)
    }

    #[test]
    fn environment_variables_win_and_a_custom_endpoint_is_path_style() {
        let settings = settings(&[
            ("AWS_ACCESS_KEY_ID", "id"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/"),
        ])
        .unwrap();
        assert_eq!(settings.region, "eu-west-1");
        assert!(settings.path_style);
        assert_eq!(settings.host_and_prefix("b"), ("127.0.0.1:4566".to_owned(), "/b".to_owned()));
    }

    #[test]
    fn profiles_come_from_the_files_and_aws_is_virtual_hosted() {
        let dir = tempfile::tempdir().unwrap();
        let credentials = dir.path().join("credentials");
        std::fs::write(
            &credentials,
            "[default]\naws_access_key_id = d\naws_secret_access_key = ds\n\n[team]\n\
             aws_access_key_id = t\naws_secret_access_key = ts\naws_session_token = tt\n",
        )
        .unwrap();
        let config = dir.path().join("config");
        std::fs::write(&config, "[profile team]\nregion = ap-south-1\n").unwrap();
        let settings = settings(&[
            ("AWS_PROFILE", "team"),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ])
        .unwrap();
        assert_eq!(settings.credentials.access_key_id, "t");
        assert_eq!(settings.credentials.session_token.as_deref(), Some("tt"));
        assert_eq!(settings.region, "ap-south-1");
        assert!(!settings.path_style);
        assert_eq!(
            settings.host_and_prefix("b"),
            ("b.s3.ap-south-1.amazonaws.com".to_owned(), String::new())
        );
    }

    #[test]
    fn missing_credentials_and_bad_endpoints_are_refused() {
        assert!(settings(&[]).is_err());
        let error = settings(&[
            ("AWS_ACCESS_KEY_ID", "id"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_ENDPOINT_URL_S3", "ftp://x"),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("http or https"), "{error}");
    }
}
