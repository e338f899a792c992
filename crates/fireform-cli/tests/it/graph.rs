//! `fireform graph`: DOT output of the example projects, and its behaviour on a closed pipe.

use std::process::{Command, Stdio};

use crate::{root, run};

#[test]
fn quickstart_graph() {
    insta::assert_snapshot!(run(&["graph", "examples/quickstart"]));
}

#[test]
fn manifests_graph() {
    insta::assert_snapshot!(run(&["graph", "manifests"]));
}

#[test]
fn cycle_is_an_error() {
    insta::assert_snapshot!(run(&["graph", "tests/validate/dependency-cycle"]));
}

#[test]
fn help_is_complete() {
    insta::assert_snapshot!(run(&["graph", "--help"]));
}

#[test]
fn closed_stdout_is_a_clean_exit() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_fireform"))
        .args(["graph", "manifests"])
        .current_dir(root())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}
