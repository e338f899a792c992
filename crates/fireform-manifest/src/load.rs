//! Finding and reading manifest files, then running the checks over every document.
//!
//! Directories are walked recursively for `*.yaml` / `*.yml` files in sorted (byte) order,
//! skipping hidden entries such as `.fireform/` and `.git/`; files given explicitly are read
//! whatever their extension. Nothing is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::check::{Context, DatasetFiles, Document, check_document, normalize};
use crate::diagnostic::{
    Diagnostic, Diagnostics, Severity, SourceLocation, SourceSpan, Sources, display_path,
};
use crate::{Manifest, Moved, Resource, resolve, yaml};

/// Loads the manifests at `paths` (files or directories; none means the current directory)
/// and validates them. The project directory is the first path when it is a directory, else
/// the current directory.
///
/// Every problem is reported, not just the first: on any error the result is `Err` with all
/// errors and warnings; otherwise the [`Manifest`] carries the warnings.
pub fn load(paths: &[PathBuf]) -> Result<Manifest, Diagnostics> {
    let current_dir = std::env::current_dir().ok();
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &default[..] } else { paths };
    let project_dir = match paths.first() {
        Some(first) if first.is_dir() => absolute(first, current_dir.as_deref()),
        _ => current_dir.clone().unwrap_or_else(|| PathBuf::from(".")),
    };

    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    for path in paths {
        collect(path, &mut files, &mut seen, &mut diagnostics, current_dir.as_deref());
    }

    let mut inputs = Vec::with_capacity(files.len());
    for file in files {
        match std::fs::read(&file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => inputs.push((file, text)),
                Err(error) => {
                    let shown = display_path(&file, current_dir.as_deref());
                    let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
                    let valid = String::from_utf8_lossy(valid);
                    let line = u32::try_from(valid.lines().count().max(1)).unwrap_or(u32::MAX);
                    let line = if valid.ends_with('\n') { line + 1 } else { line };
                    let location =
                        SourceLocation { file: Arc::from(shown.as_path()), line, column: 1 };
                    diagnostics.push(
                        Diagnostic::error(format!("`{}` is not UTF-8 text", shown.display()))
                            .with_primary(
                                SourceSpan::new(location, 1),
                                "invalid UTF-8 on this line",
                            ),
                    );
                }
            },
            Err(error) => diagnostics.push(Diagnostic::error(format!(
                "cannot read `{}`: {error}",
                display_path(&file, current_dir.as_deref()).display()
            ))),
        }
    }
    check_all(inputs, project_dir, current_dir.as_deref(), diagnostics)
}

/// Loads one manifest text as if it were the file `file` (which need not exist); dataset paths
/// resolve against the file's directory, which is also the project directory. For tests,
/// fuzzing and tools that hold manifests in memory.
pub fn load_str(file: &Path, text: &str) -> Result<Manifest, Diagnostics> {
    let current_dir = std::env::current_dir().ok();
    let absolute_file = absolute(file, current_dir.as_deref());
    let project_dir = absolute_file.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    check_all(
        vec![(file.to_path_buf(), text.to_owned())],
        project_dir,
        current_dir.as_deref(),
        Vec::new(),
    )
}

fn check_all(
    inputs: Vec<(PathBuf, String)>,
    project_dir: PathBuf,
    current_dir: Option<&Path>,
    mut diagnostics: Vec<Diagnostic>,
) -> Result<Manifest, Diagnostics> {
    // Files are parsed and checked independently, so large projects use every core: each
    // worker (the calling thread is one) takes the next unchecked file until none is left,
    // which keeps the cores busy even when files differ in size or a core is shared. The
    // results are merged in file order, which keeps the outcome deterministic.
    let dataset_files = DatasetFiles::default();
    let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
    let workers = threads.min(inputs.len() / 2).max(1);
    let slots: Vec<Mutex<Option<(PathBuf, String)>>> =
        inputs.into_iter().map(|input| Mutex::new(Some(input))).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let position = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = slots.get(position) else { break };
            let input = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(input) = input {
                done.push((position, check_file(input, &project_dir, current_dir, &dataset_files)));
            }
        }
        done
    };
    let mut checked: Vec<(usize, CheckedFile)> = if workers == 1 {
        work()
    } else {
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
            let mut checked = work();
            for helper in helpers {
                match helper.join() {
                    Ok(done) => checked.extend(done),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            checked
        })
    };
    checked.sort_unstable_by_key(|(position, _)| *position);

    let mut sources = Sources::default();
    let mut resources = BTreeMap::new();
    let mut moved = Vec::new();
    let mut files = Vec::with_capacity(checked.len());
    for (_, file) in checked {
        sources.insert(file.shown.clone(), file.text);
        files.push(file.shown.to_path_buf());
        diagnostics.extend(file.diagnostics);
        for resource in file.resources {
            resolve::insert(&mut resources, resource, &mut diagnostics);
        }
        moved.extend(file.moved);
    }
    resolve::check(&resources, &mut diagnostics);
    resolve::check_moved(&resources, &moved, &mut diagnostics);

    if diagnostics.iter().any(|diagnostic| diagnostic.severity == Severity::Error) {
        return Err(Diagnostics::new(diagnostics, sources));
    }
    let warnings = Diagnostics::new(diagnostics, sources.clone()).iter().cloned().collect();
    Ok(Manifest { resources, project_dir, files, sources, warnings, moved })
}

/// One file, parsed and checked on its own.
struct CheckedFile {
    shown: Arc<Path>,
    text: Arc<str>,
    resources: Vec<Resource>,
    moved: Vec<Moved>,
    diagnostics: Vec<Diagnostic>,
}

fn check_file(
    (path, text): (PathBuf, String),
    project_dir: &Path,
    current_dir: Option<&Path>,
    dataset_files: &DatasetFiles,
) -> CheckedFile {
    let shown: Arc<Path> = Arc::from(display_path(&path, current_dir).as_path());
    let text: Arc<str> = Arc::from(text);
    let mut diagnostics = Vec::new();
    let mut resources = Vec::new();
    let mut moved = Vec::new();
    let absolute_file = absolute(&path, current_dir);
    let file_dir = absolute_file.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    match yaml::parse_documents(&shown, &text) {
        Ok(documents) => {
            let context = Context {
                file: shown.clone(),
                file_dir: &file_dir,
                project_dir,
                current_dir,
                dataset_files,
            };
            for document in &documents {
                match check_document(&context, document, &mut diagnostics) {
                    Some(Document::Resource(resource)) => resources.push(resource),
                    Some(Document::Moved(rename)) => moved.push(rename),
                    None => {}
                }
            }
        }
        Err(diagnostic) => diagnostics.push(diagnostic),
    }
    CheckedFile { shown, text, resources, moved, diagnostics }
}

fn absolute(path: &Path, current_dir: Option<&Path>) -> PathBuf {
    if path.is_absolute() {
        return normalize(path);
    }
    match current_dir {
        Some(current_dir) => normalize(&current_dir.join(path)),
        None => normalize(path),
    }
}

fn collect(
    path: &Path,
    files: &mut Vec<PathBuf>,
    seen: &mut BTreeSet<PathBuf>,
    diagnostics: &mut Vec<Diagnostic>,
    current_dir: Option<&Path>,
) {
    let shown = display_path(path, current_dir);
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) => {
            let mut diagnostic =
                Diagnostic::error(format!("cannot read `{}`: {error}", shown.display()));
            if error.kind() == std::io::ErrorKind::NotFound {
                diagnostic = diagnostic.with_help("pass manifest files or directories that exist (default: the current directory)");
            }
            diagnostics.push(diagnostic);
            return;
        }
    };
    if metadata.is_file() {
        if seen.insert(absolute(path, current_dir)) {
            files.push(path.to_path_buf());
        }
        return;
    }
    let before = files.len();
    walk(path, files, seen, diagnostics, current_dir);
    if files.len() == before {
        diagnostics.push(
            Diagnostic::error(format!("no manifest files in `{}`", shown.display()))
                .with_help("manifests are `*.yaml` or `*.yml` files; pass a directory that holds some, or the files themselves"),
        );
    }
}

fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    seen: &mut BTreeSet<PathBuf>,
    diagnostics: &mut Vec<Diagnostic>,
    current_dir: Option<&Path>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            diagnostics.push(Diagnostic::error(format!(
                "cannot read directory `{}`: {error}",
                display_path(dir, current_dir).display()
            )));
            return;
        }
    };
    let mut children: Vec<(PathBuf, bool)> = entries
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| {
            let path = entry.path();
            let is_dir = path.is_dir();
            (path, is_dir)
        })
        .collect();
    children.sort();
    for (path, is_dir) in children {
        if is_dir {
            walk(&path, files, seen, diagnostics, current_dir);
        } else if path
            .extension()
            .is_some_and(|extension| extension == "yaml" || extension == "yml")
            && path.is_file()
            && seen.insert(absolute(&path, current_dir))
        {
            files.push(path);
        }
    }
}
