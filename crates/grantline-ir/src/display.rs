//! Conditions and values printed in the explicit form of the language, so
//! that explanations quote rules the way a policy author would write them.

use std::fmt;

use crate::{Condition, Duration, DurationUnit, Target, TimePoint, Value};

/// A value as a policy writes it: bare when it reads unambiguously as a
/// word, quoted otherwise.
pub fn written_value(text: &str) -> String {
    let bare = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !crate::RESERVED_WORDS.contains(&text);
    if bare {
        text.to_string()
    } else {
        quoted(text)
    }
}

/// A quoted string of the language, with `"` and `\` escaped.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn write_text(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str(&written_value(text))
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(text) => write_text(f, text),
            Value::Number(n) => write!(f, "{n}"),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match (self.unit, self.count == 1) {
            (DurationUnit::Days, true) => "day",
            (DurationUnit::Days, false) => "days",
            (DurationUnit::Weeks, true) => "week",
            (DurationUnit::Weeks, false) => "weeks",
            (DurationUnit::Months, true) => "month",
            (DurationUnit::Months, false) => "months",
        };
        write!(f, "{} {unit}", self.count)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Entitlement(name) => f.write_str(name),
            Target::Role(name) => write!(f, "role {name}"),
        }
    }
}

impl fmt::Display for TimePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimePoint::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            TimePoint::Attribute(name) => f.write_str(name),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_condition(f, self, false)
    }
}

fn write_condition(f: &mut fmt::Formatter<'_>, condition: &Condition, nested: bool) -> fmt::Result {
    match condition {
        Condition::True => f.write_str("anyone"),
        Condition::And { all } => write_joined(f, all, " and ", nested),
        Condition::Or { any } => write_joined(f, any, " or ", nested),
        Condition::Not { not } => match not.as_ref() {
            Condition::Present { attribute } => write!(f, "without {attribute}"),
            other => {
                f.write_str("not ")?;
                write_condition(f, other, true)
            }
        },
        Condition::Is { attribute, value } => write!(f, "{attribute} is {value}"),
        Condition::In { attribute, values } => {
            write!(f, "{attribute} in {{")?;
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{value}")?;
            }
            f.write_str("}")
        }
        Condition::Flag { attribute } => f.write_str(attribute),
        Condition::Present { attribute } => write!(f, "with {attribute}"),
        Condition::Compare {
            attribute,
            cmp,
            value,
        } => write!(f, "{attribute} {} {value}", cmp.as_str()),
        Condition::Contains { attribute, value } => write!(f, "{attribute} contains {value}"),
        Condition::Check { check } => write!(f, "passing {check}"),
    }
}

fn write_joined(
    f: &mut fmt::Formatter<'_>,
    items: &[Condition],
    separator: &str,
    nested: bool,
) -> fmt::Result {
    if nested {
        f.write_str("(")?;
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        write_condition(f, item, true)?;
    }
    if nested {
        f.write_str(")")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ordering;

    #[test]
    fn conditions_print_in_the_explicit_form() {
        let condition = Condition::And {
            all: vec![
                Condition::Is {
                    attribute: "department".into(),
                    value: Value::Text("Human Resources".into()),
                },
                Condition::Or {
                    any: vec![
                        Condition::Compare {
                            attribute: "level".into(),
                            cmp: Ordering::GreaterOrEqual,
                            value: Value::Number(7.0),
                        },
                        Condition::Not {
                            not: Box::new(Condition::Flag {
                                attribute: "manager".into(),
                            }),
                        },
                    ],
                },
                Condition::In {
                    attribute: "country".into(),
                    values: vec![Value::Text("US".into()), Value::Text("in".into())],
                },
            ],
        };
        assert_eq!(
            condition.to_string(),
            "department is \"Human Resources\" and (level >= 7 or not manager) and country in {US, \"in\"}"
        );
    }
}
