//! `fireform validate`: valid projects, every invalid case under `tests/validate/`, and the
//! command-line behaviour around it.

use std::path::Path;

use crate::{filter_temp, root, run, run_in};

#[test]
fn quickstart_is_valid() {
    insta::assert_snapshot!(run(&["validate", "examples/quickstart"]), @r"
    exit_code: 0
    ----- stdout -----
    The manifests are valid: 4 resources in 1 file.
    ----- stderr -----
    ");
}

#[test]
fn manifests_directory_is_valid() {
    insta::assert_snapshot!(run(&["validate", "manifests"]), @r"
    exit_code: 0
    ----- stdout -----
    The manifests are valid: 10 resources in 6 files.
    ----- stderr -----
    ");
}

#[test]
fn every_example_is_valid() {
    let examples = root().join("examples");
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let relative = path.strip_prefix(root()).unwrap().display().to_string();
        let output = run(&["validate", &relative]);
        assert!(output.starts_with("exit_code: 0\n"), "{relative} does not validate:\n{output}");
    }
}

/// Each directory under `tests/validate/` is one invalid (or warning-only) project. Its first
/// manifest file starts with `# expect: <text>`; the output must contain that text, and the
/// whole output must match the snapshot stored beside the input (`validate.snap`).
#[test]
fn invalid_cases_match_their_snapshots() {
    let cases_dir = root().join("tests/validate");
    let mut cases: Vec<_> = std::fs::read_dir(&cases_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "only {} cases", cases.len());
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expect = expectation(&case);
        let output = run(&["validate", &format!("tests/validate/{name}")]);
        assert!(output.contains(&expect), "case `{name}` must report `{expect}`, got:\n{output}");
        if !expect.starts_with("warning:") {
            assert!(output.starts_with("exit_code: 1\n"), "case `{name}` must fail:\n{output}");
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(&case);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(&case);
        settings.bind(|| insta::assert_snapshot!("validate", output));
    }
}

fn expectation(case: &Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(case)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
        .collect();
    files.sort();
    let first = std::fs::read_to_string(&files[0]).unwrap();
    let line = first.lines().next().unwrap_or_default();
    line.strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{} must start with `# expect: …`", files[0].display()))
        .to_owned()
}

#[test]
fn current_directory_is_the_default() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(
        temp.path().join("main.yaml"),
        "kind: Dataset\nname: chats\nspec:\n  rows: [{messages: []}]\n  format: CHATS\n",
    )
    .unwrap();
    insta::assert_snapshot!(run_in(temp.path(), &["validate"]), @r"
    exit_code: 1
    ----- stdout -----
    ----- stderr -----
    error: unknown value `CHATS` for `format`
     --> main.yaml:5:11
      |
    5 |   format: CHATS
      |           ^^^^^
      = help: did you mean `CHAT`?

    error: the manifests are invalid: 1 error

    hint: fix the problems above and run `fireform validate` again
    ");
}

#[test]
fn paths_outside_the_current_directory_are_shown_as_given() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(temp.path().join("a.yml"), "kind: Dataset\nname: chats\nspec: {}\n").unwrap();
    let output = run(&["validate", &temp.path().display().to_string()]);
    insta::assert_snapshot!(filter_temp(&output, temp.path()), @r"
    exit_code: 1
    ----- stdout -----
    ----- stderr -----
    error: a Dataset needs a source: one of `path`, `rows` or `existing`
     --> [TEMP_DIR]/a.yml:3:1
      |
    3 | spec: {}
      | ^^^^ no source in this spec
      = help: add `path: data/train.jsonl` (relative to this file), inline `rows:`, or `existing: <dataset id>`

    error: the manifests are invalid: 1 error

    hint: fix the problems above and run `fireform validate` again
    ");
}

#[test]
fn missing_path_is_an_error() {
    insta::assert_snapshot!(run(&["validate", "no/such/dir"]), @r"
    exit_code: 1
    ----- stdout -----
    ----- stderr -----
    error: cannot read `no/such/dir`: No such file or directory (os error 2)
     = help: pass manifest files or directories that exist (default: the current directory)

    error: the manifests are invalid: 1 error

    hint: fix the problems above and run `fireform validate` again
    ");
}

#[test]
fn colour_is_opt_in_when_not_a_terminal() {
    let plain = run(&["validate", "tests/validate/unknown-field"]);
    assert!(!plain.contains('\u{1b}'), "no colour without a terminal");
    let coloured = run(&["--color", "always", "validate", "tests/validate/unknown-field"]);
    assert!(coloured.contains("\u{1b}[1;31merror"), "{coloured}");
}

#[test]
fn help_is_complete() {
    insta::assert_snapshot!(run(&["validate", "--help"]));
    insta::assert_snapshot!(run(&["--help"]));
}
