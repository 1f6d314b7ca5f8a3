//! Identity files: one JSON object, or an array of them.

use std::path::Path;

use grantline::StrictJson;

pub struct Record {
    /// 1-based position in the file.
    pub index: usize,
    /// How messages name the record: "record 3 (employee_id E-1003)".
    pub label: String,
    pub value: serde_json::Value,
}

/// Fields that identify a person in messages, in order of preference.
const LABEL_FIELDS: &[&str] = &[
    "employee_id",
    "id",
    "email",
    "user_name",
    "userName",
    "name",
];

/// Reads the records of a file; the flag says whether it held one object.
pub fn read(path: &Path) -> Result<(Vec<Record>, bool), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let StrictJson(value) = serde_json::from_str(&text).map_err(|error| {
        format!(
            "{}: not valid JSON at line {}, column {}: {error}",
            path.display(),
            error.line(),
            error.column()
        )
    })?;
    let file = path.display();
    match value {
        serde_json::Value::Array(items) => Ok((
            items
                .into_iter()
                .enumerate()
                .map(|(i, value)| record(&format!("{file}"), i + 1, value))
                .collect(),
            false,
        )),
        value @ serde_json::Value::Object(_) => {
            Ok((vec![record(&format!("{file}"), 1, value)], true))
        }
        _ => Err(format!(
            "{file}: expected an identity object or an array of identity objects"
        )),
    }
}

fn record(file: &str, index: usize, value: serde_json::Value) -> Record {
    let name = LABEL_FIELDS.iter().find_map(|field| {
        let found = value.get(*field)?;
        let shown = match found {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        Some(format!(" ({field} {shown})"))
    });
    Record {
        index,
        label: format!("{file}: record {index}{}", name.unwrap_or_default()),
        value,
    }
}
