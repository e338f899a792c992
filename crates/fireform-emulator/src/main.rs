//! The `fireform-emulator` binary: serves the local control plane and prints its URL on stdout
//! as the first line (harnesses read it), then runs until interrupted.
//!
//! Flags mirror `fireform local serve`: `--listen ADDR --data-dir DIR --account ID --api-key KEY
//! --timings SPEC --trouble SPEC --fail RULE --gpu-quota N --patch-mode infer|replace`. It parses
//! them by hand to stay free of an argument-parser dependency; the CLI owns the polished UX.

use std::io::Write;
use std::process::ExitCode;

use fireform_emulator::{EmulatorError, ServeOptions, serve_until};
use tokio::net::TcpListener;

const USAGE: &str = "usage: fireform-emulator [--listen ADDR] [--data-dir DIR] [--account ID] [--api-key KEY] \
[--timings deployment=2s,job=3s,...] [--trouble latency=50ms,503=0.1,mangle=empty-body,...] [--fail collection:pattern[=message]]... \
[--gpu-quota N] [--patch-mode infer|replace]";

fn main() -> ExitCode {
    let mut options = ServeOptions::default();
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        if argument == "--help" || argument == "-h" {
            report(USAGE);
            return ExitCode::SUCCESS;
        }
        let Some(flag) = argument.strip_prefix("--") else {
            report(&format!("error: unexpected argument `{argument}`\n{USAGE}"));
            return ExitCode::from(2);
        };
        let (flag, value) = match flag.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (flag.to_owned(), arguments.next()),
        };
        let Some(value) = value else {
            report(&format!("error: `--{flag}` needs a value\n{USAGE}"));
            return ExitCode::from(2);
        };
        if let Err(error) = options.set(&flag, &value) {
            report(&format!("error: --{flag}: {error}\n{USAGE}"));
            return ExitCode::from(2);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            report(&format!("error: failed to start the async runtime: {error}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let mut message = format!("error: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(&format!("\ncaused by: {cause}"));
                source = cause.source();
            }
            report(&message);
            ExitCode::FAILURE
        }
    }
}

async fn run(options: ServeOptions) -> Result<(), EmulatorError> {
    let address = options.listen.to_string();
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(|source| EmulatorError::Bind { address: address.clone(), source })?;
    let local = listener.local_addr().map_err(|source| EmulatorError::Bind { address, source })?;
    #[expect(clippy::print_stdout, reason = "the URL on stdout is this binary's interface")]
    {
        println!("http://{local}");
    }
    // Harnesses read the first line through a pipe; make sure it leaves now.
    let _ = std::io::stdout().flush();
    serve_until(listener, options.config, async {
        // Without a signal handler the server runs until killed, which is also fine.
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

#[expect(clippy::print_stderr, reason = "the binary reports errors on stderr")]
fn report(message: &str) {
    eprintln!("{message}");
}
