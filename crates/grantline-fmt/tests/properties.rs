//! Properties of the formatter over generated policies: random rules,
//! conditions, windows, approvals, denies, roles and test blocks, written with
//! random whitespace, line breaks and comments.
//!
//! - Formatting is idempotent.
//! - The formatted policy compiles to the same IR as the original (source
//!   locations aside: line numbers legitimately change).
//! - Every comment is kept.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use grantline_fmt::format_text;
use grantline_ir::{PolicySet, SourceLocation};
use grantline_syntax::SourceMap;
use proptest::prelude::*;

/// A statement as tokens; the generator lays them out at random.
type Tokens = Vec<String>;

fn tokens(text: &str) -> Tokens {
    // Quoted strings in the schema have no spaces except where noted by `~`.
    text.split_whitespace()
        .map(|t| t.replace('~', " "))
        .collect()
}

/// The schema and catalogue every generated policy starts with.
fn schema() -> Vec<Tokens> {
    [
        r#"timezone "Europe/Berlin""#,
        "attribute employment : full-time | part-time | contractor | intern",
        "attribute status : active | on-leave | terminated",
        r#"attribute department : Engineering | Sales | "Customer~Success" | "Human~Resources" | Legal"#,
        "attribute country : US | DE | GB | IN | CA",
        r#"attribute presence : "in" | out | hybrid"#,
        "attribute manager : flag",
        "attribute level : number",
        "attribute title : optional text",
        "attribute start_date : date",
        "attribute end_date : optional date",
        "attribute groups : list of text",
        r#"entitlement slack , zoom , github , "1password""#,
        r#"entitlement aws.prod : sensitive , owner "platform~\"team\"" , at most 7 days"#,
        r#"entitlement salesforce.admin : owner "crm" , at most 1 month , description "CRM~admin:~fields,~flows\\" , sensitive"#,
        "role base : slack , zoom",
        "role eng : role base and github , aws.prod",
        "separate aws.prod from role base",
        r#"check risk-cleared from "checks/risk~cleared.wasm""#,
    ]
    .iter()
    .map(|s| tokens(s))
    .collect()
}

const VALUES: &[&str] = &[
    "full-time",
    "part-time",
    "contractor",
    "intern",
    "active",
    "on-leave",
    "terminated",
    "Engineering",
    "Sales",
    "\"Customer Success\"",
    "\"Human Resources\"",
    "US",
    "DE",
    "IN",
    "\"in\"",
    "hybrid",
    "manager",
];

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(options).prop_map(str::to_string)
}

fn separator(joining: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![Just(",".to_string()), Just(joining.to_string())]
}

/// `in [the] A, B or C`, all values of one attribute.
fn in_term() -> impl Strategy<Value = Tokens> {
    let countries: &'static [&'static str] = &["US", "DE", "GB", "IN", "CA"];
    let departments: &'static [&'static str] =
        &["Engineering", "Sales", "\"Customer Success\"", "Legal"];
    let values = prop_oneof![
        prop::sample::subsequence(countries, 1..=3),
        prop::sample::subsequence(departments, 1..=3),
    ];
    (
        any::<bool>(),
        values,
        prop::collection::vec(separator("or"), 3),
    )
        .prop_map(|(the, values, seps)| {
            let mut out = vec!["in".to_string()];
            if the {
                out.push("the".to_string());
            }
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push(seps[i - 1].clone());
                }
                out.push(value.to_string());
            }
            out
        })
}

fn with_term() -> impl Strategy<Value = Tokens> {
    let keyword = pick(&["with", "without"]);
    let flag_or_value =
        (pick(&["manager", "on-leave", "active"]), any::<bool>()).prop_map(|(word, status)| {
            let mut out = vec![word];
            if status {
                out.push("status".to_string());
            }
            out
        });
    let attribute = pick(&["end_date", "title", "groups"]).prop_map(|a| vec![a]);
    (keyword, prop_oneof![flag_or_value, attribute]).prop_map(|(keyword, rest)| {
        let mut out = vec![keyword];
        out.extend(rest);
        out
    })
}

fn short_term() -> impl Strategy<Value = Tokens> {
    let leaf = prop_oneof![
        Just(vec!["anyone".to_string()]),
        pick(VALUES).prop_map(|v| vec![v]),
        in_term(),
        with_term(),
        Just(tokens("passing risk-cleared")),
    ];
    (any::<u8>(), leaf).prop_map(|(not, term)| {
        let mut out = Vec::new();
        if not % 5 == 0 {
            out.push("not".to_string());
        }
        out.extend(term);
        out
    })
}

const COMPARISONS: &[&str] = &[
    "level >= 5",
    "level < 3",
    "level is 4",
    "level > -1.5",
    "level in { 1 , 2 , }",
    "department is Sales",
    "department is not Legal",
    "department in { Sales , \"Human~Resources\" }",
    "country in { US , CA }",
    "country not in { DE }",
    "country in US",
    "title contains \"Lead\"",
    "title is \"Tech~\\\"Lead\\\"\"",
    "groups contains \"oncall\"",
    "start_date < 2026-01-01",
    "end_date >= 2027-01-01",
    "manager",
    "contractor",
    "with end_date",
    "without title",
    "with manager status",
    "passing risk-cleared",
];

fn expression() -> impl Strategy<Value = Tokens> {
    let leaf = prop::sample::select(COMPARISONS).prop_map(tokens);
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (
                prop::collection::vec(inner.clone(), 2..=3),
                pick(&["and", "or"]),
                any::<bool>()
            )
                .prop_map(|(operands, op, parens)| {
                    let mut out = Vec::new();
                    if parens {
                        out.push("(".to_string());
                    }
                    for (i, operand) in operands.into_iter().enumerate() {
                        if i > 0 {
                            out.push(op.clone());
                        }
                        out.extend(operand);
                    }
                    if parens {
                        out.push(")".to_string());
                    }
                    out
                }),
            inner.clone().prop_map(|e| {
                let mut out = vec!["not".to_string(), "(".to_string()];
                out.extend(e);
                out.push(")".to_string());
                out
            }),
            inner.prop_map(|e| {
                let mut out = vec!["(".to_string()];
                out.extend(e);
                out.push(")".to_string());
                out
            }),
        ]
    })
}

const ITEMS: &[&str] = &[
    "slack",
    "zoom",
    "github",
    "\"1password\"",
    "aws.prod",
    "salesforce.admin",
    "role base",
    "role eng",
];

fn items() -> impl Strategy<Value = Tokens> {
    (
        prop::sample::subsequence(ITEMS, 1..=4).prop_shuffle(),
        prop::collection::vec(separator("and"), 4),
    )
        .prop_map(|(items, seps)| {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(seps[i - 1].clone());
                }
                out.extend(tokens(item));
            }
            out
        })
}

#[derive(Debug, Clone)]
enum Clause {
    Approval(Option<&'static str>),
    From(&'static str),
    Until(&'static str),
    For(&'static str),
}

fn clause_tokens(clause: &Clause) -> Tokens {
    match clause {
        Clause::Approval(None) => tokens("requires approval"),
        Clause::Approval(Some(by)) => {
            let mut out = tokens("requires approval by");
            out.push(by.to_string());
            out
        }
        Clause::From(point) => vec!["from".to_string(), point.to_string()],
        Clause::Until(point) => vec!["until".to_string(), point.to_string()],
        Clause::For(duration) => {
            let mut out = vec!["for".to_string()];
            out.extend(tokens(duration));
            out
        }
    }
}

fn rule(index: usize) -> impl Strategy<Value = Tokens> {
    let condition = (
        prop::collection::vec(short_term(), 0..=3),
        prop::option::of(expression()),
    )
        .prop_map(|(terms, expr)| {
            let mut out: Tokens = terms.into_iter().flatten().collect();
            if out.is_empty() || expr.is_some() {
                out.push("where".to_string());
                out.extend(expr.unwrap_or_else(|| tokens("level >= 1")));
            }
            out
        })
        .prop_filter("at most 24 parentheses and nots in a rule", |tokens| {
            tokens.iter().filter(|t| *t == "(" || *t == "not").count() <= 24
        });
    let approval = prop::option::of(prop::option::of(pick(&["\"ciso\"", "\"a \\\"b\\\"\""])));
    let from = prop::option::of(pick(&["2026-01-01", "start_date"]));
    let until = prop::option::of(pick(&["2027-06-30", "end_date"]));
    let duration = prop::option::of(pick(&["7 days", "1 day", "2 weeks", "1 month", "3 months"]));
    (
        condition,
        any::<bool>(),
        items(),
        (approval, from, until, duration),
        any::<u64>(),
    )
        .prop_map(
            move |(condition, deny, items, (approval, from, until, duration), order)| {
                let mut out = vec!["rule".to_string(), format!("r{index}"), ":".to_string()];
                out.extend(condition);
                let deny_everything = deny && order % 3 == 0;
                if deny_everything {
                    out.extend(tokens("denies everything"));
                } else {
                    out.push(if deny { "denies" } else { "grants" }.to_string());
                    out.extend(items);
                }
                let mut clauses = Vec::new();
                let has_from = from.is_some();
                if let (Some(by), false) = (approval, deny) {
                    clauses.push(Clause::Approval(by.map(|b| -> &'static str { leak(b) })));
                }
                if let Some(from) = from {
                    clauses.push(Clause::From(leak(from)));
                }
                if let Some(until) = until {
                    clauses.push(Clause::Until(leak(until)));
                }
                // On a deny, `for` needs `from`.
                if let Some(duration) = duration.filter(|_| !deny || has_from) {
                    clauses.push(Clause::For(leak(duration)));
                }
                // The clauses in any order.
                let mut seed = order;
                for i in (1..clauses.len()).rev() {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    clauses.swap(i, (seed >> 33) as usize % (i + 1));
                }
                for clause in &clauses {
                    out.extend(clause_tokens(clause));
                }
                out
            },
        )
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn test_block(index: usize) -> impl Strategy<Value = Tokens> {
    // Each attribute at most once, each entitlement in one expectation.
    let given = (
        prop::sample::subsequence(
            &[
                "active",
                "manager",
                "US",
                "title \"Lead\"",
                "start_date 2024-01-08",
            ][..],
            0..=5,
        ),
        prop::option::of(pick(&["Sales", "\"Human~Resources\""])),
        prop::option::of(pick(&["level 5", "level -2.5"])),
        prop::option::of(pick(&[
            "groups { }",
            "groups { oncall , \"b~c\" , }",
            "groups { a }",
        ])),
    )
        .prop_map(|(mut items, department, level, groups)| {
            let mut items: Vec<String> = items.drain(..).map(str::to_string).collect();
            items.extend(department);
            items.extend(level);
            items.extend(groups);
            if items.is_empty() {
                items.push("active".to_string());
            }
            items
        })
        .prop_shuffle();
    let expectations = prop::sample::subsequence(
        &[
            "expect slack",
            "expect no zoom",
            "expect no github",
            "expect aws.prod pending approval by \"g\" until 2027-01-01 from 2026-01-01",
            "expect salesforce.admin from 2026-01-01 pending approval",
            "expect \"1password\"",
        ][..],
        1..=3,
    )
    .prop_shuffle();
    (
        given,
        pick(&[
            "2026-12-01",
            "2026-12-01T09:00",
            "2026-12-01T09:00:00+01:00",
        ]),
        expectations,
    )
        .prop_map(move |(given, at, expectations)| {
            let mut out = vec![
                "test".to_string(),
                format!("\"test {index} \\\"quoted\\\"\""),
                ":".to_string(),
                "given".to_string(),
            ];
            for (i, item) in given.iter().enumerate() {
                if i > 0 {
                    out.push(",".to_string());
                }
                out.extend(tokens(item));
            }
            out.push("at".to_string());
            out.push(at);
            for expectation in expectations {
                out.extend(tokens(expectation));
            }
            out
        })
}

fn policy() -> impl Strategy<Value = Vec<Tokens>> {
    let rules = prop::collection::vec(any::<u8>(), 1..=6).prop_flat_map(|kinds| {
        kinds
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                if kind % 4 == 0 {
                    test_block(i).boxed()
                } else {
                    rule(i).boxed()
                }
            })
            .collect::<Vec<_>>()
    });
    rules.prop_map(|rules| {
        let mut statements = schema();
        statements.extend(rules);
        statements
    })
}

/// Lays out tokens with random whitespace, line breaks and comments.
struct Noise {
    state: u64,
    /// Whether to write comments at all.
    commenting: bool,
    /// How many were written.
    comments: usize,
}

impl Noise {
    fn next(&mut self, bound: u64) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state % bound
    }

    fn comment(&mut self) -> String {
        const WORDS: &[&str] = &["why", "\"quoted\"", "grants", "(", "rule", "x,", "é", "{}"];
        let mut text = "#".to_string();
        for _ in 0..self.next(4) {
            text.push(' ');
            text.push_str(WORDS[self.next(WORDS.len() as u64) as usize]);
        }
        self.comments += 1;
        text
    }

    fn new(seed: u64, commenting: bool) -> Noise {
        Noise {
            state: seed | 1,
            commenting,
            comments: 0,
        }
    }

    fn gap(&mut self, out: &mut String) {
        let first = if self.commenting { 0 } else { 2 };
        match first + self.next(24 - first) {
            0 => {
                out.push(' ');
                let comment = self.comment();
                out.push_str(&comment);
                out.push('\n');
            }
            1 => {
                out.push_str("\n    ");
                let comment = self.comment();
                out.push_str(&comment);
                out.push_str(if self.next(2) == 0 { "\r\n" } else { "\n\n" });
            }
            2..=4 => out.push('\n'),
            5 => out.push_str("\n    "),
            6 => out.push('\t'),
            7 => out.push_str("\r\n"),
            8 => out.push_str("\n\n\n"),
            9 => out.push_str("  "),
            _ => out.push(' '),
        }
    }

    fn lay_out(&mut self, statements: &[Tokens]) -> String {
        let mut out = String::new();
        for statement in statements {
            for token in statement {
                self.gap(&mut out);
                out.push_str(token);
            }
        }
        self.gap(&mut out);
        out
    }
}

fn ir(text: &str) -> Result<PolicySet, String> {
    let mut sources = SourceMap::new();
    sources.add("generated.grant", text);
    ir_of(&sources)
}

/// Every module path is a valid check here: the formatter's output is
/// compared by meaning, not by the modules on disk.
struct AnyModule;

impl grantline_compiler::ModuleValidator for AnyModule {
    fn validate(
        &self,
        _name: &str,
        path: &std::path::Path,
    ) -> Result<String, grantline_compiler::ModuleProblem> {
        Ok(format!("sha256:{}", path.display()))
    }
}

fn ir_of(sources: &SourceMap) -> Result<PolicySet, String> {
    let compiled = grantline_compiler::compile_with(sources, &AnyModule);
    let mut policy = compiled
        .policy
        .ok_or_else(|| format!("{:#?}", compiled.diagnostics))?;
    let clear = |source: &mut SourceLocation| {
        source.file.clear();
        source.line = 0;
        source.column = 0;
    };
    policy
        .attributes
        .iter_mut()
        .for_each(|a| clear(&mut a.source));
    policy
        .entitlements
        .iter_mut()
        .for_each(|e| clear(&mut e.source));
    policy.roles.iter_mut().for_each(|r| clear(&mut r.source));
    policy.rules.iter_mut().for_each(|r| clear(&mut r.source));
    policy
        .separations
        .iter_mut()
        .for_each(|s| clear(&mut s.source));
    policy.checks.iter_mut().for_each(|c| clear(&mut c.source));
    Ok(policy)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn formatting_keeps_meaning_and_comments_and_is_idempotent(
        statements in policy(),
        seed in any::<u64>(),
    ) {
        let mut noise = Noise::new(seed, true);
        let original = noise.lay_out(&statements);
        let before = ir(&original);
        prop_assert!(before.is_ok(), "the generated policy does not compile:\n{original}\n{}", before.unwrap_err());

        let formatted = format_text("generated.grant", &original)
            .map_err(|d| TestCaseError::fail(format!("{d:?}\n{original}")))?;
        let again = format_text("generated.grant", &formatted)
            .map_err(|d| TestCaseError::fail(format!("{d:?}\n{formatted}")))?;
        prop_assert_eq!(&again, &formatted, "not idempotent; original:\n{}", original);

        let after = ir(&formatted);
        prop_assert!(after.is_ok(), "the formatted policy does not compile:\n{formatted}");
        prop_assert_eq!(before.unwrap(), after.unwrap(), "the IR changed:\n{}\n---\n{}", original, formatted);

        prop_assert_eq!(formatted.matches('#').count(), noise.comments, "a comment was lost:\n{}\n---\n{}", original, formatted);

        prop_assert!(formatted.ends_with('\n') && !formatted.ends_with("\n\n"));
        prop_assert!(!formatted.contains('\r'));
        prop_assert!(formatted.lines().all(|line| line == line.trim_end()));
    }
}

/// The text without its empty lines.
fn without_blank_lines(text: &str) -> String {
    text.lines()
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The layout depends on the tokens only (and on where the blank lines
    /// between statements were), not on the whitespace of the input.
    #[test]
    fn the_layout_does_not_depend_on_the_whitespace(
        statements in policy(),
        first in any::<u64>(),
        second in any::<u64>(),
    ) {
        let one = format_text("a.grant", &Noise::new(first, false).lay_out(&statements)).unwrap();
        let two = format_text("a.grant", &Noise::new(second, false).lay_out(&statements)).unwrap();
        prop_assert_eq!(without_blank_lines(&one), without_blank_lines(&two));
    }
}

/// The tokens of a policy text, comments dropped.
fn split(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    let mut current = String::new();
    while let Some(c) = chars.next() {
        match c {
            '#' => while chars.next_if(|c| *c != '\n').is_some() {},
            '"' => {
                current.push(c);
                while let Some(c) = chars.next() {
                    current.push(c);
                    if c == '\\' {
                        current.extend(chars.next());
                    } else if c == '"' {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

fn example_policies() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let sources = grantline_compiler::load_path(&root).unwrap();
    sources
        .files()
        .map(|(_, f)| (f.name().to_string(), f.text().to_string()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Each file of the example policies, with its whitespace and comments
    /// replaced at random, formats to a file that compiles with the others
    /// to the same IR, keeps every comment, and formats again to itself.
    #[test]
    fn the_example_policies_survive_any_layout(index in any::<prop::sample::Index>(), seed in any::<u64>()) {
        let files = example_policies();
        let chosen = index.index(files.len());
        let mut noise = Noise::new(seed, true);
        let messy = noise.lay_out(&[split(&files[chosen].1)]);
        let formatted = format_text(&files[chosen].0, &messy)
            .map_err(|d| TestCaseError::fail(format!("{d:?}\n{messy}")))?;
        prop_assert_eq!(format_text(&files[chosen].0, &formatted).unwrap(), formatted.clone());
        prop_assert_eq!(formatted.matches('#').count(), noise.comments);
        let set = |replacement: &str| {
            let mut sources = SourceMap::new();
            for (i, (name, text)) in files.iter().enumerate() {
                sources.add(name.clone(), if i == chosen { replacement } else { text.as_str() });
            }
            ir_of(&sources)
        };
        let original = set(&files[chosen].1).unwrap();
        prop_assert_eq!(&set(&messy).unwrap(), &original);
        prop_assert_eq!(&set(&formatted).unwrap(), &original, "{}", formatted);
    }
}
