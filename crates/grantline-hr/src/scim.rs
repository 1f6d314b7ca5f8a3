//! SCIM 2.0 User resources (RFC 7643): the fields that are read, by the
//! names a mapping's `[columns]` uses for them, and their default attributes.

use serde_json::Value as Json;

/// The enterprise User extension's schema URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The SCIM fields that are read: the name a mapping uses for each, and the
/// attribute it goes to by default.
pub const DEFAULT_MAPPING: &[(&str, &str)] = &[
    ("userName", "user_name"),
    ("active", "active"),
    ("userType", "employment"),
    ("title", "title"),
    ("displayName", "display_name"),
    ("emails.primary", "email"),
    ("name.givenName", "given_name"),
    ("name.familyName", "family_name"),
    ("enterprise.employeeNumber", "employee_id"),
    ("enterprise.costCenter", "cost_center"),
    ("enterprise.organization", "organization"),
    ("enterprise.division", "division"),
    ("enterprise.department", "department"),
    ("enterprise.manager", "manager_id"),
];

/// The default attribute of a SCIM field name.
pub(crate) fn default_attribute(field: &str) -> Option<&'static str> {
    DEFAULT_MAPPING
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, attribute)| *attribute)
}

/// Whether a JSON object is a SCIM `ListResponse` (has a `Resources` array).
pub(crate) fn resources(value: &Json) -> Option<&Vec<Json>> {
    value.get("Resources")?.as_array()
}

/// The fields of one User, by their mapping names, in the order of
/// [`DEFAULT_MAPPING`]. Absent and `null` fields are left out.
pub(crate) fn fields(user: &serde_json::Map<String, Json>) -> Vec<(&'static str, Json)> {
    let enterprise = user.get(ENTERPRISE);
    let mut out = Vec::new();
    for (name, _) in DEFAULT_MAPPING {
        let value = match *name {
            "emails.primary" => primary_email(user.get("emails")),
            "name.givenName" => user.get("name").and_then(|n| n.get("givenName")).cloned(),
            "name.familyName" => user.get("name").and_then(|n| n.get("familyName")).cloned(),
            "enterprise.manager" => enterprise.and_then(|e| e.get("manager")).map(|m| match m {
                Json::Object(manager) => manager.get("value").cloned().unwrap_or(Json::Null),
                other => other.clone(),
            }),
            other => match other.strip_prefix("enterprise.") {
                Some(field) => enterprise.and_then(|e| e.get(field)).cloned(),
                None => user.get(other).cloned(),
            },
        };
        match value {
            None | Some(Json::Null) => {}
            Some(value) => out.push((*name, value)),
        }
    }
    out
}

/// The `value` of the email marked `primary`, else of the first one.
fn primary_email(emails: Option<&Json>) -> Option<Json> {
    let emails = emails?.as_array()?;
    let primary = emails
        .iter()
        .find(|e| e.get("primary").and_then(Json::as_bool) == Some(true))
        .or_else(|| emails.first())?;
    primary.get("value").cloned()
}
