//! Printing: command results on stdout, diagnostics and errors on stderr, colour decided once.
//!
//! A closed stdout (`fireform graph | head`) surfaces as an `io::Error` of kind `BrokenPipe`,
//! which `main` treats as a clean exit.

use std::io::{self, IsTerminal, Write};

use fireform_manifest::{Diagnostics, RenderOptions};

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when stderr is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Where and how the CLI prints.
pub(crate) struct Output {
    color: bool,
}

impl Output {
    pub(crate) fn new(choice: ColorChoice) -> Output {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && io::stderr().is_terminal(),
        };
        Output { color }
    }

    /// Writes a command's result to stdout.
    pub(crate) fn result(&self, text: &str) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// Writes progress, warnings or diagnostics to stderr. Errors writing to stderr are
    /// ignored: there is nowhere left to report them.
    pub(crate) fn message(&self, text: &str) {
        let _ = io::stderr().lock().write_all(text.as_bytes());
    }

    /// Renders diagnostics to stderr.
    pub(crate) fn diagnostics(&self, diagnostics: &Diagnostics) {
        self.message(&diagnostics.render(RenderOptions { color: self.color }));
    }

    /// Prints an error: `error: …`, one `caused by: …` per source, then any `hint: …` lines.
    pub(crate) fn error(&self, error: &anyhow::Error) {
        let mut text = format!("{} {error}\n", self.paint("1;31", "error:"));
        for cause in error.chain().skip(1) {
            text.push_str(&format!("{} {cause}\n", self.paint("1", "caused by:")));
        }
        if let Some(hinted) = error.downcast_ref::<Hinted>() {
            text.push('\n');
            for hint in &hinted.hints {
                text.push_str(&format!("{} {hint}\n", self.paint("1;36", "hint:")));
            }
        }
        self.message(&text);
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color { format!("\u{1b}[{code}m{text}\u{1b}[0m") } else { text.to_owned() }
    }
}

/// An error with hints for the user, printed as `hint: …` lines after the error.
#[derive(Debug)]
pub(crate) struct Hinted {
    pub(crate) message: String,
    pub(crate) hints: Vec<String>,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

/// Whether the error is a closed stdout, which is a clean exit.
pub(crate) fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|cause| cause.kind() == io::ErrorKind::BrokenPipe)
}
