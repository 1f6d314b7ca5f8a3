#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The lint documentation in `docs/lint/` is generated from the rules: one
//! page per rule (`docs/lint/GL101.md`, from the `//!` comment of the rule's
//! file) and an index with the configuration (`docs/lint/README.md`). This
//! test fails when a page is missing, stale or left over from a rule that no
//! longer exists; `UPDATE_DOCS=1 cargo test -p grantline-lint --test docs`
//! writes them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use grantline_lint::{rules, Group, RuleInfo, Settings, TemporaryWorkers, Termination};
use grantline_syntax::Severity;

/// The sections every rule's documentation has, in this order.
const SECTIONS: [&str; 4] = [
    "## What it catches",
    "## Why it matters",
    "## Example",
    "## How to fix",
];

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/lint")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn range(group: Group) -> &'static str {
    match group {
        Group::RoleExplosion => "GL1xx",
        Group::OverProvisioning => "GL2xx",
        Group::Analysis => "GL3xx",
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

/// `docs/lint/CODE.md`.
fn rule_page(info: &RuleInfo) -> String {
    let code = info.code;
    let mut page = format!("# {code} {}\n\n", info.name);
    page.push_str(
        "<!-- Generated from the rule's source file by crates/grantline-lint/tests/docs.rs; \
         edit the `//!` comment there, then run `UPDATE_DOCS=1 cargo test -p grantline-lint \
         --test docs`. -->\n\n",
    );
    page.push_str(&format!(
        "- Group: {} ({})\n",
        info.group.title(),
        range(info.group)
    ));
    page.push_str(&format!("- Default level: {}\n", level(info.severity)));
    page.push_str(&format!(
        "- Needs `--people`: {}\n",
        if info.needs_population {
            "yes: the rule runs only when a population is given"
        } else {
            "no"
        }
    ));
    page.push('\n');
    page.push_str(info.doc().trim_end());
    page.push_str(&format!(
        "\n\n## Configuration\n\n\
         Change the rule's level or turn it off in `lint.toml`:\n\n\
         ```toml\n[rules]\n{code} = \"off\"   # or \"info\", \"warning\", \"error\"\n```\n\n\
         Run only this rule with `grantline lint --select {code}`, or skip it with \
         `--ignore {code}`. Silence one finding with a comment on the first line of the \
         rule (role, entitlement, separation) it points at, or in the comment block directly \
         above it:\n\n\
         ```grantline\n# lint: allow {code} -- why this is fine\n```\n\n\
         See [the list of rules](README.md).\n"
    ));
    page
}

/// A cell of a Markdown table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn quoted_list(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
    format!("[{}]", items.join(", "))
}

/// The `[settings]` table: every field of [`Settings`] with its default.
fn settings_table() -> String {
    // Destructured without `..`: a new setting does not compile here until
    // it is documented.
    let Settings {
        max_grantors,
        min_matches,
        wide_share,
        sensitive_wide_share,
        scope_attributes,
        temporary_workers,
        end_date,
        termination,
    } = Settings::default();
    let temporary = match temporary_workers {
        Some(TemporaryWorkers { attribute, values }) => format!(
            "`{{ attribute = \"{attribute}\", values = {} }}`",
            quoted_list(&values)
        ),
        None => "none".to_string(),
    };
    let terminated = match termination {
        Some(Termination { attribute, value }) => {
            format!("`{{ attribute = \"{attribute}\", value = \"{value}\" }}`")
        }
        None => "none".to_string(),
    };
    let rows = [
        (
            "max-grantors",
            format!("`{max_grantors}`"),
            "An entitlement granted by more rules than this is reported (GL106).",
        ),
        (
            "min-matches",
            format!("`{min_matches}`"),
            "With `--people`: a rule that matches fewer people than this is reported \
             (GL107); `1` reports only rules that match no one.",
        ),
        (
            "wide-share",
            format!("`{wide_share}`"),
            "With `--people`: an entitlement held by more than this share of the people \
             (0 to 1) is reported (GL206).",
        ),
        (
            "sensitive-wide-share",
            format!("`{sensitive_wide_share}`"),
            "With `--people`: the same for a sensitive entitlement (GL206).",
        ),
        (
            "scope-attributes",
            format!("`{}`", quoted_list(&scope_attributes)),
            "The attributes that scope access to a part of the company; a rule for a \
             sensitive entitlement without one of them is reported (GL201).",
        ),
        (
            "temporary-workers",
            temporary,
            "Who is with the company for a fixed period: a value-set attribute and its \
             values. Their grants must end at their end date (GL204). Leave the table out \
             of `lint.toml` to keep the default.",
        ),
        (
            "end-date",
            format!("`\"{end_date}\"`"),
            "The date attribute holding the last working day (GL204).",
        ),
        (
            "termination",
            terminated,
            "How the HR data marks someone who has left: an attribute and its value \
             (GL205).",
        ),
    ];
    let mut table = String::from("| setting | default | meaning |\n| --- | --- | --- |\n");
    for (name, default, meaning) in rows {
        table.push_str(&format!("| `{name}` | {default} | {meaning} |\n"));
    }
    table
}

/// `docs/lint/README.md`.
fn index_page(rules: &[&RuleInfo]) -> String {
    let mut page = String::from(
        "# Lint rules\n\n\
         <!-- Generated by crates/grantline-lint/tests/docs.rs; run `UPDATE_DOCS=1 cargo test \
         -p grantline-lint --test docs` after changing a rule. -->\n\n\
         `grantline lint` looks for policies that work but are hard to maintain or give too \
         much access: rules multiplying instead of generalizing (role explosion), access \
         wider than least privilege allows (over-provisioning), and conditions, windows and \
         denies that can never take effect or are covered by others (exact analysis). \
         Findings of reachability and overlap come with a *witness*: an identity, confirmed \
         by the evaluator, that shows the problem; `grantline eval` reproduces it. See \
         [the command](../cli.md#grantline-lint) for the options and output formats.\n\n\
         Each rule has a stable code that is never reused, a short name, a group and a \
         default level. Findings at level `error` make `grantline lint` exit 1. Rules \
         marked *`--people`* need a population (`--people FILE`) and do not run without \
         one.\n\n\
         ## Rules\n\n",
    );
    let mut groups: BTreeMap<Group, Vec<&RuleInfo>> = BTreeMap::new();
    for info in rules {
        groups.entry(info.group).or_default().push(info);
    }
    for (group, members) in groups {
        page.push_str(&format!("### {} ({})\n\n", group.title(), range(group)));
        page.push_str(
            "| code | name | level | `--people` | summary |\n| --- | --- | --- | --- | --- |\n",
        );
        for info in members {
            page.push_str(&format!(
                "| [{code}]({code}.md) | `{name}` | {level} | {people} | {summary} |\n",
                code = info.code,
                name = info.name,
                level = level(info.severity),
                people = yes_no(info.needs_population),
                summary = cell(&info.summary()),
            ));
        }
        page.push('\n');
    }
    page.push_str(
        "`grantline lint --list` prints this table and `grantline lint --explain CODE` a \
         rule's page.\n\n\
         ## Configuration: `lint.toml`\n\n\
         `grantline lint DIR` reads `DIR/lint.toml` if there is one (`--config FILE` names \
         another). Every part is optional:\n\n\
         ```toml\n\
         # Levels by code: \"off\", \"info\", \"warning\" or \"error\".\n\
         [rules]\n\
         GL106 = \"off\"\n\
         GL201 = \"error\"\n\
         \n\
         # Thresholds and the meaning of attributes.\n\
         [settings]\n\
         max-grantors = 8\n\
         scope-attributes = [\"department\", \"team\"]\n\
         temporary-workers = { attribute = \"employment\", values = [\"contractor\", \"intern\"] }\n\
         termination = { attribute = \"status\", value = \"terminated\" }\n\
         ```\n\n\
         An unknown rule code, an unknown setting or a value of the wrong type is an error \
         with its file, line and column; the command then exits 2.\n\n\
         ### `[rules]`\n\n\
         A rule's level replaces its default level; `\"off\"` does not run it. \
         `--select` and `--ignore` on the command line (codes or prefixes such as `GL2`) \
         choose the rules to run; the levels of `lint.toml` still apply to the rules they \
         keep.\n\n\
         ### `[settings]`\n\n",
    );
    page.push_str(&settings_table());
    page.push_str(
        "\n## Silencing one finding\n\n\
         A comment `# lint: allow CODE -- reason` silences the findings of `CODE` that point \
         at the statement (rule, role, entitlement or separation) whose first line holds the \
         comment, or whose comment block directly above holds it. Several codes are \
         separated by commas or spaces; words after `--` are the reason, for the reviewer, \
         and are not read as codes:\n\n\
         ```grantline\n\
         # Break-glass access for the on-call SRE; reviewed daily.\n\
         # lint: allow GL203 -- the break-glass account is reviewed daily\n\
         rule break-glass:\n\
         \x20   in SRE with manager status grants aws.admin\n\
         \n\
         rule legacy-wiki: # lint: allow GL101, GL102\n\
         \x20   in Sales grants wiki\n\
         ```\n\n\
         The comment block ends at the first line that is not a comment, so a blank line \
         between the comment and the statement stops it from applying. Silenced findings \
         are counted in the summary (`2 suppressed`).\n",
    );
    page
}

/// Every generated file, by path.
fn expected() -> BTreeMap<PathBuf, String> {
    let rules = rules();
    let mut files = BTreeMap::new();
    for info in &rules {
        files.insert(folder().join(format!("{}.md", info.code)), rule_page(info));
    }
    files.insert(folder().join("README.md"), index_page(&rules));
    files
}

#[test]
fn every_rule_doc_has_the_four_sections_in_order() {
    let mut failures = Vec::new();
    for info in rules() {
        let doc = info.doc();
        let headings: Vec<&str> = doc.lines().filter(|l| l.starts_with("## ")).collect();
        if headings != SECTIONS {
            failures.push(format!(
                "{}: the `//!` comment has the sections {headings:?}, not {SECTIONS:?}",
                info.code
            ));
        }
        if info.summary().trim().is_empty() {
            failures.push(format!("{}: *What it catches* is empty", info.code));
        }
        let example = doc
            .split("## Example")
            .nth(1)
            .and_then(|rest| rest.split("## How to fix").next())
            .unwrap_or("");
        if !example.contains("```") {
            failures.push(format!("{}: *Example* has no code block", info.code));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let mut codes = std::collections::HashSet::new();
    let mut names = std::collections::HashSet::new();
    for info in rules() {
        assert!(codes.insert(info.code), "{} twice", info.code);
        assert!(names.insert(info.name), "{} twice", info.name);
        let digits = info.code.strip_prefix("GL").unwrap_or("");
        assert!(
            digits.len() == 3 && digits.chars().all(|c| c.is_ascii_digit()),
            "{}",
            info.code
        );
        assert!(
            info.code.starts_with(&range(info.group)[..3]),
            "{} is not in the range of {:?}",
            info.code,
            info.group
        );
        assert!(
            info.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{} is not kebab-case",
            info.name
        );
    }
}

#[test]
fn the_lint_docs_are_up_to_date() {
    let expected = expected();
    let update = std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1");
    // Pages of rules that no longer exist.
    let leftovers: Vec<PathBuf> = std::fs::read_dir(folder())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| {
                    path.extension().is_some_and(|e| e == "md")
                        && path
                            .file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("GL"))
                        && !expected.contains_key(path)
                })
                .collect()
        })
        .unwrap_or_default();
    if update {
        std::fs::create_dir_all(folder()).unwrap();
        for (path, text) in &expected {
            if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
                std::fs::write(path, text).unwrap();
            }
        }
        for path in &leftovers {
            std::fs::remove_file(path).unwrap();
        }
        return;
    }
    let mut stale = Vec::new();
    for (path, text) in &expected {
        if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            stale.push(format!("{} is missing or stale", path.display()));
        }
    }
    for path in &leftovers {
        stale.push(format!("{} is about no rule", path.display()));
    }
    assert!(
        stale.is_empty(),
        "{}\nrun `UPDATE_DOCS=1 cargo test -p grantline-lint --test docs` to regenerate",
        stale.join("\n")
    );
}
