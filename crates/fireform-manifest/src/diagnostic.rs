//! Diagnostics: problems found in manifests, each pointing at a place in a source file, and
//! their rustc-style rendering.
//!
//! A [`Diagnostic`] carries a message, labelled spans, notes and help lines. [`Diagnostics`]
//! is the collection a failed load (or graph build) returns; it owns the source texts it points
//! into, so it can render itself without touching the file system again. This module renders
//! to a `String`; printing is the CLI's job.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A position in a source file: the file as displayed to the user, and a 1-based line and
/// column (in characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceLocation {
    /// The file, as it is displayed (relative to the current directory when possible).
    pub file: Arc<Path>,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A stretch of source text: where it starts and how many characters it covers on that line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceSpan {
    /// Where the span starts.
    pub location: SourceLocation,
    /// Length in characters (at least one caret is always drawn).
    pub len: u32,
}

impl SourceSpan {
    /// A span of `len` characters starting at `location`.
    pub fn new(location: SourceLocation, len: u32) -> SourceSpan {
        SourceSpan { location, len }
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The manifests cannot be used; validation fails.
    Error,
    /// Worth a look, but the manifests are usable.
    Warning,
}

/// A labelled span inside a [`Diagnostic`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The text the label points at.
    pub span: SourceSpan,
    /// What the label says, e.g. `first defined here`; may be empty.
    pub message: String,
    /// The primary label is drawn with `^`, secondary ones with `-`.
    pub primary: bool,
}

/// One problem found in the manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The headline: lowercase, no trailing period, user values in backticks.
    pub message: String,
    /// Where the problem is; the first primary label decides the sort order. May be empty
    /// for problems that have no place in a file (a path that does not exist).
    pub labels: Vec<Label>,
    /// Extra context lines, rendered `= note: …`.
    pub notes: Vec<String>,
    /// Suggestions, rendered `= help: …`.
    pub help: Vec<String>,
}

impl Diagnostic {
    /// An error with a headline and no labels yet.
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: Vec::new(),
        }
    }

    /// A warning with a headline and no labels yet.
    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(message) }
    }

    /// Adds the primary label.
    pub fn with_primary(mut self, span: SourceSpan, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: true });
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: SourceSpan, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: false });
        self
    }

    /// Adds a `= note:` line.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Adds a `= help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help.push(help.into());
        self
    }

    /// Adds a `= help:` line when there is one.
    pub fn with_help_opt(self, help: Option<String>) -> Diagnostic {
        match help {
            Some(help) => self.with_help(help),
            None => self,
        }
    }

    /// Where the problem is: the first primary label, or the first label.
    pub fn location(&self) -> Option<&SourceLocation> {
        self.labels
            .iter()
            .find(|label| label.primary)
            .or_else(|| self.labels.first())
            .map(|label| &label.span.location)
    }
}

/// The texts of the files that were read, so that diagnostics can show the offending lines.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: BTreeMap<Arc<Path>, Arc<str>>,
}

impl Sources {
    /// Records the text of `file` (as displayed).
    pub fn insert(&mut self, file: Arc<Path>, text: Arc<str>) {
        self.files.insert(file, text);
    }

    /// The text of `file`, if it was read.
    pub fn text(&self, file: &Path) -> Option<&str> {
        self.files.get(file).map(|text| &**text)
    }

    /// Line `line` (1-based) of `file`, without its line terminator.
    pub fn line(&self, file: &Path, line: u32) -> Option<&str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        self.text(file)?.lines().nth(index)
    }

    /// How many files were read.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file was read.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Adds every file of `other` to this set.
    pub fn extend(&mut self, other: &Sources) {
        for (file, text) in &other.files {
            self.files.insert(file.clone(), text.clone());
        }
    }
}

/// How to render diagnostics.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Use ANSI colours.
    pub color: bool,
}

/// Every diagnostic of one run, in source order, with the sources they point into.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    sources: Sources,
}

impl Diagnostics {
    /// Wraps diagnostics and the sources they point into; sorts them by location (problems
    /// without a location first), keeping the order of equal locations.
    pub fn new(mut items: Vec<Diagnostic>, sources: Sources) -> Diagnostics {
        items.sort_by(|left, right| left.location().cmp(&right.location()));
        Diagnostics { items, sources }
    }

    /// The diagnostics, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// How many diagnostics there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many are errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|item| item.severity == Severity::Error).count()
    }

    /// How many are warnings.
    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|item| item.severity == Severity::Warning).count()
    }

    /// The sources the diagnostics point into.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// Renders every diagnostic rustc-style, each followed by a blank line.
    pub fn render(&self, options: RenderOptions) -> String {
        let mut out = String::new();
        for diagnostic in &self.items {
            render_one(&mut out, diagnostic, &self.sources, options);
            out.push('\n');
        }
        out
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.error_count();
        write!(f, "manifests have {errors} error{}", if errors == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}

struct Palette {
    color: bool,
}

impl Palette {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color { format!("\u{1b}[{code}m{text}\u{1b}[0m") } else { text.to_owned() }
    }
}

fn render_one(
    out: &mut String,
    diagnostic: &Diagnostic,
    sources: &Sources,
    options: RenderOptions,
) {
    use std::fmt::Write as _;

    let palette = Palette { color: options.color };
    let (word, code) = match diagnostic.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let _ = writeln!(
        out,
        "{}{}",
        palette.paint(code, word),
        palette.paint("1", &format!(": {}", diagnostic.message))
    );
    let width = diagnostic
        .labels
        .iter()
        .map(|label| label.span.location.line.to_string().len())
        .max()
        .unwrap_or(0);
    let pad = " ".repeat(width);
    let gutter = palette.paint("1;34", "|");
    for (index, label) in diagnostic.labels.iter().enumerate() {
        let arrow = if index == 0 { "-->" } else { ":::" };
        if index > 0 {
            let _ = writeln!(out, "{pad} {gutter}");
        }
        let _ = writeln!(out, "{pad}{} {}", palette.paint("1;34", arrow), label.span.location);
        let location = &label.span.location;
        let Some(line) = sources.line(&location.file, location.line) else {
            if !label.message.is_empty() {
                let _ = writeln!(out, "{pad} {gutter} {}", label.message);
            }
            continue;
        };
        let line = line.replace('\t', " ");
        let _ = writeln!(out, "{pad} {gutter}");
        let number = format!("{:>width$}", location.line);
        let _ = writeln!(out, "{} {gutter} {}", palette.paint("1;34", &number), line.trim_end());
        let column = usize::try_from(location.column).unwrap_or(1).max(1);
        let line_chars = line.chars().count();
        let available = line_chars.saturating_sub(column - 1).max(1);
        let len = usize::try_from(label.span.len).unwrap_or(1).clamp(1, available);
        let marker = if label.primary { "^" } else { "-" };
        let marks = format!("{}{}", " ".repeat(column - 1), marker.repeat(len));
        let mark_code = match (label.primary, diagnostic.severity) {
            (false, _) => "1;34",
            (true, Severity::Error) => "1;31",
            (true, Severity::Warning) => "1;33",
        };
        let text =
            if label.message.is_empty() { marks } else { format!("{marks} {}", label.message) };
        let _ = writeln!(out, "{pad} {gutter} {}", palette.paint(mark_code, &text));
    }
    let eq = palette.paint("1;34", "=");
    for note in &diagnostic.notes {
        let _ = writeln!(out, "{pad} {eq} {}: {note}", palette.paint("1", "note"));
    }
    for help in &diagnostic.help {
        let _ = writeln!(out, "{pad} {eq} {}: {help}", palette.paint("1", "help"));
    }
}

/// The path to show for `path`: relative to the current directory when it lies below it,
/// otherwise as given.
pub(crate) fn display_path(path: &Path, current_dir: Option<&Path>) -> PathBuf {
    let Some(current_dir) = current_dir else { return path.to_path_buf() };
    if path.is_absolute() {
        if let Ok(relative) = path.strip_prefix(current_dir)
            && !relative.as_os_str().is_empty()
        {
            return relative.to_path_buf();
        }
        return path.to_path_buf();
    }
    // Strip a leading `./` so that `./manifests/a.yaml` prints as `manifests/a.yaml`.
    path.components()
        .skip_while(|component| matches!(component, std::path::Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Diagnostics {
        let file: Arc<Path> = Arc::from(Path::new("manifests/base.yaml"));
        let mut sources = Sources::default();
        sources.insert(
            file.clone(),
            Arc::from("kind: Deployment\nname: base\nspec:\n  minReplica: 1\n"),
        );
        let at = |line, column| SourceLocation { file: file.clone(), line, column };
        let unknown = Diagnostic::error("unknown field `minReplica` in Deployment spec")
            .with_primary(SourceSpan::new(at(4, 3), 10), "")
            .with_help("did you mean `minReplicaCount`?");
        let duplicate = Diagnostic::error("`deployment/base` is defined twice")
            .with_primary(SourceSpan::new(at(2, 7), 4), "defined again here")
            .with_secondary(SourceSpan::new(at(1, 1), 4), "first defined here");
        Diagnostics::new(vec![unknown, duplicate], sources)
    }

    #[test]
    fn renders_rustc_style_in_source_order() {
        insta::assert_snapshot!(sample().render(RenderOptions::default()), @r"
        error: `deployment/base` is defined twice
         --> manifests/base.yaml:2:7
          |
        2 | name: base
          |       ^^^^ defined again here
          |
         ::: manifests/base.yaml:1:1
          |
        1 | kind: Deployment
          | ---- first defined here

        error: unknown field `minReplica` in Deployment spec
         --> manifests/base.yaml:4:3
          |
        4 |   minReplica: 1
          |   ^^^^^^^^^^
          = help: did you mean `minReplicaCount`?
        ");
    }

    #[test]
    fn counts_and_summary() {
        let diagnostics = sample();
        assert_eq!(diagnostics.error_count(), 2);
        assert_eq!(diagnostics.warning_count(), 0);
        assert_eq!(diagnostics.to_string(), "manifests have 2 errors");
    }

    #[test]
    fn display_paths() {
        let cwd = Path::new("/work/project");
        assert_eq!(
            display_path(Path::new("/work/project/m/a.yaml"), Some(cwd)),
            Path::new("m/a.yaml")
        );
        assert_eq!(
            display_path(Path::new("/elsewhere/a.yaml"), Some(cwd)),
            Path::new("/elsewhere/a.yaml")
        );
        assert_eq!(display_path(Path::new("./m/a.yaml"), Some(cwd)), Path::new("m/a.yaml"));
    }
}
