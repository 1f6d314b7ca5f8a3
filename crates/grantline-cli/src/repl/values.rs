//! `:set ATTRIBUTE VALUE`: the value read by the attribute's type, into the
//! JSON an identity file would hold.

use chrono::NaiveDate;
use grantline_ir::{Attribute, AttributeKind};
use serde_json::Value;

use super::suggest::{closest, did_you_mean};

/// A value as typed: `"Human Resources"` (quoted, with `\"` and `\\`) or the
/// text as it is.
pub fn unquote(text: &str) -> String {
    let text = text.trim();
    let Some(inner) = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return text.to_string();
    };
    let mut result = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(next @ ('"' | '\\'))) => {
                result.push(next);
                chars.next();
            }
            _ => result.push(c),
        }
    }
    result
}

/// Splits `a, "b, c", d` at the commas outside quotes.
fn split_list(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            ',' if !quoted => items.push(std::mem::take(&mut current)),
            '"' if !escaped => {
                quoted = !quoted;
                current.push(c);
            }
            _ => current.push(c),
        }
        escaped = c == '\\' && !escaped;
    }
    items.push(current);
    items
        .iter()
        .map(|item| unquote(item))
        .filter(|item| !item.is_empty())
        .collect()
}

/// `YYYY-MM-DD` with every digit written, as the language and `--at` read it.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let full = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    full.then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

fn number(text: &str) -> Option<Value> {
    if let Ok(integer) = text.parse::<i64>() {
        return Some(Value::from(integer));
    }
    let float = text.parse::<f64>().ok().filter(|f| f.is_finite())?;
    // Only plain decimals: not `1e5`, `inf` or `0x10`.
    let plain = text
        .trim_start_matches('-')
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.');
    serde_json::Number::from_f64(float)
        .filter(|_| plain)
        .map(Value::Number)
}

/// The JSON value of `text` for `attribute`, or why it does not fit.
pub fn parse(attribute: &Attribute, text: &str) -> Result<Value, String> {
    let name = &attribute.name;
    let text = text.trim();
    if text.is_empty() {
        return Err(format!(
            "`:set {name}` needs a value ({}); `:unset {name}` removes it",
            expected(&attribute.kind)
        ));
    }
    match &attribute.kind {
        AttributeKind::Values { values } => {
            let value = unquote(text);
            if values.contains(&value) {
                return Ok(Value::String(value));
            }
            let suggestions = closest(&value, values.iter().map(String::as_str));
            let hint = if suggestions.is_empty() {
                format!("; its values are {}", list(values))
            } else {
                did_you_mean(&suggestions)
            };
            Err(format!("`{value}` is not a value of `{name}`{hint}"))
        }
        AttributeKind::Flag => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!(
                "`{name}` is a flag: set it to true or false, not `{text}`"
            )),
        },
        AttributeKind::Number => number(text)
            .ok_or_else(|| format!("`{name}` is a number, such as 7 or -2.5, not `{text}`")),
        AttributeKind::Text => Ok(Value::String(unquote(text))),
        AttributeKind::Date => {
            let date = unquote(text);
            match parse_date(&date) {
                Some(_) => Ok(Value::String(date)),
                None => Err(format!(
                    "`{name}` is a date: write it as YYYY-MM-DD, such as 2026-01-31, not `{date}`"
                )),
            }
        }
        AttributeKind::ListOfText => Ok(Value::Array(
            split_list(text).into_iter().map(Value::String).collect(),
        )),
    }
}

/// What a value of this kind looks like, for messages.
pub fn expected(kind: &AttributeKind) -> String {
    match kind {
        AttributeKind::Values { values } => format!("one of {}", list(values)),
        AttributeKind::Flag => "true or false".to_string(),
        AttributeKind::Number => "a number".to_string(),
        AttributeKind::Text => "text".to_string(),
        AttributeKind::Date => "a date, YYYY-MM-DD".to_string(),
        AttributeKind::ListOfText => "a comma-separated list".to_string(),
    }
}

/// `a, b, "c d"`: values as written in a policy.
fn list(values: &[String]) -> String {
    values
        .iter()
        .map(|value| written(value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as it is written in a policy: bare when it can be, else quoted.
pub fn written(value: &str) -> String {
    grantline_ir::Value::Text(value.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use grantline_ir::SourceLocation;
    use serde_json::json;

    fn attribute(kind: AttributeKind) -> Attribute {
        Attribute {
            name: "a".into(),
            kind,
            optional: false,
            key: false,
            source: SourceLocation {
                file: "f".into(),
                line: 1,
                column: 1,
            },
        }
    }

    #[test]
    fn each_type_reads_its_values() {
        let department = attribute(AttributeKind::Values {
            values: vec!["Sales".into(), "Human Resources".into()],
        });
        assert_eq!(parse(&department, "Sales"), Ok(json!("Sales")));
        assert_eq!(
            parse(&department, "\"Human Resources\""),
            Ok(json!("Human Resources"))
        );
        assert_eq!(
            parse(&department, "Human Resources"),
            Ok(json!("Human Resources"))
        );
        let flag = attribute(AttributeKind::Flag);
        assert_eq!(parse(&flag, "true"), Ok(json!(true)));
        assert_eq!(parse(&flag, "false"), Ok(json!(false)));
        let level = attribute(AttributeKind::Number);
        assert_eq!(parse(&level, "6"), Ok(json!(6)));
        assert_eq!(parse(&level, "-2.5"), Ok(json!(-2.5)));
        let date = attribute(AttributeKind::Date);
        assert_eq!(parse(&date, "2026-02-01"), Ok(json!("2026-02-01")));
        let groups = attribute(AttributeKind::ListOfText);
        assert_eq!(
            parse(&groups, "oncall, \"a, b\" ,vpn"),
            Ok(json!(["oncall", "a, b", "vpn"]))
        );
        let text = attribute(AttributeKind::Text);
        assert_eq!(parse(&text, "Tech Lead"), Ok(json!("Tech Lead")));
        assert_eq!(parse(&text, r#""say \"hi\"""#), Ok(json!("say \"hi\"")));
    }

    #[test]
    fn values_of_the_wrong_type_are_refused_with_a_hint() {
        let department = attribute(AttributeKind::Values {
            values: vec!["Sales".into(), "Human Resources".into()],
        });
        assert_eq!(
            parse(&department, "sales"),
            Err("`sales` is not a value of `a`; did you mean `Sales`?".into())
        );
        assert_eq!(
            parse(&department, "Marketing"),
            Err(
                "`Marketing` is not a value of `a`; its values are Sales, \"Human Resources\""
                    .into()
            )
        );
        assert!(parse(&attribute(AttributeKind::Flag), "yes").is_err());
        assert!(parse(&attribute(AttributeKind::Number), "five").is_err());
        assert!(parse(&attribute(AttributeKind::Number), "1e5").is_err());
        assert!(parse(&attribute(AttributeKind::Date), "2026-2-01").is_err());
        assert!(parse(&attribute(AttributeKind::Date), "2026-02-30").is_err());
        assert!(parse(&attribute(AttributeKind::Text), " ").is_err());
    }
}
