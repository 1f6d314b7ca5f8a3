//! Compiled rules printed back in the explicit form of the language.

use grantline_ir::{Condition, Effect, Rule, Target};

/// An entitlement name as written in a policy: quoted unless it is a word
/// with dots between its parts.
pub fn entitlement(name: &str) -> String {
    let parts_are_words = name.split('.').all(|part| {
        part.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if parts_are_words && !grantline_syntax::RESERVED_WORDS.contains(&name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn target(target: &Target) -> String {
    match target {
        Target::Entitlement(name) => entitlement(name),
        Target::Role(name) => format!("role {name}"),
    }
}

fn targets(list: &[Target]) -> String {
    list.iter().map(target).collect::<Vec<_>>().join(", ")
}

/// The condition, effect and clauses of a rule, one per line, as a policy
/// author would write them in the explicit form.
pub fn rule_body(rule: &Rule) -> Vec<String> {
    let mut lines = vec![match &rule.condition {
        Condition::True => "anyone".to_string(),
        condition => format!("where {condition}"),
    }];
    lines.push(match &rule.effect {
        Effect::Grant { targets: list, .. } => format!("grants {}", targets(list)),
        Effect::Deny { targets: list, .. } => format!("denies {}", targets(list)),
        Effect::DenyEverything => "denies everything".to_string(),
    });
    if let Some(approval) = &rule.approval {
        lines.push(match &approval.by {
            Some(group) => format!("requires approval by {}", quoted(group)),
            None => "requires approval".to_string(),
        });
    }
    if let Some(from) = &rule.window.from {
        lines.push(format!("from {from}"));
    }
    if let Some(until) = &rule.window.until {
        lines.push(format!("until {until}"));
    }
    if let Some(duration) = &rule.window.duration {
        lines.push(format!("for {duration}"));
    }
    lines
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `name (file:line)` and the body, indented.
pub fn rule(rule: &Rule) -> String {
    let mut text = format!("{} ({})\n", rule.name, rule.source);
    for line in rule_body(rule) {
        text.push_str("    ");
        text.push_str(&line);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entitlement_names_are_quoted_only_when_needed() {
        assert_eq!(entitlement("google.workspace"), "google.workspace");
        assert_eq!(entitlement("aws.prod-admin"), "aws.prod-admin");
        assert_eq!(entitlement("1password"), "\"1password\"");
        assert_eq!(entitlement("where"), "\"where\"");
        assert_eq!(entitlement("a..b"), "\"a..b\"");
    }

    #[test]
    fn a_rule_reads_as_policy_text() {
        let engine = grantline::Engine::from_source(
            "t.grant",
            r#"
            attribute level: number
            attribute manager: flag
            entitlement slack, "1password"
            role tools: slack
            rule r:
                manager where level >= 7
                grants role tools, "1password"
                requires approval by "it"
                until 2027-06-30
            "#,
        )
        .unwrap();
        let rule = &engine.policy().rules[0];
        assert_eq!(
            super::rule(rule),
            "r (t.grant:6)\n    where manager and level >= 7\n    grants role tools, \"1password\"\n    requires approval by \"it\"\n    until 2027-06-30\n"
        );
    }
}
