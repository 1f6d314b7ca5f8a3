//! `grantline fmt`, run on temporary copies of policy files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MESSY: &str = "rule  us-sales:full-time in Sales in the US   with manager status\n  grants salesforce.admin ,salesforce.reports # why\n  until 2027-06-30\n";
const TIDY: &str = "rule us-sales:\n    full-time in Sales in the US with manager status\n    grants salesforce.admin, salesforce.reports  # why\n    until 2027-06-30\n";
const TIDY_SCHEMA: &str = "attribute employment: full-time | contractor\n";
const BROKEN: &str = "rule broken:\n    active in in\n    grants slack\n";

/// A fresh folder `policies/` in a temporary directory, with these files.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new(name: &str, files: &[(&str, &str)]) -> Scratch {
        let root =
            std::env::temp_dir().join(format!("grantline-fmt-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (file, text) in files {
            let path = root.join("policies").join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Scratch { root }
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.root.join("policies").join(file)).unwrap()
    }

    fn grantline(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_grantline"))
            .args(args)
            .current_dir(&self.root)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    /// Every file name in the folder, to see that no temporary file is left.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join("policies"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn formats_files_in_place() {
    let scratch = Scratch::new(
        "in-place",
        &[("sales.grant", MESSY), ("schema.grant", TIDY_SCHEMA)],
    );
    let output = scratch.grantline(&["fmt", "policies"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "formatted 1 file (1 unchanged)\n");
    assert_eq!(scratch.read("sales.grant"), TIDY);
    assert_eq!(scratch.read("schema.grant"), TIDY_SCHEMA);
    assert_eq!(scratch.names(), ["sales.grant", "schema.grant"]);

    // A second run changes nothing.
    let output = scratch.grantline(&["fmt", "policies"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "formatted 0 files (2 unchanged)\n");
}

#[test]
fn formats_the_default_folder_and_single_files() {
    let scratch = Scratch::new(
        "default",
        &[
            ("a.grant", MESSY),
            ("nested/b.grant", MESSY),
            ("notes.txt", MESSY),
        ],
    );
    let output = scratch.grantline(&["fmt", "policies/a.grant"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "formatted 1 file (0 unchanged)\n");
    assert_eq!(scratch.read("a.grant"), TIDY);
    assert_eq!(scratch.read("nested/b.grant"), MESSY);

    // Without a path: `policies`, sub-folders included, other files ignored.
    let output = scratch.grantline(&["fmt"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "formatted 1 file (1 unchanged)\n");
    assert_eq!(scratch.read("nested/b.grant"), TIDY);
    assert_eq!(scratch.read("notes.txt"), MESSY);
}

#[test]
fn a_file_named_twice_is_formatted_once() {
    let scratch = Scratch::new("twice", &[("a.grant", MESSY)]);
    let output = scratch.grantline(&["fmt", "policies", "policies/a.grant"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "formatted 1 file (0 unchanged)\n");
}

#[test]
fn check_lists_the_files_that_would_change_and_changes_nothing() {
    let scratch = Scratch::new(
        "check",
        &[("sales.grant", MESSY), ("schema.grant", TIDY_SCHEMA)],
    );
    let output = scratch.grantline(&["fmt", "--check", "policies"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "would reformat policies/sales.grant\n");
    assert_eq!(stderr(&output), "");
    assert_eq!(scratch.read("sales.grant"), MESSY);

    scratch.grantline(&["fmt", "policies"]);
    let output = scratch.grantline(&["fmt", "--check", "policies"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "");
}

#[test]
fn crlf_files_are_reformatted() {
    let scratch = Scratch::new("crlf", &[("a.grant", &TIDY.replace('\n', "\r\n"))]);
    let output = scratch.grantline(&["fmt", "--check", "policies"]);
    assert_eq!(output.status.code(), Some(1));
    scratch.grantline(&["fmt", "policies"]);
    assert_eq!(scratch.read("a.grant"), TIDY);
}

#[test]
fn a_syntax_error_is_reported_and_its_file_left_untouched() {
    let scratch = Scratch::new(
        "broken",
        &[("broken.grant", BROKEN), ("sales.grant", MESSY)],
    );
    let output = scratch.grantline(&["fmt", "policies"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("grantline::syntax"), "{err}");
    assert!(err.contains("policies/broken.grant:2:15"), "{err}");
    assert_eq!(scratch.read("broken.grant"), BROKEN);
    // The other files are still formatted.
    assert_eq!(scratch.read("sales.grant"), TIDY);
    assert_eq!(stdout(&output), "formatted 1 file (0 unchanged)\n");

    let output = scratch.grantline(&["fmt", "--check", "policies"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(scratch.read("broken.grant"), BROKEN);
}

#[test]
fn a_missing_path_is_an_error_and_changes_nothing() {
    let scratch = Scratch::new("missing", &[("a.grant", MESSY)]);
    let output = scratch.grantline(&["fmt", "policies", "nowhere"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("nowhere"), "{}", stderr(&output));
    assert_eq!(scratch.read("a.grant"), MESSY);
}

/// The policies of the repository are formatted.
#[test]
fn the_example_policies_pass_the_check() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let output = Command::new(env!("CARGO_BIN_EXE_grantline"))
        .args(["fmt", "--check", "policies"])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}
