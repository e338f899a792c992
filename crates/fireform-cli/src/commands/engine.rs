//! What the commands that touch an account share: the project settings, the connection to
//! Fireworks (or to the embedded local control plane), the locked state, and progress lines.
//!
//! Settings come, strongest first, from flags, from `FIREWORKS_API_KEY`,
//! `FIREWORKS_ACCOUNT_ID` and `FIREWORKS_BASE_URL`, and from the project file `.fireform.yaml`
//! in the project directory (`endpoint`, `account`, `state`). The endpoint `local` runs the
//! local control plane in this process, keeping its world in `.fireform/local/` beside the
//! state, so that separate commands see the same account.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use fireform_backends::Location;
use fireform_client::{ApiKey, Client, ClientConfig};
use fireform_core::ResourceAddr;
use fireform_emulator::{DEFAULT_ACCOUNT, DEFAULT_API_KEY, EmulatorConfig, EmulatorHandle};
use fireform_plan::{Event, Verb};
use fireform_provider::FireworksProvider;
use fireform_state::{Backend, LockInfo, StateDocument, StateStore, default_state_path};
use serde::Deserialize;

use crate::output::{Hinted, Output};

/// The endpoint value that selects the embedded local control plane.
pub(crate) const LOCAL_ENDPOINT: &str = "local";

/// The name of the project file.
pub(crate) const PROJECT_FILE: &str = ".fireform.yaml";

/// How commands reach the account and the state.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct EngineArgs {
    /// The API endpoint: a URL such as `https://api.fireworks.ai` or the address of
    /// `fireform local serve`, or `local` to run the local control plane inside this command
    /// (its world is kept in `.fireform/local/`). Default: `FIREWORKS_BASE_URL`, then the
    /// project file's `endpoint`, then `https://api.fireworks.ai`.
    #[arg(long, global = true, value_name = "URL|local")]
    pub(crate) endpoint: Option<String>,

    /// Where the state is: a file path, `s3://BUCKET/KEY` or `postgres://…`. Default:
    /// `FIREFORM_STATE`, the project file's `state`, then `.fireform/state.json` in the project
    /// directory.
    #[arg(long, global = true, value_name = "LOCATION")]
    pub(crate) state: Option<String>,

    /// How long to wait for the state lock held by another run, e.g. `30s` (default: fail at
    /// once, naming the holder).
    #[arg(long, global = true, value_name = "DURATION", value_parser = fireform_manifest::parse_duration, default_value = "0s")]
    pub(crate) lock_timeout: Duration,
}

/// The project file, `.fireform.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ProjectFile {
    /// `local`, or the API base URL.
    endpoint: Option<String>,
    /// The Fireworks account id.
    account: Option<String>,
    /// The state location: a path relative to the project directory, `s3://BUCKET/KEY` or
    /// `postgres://…`.
    state: Option<String>,
}

impl ProjectFile {
    pub(crate) fn read(project_dir: &Path) -> anyhow::Result<ProjectFile> {
        let path = project_dir.join(PROJECT_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ProjectFile::default());
            }
            Err(error) => {
                return Err(error).with_context(|| format!("failed to read `{}`", path.display()));
            }
        };
        if text.trim().is_empty() {
            return Ok(ProjectFile::default());
        }
        serde_saphyr::from_str(&text).with_context(|| {
            format!("invalid project file `{}` (fields: endpoint, account, state)", path.display())
        })
    }
}

/// A connection to an account: the provider, and the embedded server when there is one.
pub(crate) struct Connection {
    pub(crate) provider: FireworksProvider,
    /// Kept alive for the command's duration; the server stops when this drops.
    _emulator: Option<EmulatorHandle>,
    /// Where the account lives, for messages.
    pub(crate) description: String,
}

/// Resolved settings of one command run.
pub(crate) struct Project {
    pub(crate) dir: PathBuf,
    file: ProjectFile,
    args: EngineArgs,
}

impl Project {
    pub(crate) fn new(dir: &Path, args: &EngineArgs) -> anyhow::Result<Project> {
        Ok(Project { dir: dir.to_path_buf(), file: ProjectFile::read(dir)?, args: args.clone() })
    }

    /// Where the state is: `--state`, `FIREFORM_STATE`, the project file's `state`, or the
    /// default file. A path, `s3://BUCKET/KEY` or `postgres://…`; anything else that looks like
    /// a URL is refused, never written as a local path.
    pub(crate) fn state_location(&self) -> anyhow::Result<Location> {
        let from_env =
            std::env::var("FIREFORM_STATE").ok().filter(|value| !value.trim().is_empty());
        let (given, text, base) = match (&self.args.state, from_env, &self.file.state) {
            // Paths from the command line or the environment are relative to where it runs;
            // the project file's to the project.
            (Some(state), _, _) => ("--state", state.clone(), PathBuf::new()),
            (None, Some(state), _) => ("FIREFORM_STATE", state, PathBuf::new()),
            (None, None, Some(state)) => {
                ("the project file's `state`", state.clone(), self.dir.clone())
            }
            (None, None, None) => return Ok(Location::Local(default_state_path(&self.dir))),
        };
        Location::parse(&text, &base).map_err(|error| {
            Hinted {
                message: format!("{error} (from {given})"),
                hints: vec![format!(
                    "a state location is a file path (e.g. `.fireform/state.json`), {}",
                    "`s3://BUCKET/KEY` or `postgres://HOST/DATABASE`"
                )],
            }
            .into()
        })
    }

    /// The backend of the state location.
    pub(crate) fn backend(&self) -> anyhow::Result<Box<dyn Backend>> {
        let location = self.state_location()?;
        location.open(&|name| std::env::var(name).ok()).map_err(|error| {
            Hinted {
                message: format!("cannot use the state location `{}`: {error}", location.display()),
                hints: vec![
                    "see README's \"State\" section for the settings each backend reads".to_owned(),
                ],
            }
            .into()
        })
    }

    fn endpoint(&self) -> String {
        let from_env =
            std::env::var("FIREWORKS_BASE_URL").ok().filter(|value| !value.trim().is_empty());
        self.args
            .endpoint
            .clone()
            .or(from_env)
            .or_else(|| self.file.endpoint.clone())
            .unwrap_or_else(|| fireform_client::DEFAULT_BASE_URL.to_owned())
    }

    /// Opens and locks the state for `command` (e.g. `apply`).
    pub(crate) fn open_state(&self, command: &str) -> anyhow::Result<StateStore> {
        let backend = self.backend()?;
        let described = backend.describe();
        let lock = LockInfo::new(format!("fireform {command}"));
        StateStore::open(backend, lock, self.args.lock_timeout).map_err(|error| {
            let locked = matches!(error, fireform_state::Error::Locked { .. });
            anyhow::Error::new(error).context(if locked {
                format!("the state ({described}) is locked by another run")
            } else {
                format!("failed to open the state ({described})")
            })
        })
    }

    /// Reads the state without locking it (`plan --lock=false`, `state pull`).
    pub(crate) fn read_state(&self) -> anyhow::Result<StateDocument> {
        let backend = self.backend()?;
        let document = backend
            .load()
            .with_context(|| format!("failed to read the state ({})", backend.describe()))?;
        Ok(document.unwrap_or_default())
    }

    /// Connects to the account (starting the embedded control plane for `local`).
    pub(crate) async fn connect(&self) -> anyhow::Result<Connection> {
        let endpoint = self.endpoint();
        if endpoint == LOCAL_ENDPOINT {
            // Beside a local state file; in the project for a remote state.
            let state_dir = match self.state_location()? {
                Location::Local(path) => {
                    path.parent().map_or_else(|| self.dir.join(".fireform"), Path::to_path_buf)
                }
                _ => self.dir.join(fireform_state::STATE_DIR),
            };
            create_private_dir(&state_dir)?;
            let data_dir = state_dir.join("local");
            let config =
                EmulatorConfig { data_dir: Some(data_dir.clone()), ..EmulatorConfig::default() };
            let emulator = fireform_emulator::start(config).await.with_context(|| {
                format!("failed to start the local control plane in `{}`", data_dir.display())
            })?;
            let client_config = ClientConfig::new(ApiKey::new(DEFAULT_API_KEY))
                .with_base_url(&emulator.url())?
                .with_account_id(DEFAULT_ACCOUNT)?;
            let client = Client::new(client_config.clone())?;
            let provider = FireworksProvider::new(client, &client_config)?;
            return Ok(Connection {
                provider,
                _emulator: Some(emulator),
                description: format!("the local control plane (account `{DEFAULT_ACCOUNT}`)"),
            });
        }
        let mut config = ClientConfig::from_lookup(|name| std::env::var(name).ok()).map_err(|error| {
            anyhow::Error::new(Hinted {
                message: error.to_string(),
                hints: vec![
                    "export FIREWORKS_API_KEY=<your key>, or use `--endpoint local` to try fireform against the local control plane".to_owned(),
                ],
            })
        })?;
        config = config.with_base_url(&endpoint)?;
        if config.account_id().is_none()
            && let Some(account) = &self.file.account
        {
            config = config.with_account_id(account)?;
        }
        let client = Client::connect(config.clone())
            .await
            .with_context(|| format!("failed to connect to `{endpoint}`"))?;
        let description = format!("`{endpoint}` (account `{}`)", client.account_id());
        let provider = FireworksProvider::new(client, &config)?;
        Ok(Connection { provider, _emulator: None, description })
    }
}

/// Creates `dir` (and its parents) readable only by the user, as the state directory must be.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("failed to create `{}`", dir.display()))
}

/// A Tokio runtime for one command.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("failed to start the async runtime")
}

/// Parses `--target`-style addresses.
pub(crate) fn parse_addr(text: &str) -> Result<ResourceAddr, String> {
    text.parse::<ResourceAddr>().map_err(|error| error.to_string())
}

/// Asks "yes" on the terminal, or refuses without one.
pub(crate) fn confirm(output: &Output, question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(Hinted {
            message: "refusing to change the account without confirmation: standard input is not a terminal".to_owned(),
            hints: vec!["review the plan, then pass `--auto-approve`".to_owned()],
        });
    }
    output.message(&format!(
        "{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    ));
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).context("failed to read the answer")?;
    Ok(answer.trim() == "yes")
}

/// Apply progress on stderr: a line when each resource starts and finishes. Without a
/// terminal, "still creating… [30s elapsed]" lines every 10 seconds; with one, a compact live
/// line below them instead, listing what is running and for how long, redrawn every second.
pub(crate) struct Progress<'a> {
    output: &'a Output,
    live: bool,
    running: std::sync::Mutex<std::collections::BTreeMap<ResourceAddr, (Verb, Duration)>>,
}

/// The longest live line, in characters.
const LIVE_WIDTH: usize = 100;

impl<'a> Progress<'a> {
    pub(crate) fn new(output: &'a Output) -> Progress<'a> {
        Progress::with_live(output, std::io::stderr().is_terminal())
    }

    fn with_live(output: &'a Output, live: bool) -> Progress<'a> {
        Progress { output, live, running: std::sync::Mutex::default() }
    }

    /// How often the engine should report running steps.
    pub(crate) fn interval(&self) -> Duration {
        if self.live { Duration::from_secs(1) } else { Duration::from_secs(10) }
    }

    /// Reports one event.
    pub(crate) fn handle(&self, event: Event) {
        let mut running = self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let line = match event {
            Event::Started { addr, verb } => {
                let line = format!("{addr}: {}...", capitalise(verb.as_str()));
                running.insert(addr, (verb, Duration::ZERO));
                Some(line)
            }
            Event::StillRunning { addr, verb, elapsed } => {
                let line =
                    format!("{addr}: still {}... [{}s elapsed]", verb.as_str(), elapsed.as_secs());
                running.insert(addr, (verb, elapsed));
                (!self.live).then_some(line)
            }
            Event::Finished { addr, verb, elapsed, id } => {
                running.remove(&addr);
                let id = id.map(|id| format!(" [id={id}]")).unwrap_or_default();
                Some(format!(
                    "{addr}: {} after {}s{id}",
                    capitalise(verb.done()),
                    elapsed.as_secs()
                ))
            }
            Event::Failed { addr, verb, elapsed } => {
                running.remove(&addr);
                Some(format!(
                    "{addr}: {} failed after {}s",
                    capitalise(verb.as_str()),
                    elapsed.as_secs()
                ))
            }
        };
        let mut text = String::new();
        if self.live {
            // Clear the live line, print the event above it, then draw it again.
            text.push_str("\r\x1b[K");
        }
        if let Some(line) = line {
            text.push_str(&line);
            text.push('\n');
        }
        if self.live {
            text.push_str(&live_line(&running));
        }
        self.output.message(&text);
    }

    /// Clears the live line once apply is over.
    pub(crate) fn finish(&self) {
        if self.live {
            self.output.message("\r\x1b[K");
        }
    }
}

fn live_line(running: &std::collections::BTreeMap<ResourceAddr, (Verb, Duration)>) -> String {
    if running.is_empty() {
        return String::new();
    }
    let items: Vec<String> = running
        .iter()
        .map(|(addr, (verb, elapsed))| format!("{addr} {} {}s", verb.as_str(), elapsed.as_secs()))
        .collect();
    let line = format!("[{} running] {}", running.len(), items.join(" · "));
    if line.chars().count() > LIVE_WIDTH {
        let cut: String = line.chars().take(LIVE_WIDTH - 1).collect();
        format!("{cut}…")
    } else {
        line
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::ColorChoice;

    #[test]
    fn live_line_lists_running_steps_and_fits() {
        let mut running = std::collections::BTreeMap::new();
        assert_eq!(live_line(&running), "");
        running
            .insert(parse_addr("deployment/a").unwrap(), (Verb::Creating, Duration::from_secs(12)));
        running.insert(parse_addr("dataset/b").unwrap(), (Verb::Updating, Duration::from_secs(3)));
        assert_eq!(
            live_line(&running),
            "[2 running] deployment/a creating 12s · dataset/b updating 3s"
        );
        for index in 0..20 {
            running.insert(
                parse_addr(&format!("dataset/d{index}")).unwrap(),
                (Verb::Creating, Duration::ZERO),
            );
        }
        let line = live_line(&running);
        assert_eq!(line.chars().count(), LIVE_WIDTH);
        assert!(line.ends_with('…'));
    }

    #[test]
    fn plain_progress_reports_still_running_and_live_progress_does_not() {
        let output = Output::new(ColorChoice::Never);
        let addr = parse_addr("deployment/a").unwrap();
        let plain = Progress::with_live(&output, false);
        plain.handle(Event::Started { addr: addr.clone(), verb: Verb::Creating });
        plain.handle(Event::StillRunning {
            addr: addr.clone(),
            verb: Verb::Creating,
            elapsed: Duration::from_secs(30),
        });
        assert_eq!(plain.interval(), Duration::from_secs(10));
        let live = Progress::with_live(&output, true);
        assert_eq!(live.interval(), Duration::from_secs(1));
        live.handle(Event::Started { addr: addr.clone(), verb: Verb::Creating });
        assert_eq!(live.running.lock().unwrap().len(), 1);
        live.handle(Event::Finished {
            addr,
            verb: Verb::Creating,
            elapsed: Duration::from_secs(1),
            id: None,
        });
        assert!(live.running.lock().unwrap().is_empty());
    }
}
