//! SCIM 2.0 User resources (RFC 7643): the fields that are read, by the
//! names a mapping's `[columns]` uses for them, and their default attributes.
//!
//! Besides the named fields of [`DEFAULT_MAPPING`] and [`WITHOUT_DEFAULT`],
//! a mapping may name any attribute of the User in SCIM attribute notation
//! (RFC 7644 §3.10): the schema URN, `:`, the attribute name, and
//! optionally `.` and a sub-attribute, such as
//! `urn:ietf:params:scim:schemas:extension:northwind:2.0:User:site`. The
//! attribute is read from the User's member named by the schema URN (from
//! the User itself for the core schema, [`CORE`]). Attribute names are
//! matched ignoring case when no member has the exact name, as RFC 7643
//! §2.1 asks.

use serde_json::{Map, Value as Json};

use crate::mapping::Mapping;

/// The core User schema's URN.
pub const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// The enterprise User extension's schema URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The SCIM fields that are read by default: the name a mapping uses for
/// each, and the attribute it goes to when the schema declares it.
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
    ("addresses.primary.country", "country"),
    ("groups", "groups"),
];

/// The named SCIM fields without a default attribute: read only when the
/// mapping's `[columns]` names them. The sub-attributes of the primary
/// address (RFC 7643 §4.1.2) other than `country`.
pub const WITHOUT_DEFAULT: &[&str] = &[
    "addresses.primary.formatted",
    "addresses.primary.streetAddress",
    "addresses.primary.locality",
    "addresses.primary.region",
    "addresses.primary.postalCode",
    "addresses.primary.type",
];

/// The named fields that read one core attribute as it is, and so are the
/// same as that attribute in attribute notation.
const CORE_NAMED: &[&str] = &[
    "userName",
    "active",
    "userType",
    "title",
    "displayName",
    "name.givenName",
    "name.familyName",
];

/// The message schema URN of a `ListResponse` (RFC 7644 §3.4.2).
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The paging members of a `ListResponse` (RFC 7644 §3.4.2), when they are
/// whole numbers (or text of one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Paging {
    /// `totalResults`: the number of results of the whole query.
    pub(crate) total: Option<u64>,
    /// `startIndex`: the 1-based index of the page's first result.
    pub(crate) start_index: Option<u64>,
    /// `itemsPerPage`: the size of a page.
    pub(crate) items_per_page: Option<u64>,
}

/// What one page of a paginated `ListResponse` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    /// The page's number, from 1.
    pub(crate) number: u64,
    /// The 1-based index of its first item.
    pub(crate) first: u64,
    /// The number of items it holds.
    pub(crate) count: u64,
    pub(crate) total: Option<u64>,
}

impl Paging {
    /// The 1-based index of the first item (`startIndex`, 1 when absent or
    /// less than 1).
    pub(crate) fn first(&self) -> u64 {
        self.start_index.unwrap_or(1).max(1)
    }

    /// The page that holds `count` items, when it is not the whole list:
    /// it starts after the first item, or holds fewer items than
    /// `totalResults`. `itemsPerPage` only numbers the page: a file of all
    /// pages concatenated into one `ListResponse` may keep the first
    /// page's `itemsPerPage` and still hold every item.
    pub(crate) fn partial(&self, count: u64) -> Option<Page> {
        let first = self.first();
        let covered = first.saturating_sub(1).saturating_add(count);
        let short = self.total.is_some_and(|total| covered < total);
        if first == 1 && !short {
            return None;
        }
        let size = self
            .items_per_page
            .filter(|size| *size > 0)
            .unwrap_or(count.max(1));
        Some(Page {
            number: (first - 1) / size + 1,
            first,
            count,
            total: self.total,
        })
    }
}

/// `items 3–4 of 5`, `no items of 5`, `items 3–4`: what a page (or pages)
/// holds.
pub(crate) fn items(first: u64, count: u64, total: Option<u64>) -> String {
    let held = match count {
        0 => "no items".to_string(),
        1 => format!("item {first}"),
        _ => format!(
            "items {first}–{}",
            first.saturating_add(count).saturating_sub(1)
        ),
    };
    match total {
        Some(total) => format!("{held} of {total}"),
        None => held,
    }
}

/// The items that pages of a paginated `ListResponse`, each `(first,
/// count, total)`, leave out: the ranges (`first..=last`) of `1..=total`
/// (the largest `totalResults`; without one, up to the last item held)
/// that no page holds.
pub(crate) fn missing_items(pages: &[(u64, u64, Option<u64>)]) -> (Vec<(u64, u64)>, u64) {
    let mut held: Vec<(u64, u64)> = pages
        .iter()
        .filter(|(_, count, _)| *count > 0)
        .map(|(first, count, _)| (*first, first.saturating_add(*count - 1)))
        .collect();
    held.sort_unstable();
    let last_held = held.iter().map(|(_, last)| *last).max().unwrap_or(0);
    let total = pages
        .iter()
        .filter_map(|(_, _, total)| *total)
        .max()
        .unwrap_or(last_held);
    let mut missing = Vec::new();
    let mut next = 1u64;
    for (first, last) in held {
        if first > next {
            missing.push((next, (first - 1).min(total)));
        }
        next = next.max(last.saturating_add(1));
        if next > total {
            break;
        }
    }
    if next <= total {
        missing.push((next, total));
    }
    missing.retain(|(first, last)| first <= last);
    (missing, total)
}

/// An attribute named in SCIM attribute notation: `schema:attribute` or
/// `schema:attribute.sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path {
    schema: String,
    attribute: String,
    sub: Option<String>,
}

/// Whether a mapping's source name is meant as SCIM attribute notation: it
/// starts with `urn:` (any case).
pub(crate) fn is_notation(name: &str) -> bool {
    name.get(..4)
        .is_some_and(|start| start.eq_ignore_ascii_case("urn:"))
}

/// Reads SCIM attribute notation (see [`is_notation`]); the message says
/// what is wrong.
pub(crate) fn parse_path(name: &str) -> Result<Path, String> {
    let bad = |why: &str| format!("`{name}` is not SCIM attribute notation: {why}");
    let (schema, attribute) = name
        .rsplit_once(':')
        .ok_or_else(|| bad("no `:` before the attribute name"))?;
    if schema.len() <= 4 || schema.chars().any(char::is_whitespace) {
        return Err(bad("the schema URN is missing or has spaces"));
    }
    let (attribute, sub) = match attribute.split_once('.') {
        Some((attribute, sub)) => (attribute, Some(sub)),
        None => (attribute, None),
    };
    if attribute.is_empty() {
        return Err(bad("no attribute name after the schema URN"));
    }
    if !is_attribute_name(attribute) {
        return Err(bad(&format!(
            "`{attribute}` after the schema URN is not an attribute name"
        )));
    }
    if let Some(sub) = sub {
        if !is_attribute_name(sub) && sub != "$ref" {
            return Err(bad(&format!(
                "`{sub}` is not a sub-attribute name (one level of sub-attributes at most)"
            )));
        }
    }
    Ok(Path {
        schema: schema.to_string(),
        attribute: attribute.to_string(),
        sub: sub.map(str::to_string),
    })
}

/// RFC 7643 §2.1: a letter, then letters, digits, `-` and `_`.
fn is_attribute_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

impl Path {
    /// The named field this path reads exactly, if any: a core attribute
    /// of the table (`urn:…:core:2.0:User:userName` is `userName`), or an
    /// enterprise one (`urn:…:enterprise:2.0:User:department` is
    /// `enterprise.department`; `…:manager` and `…:manager.value` are
    /// `enterprise.manager`).
    fn named(&self) -> Option<&'static str> {
        let attribute = &self.attribute;
        if self.schema.eq_ignore_ascii_case(CORE) {
            let wanted = match &self.sub {
                None => attribute.clone(),
                Some(sub) => format!("{attribute}.{sub}"),
            };
            return CORE_NAMED
                .iter()
                .copied()
                .find(|name| name.eq_ignore_ascii_case(&wanted));
        }
        if !self.schema.eq_ignore_ascii_case(ENTERPRISE) {
            return None;
        }
        let wanted = match self.sub.as_deref() {
            None => attribute.as_str(),
            Some(sub)
                if attribute.eq_ignore_ascii_case("manager")
                    && sub.eq_ignore_ascii_case("value") =>
            {
                "manager"
            }
            Some(_) => return None,
        };
        DEFAULT_MAPPING
            .iter()
            .filter_map(|(name, _)| Some((*name, name.strip_prefix("enterprise.")?)))
            .find(|(_, field)| field.eq_ignore_ascii_case(wanted))
            .map(|(name, _)| name)
    }

    /// The attribute's value in `user`: `Ok(None)` when it is absent or
    /// `null`, an error when the User is not shaped as the path says.
    fn read(&self, user: &Map<String, Json>) -> Result<Option<Json>, String> {
        let base = if self.schema.eq_ignore_ascii_case(CORE) {
            user
        } else {
            match member(user, &self.schema) {
                None => {
                    // The mapping named the extension itself, without one
                    // of its attributes.
                    let whole = format!("{}:{}", self.schema, self.attribute);
                    if let (None, Some(Json::Object(extension))) = (&self.sub, member(user, &whole))
                    {
                        let example = extension.keys().next().map_or(String::new(), |first| {
                            format!(", such as `{whole}:{first}`")
                        });
                        return Err(format!(
                            "`{whole}` is an extension schema, not one of its attributes; \
                             name an attribute{example}"
                        ));
                    }
                    return Ok(None);
                }
                Some(Json::Object(extension)) => extension,
                Some(other) => {
                    return Err(format!(
                        "the extension `{}` is {}, not an object",
                        self.schema,
                        describe(other)
                    ))
                }
            }
        };
        let Some(value) = member(base, &self.attribute) else {
            return Ok(None);
        };
        let Some(sub) = &self.sub else {
            return Ok(Some(value.clone()));
        };
        match value {
            Json::Object(complex) => Ok(member(complex, sub).cloned()),
            // A multi-valued complex attribute: the sub-attribute of each.
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    match item {
                        Json::Object(complex) => out.extend(member(complex, sub).cloned()),
                        other => {
                            return Err(format!(
                                "item {} of `{}` is {}, not an object with sub-attribute `{sub}`",
                                index + 1,
                                self.attribute,
                                describe(other)
                            ))
                        }
                    }
                }
                Ok(Some(Json::Array(out)))
            }
            other => Err(format!(
                "`{}` is {}, not a complex attribute with sub-attribute `{sub}`",
                self.attribute,
                describe(other)
            )),
        }
    }
}

/// How one field is read from a User.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    /// A field of [`DEFAULT_MAPPING`] or [`WITHOUT_DEFAULT`], by its name.
    Named(&'static str),
    /// An attribute in SCIM attribute notation.
    Path(Path),
}

/// One field to read from every User: the name the mapping uses for it,
/// how to read it, and the attribute it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MappedField {
    pub(crate) source: String,
    field: Field,
    pub(crate) attribute: String,
}

impl MappedField {
    /// This field's value in `user`: `Ok(None)` when it is absent or
    /// `null`, an error when the User is not shaped as SCIM says.
    pub(crate) fn value(&self, user: &Map<String, Json>) -> Result<Option<Json>, String> {
        let value = match &self.field {
            Field::Named(name) => named(user, name)?,
            Field::Path(path) => path.read(user)?,
        };
        Ok(value.filter(|v| !v.is_null()))
    }
}

/// The fields to read from every User, in order: each named field under
/// the attribute the mapping gives it (by its name or in attribute
/// notation), else under its default attribute when `declared` says the
/// schema has it; then every other attribute the mapping names in
/// attribute notation. A field the mapping maps to `""` is not read.
pub(crate) fn fields(mapping: &Mapping, declared: impl Fn(&str) -> bool) -> Vec<MappedField> {
    let mut notation: Vec<(&str, Path)> = mapping
        .column_names()
        .filter(|name| is_notation(name))
        .filter_map(|name| Some((name, parse_path(name).ok()?)))
        .collect();
    notation.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::new();
    let defaults = DEFAULT_MAPPING
        .iter()
        .map(|(name, attribute)| (*name, Some(*attribute)));
    let others = WITHOUT_DEFAULT.iter().map(|name| (*name, None));
    for (name, default) in defaults.chain(others) {
        let mut named = false;
        let spellings = std::iter::once(name).chain(
            notation
                .iter()
                .filter(|(_, path)| path.named() == Some(name))
                .map(|(spelling, _)| *spelling),
        );
        for spelling in spellings {
            let Some(attribute) = mapping.column(spelling) else {
                continue;
            };
            named = true;
            if !attribute.is_empty() {
                out.push(MappedField {
                    source: spelling.to_string(),
                    field: Field::Named(name),
                    attribute: attribute.to_string(),
                });
            }
        }
        match default {
            Some(attribute) if !named && declared(attribute) => out.push(MappedField {
                source: name.to_string(),
                field: Field::Named(name),
                attribute: attribute.to_string(),
            }),
            _ => {}
        }
    }
    for (spelling, path) in notation {
        if path.named().is_some() {
            continue;
        }
        match mapping.column(spelling) {
            None | Some("") => {}
            Some(attribute) => out.push(MappedField {
                source: spelling.to_string(),
                field: Field::Path(path),
                attribute: attribute.to_string(),
            }),
        }
    }
    out
}

/// A named field's value in `user`.
fn named(user: &Map<String, Json>, name: &str) -> Result<Option<Json>, String> {
    if let Some(sub) = name.strip_prefix("addresses.primary.") {
        return Ok(primary(user, "addresses")?.and_then(|a| member(a, sub).cloned()));
    }
    if let Some(field) = name.strip_prefix("enterprise.") {
        let enterprise = match member(user, ENTERPRISE) {
            None => return Ok(None),
            Some(Json::Object(enterprise)) => enterprise,
            Some(other) => {
                return Err(format!(
                    "the extension `{ENTERPRISE}` is {}, not an object",
                    describe(other)
                ))
            }
        };
        let value = member(enterprise, field);
        if field == "manager" {
            // The manager's id; a bare value is taken as the id.
            return Ok(value.map(|manager| match manager {
                Json::Object(manager) => member(manager, "value").cloned().unwrap_or(Json::Null),
                other => other.clone(),
            }));
        }
        return Ok(value.cloned());
    }
    match name {
        "emails.primary" => Ok(primary(user, "emails")?.and_then(|e| member(e, "value").cloned())),
        "groups" => groups(user),
        _ => match name.split_once('.') {
            Some((complex, sub)) => match member(user, complex) {
                None => Ok(None),
                Some(Json::Object(complex)) => Ok(member(complex, sub).cloned()),
                Some(other) => Err(format!(
                    "`{complex}` is {}, not a complex attribute with sub-attribute `{sub}`",
                    describe(other)
                )),
            },
            None => Ok(member(user, name).cloned()),
        },
    }
}

/// Of a multi-valued attribute (`emails`, `addresses`), the entry marked
/// `primary`, else the first.
fn primary<'a>(
    user: &'a Map<String, Json>,
    attribute: &str,
) -> Result<Option<&'a Map<String, Json>>, String> {
    let entries = match member(user, attribute) {
        None => return Ok(None),
        Some(Json::Array(entries)) => entries,
        Some(other) => {
            return Err(format!(
                "`{attribute}` is {}, not a list of objects",
                describe(other)
            ))
        }
    };
    let chosen = entries
        .iter()
        .find(|e| e.get("primary").and_then(Json::as_bool) == Some(true))
        .or_else(|| entries.first());
    match chosen {
        None => Ok(None),
        Some(Json::Object(entry)) => Ok(Some(entry)),
        Some(other) => Err(format!(
            "an entry of `{attribute}` is {}, not an object",
            describe(other)
        )),
    }
}

/// The `display` of each of the User's groups, or its `value` when it has
/// no `display`.
fn groups(user: &Map<String, Json>) -> Result<Option<Json>, String> {
    let groups = match member(user, "groups") {
        None => return Ok(None),
        Some(Json::Array(groups)) => groups,
        Some(other) => {
            return Err(format!(
                "`groups` is {}, not a list of groups",
                describe(other)
            ))
        }
    };
    let mut out = Vec::with_capacity(groups.len());
    for (index, group) in groups.iter().enumerate() {
        let Json::Object(group) = group else {
            return Err(format!(
                "group {} is {}, not an object with `display` or `value`",
                index + 1,
                describe(group)
            ));
        };
        match member(group, "display").or_else(|| member(group, "value")) {
            Some(name) => out.push(name.clone()),
            None => {
                return Err(format!(
                    "group {} has neither `display` nor `value`",
                    index + 1
                ))
            }
        }
    }
    Ok(Some(Json::Array(out)))
}

/// The member `name` of `object` (ignoring case when no member has the
/// exact name); `None` when it is absent or `null`.
fn member<'a>(object: &'a Map<String, Json>, name: &str) -> Option<&'a Json> {
    object
        .get(name)
        .or_else(|| {
            object
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value)
        })
        .filter(|value| !value.is_null())
}

/// A JSON value in messages, as the evaluator names them.
fn describe(value: &Json) -> String {
    match value {
        Json::Null => "null".to_string(),
        Json::Bool(flag) => format!("{flag}"),
        Json::Number(number) => format!("number {number}"),
        Json::String(_) => format!("text {value}"),
        Json::Array(_) => "an array".to_string(),
        Json::Object(_) => "an object".to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pages_of_a_list_response() {
        let paging = |total, start_index, items_per_page| Paging {
            total,
            start_index,
            items_per_page,
        };
        // The whole list, even with the first page's `itemsPerPage`.
        assert_eq!(paging(Some(5), Some(1), Some(5)).partial(5), None);
        assert_eq!(paging(Some(5), Some(1), Some(2)).partial(5), None);
        assert_eq!(paging(None, None, None).partial(3), None);
        assert_eq!(paging(Some(0), None, None).partial(0), None);
        let page = |number, first, count, total| Page {
            number,
            first,
            count,
            total,
        };
        assert_eq!(
            paging(Some(5), Some(1), Some(2)).partial(2),
            Some(page(1, 1, 2, Some(5)))
        );
        // The last page lacks the items before it.
        assert_eq!(
            paging(Some(5), Some(5), Some(2)).partial(1),
            Some(page(3, 5, 1, Some(5)))
        );
        assert_eq!(
            paging(None, Some(101), None).partial(100),
            Some(page(2, 101, 100, None))
        );
        assert_eq!(
            paging(Some(3), None, None).partial(0),
            Some(page(1, 1, 0, Some(3)))
        );
        assert_eq!(items(3, 2, Some(5)), "items 3–4 of 5");
        assert_eq!(items(5, 1, Some(5)), "item 5 of 5");
        assert_eq!(items(1, 0, Some(3)), "no items of 3");
        assert_eq!(items(101, 100, None), "items 101–200");
    }

    #[test]
    fn the_items_that_pages_leave_out() {
        assert_eq!(
            missing_items(&[(1, 2, Some(5)), (3, 2, Some(5)), (5, 1, Some(5))]),
            (vec![], 5)
        );
        assert_eq!(
            missing_items(&[(3, 2, Some(9)), (1, 2, Some(9))]),
            (vec![(5, 9)], 9)
        );
        assert_eq!(
            missing_items(&[(1, 2, Some(9)), (5, 2, Some(9)), (9, 1, Some(9))]),
            (vec![(3, 4), (7, 8)], 9)
        );
        assert_eq!(missing_items(&[(3, 2, None)]), (vec![(1, 2)], 4));
        assert_eq!(missing_items(&[(1, 0, Some(2))]), (vec![(1, 2)], 2));
    }

    #[test]
    fn attribute_notation() {
        let path = parse_path("urn:ietf:params:scim:schemas:extension:acme:2.0:User:site").unwrap();
        assert_eq!(
            path.schema,
            "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
        );
        assert_eq!(path.attribute, "site");
        assert_eq!(path.sub, None);
        let manager = parse_path(&format!("{ENTERPRISE}:manager.value")).unwrap();
        assert_eq!(manager.named(), Some("enterprise.manager"));
        let department = parse_path(&format!("{ENTERPRISE}:Department")).unwrap();
        assert_eq!(department.named(), Some("enterprise.department"));
        let given = parse_path(&format!("{CORE}:name.givenName")).unwrap();
        assert_eq!(given.named(), Some("name.givenName"));
        assert_eq!(parse_path(&format!("{CORE}:emails")).unwrap().named(), None);
        let core_enterprise = parse_path(&format!("{CORE}:enterprise.department")).unwrap();
        assert_eq!(core_enterprise.named(), None);
        let display = parse_path(&format!("{ENTERPRISE}:manager.displayName")).unwrap();
        assert_eq!(display.named(), None);
        for bad in [
            "urn:",
            "urn:x",
            "urn:x:",
            "urn:x:a.b.c",
            "urn:x:1a",
            "urn:x:a.",
            "urn: x:a",
        ] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
        assert!(is_notation("URN:x:y"));
    }

    #[test]
    fn sub_attributes_of_complex_and_multi_valued_attributes() {
        let user: Map<String, Json> = serde_json::from_str(
            r#"{"urn:x:2.0:User": {"badge": {"site": "Berlin"}, "roles": [{"name": "a"}, {"id": 1}, {"name": "b"}], "tags": ["x"]}}"#,
        )
        .unwrap();
        let read = |name: &str| parse_path(name).unwrap().read(&user);
        assert_eq!(
            read("urn:x:2.0:User:badge.site"),
            Ok(Some(Json::from("Berlin")))
        );
        assert_eq!(
            read("urn:x:2.0:User:BADGE.Site"),
            Ok(Some(Json::from("Berlin")))
        );
        assert_eq!(read("urn:x:2.0:User:badge.floor"), Ok(None));
        assert_eq!(
            read("urn:x:2.0:User:roles.name"),
            Ok(Some(Json::from(vec!["a", "b"])))
        );
        assert_eq!(
            read("urn:x:2.0:User:tags.name"),
            Err(
                "item 1 of `tags` is text \"x\", not an object with sub-attribute `name`"
                    .to_string()
            )
        );
        assert_eq!(read("urn:y:2.0:User:badge"), Ok(None));
        assert!(!is_notation("enterprise.manager"));
    }
}
