//! Writing policy text in the canonical layout of `grantline fmt`, so that
//! generated files are also formatted files.

/// Lines are filled up to this many columns, as `grantline fmt` does.
pub(crate) const MAX_WIDTH: usize = 100;

pub(crate) use grantline_ir::{quoted, written_value as value};

/// `attribute NAME: [optional ]a | b | c`, continued on lines indented 4
/// that start with `| ` when it does not fit.
pub(crate) fn attribute_decl(name: &str, optional: bool, values: &[&str]) -> String {
    let mut out = format!(
        "attribute {name}: {}",
        if optional { "optional " } else { "" }
    );
    let mut line_len = out.len();
    let mut first = true;
    for item in values.iter().map(|v| value(v)) {
        if first {
            out.push_str(&item);
            line_len += item.len();
            first = false;
            continue;
        }
        let piece = format!(" | {item}");
        if line_len + piece.len() <= MAX_WIDTH {
            out.push_str(&piece);
            line_len += piece.len();
        } else {
            let start = format!("\n    | {item}");
            line_len = start.len() - 1;
            out.push_str(&start);
        }
    }
    out
}

/// Items separated by `, ` on lines filled to [`MAX_WIDTH`]: the first line
/// starts with `first`, continuation lines are indented `indent` spaces.
pub(crate) fn fill(first: &str, items: &[String], separator: &str, indent: usize) -> String {
    let mut out = first.to_string();
    let mut line_len = first.rsplit('\n').next().unwrap_or(first).chars().count();
    for (index, item) in items.iter().enumerate() {
        let sep = if index == 0 { "" } else { separator };
        let trailing = if index + 1 < items.len() {
            separator.trim_end().len()
        } else {
            0
        };
        let needed = sep.len() + item.chars().count();
        if index > 0 && line_len + needed + trailing > MAX_WIDTH {
            out.push_str(separator.trim_end());
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            out.push_str(item);
            line_len = indent + item.chars().count();
        } else {
            out.push_str(sep);
            out.push_str(item);
            line_len += needed;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_only_when_they_must_be() {
        assert_eq!(value("Sales"), "Sales");
        assert_eq!(value("full-time"), "full-time");
        assert_eq!(value("IN"), "IN");
        assert_eq!(value("New York"), "\"New York\"");
        assert_eq!(value("in"), "\"in\"");
        assert_eq!(value("1password"), "\"1password\"");
    }
}
