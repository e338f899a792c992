//! Settings of the emulator: [`EmulatorConfig`] (everything, with defaults that work with no
//! flags), [`Timings`], [`Trouble`], [`FailRule`], and [`ServeOptions`], the clap-free options the
//! CLI's `fireform local serve` fills from its flags.
//!
//! Parsing here is for flag values (`--timings deployment=2s,job=3s`); nothing in this module
//! touches the network or the disk.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use fireform_api::Collection;
use serde::{Deserialize, Serialize};

/// The account the emulator serves when none is given.
pub const DEFAULT_ACCOUNT: &str = "fireform-local";

/// The API key of [`DEFAULT_ACCOUNT`] when none is given. It is not a secret: the emulator only
/// listens where it is told (loopback by default).
pub const DEFAULT_API_KEY: &str = "fireform-local-key";

/// Default GPUs per accelerator type an account may hold across its deployments.
pub const DEFAULT_GPU_QUOTA: u32 = 16;

/// Everything the emulator needs to run. `EmulatorConfig::default()` serves account
/// [`DEFAULT_ACCOUNT`] with key [`DEFAULT_API_KEY`], in memory, with the default [`Timings`], no
/// trouble and a GPU quota of [`DEFAULT_GPU_QUOTA`] per accelerator type.
#[derive(Clone, PartialEq)]
pub struct EmulatorConfig {
    /// The account the main key belongs to.
    pub account: String,
    /// The main API key (never printed).
    pub api_key: String,
    /// More accounts, each with its own key, to exercise cross-account checks.
    pub extra_accounts: Vec<AccountKey>,
    /// Where the world is kept; `None` keeps it in memory only.
    pub data_dir: Option<PathBuf>,
    /// How long lifecycles take.
    pub timings: Timings,
    /// Trouble injected into API requests.
    pub trouble: Trouble,
    /// Resources that fail on purpose.
    pub fail_rules: Vec<FailRule>,
    /// GPUs per accelerator type each account may hold.
    pub gpu_quota: u32,
    /// What a PATCH without `updateMask` does.
    pub patch_mode: PatchMode,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            account: DEFAULT_ACCOUNT.to_owned(),
            api_key: DEFAULT_API_KEY.to_owned(),
            extra_accounts: Vec::new(),
            data_dir: None,
            timings: Timings::default(),
            trouble: Trouble::default(),
            fail_rules: Vec::new(),
            gpu_quota: DEFAULT_GPU_QUOTA,
            patch_mode: PatchMode::default(),
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("EmulatorConfig")
            .field("account", &self.account)
            .field("api_key", &"<redacted>")
            .field("extra_accounts", &self.extra_accounts)
            .field("data_dir", &self.data_dir)
            .field("timings", &self.timings)
            .field("trouble", &self.trouble)
            .field("fail_rules", &self.fail_rules)
            .field("gpu_quota", &self.gpu_quota)
            .field("patch_mode", &self.patch_mode)
            .finish()
    }
}

/// Another account served by the same emulator, with its own key.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountKey {
    /// The account id.
    pub account: String,
    /// Its API key (never printed).
    pub api_key: String,
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("AccountKey").field("account", &self.account).finish_non_exhaustive()
    }
}

/// What a PATCH without `updateMask` does (§15 of the reference: unknown on the real service).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatchMode {
    /// Update exactly the fields present in the body (grpc-gateway's behaviour). The default.
    #[default]
    InferFromBody,
    /// Replace every mutable field with the body's value, clearing the ones it omits (what
    /// Fireworks' training SDK says the server does).
    Replace,
}

impl FromStr for PatchMode {
    type Err = ConfigParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "infer" | "infer-from-body" => Ok(Self::InferFromBody),
            "replace" => Ok(Self::Replace),
            _ => Err(ConfigParseError::new(text, "`infer` or `replace`")),
        }
    }
}

/// How long each lifecycle step takes. Zero is allowed (transitions then happen on the next read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    /// Deployment `CREATING` -> `READY` (default 2 s).
    #[serde(with = "millis")]
    pub deployment: Duration,
    /// Deployment `UPDATING` -> `READY` after a PATCH, `:scale` or `:undelete` (default 1 s).
    #[serde(with = "millis")]
    pub deployment_update: Duration,
    /// Deployment `DELETING` -> `DELETED` or gone, deployed model `UNDEPLOYING` -> gone
    /// (default 1 s).
    #[serde(with = "millis")]
    pub deletion: Duration,
    /// Deployed model `DEPLOYING` -> `DEPLOYED` (default 1 s).
    #[serde(with = "millis")]
    pub deployed_model: Duration,
    /// Job creation -> `JOB_STATE_COMPLETED`; the first third is `PENDING`, the rest `RUNNING`
    /// (default 3 s).
    #[serde(with = "millis")]
    pub job: Duration,
    /// How long a soft-deleted deployment stays `DELETED` before it is purged (default 7 days).
    #[serde(with = "millis")]
    pub soft_delete_retention: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            deployment: Duration::from_secs(2),
            deployment_update: Duration::from_secs(1),
            deletion: Duration::from_secs(1),
            deployed_model: Duration::from_secs(1),
            job: Duration::from_secs(3),
            soft_delete_retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl Timings {
    /// Every lifecycle instant (retention keeps its default): what tests want.
    pub fn instant() -> Self {
        Self {
            deployment: Duration::ZERO,
            deployment_update: Duration::ZERO,
            deletion: Duration::ZERO,
            deployed_model: Duration::ZERO,
            job: Duration::ZERO,
            ..Self::default()
        }
    }
}

/// Parses `deployment=2s,update=1s,deletion=1s,deployed-model=1s,job=3s,retention=7d`; keys may
/// be omitted (they keep their defaults), and `all=0s` sets every lifecycle step at once.
impl FromStr for Timings {
    type Err = ConfigParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut timings = Self::default();
        for (key, value) in pairs(text)? {
            let duration = parse_duration(value)?;
            match key {
                "all" => {
                    timings = Self {
                        soft_delete_retention: timings.soft_delete_retention,
                        ..Self::instant()
                    };
                    timings.deployment = duration;
                    timings.deployment_update = duration;
                    timings.deletion = duration;
                    timings.deployed_model = duration;
                    timings.job = duration;
                }
                "deployment" => timings.deployment = duration,
                "update" | "deployment-update" => timings.deployment_update = duration,
                "deletion" | "delete" => timings.deletion = duration,
                "deployed-model" | "lora" => timings.deployed_model = duration,
                "job" => timings.job = duration,
                "retention" | "soft-delete-retention" => timings.soft_delete_retention = duration,
                _ => {
                    return Err(ConfigParseError::new(
                        key,
                        "one of `all`, `deployment`, `update`, `deletion`, `deployed-model`, `job`, `retention`",
                    ));
                }
            }
        }
        Ok(timings)
    }
}

/// Trouble injected into API requests (never into `/_emulator/*` admin routes). Fractions are
/// probabilities in 0..=1, drawn independently per request in this order: drop, 429, 500, 503,
/// and, once the handler has answered, drop after commit; `mangle`, when set, garbles every
/// successful GET answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Trouble {
    /// Fixed delay added to every request, in milliseconds.
    pub latency_ms: u64,
    /// Extra random delay, uniform in 0..=jitter, in milliseconds.
    pub jitter_ms: u64,
    /// Fraction of requests answered 429 RESOURCE_EXHAUSTED with `Retry-After`.
    pub error_429: f64,
    /// Fraction of requests answered 500 INTERNAL.
    pub error_500: f64,
    /// Fraction of requests answered 503 UNAVAILABLE.
    pub error_503: f64,
    /// Fraction of requests whose connection is closed without a response.
    pub drop: f64,
    /// Fraction of successful mutating requests (POST, PUT, PATCH, DELETE answered 2xx) whose
    /// change is applied, audited and saved, but whose response is dropped (the connection is
    /// closed): a client that retries blindly would create twice. JSON `dropAfterCommit`, flag
    /// key `drop-after-commit`.
    pub drop_after_commit: f64,
    /// `Retry-After` seconds sent with injected 429s (default 0 means 1).
    pub retry_after_secs: u64,
    /// Per-account request-rate limit; requests beyond it get 429 with `Retry-After`.
    pub rate_limit: Option<RateLimit>,
    /// Garbles every successful (2xx) GET answer of the API the way a misbehaving proxy would
    /// (see [`Mangle`]). JSON `mangle` (`"emptyBody"`, `"stripFields"`, `"unknownEnums"`), flag
    /// key `mangle` (`empty-body`, `strip-fields`, `unknown-enums`).
    pub mangle: Option<Mangle>,
}

/// How [`Trouble::mangle`] garbles a successful GET answer, so end-to-end tests can prove that a
/// reply that makes no sense is never read as "nothing is there".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mangle {
    /// `200 OK` with an empty body (0 bytes), lists and single objects alike.
    EmptyBody,
    /// Every resource object in the answer (a list's items, or the single object) keeps only
    /// `name`, `state`, `status`, `createTime` and `updateTime`: the spec fields are gone.
    StripFields,
    /// Every enum-typed spec field the emulator knows of (a deployment's `acceleratorType`,
    /// `precision`, ...; a dataset's `format`; a job's `precision` or `lossConfig.method`; a
    /// model's `kind`) that is present gets a value no version knows, such as
    /// `ACCELERATOR_TYPE_FROM_THE_FUTURE`. `state` is left alone, so lifecycles stay readable.
    UnknownEnums,
}

impl Mangle {
    /// The flag spelling: `empty-body`, `strip-fields` or `unknown-enums`.
    pub fn as_flag(self) -> &'static str {
        match self {
            Self::EmptyBody => "empty-body",
            Self::StripFields => "strip-fields",
            Self::UnknownEnums => "unknown-enums",
        }
    }
}

/// Parses `empty-body`, `strip-fields` or `unknown-enums`.
impl FromStr for Mangle {
    type Err = ConfigParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [Self::EmptyBody, Self::StripFields, Self::UnknownEnums]
            .into_iter()
            .find(|mangle| mangle.as_flag() == text)
            .ok_or_else(|| {
                ConfigParseError::new(text, "`empty-body`, `strip-fields` or `unknown-enums`")
            })
    }
}

impl Trouble {
    /// True when no trouble is configured.
    pub fn is_calm(&self) -> bool {
        *self == Self::default()
    }
}

/// Parses `latency=50ms,jitter=20ms,429=0.1,500=0.05,503=0.05,drop=0.01,drop-after-commit=0.1,
/// retry-after=2s,rate=100/s,mangle=strip-fields` (`rate` also takes `/m`; `mangle` takes
/// `empty-body`, `strip-fields` or `unknown-enums`). `none` means no trouble.
impl FromStr for Trouble {
    type Err = ConfigParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut trouble = Self::default();
        if text.trim() == "none" {
            return Ok(trouble);
        }
        for (key, value) in pairs(text)? {
            let millis = || parse_duration(value).map(duration_millis);
            match key {
                "latency" => trouble.latency_ms = millis()?,
                "jitter" => trouble.jitter_ms = millis()?,
                "429" => trouble.error_429 = parse_fraction(value)?,
                "500" => trouble.error_500 = parse_fraction(value)?,
                "503" => trouble.error_503 = parse_fraction(value)?,
                "drop" => trouble.drop = parse_fraction(value)?,
                "drop-after-commit" => trouble.drop_after_commit = parse_fraction(value)?,
                "retry-after" => trouble.retry_after_secs = millis()?.div_ceil(1000),
                "rate" => trouble.rate_limit = Some(value.parse()?),
                "mangle" => trouble.mangle = Some(value.parse()?),
                _ => {
                    return Err(ConfigParseError::new(
                        key,
                        "one of `latency`, `jitter`, `429`, `500`, `503`, `drop`, `drop-after-commit`, `retry-after`, `rate`, `mangle`",
                    ));
                }
            }
        }
        Ok(trouble)
    }
}

/// At most `requests` requests per `per_secs` seconds per account (a fixed window).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length in seconds.
    pub per_secs: u64,
}

/// Parses `100/s` or `6000/m`.
impl FromStr for RateLimit {
    type Err = ConfigParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ConfigParseError::new(text, "a rate like `100/s` or `6000/m`");
        let (requests, unit) = text.split_once('/').ok_or_else(error)?;
        let requests = requests.trim().parse().map_err(|_| error())?;
        let per_secs = match unit.trim() {
            "s" => 1,
            "m" => 60,
            _ => return Err(error()),
        };
        Ok(Self { requests, per_secs })
    }
}

/// "Any resource of `collection` whose id matches `pattern` fails": deployments go `FAILED` (when
/// created, or at their next update or scale when the rule is added later), jobs
/// `JOB_STATE_FAILED`, deployed models fail to load (`STATE_UNSPECIFIED` with an error status),
/// datasets refuse `:validateUpload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailRule {
    /// The collection, by its wire name (`deployments`, `supervisedFineTuningJobs`, ...).
    pub collection: String,
    /// A glob on the resource id: `*` matches any run of characters, `?` one character.
    pub pattern: String,
    /// The failure message; a default naming the rule is used when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl FailRule {
    /// True when the rule applies to this resource.
    pub fn matches(&self, collection: Collection, id: &str) -> bool {
        self.collection == collection.as_str() && glob_matches(&self.pattern, id)
    }

    /// The status message of a resource failed by this rule.
    pub fn failure_message(&self) -> String {
        self.message.clone().unwrap_or_else(|| {
            format!(
                "failed on purpose by emulator fail rule `{}:{}`",
                self.collection, self.pattern
            )
        })
    }
}

/// Parses `collection:pattern` or `collection:pattern=message`, e.g.
/// `deployments:broken-*=out of capacity`.
impl FromStr for FailRule {
    type Err = ConfigParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (rule, message) = match text.split_once('=') {
            Some((rule, message)) => (rule, Some(message.to_owned())),
            None => (text, None),
        };
        let (collection, pattern) = rule
            .split_once(':')
            .ok_or_else(|| ConfigParseError::new(text, "`collection:pattern[=message]`"))?;
        let collection: Collection = collection
            .parse()
            .map_err(|_| ConfigParseError::new(collection, "a collection such as `deployments`"))?;
        if pattern.is_empty() {
            return Err(ConfigParseError::new(text, "a non-empty id pattern"));
        }
        Ok(Self {
            collection: collection.as_str().to_owned(),
            pattern: pattern.to_owned(),
            message,
        })
    }
}

/// Glob match with `*` and `?`, iterative with backtracking on the last `*`.
pub(crate) fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Options of `fireform local serve` and of the `fireform-emulator` binary, free of any argument
/// parser: every field has a `FromStr` value type, so a CLI maps one flag to one field.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    /// Address to listen on (`--listen`, default `127.0.0.1:8765`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// The rest of the settings (`--data-dir`, `--account`, `--api-key`, `--timings`,
    /// `--trouble`, `--fail` (repeatable), `--gpu-quota`, `--patch-mode`).
    pub config: EmulatorConfig,
}

/// The default listen address of `fireform local serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.parse().expect("the default listen address is valid"),
            config: EmulatorConfig::default(),
        }
    }
}

impl ServeOptions {
    /// Applies one `--flag value` pair as the CLI and the bin spell them (`listen`, `data-dir`,
    /// `account`, `api-key`, `timings`, `trouble`, `fail`, `gpu-quota`, `patch-mode`).
    pub fn set(&mut self, flag: &str, value: &str) -> Result<(), ConfigParseError> {
        match flag {
            "listen" => {
                self.listen = value.parse().map_err(|_| {
                    ConfigParseError::new(value, "an address like `127.0.0.1:8765`")
                })?;
            }
            "data-dir" => self.config.data_dir = Some(PathBuf::from(value)),
            "account" => {
                if value.is_empty() || value.contains('/') {
                    return Err(ConfigParseError::new(value, "an account id like `my-account`"));
                }
                self.config.account = value.to_owned();
            }
            "api-key" => {
                if value.is_empty() {
                    return Err(ConfigParseError::new("", "a non-empty API key"));
                }
                self.config.api_key = value.to_owned();
            }
            "timings" => self.config.timings = value.parse()?,
            "trouble" => self.config.trouble = value.parse()?,
            "fail" => self.config.fail_rules.push(value.parse()?),
            "gpu-quota" => {
                self.config.gpu_quota =
                    value.parse().map_err(|_| ConfigParseError::new(value, "a number of GPUs"))?;
            }
            "patch-mode" => self.config.patch_mode = value.parse()?,
            _ => return Err(ConfigParseError::new(flag, "a known flag")),
        }
        Ok(())
    }
}

/// A flag value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value `{value}`: expected {expected}")]
pub struct ConfigParseError {
    value: String,
    expected: String,
}

impl ConfigParseError {
    fn new(value: &str, expected: &str) -> Self {
        Self { value: value.to_owned(), expected: expected.to_owned() }
    }
}

fn pairs(text: &str) -> Result<Vec<(&str, &str)>, ConfigParseError> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.split_once('=')
                .map(|(key, value)| (key.trim(), value.trim()))
                .ok_or_else(|| ConfigParseError::new(part, "`key=value`"))
        })
        .collect()
}

/// Parses `0`, `250ms`, `2s`, `1.5s`, `5m`, `1h`, `7d`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, ConfigParseError> {
    let error = || ConfigParseError::new(text, "a duration like `250ms`, `2s`, `5m`");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(error)?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| error())?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        "d" => number * 86400.0,
        _ => return Err(error()),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| error())
}

fn parse_fraction(text: &str) -> Result<f64, ConfigParseError> {
    text.parse::<f64>()
        .ok()
        .filter(|fraction| (0.0..=1.0).contains(fraction))
        .ok_or_else(|| ConfigParseError::new(text, "a fraction between 0 and 1"))
}

fn duration_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Serde for a [`Duration`] as whole milliseconds.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        duration: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(super::duration_millis(*duration))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_timings() {
        let timings: Timings = "deployment=250ms, job=1.5s".parse().unwrap();
        assert_eq!(timings.deployment, Duration::from_millis(250));
        assert_eq!(timings.job, Duration::from_millis(1500));
        assert_eq!(timings.deployed_model, Duration::from_secs(1));
        let all: Timings = "all=0".parse().unwrap();
        assert_eq!(all.deployment, Duration::ZERO);
        assert_eq!(all.soft_delete_retention, Timings::default().soft_delete_retention);
        let error = "deploy=1s".parse::<Timings>().unwrap_err();
        assert!(error.to_string().starts_with("invalid value `deploy`"), "{error}");
        assert!("job=soon".parse::<Timings>().is_err());
    }

    #[test]
    fn parses_trouble() {
        let trouble: Trouble =
            "latency=50ms,jitter=20ms,429=0.1,503=1,drop=0,rate=100/s".parse().unwrap();
        assert_eq!(trouble.latency_ms, 50);
        assert_eq!(trouble.jitter_ms, 20);
        assert_eq!(trouble.error_429, 0.1);
        assert_eq!(trouble.error_503, 1.0);
        assert_eq!(trouble.rate_limit, Some(RateLimit { requests: 100, per_secs: 1 }));
        assert!("none".parse::<Trouble>().unwrap().is_calm());
        let committed: Trouble = "drop-after-commit=0.25".parse().unwrap();
        assert_eq!(committed, Trouble { drop_after_commit: 0.25, ..Trouble::default() });
        assert!(!committed.is_calm());
        assert!("drop-after-commit=1.5".parse::<Trouble>().is_err());
        assert!("503=2".parse::<Trouble>().is_err());
        assert!("rate=5/h".parse::<Trouble>().is_err());
    }

    #[test]
    fn parses_mangle_as_flag_and_json() {
        let trouble: Trouble = "latency=5ms, mangle=strip-fields".parse().unwrap();
        assert_eq!(trouble.mangle, Some(Mangle::StripFields));
        assert_eq!(trouble.latency_ms, 5);
        assert!(!trouble.is_calm());
        for (flag, json) in [
            ("empty-body", "emptyBody"),
            ("strip-fields", "stripFields"),
            ("unknown-enums", "unknownEnums"),
        ] {
            let parsed: Trouble = format!("mangle={flag}").parse().unwrap();
            let mangle = parsed.mangle.unwrap();
            assert_eq!(mangle.as_flag(), flag);
            let from_json: Trouble =
                serde_json::from_value(serde_json::json!({ "mangle": json })).unwrap();
            assert_eq!(from_json, parsed);
            assert_eq!(serde_json::to_value(&parsed).unwrap()["mangle"], json);
        }
        let error = "mangle=garble".parse::<Trouble>().unwrap_err();
        assert!(error.to_string().contains("`empty-body`"), "{error}");
        assert!(serde_json::from_str::<Trouble>(r#"{"mangle": "empty-body"}"#).is_err());
        assert!("none".parse::<Trouble>().unwrap().mangle.is_none());
    }

    #[test]
    fn parses_fail_rules_and_globs() {
        let rule: FailRule = "deployments:broken-*=no capacity".parse().unwrap();
        assert!(rule.matches(Collection::Deployments, "broken-1"));
        assert!(!rule.matches(Collection::Deployments, "fine"));
        assert!(!rule.matches(Collection::Datasets, "broken-1"));
        assert_eq!(rule.failure_message(), "no capacity");
        assert!("widgets:x".parse::<FailRule>().is_err());
        assert!(glob_matches("a*b?d", "axxbcd"));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches("a*b", "acd"));
    }

    #[test]
    fn serve_options_take_flags() {
        let mut options = ServeOptions::default();
        options.set("listen", "127.0.0.1:0").unwrap();
        options.set("fail", "supervisedFineTuningJobs:*").unwrap();
        options.set("patch-mode", "replace").unwrap();
        assert_eq!(options.listen.port(), 0);
        assert_eq!(options.config.patch_mode, PatchMode::Replace);
        assert!(options.set("account", "a/b").is_err());
        assert!(!format!("{:?}", options.config).contains(DEFAULT_API_KEY));
    }
}
