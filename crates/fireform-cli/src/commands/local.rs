//! `fireform local serve`: run the local control plane as a server.

use anyhow::Context as _;
use fireform_emulator::ServeOptions;

use crate::commands::engine::runtime;
use crate::exit::ExitStatus;
use crate::output::Output;

/// The local control plane: a wire-compatible emulator of the Fireworks REST API.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: LocalCommand,
}

#[derive(Debug, clap::Subcommand)]
enum LocalCommand {
    /// Serve the Fireworks REST API on a local address until stopped.
    ///
    /// Prints its URL on the first line of stdout. Point fireform (or any Fireworks client) at
    /// it with `FIREWORKS_BASE_URL=<url> FIREWORKS_API_KEY=fireform-local-key`. The account is
    /// `fireform-local` unless `--account` says otherwise.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  fireform local serve\n  fireform local serve --listen 127.0.0.1:0 --data-dir /tmp/fw --timings all=0\n  fireform local serve --trouble latency=50ms,503=0.3 --fail 'deployments:broken-*=out of capacity'"
)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = fireform_emulator::DEFAULT_LISTEN)]
    listen: String,
    /// Keep the world in DIR (written atomically) so restarts see the same resources; without
    /// it, everything lives in memory.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<String>,
    /// The account the API key belongs to.
    #[arg(long, value_name = "ID", default_value = fireform_emulator::DEFAULT_ACCOUNT)]
    account: String,
    /// The API key clients must send as `Authorization: Bearer <key>`.
    #[arg(long, value_name = "KEY", default_value = fireform_emulator::DEFAULT_API_KEY, hide_default_value = true)]
    api_key: String,
    /// Lifecycle times, e.g. `deployment=2s,update=1s,deletion=1s,deployed-model=1s,job=3s` or
    /// `all=0`.
    #[arg(long, value_name = "LIST")]
    timings: Option<String>,
    /// Injected trouble, e.g. `latency=50ms,jitter=20ms,429=0.1,503=0.05,drop=0.01,rate=100/s`,
    /// `drop-after-commit=0.1` (apply the change, then drop the reply),
    /// `mangle=empty-body|strip-fields|unknown-enums` (garble successful GET answers like a
    /// broken proxy), or `none`. Changeable at run time with `PUT /_emulator/trouble`.
    #[arg(long, value_name = "LIST")]
    trouble: Option<String>,
    /// Make resources fail on purpose: `COLLECTION:GLOB[=MESSAGE]`, e.g.
    /// `supervisedFineTuningJobs:bad-*=out of memory` (repeatable).
    #[arg(long, value_name = "RULE")]
    fail: Vec<String>,
    /// GPUs per accelerator type the account may hold.
    #[arg(long, value_name = "N")]
    gpu_quota: Option<String>,
    /// What a PATCH without `updateMask` does: `infer-from-body` or `replace`.
    #[arg(long, value_name = "MODE")]
    patch_mode: Option<String>,
}

pub(crate) fn run(args: &Args, output: &Output) -> anyhow::Result<ExitStatus> {
    let LocalCommand::Serve(args) = &args.command;
    let mut options = ServeOptions::default();
    let mut set = |flag: &str, value: &str| {
        options.set(flag, value).with_context(|| format!("invalid `--{flag}`"))
    };
    set("listen", &args.listen)?;
    set("account", &args.account)?;
    set("api-key", &args.api_key)?;
    for (flag, value) in [
        ("data-dir", &args.data_dir),
        ("timings", &args.timings),
        ("trouble", &args.trouble),
        ("gpu-quota", &args.gpu_quota),
        ("patch-mode", &args.patch_mode),
    ] {
        if let Some(value) = value {
            set(flag, value)?;
        }
    }
    for rule in &args.fail {
        set("fail", rule)?;
    }
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("failed to listen on `{}`", options.listen))?;
        let address = listener.local_addr().context("failed to read the listening address")?;
        output.result(&format!("http://{address}\n")).context("failed to write to stdout")?;
        output.message(&format!(
            "Serving the Fireworks API for account `{}` until Ctrl-C.\n",
            options.config.account
        ));
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        fireform_emulator::serve_until(listener, options.config, shutdown).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitStatus::Success)
}
