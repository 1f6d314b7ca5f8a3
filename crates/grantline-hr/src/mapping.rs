//! The mapping file: how an HR export's columns and spellings become the
//! schema's attributes and values.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use chrono::format::{Item, StrftimeItems};
use chrono::NaiveDate;
use grantline_eval::Evaluator;
use grantline_ir::AttributeKind;
use serde::Deserialize;
use toml::Spanned;

/// The default `date-format`.
pub const DEFAULT_DATE_FORMAT: &str = "%Y-%m-%d";
/// The default `list-separator`.
pub const DEFAULT_LIST_SEPARATOR: &str = ";";
/// The default spellings of true (compared ignoring case).
pub const DEFAULT_TRUE: &[&str] = &["true", "yes", "1", "y"];
/// The default spellings of false (compared ignoring case).
pub const DEFAULT_FALSE: &[&str] = &["false", "no", "0", "n"];

/// How the columns (CSV), fields (JSON) or SCIM attributes of an HR export
/// become the schema's attributes. Read from TOML with [`Mapping::parse`];
/// [`Mapping::default`] maps nothing and uses the default spellings.
///
/// ```toml
/// list-separator = "|"          # splits list cells of CSV (default ";")
/// date-format = "%d/%m/%Y"      # chrono strftime layout (default "%Y-%m-%d")
/// csv-delimiter = ","           # one ASCII character (default ",")
///
/// [columns]                     # source name = attribute ("" drops it)
/// "Employee ID" = "employee_id"
/// "Emp Type" = "employment"
/// "Notes" = ""
/// # SCIM: a named field, or any attribute in SCIM attribute notation
/// "addresses.primary.locality" = "city"
/// "urn:ietf:params:scim:schemas:extension:acme:2.0:User:site" = "site"
///
/// [values.employment]           # spelling = schema value
/// FT = "full-time"
/// PT = "part-time"
///
/// [flags]                       # replace the default spellings of flags
/// true = ["yes", "x"]
/// false = ["no", ""]
/// ```
/// A `[values.x]` table: the attribute name and its span, and each target
/// value with its span.
type ValueTableSpans = (String, Range<usize>, Vec<(String, Range<usize>)>);

#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    file: String,
    text: Option<String>,
    columns: HashMap<String, String>,
    values: HashMap<String, HashMap<String, String>>,
    /// `[values.x]` tables with the span of their attribute name and of each
    /// target value, for [`Mapping::check`].
    value_spans: Vec<ValueTableSpans>,
    list_separator: String,
    date_format: String,
    csv_delimiter: u8,
    flags_true: Vec<String>,
    flags_false: Vec<String>,
}

impl Default for Mapping {
    fn default() -> Mapping {
        Mapping {
            file: String::new(),
            text: None,
            columns: HashMap::new(),
            values: HashMap::new(),
            value_spans: Vec::new(),
            list_separator: DEFAULT_LIST_SEPARATOR.to_string(),
            date_format: DEFAULT_DATE_FORMAT.to_string(),
            csv_delimiter: b',',
            flags_true: DEFAULT_TRUE.iter().map(|s| s.to_string()).collect(),
            flags_false: DEFAULT_FALSE.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// A mistake in a mapping file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}{}", hint.as_ref().map(|h| format!("; {h}")).unwrap_or_default())]
pub struct MappingError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
    pub hint: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMapping {
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    values: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<String>>>,
    list_separator: Option<Spanned<String>>,
    date_format: Option<Spanned<String>>,
    csv_delimiter: Option<Spanned<String>>,
    flags: Option<RawFlags>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlags {
    #[serde(rename = "true")]
    yes: Option<Vec<Spanned<String>>>,
    #[serde(rename = "false")]
    no: Option<Vec<Spanned<String>>>,
}

impl Mapping {
    /// Reads a mapping file (`file_name` names it in errors). The first
    /// mistake is reported with its line and column.
    pub fn parse(file_name: &str, text: &str) -> Result<Mapping, MappingError> {
        let error = |span: Range<usize>, message: String, hint: Option<String>| {
            let (line, column) = line_column(text, span.start);
            MappingError {
                file: file_name.to_string(),
                line,
                column,
                message,
                hint,
            }
        };
        let raw: RawMapping = toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end().replace('\n', "; ");
            error(e.span().unwrap_or(0..0), message, None)
        })?;
        let mut mapping = Mapping {
            file: file_name.to_string(),
            text: Some(text.to_string()),
            ..Mapping::default()
        };
        for (source, target) in raw.columns {
            let name = target.get_ref();
            if !name.is_empty() && !is_attribute_name(name) {
                return Err(error(
                    target.span(),
                    format!("`{name}` is not an attribute name"),
                    Some(
                        "attribute names are letters, digits, `_`, `-` and `.`; \
                         map to \"\" to drop a column"
                            .to_string(),
                    ),
                ));
            }
            if crate::scim::is_notation(source.get_ref()) {
                if let Err(message) = crate::scim::parse_path(source.get_ref()) {
                    return Err(error(
                        source.span(),
                        message,
                        Some(
                            "write the schema URN, `:` and the attribute name, with at most \
                             one `.sub-attribute`, such as \
                             \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value\""
                                .to_string(),
                        ),
                    ));
                }
            }
            mapping
                .columns
                .insert(source.into_inner(), target.into_inner());
        }
        for (attribute, table) in raw.values {
            let mut spans = Vec::new();
            let mut spellings = HashMap::new();
            for (spelling, value) in table {
                spans.push((value.get_ref().clone(), value.span()));
                spellings.insert(spelling.into_inner(), value.into_inner());
            }
            mapping
                .value_spans
                .push((attribute.get_ref().clone(), attribute.span(), spans));
            mapping.values.insert(attribute.into_inner(), spellings);
        }
        if let Some(separator) = raw.list_separator {
            if separator.get_ref().is_empty() {
                return Err(error(
                    separator.span(),
                    "`list-separator` is empty".to_string(),
                    Some("use one or more characters, such as \";\" or \"|\"".to_string()),
                ));
            }
            mapping.list_separator = separator.into_inner();
        }
        if let Some(format) = raw.date_format {
            if let Err(message) = check_date_format(format.get_ref()) {
                return Err(error(
                    format.span(),
                    message,
                    Some(
                        "write a chrono strftime layout with a year, month and day, \
                         such as \"%d/%m/%Y\""
                            .to_string(),
                    ),
                ));
            }
            mapping.date_format = format.into_inner();
        }
        if let Some(delimiter) = raw.csv_delimiter {
            match delimiter.get_ref().as_bytes() {
                [byte] if byte.is_ascii() && *byte != b'"' && *byte != b'\n' => {
                    mapping.csv_delimiter = *byte;
                }
                _ => {
                    return Err(error(
                        delimiter.span(),
                        format!(
                            "`csv-delimiter` must be one ASCII character, found {:?}",
                            delimiter.get_ref()
                        ),
                        Some("such as \",\", \";\" or \"\\t\"".to_string()),
                    ))
                }
            }
        }
        if let Some(flags) = raw.flags {
            if let Some(yes) = flags.yes {
                mapping.flags_true = yes.iter().map(|s| s.get_ref().to_lowercase()).collect();
            }
            if let Some(no) = &flags.no {
                for spelling in no {
                    let lower = spelling.get_ref().to_lowercase();
                    if mapping.flags_true.contains(&lower) {
                        return Err(error(
                            spelling.span(),
                            format!("`{}` spells both true and false", spelling.get_ref()),
                            None,
                        ));
                    }
                }
                mapping.flags_false = no.iter().map(|s| s.get_ref().to_lowercase()).collect();
            } else if let Some(both) = mapping
                .flags_true
                .iter()
                .find(|t| mapping.flags_false.contains(t))
            {
                return Err(MappingError {
                    file: file_name.to_string(),
                    line: 1,
                    column: 1,
                    message: format!("`{both}` spells both true and false"),
                    hint: Some("set `false` in [flags] as well".to_string()),
                });
            }
        }
        Ok(mapping)
    }

    /// Checks the `[values]` tables against a schema: each names a declared
    /// attribute, and for an attribute with a value set every target is one
    /// of its values. Returns every problem (empty when all is well).
    pub fn check(&self, evaluator: &Evaluator) -> Vec<MappingError> {
        let attributes = &evaluator.policy().attributes;
        let text = self.text.as_deref().unwrap_or("");
        let at = |span: &Range<usize>, message: String, hint: Option<String>| {
            let (line, column) = line_column(text, span.start);
            MappingError {
                file: self.file.clone(),
                line,
                column,
                message,
                hint,
            }
        };
        let mut problems = Vec::new();
        for (name, span, targets) in &self.value_spans {
            let Some(attribute) = attributes.iter().find(|a| &a.name == name) else {
                let hint = crate::closest(name, attributes.iter().map(|a| &*a.name))
                    .map(|s| format!("did you mean `{s}`?"));
                problems.push(at(
                    span,
                    format!("[values.{name}]: `{name}` is not a declared attribute"),
                    hint,
                ));
                continue;
            };
            let AttributeKind::Values { values } = &attribute.kind else {
                continue;
            };
            for (target, span) in targets {
                if !values.contains(target) {
                    let hint = crate::closest(target, values.iter().map(|v| &**v))
                        .map(|s| format!("did you mean `{s}`?"));
                    problems.push(at(
                        span,
                        format!("`{target}` is not a value of `{name}`"),
                        hint,
                    ));
                }
            }
        }
        problems.sort_by_key(|p| (p.line, p.column));
        problems
    }

    /// The attribute a source column or field is mapped to: `Some("")`
    /// when the mapping drops it, `None` when the mapping does not name it.
    pub fn column(&self, source: &str) -> Option<&str> {
        self.columns.get(source).map(String::as_str)
    }

    /// The source names of `[columns]`, in no particular order.
    pub(crate) fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.keys().map(String::as_str)
    }

    /// The schema value that `spelling` stands for in `attribute`, if the
    /// mapping's `[values.<attribute>]` table names it.
    pub fn value(&self, attribute: &str, spelling: &str) -> Option<&str> {
        self.values
            .get(attribute)?
            .get(spelling)
            .map(String::as_str)
    }

    /// The `[values.<attribute>]` table: spelling to schema value.
    pub fn spellings(&self, attribute: &str) -> Option<&HashMap<String, String>> {
        self.values.get(attribute)
    }

    pub fn list_separator(&self) -> &str {
        &self.list_separator
    }

    pub fn date_format(&self) -> &str {
        &self.date_format
    }

    pub fn csv_delimiter(&self) -> u8 {
        self.csv_delimiter
    }

    /// `Some(true)` or `Some(false)` for a spelling of a flag (ignoring case
    /// and surrounding spaces), `None` for anything else.
    pub fn flag(&self, spelling: &str) -> Option<bool> {
        let lower = spelling.trim().to_lowercase();
        if self.flags_true.contains(&lower) {
            Some(true)
        } else if self.flags_false.contains(&lower) {
            Some(false)
        } else {
            None
        }
    }

    /// The spellings of true and of false, for messages.
    pub(crate) fn flag_spellings(&self) -> (&[String], &[String]) {
        (&self.flags_true, &self.flags_false)
    }
}

fn is_attribute_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A layout that can read a whole date: it parses and round-trips a sample.
fn check_date_format(format: &str) -> Result<(), String> {
    if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
        return Err(format!("`{format}` is not a valid date format"));
    }
    let sample = NaiveDate::from_ymd_opt(2026, 1, 31).ok_or("no sample date")?;
    let written = sample.format(format).to_string();
    match NaiveDate::parse_from_str(&written, format) {
        Ok(read) if read == sample => Ok(()),
        _ => Err(format!(
            "the date format `{format}` does not name a whole date (year, month and day)"
        )),
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before, |nl| before.get(nl + 1..).unwrap_or(""))
        .chars()
        .count()
        + 1;
    (line, column)
}
