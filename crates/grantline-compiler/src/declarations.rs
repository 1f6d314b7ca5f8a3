//! Pass one: the schema, the catalogue and the roles of every file, checked
//! for duplicates, and the index that resolves condition words.

use std::collections::{BTreeSet, HashMap};

use grantline_ir::{
    self as ir, AttributeKind, Duration, DurationUnit, PolicySet, ResolvedEntitlement,
    SourceLocation, Target,
};
use grantline_syntax::ast::{self, AttributeDecl, EntitlementProperty, GrantItem, Statement};
use grantline_syntax::{Diagnostic, SourceMap, Span};

use crate::suggest::{closest, did_you_mean};
use crate::{codes, Context};

/// What a bare condition word can mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// A value of the attribute with this index.
    Value(usize),
    /// The flag attribute with this index.
    Flag(usize),
}

#[derive(Debug)]
pub struct Declarations {
    pub timezone: String,
    pub attributes: Vec<ir::Attribute>,
    attribute_index: HashMap<String, usize>,
    /// Exact word -> every meaning it has.
    words: HashMap<String, Vec<Meaning>>,
    pub entitlements: Vec<ir::Entitlement>,
    entitlement_index: HashMap<String, usize>,
    pub roles: Vec<ir::Role>,
    role_index: HashMap<String, usize>,
    /// Every role's entitlements with the role path they come through.
    role_expansions: HashMap<String, Vec<ResolvedEntitlement>>,
    /// Custom checks, validated.
    pub checks: Vec<ir::Check>,
    pub check_index: HashMap<String, usize>,
}

impl Declarations {
    pub fn into_policy(self) -> PolicySet {
        PolicySet {
            timezone: self.timezone,
            attributes: self.attributes,
            entitlements: self.entitlements,
            roles: self.roles,
            checks: self.checks,
            ..PolicySet::empty()
        }
    }

    pub fn attribute(&self, name: &str) -> Option<(usize, &ir::Attribute)> {
        let index = *self.attribute_index.get(name)?;
        Some((index, self.attributes.get(index)?))
    }

    pub fn attribute_at(&self, index: usize) -> Option<&ir::Attribute> {
        self.attributes.get(index)
    }

    pub fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.attributes.iter().map(|a| a.name.as_str())
    }

    pub fn meanings(&self, word: &str) -> &[Meaning] {
        self.words.get(word).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Other known words that differ from `word` only in case.
    pub fn case_variants<'w>(&'w self, word: &'w str) -> impl Iterator<Item = &'w str> {
        let folded = word.to_lowercase();
        self.words
            .keys()
            .map(String::as_str)
            .filter(move |known| *known != word && known.to_lowercase() == folded)
    }

    pub fn known_words(&self) -> impl Iterator<Item = &str> {
        self.words.keys().map(String::as_str)
    }

    pub fn has_entitlement(&self, name: &str) -> bool {
        self.entitlement_index.contains_key(name)
    }

    pub fn entitlement_names(&self) -> impl Iterator<Item = &str> {
        self.entitlements.iter().map(|e| e.name.as_str())
    }

    pub fn has_check(&self, name: &str) -> bool {
        self.check_index.contains_key(name)
    }

    pub fn check_names(&self) -> impl Iterator<Item = &str> {
        self.checks.iter().map(|c| c.name.as_str())
    }

    pub fn has_role(&self, name: &str) -> bool {
        self.role_index.contains_key(name)
    }

    pub fn role_names(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().map(|r| r.name.as_str())
    }

    pub fn role_expansion(&self, name: &str) -> &[ResolvedEntitlement] {
        self.role_expansions
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Checks a grant/deny/separate item against the catalogue and roles.
    /// Returns the written target, or `None` after reporting an error.
    pub fn check_item(&self, context: &mut Context<'_>, item: &GrantItem) -> Option<Target> {
        match item {
            GrantItem::Entitlement(word) => {
                if self.has_entitlement(&word.text) {
                    return Some(Target::Entitlement(word.text.clone()));
                }
                let mut help = format!("declare it in the catalogue: `entitlement {}`", word.text);
                if let Some(hint) = did_you_mean(&closest(&word.text, self.entitlement_names())) {
                    help = format!("{hint} Otherwise {help}");
                } else if self.has_role(&word.text) {
                    help = format!("`{0}` is a role; write `role {0}`", word.text);
                }
                context.report(
                    Diagnostic::error(
                        codes::UNKNOWN_ENTITLEMENT,
                        format!("unknown entitlement `{}`", word.text),
                    )
                    .at(context.sources, word.span, "not in the catalogue")
                    .with_help(help),
                );
                None
            }
            GrantItem::Role(name) => {
                if self.has_role(&name.text) {
                    return Some(Target::Role(name.text.clone()));
                }
                let help = did_you_mean(&closest(&name.text, self.role_names()))
                    .unwrap_or_else(|| format!("declare it: `role {}: <entitlements>`", name.text));
                context.report(
                    Diagnostic::error(codes::UNKNOWN_ROLE, format!("unknown role `{}`", name.text))
                        .at(context.sources, name.span, "no role of this name")
                        .with_help(help),
                );
                None
            }
        }
    }

    /// The entitlements of checked targets, roles expanded, sorted and
    /// deduplicated (the most direct path is kept).
    pub fn resolve_targets(&self, targets: &[Target]) -> Vec<ResolvedEntitlement> {
        let mut resolved: Vec<ResolvedEntitlement> = Vec::new();
        for target in targets {
            match target {
                Target::Entitlement(name) => resolved.push(ResolvedEntitlement {
                    entitlement: name.clone(),
                    via: Vec::new(),
                }),
                Target::Role(name) => resolved.extend(self.role_expansion(name).iter().cloned()),
            }
        }
        dedupe_resolved(resolved)
    }
}

fn dedupe_resolved(mut resolved: Vec<ResolvedEntitlement>) -> Vec<ResolvedEntitlement> {
    resolved.sort_by(|a, b| {
        a.entitlement
            .cmp(&b.entitlement)
            .then(a.via.len().cmp(&b.via.len()))
            .then(a.via.cmp(&b.via))
    });
    resolved.dedup_by(|later, earlier| later.entitlement == earlier.entitlement);
    resolved
}

pub fn location(sources: &SourceMap, span: Span) -> SourceLocation {
    match sources.get(span.file) {
        Some(file) => {
            let at = file.line_column(span.start);
            SourceLocation {
                file: file.name().to_string(),
                line: u32::try_from(at.line).unwrap_or(u32::MAX),
                column: u32::try_from(at.column).unwrap_or(u32::MAX),
            }
        }
        None => SourceLocation {
            file: String::new(),
            line: 0,
            column: 0,
        },
    }
}

/// Checks a duration literal: a whole number from 1 to 100,000.
pub fn duration(context: &mut Context<'_>, literal: &ast::DurationLit) -> Option<Duration> {
    const MOST: u32 = 100_000;
    let unit = match literal.unit {
        ast::DurationUnit::Days => DurationUnit::Days,
        ast::DurationUnit::Weeks => DurationUnit::Weeks,
        ast::DurationUnit::Months => DurationUnit::Months,
    };
    match literal.count.parse::<u32>() {
        Ok(count) if (1..=MOST).contains(&count) => Some(Duration { count, unit }),
        _ => {
            context.report(
                Diagnostic::error(
                    codes::BAD_DURATION,
                    format!("a duration of `{}` is out of range", literal.count),
                )
                .at(context.sources, literal.span, "here")
                .with_help(format!("a duration is a whole number from 1 to {MOST}")),
            );
            None
        }
    }
}

/// Remembers where each name was first declared and reports repeats.
struct NameRegistry<'k> {
    kind: &'k str,
    first: HashMap<String, Span>,
}

impl<'k> NameRegistry<'k> {
    fn new(kind: &'k str) -> Self {
        NameRegistry {
            kind,
            first: HashMap::new(),
        }
    }

    /// True if the name is new.
    fn register(&mut self, context: &mut Context<'_>, name: &str, span: Span) -> bool {
        if let Some(first) = self.first.get(name) {
            context.report(
                Diagnostic::error(
                    codes::DUPLICATE_NAME,
                    format!("{} `{name}` is declared twice", self.kind),
                )
                .at(context.sources, span, "declared again here")
                .also(context.sources, *first, "first declared here")
                .with_help(format!(
                    "every {} name must be unique across all policy files; remove or rename one",
                    self.kind
                )),
            );
            false
        } else {
            self.first.insert(name.to_string(), span);
            true
        }
    }
}

pub fn collect(context: &mut Context<'_>, files: &[ast::PolicyFile]) -> Declarations {
    let statements = || files.iter().flat_map(|f| f.statements.iter());

    let timezone = collect_timezone(
        context,
        statements().filter_map(|s| match s {
            Statement::Timezone(t) => Some(t),
            _ => None,
        }),
    );

    let mut attribute_names = NameRegistry::new("attribute");
    let mut attributes = Vec::new();
    // The first `key` attribute, to point at when a second one is marked.
    let mut key: Option<(&str, Span)> = None;
    for statement in statements() {
        if let Statement::Attribute(decl) = statement {
            if attribute_names.register(context, &decl.name.text, decl.name.span) {
                let mut declared = attribute(context, decl);
                if let Some(marker) = decl.key {
                    declared.key = check_key(context, decl, marker, &declared, key);
                    if declared.key {
                        key = Some((&decl.name.text, decl.name.span));
                    }
                }
                attributes.push(declared);
            }
        }
    }
    let attribute_index: HashMap<String, usize> = attributes
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.clone(), i))
        .collect();
    let mut words: HashMap<String, Vec<Meaning>> = HashMap::new();
    for (index, attribute) in attributes.iter().enumerate() {
        match &attribute.kind {
            AttributeKind::Values { values } => {
                for value in values {
                    words
                        .entry(value.clone())
                        .or_default()
                        .push(Meaning::Value(index));
                }
            }
            AttributeKind::Flag => words
                .entry(attribute.name.clone())
                .or_default()
                .push(Meaning::Flag(index)),
            _ => {}
        }
    }

    let mut entitlement_names = NameRegistry::new("entitlement");
    let mut entitlements = Vec::new();
    for statement in statements() {
        if let Statement::Entitlement(decl) = statement {
            let properties = entitlement_properties(context, decl);
            for name in &decl.names {
                if name.text.is_empty() {
                    report_empty(context, name.span, "an entitlement name");
                    continue;
                }
                if entitlement_names.register(context, &name.text, name.span) {
                    entitlements.push(ir::Entitlement {
                        name: name.text.clone(),
                        source: location(context.sources, name.span),
                        ..properties.clone()
                    });
                }
            }
        }
    }
    let entitlement_index = entitlements
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.clone(), i))
        .collect();

    let mut role_names = NameRegistry::new("role");
    let mut role_decls: Vec<&ast::RoleDecl> = Vec::new();
    for statement in statements() {
        if let Statement::Role(decl) = statement {
            if role_names.register(context, &decl.name.text, decl.name.span) {
                role_decls.push(decl);
            }
        }
    }
    let role_index: HashMap<String, usize> = role_decls
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.text.clone(), i))
        .collect();

    let mut declarations = Declarations {
        timezone,
        attributes,
        attribute_index,
        words,
        entitlements,
        entitlement_index,
        roles: Vec::new(),
        role_index,
        role_expansions: HashMap::new(),
        checks: Vec::new(),
        check_index: HashMap::new(),
    };
    let members: Vec<Vec<Target>> = role_decls
        .iter()
        .map(|decl| {
            decl.items
                .iter()
                .filter_map(|item| declarations.check_item(context, item))
                .collect()
        })
        .collect();
    let expansions = expand_roles(context, &role_decls, &members);
    declarations.roles = role_decls
        .iter()
        .zip(members)
        .map(|(decl, members)| {
            let mut entitlements: Vec<String> = expansions
                .get(&decl.name.text)
                .map(|e| e.iter().map(|r| r.entitlement.clone()).collect())
                .unwrap_or_default();
            entitlements.sort();
            entitlements.dedup();
            ir::Role {
                name: decl.name.text.clone(),
                members,
                entitlements,
                source: location(context.sources, decl.name.span),
            }
        })
        .collect();
    declarations.role_expansions = expansions;
    declarations
}

fn report_empty(context: &mut Context<'_>, span: Span, what: &str) {
    context.report(
        Diagnostic::error(codes::EMPTY_VALUE, format!("{what} cannot be empty"))
            .at(context.sources, span, "empty")
            .with_help("write the value between the quotes"),
    );
}

fn collect_timezone<'a>(
    context: &mut Context<'_>,
    declarations: impl Iterator<Item = &'a ast::TimezoneDecl>,
) -> String {
    let mut chosen: Option<(String, Span)> = None;
    for decl in declarations {
        if let Some((_, first)) = &chosen {
            context.report(
                Diagnostic::error(
                    codes::DUPLICATE_TIMEZONE,
                    "the time zone is declared more than once",
                )
                .at(context.sources, decl.span, "declared again here")
                .also(context.sources, *first, "first declared here")
                .with_help("a policy set has one time zone; keep one `timezone` line"),
            );
            continue;
        }
        let zone = &decl.zone.text;
        if zone.parse::<chrono_tz::Tz>().is_ok() {
            chosen = Some((zone.clone(), decl.span));
        } else {
            let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
            let help = did_you_mean(&closest(zone, names)).unwrap_or_else(|| {
                "use an IANA time zone name such as \"UTC\", \"Europe/Berlin\" or \"America/New_York\"".to_string()
            });
            context.report(
                Diagnostic::error(codes::BAD_TIMEZONE, format!("unknown time zone `{zone}`"))
                    .at(context.sources, decl.zone.span, "not an IANA time zone")
                    .with_help(help),
            );
            chosen = Some(("UTC".to_string(), decl.span));
        }
    }
    chosen
        .map(|(zone, _)| zone)
        .unwrap_or_else(|| "UTC".to_string())
}

fn attribute(context: &mut Context<'_>, decl: &AttributeDecl) -> ir::Attribute {
    let kind = match &decl.kind {
        ast::AttributeKind::Flag => AttributeKind::Flag,
        ast::AttributeKind::Number => AttributeKind::Number,
        ast::AttributeKind::Text => AttributeKind::Text,
        ast::AttributeKind::Date => AttributeKind::Date,
        ast::AttributeKind::ListOfText => AttributeKind::ListOfText,
        ast::AttributeKind::Values(values) => {
            let mut seen: HashMap<&str, Span> = HashMap::new();
            let mut kept = Vec::new();
            for value in values {
                if value.reserved {
                    context.report(
                        Diagnostic::error(
                            codes::RESERVED_VALUE,
                            format!(
                                "`{}` is a reserved word and cannot be a bare value",
                                value.text
                            ),
                        )
                        .at(context.sources, value.span, "reserved word")
                        .with_help(format!(
                            "quote it: \"{}\"; in conditions write it quoted too",
                            value.text
                        )),
                    );
                } else if value.text.is_empty() {
                    report_empty(context, value.span, "a value");
                    continue;
                }
                if let Some(first) = seen.get(value.text.as_str()) {
                    context.report(
                        Diagnostic::error(
                            codes::DUPLICATE_VALUE,
                            format!(
                                "`{}` appears twice in the values of `{}`",
                                value.text, decl.name.text
                            ),
                        )
                        .at(context.sources, value.span, "repeated here")
                        .also(context.sources, *first, "first listed here")
                        .with_help("list each value once"),
                    );
                    continue;
                }
                seen.insert(&value.text, value.span);
                kept.push(value.text.clone());
            }
            AttributeKind::Values { values: kept }
        }
    };
    ir::Attribute {
        name: decl.name.text.clone(),
        kind,
        optional: decl.optional,
        key: false,
        source: location(context.sources, decl.name.span),
    }
}

/// Whether the `key` marker at `marker` holds: the attribute is text or a
/// number, and no attribute before it is the key.
fn check_key(
    context: &mut Context<'_>,
    decl: &AttributeDecl,
    marker: Span,
    declared: &ir::Attribute,
    first: Option<(&str, Span)>,
) -> bool {
    if let Some((name, span)) = first {
        context.report(
            Diagnostic::error(
                codes::KEY_ATTRIBUTE,
                format!(
                    "`{}` is marked `key`, but `{name}` already is",
                    decl.name.text
                ),
            )
            .at(context.sources, marker, "second key")
            .also(context.sources, span, "the key attribute")
            .with_help("a person is identified by one attribute: remove one of the `key` markers"),
        );
        return false;
    }
    if !matches!(declared.kind, AttributeKind::Text | AttributeKind::Number) {
        context.report(
            Diagnostic::error(
                codes::KEY_ATTRIBUTE,
                format!(
                    "the key attribute `{}` is a {}; a key is text or a number",
                    decl.name.text,
                    declared.kind.describe()
                ),
            )
            .at(context.sources, marker, "key")
            .with_help(format!(
                "declare it as `attribute {}: key text`, or mark the attribute that identifies a person (such as an employee id) instead",
                decl.name.text
            )),
        );
        return false;
    }
    true
}

/// The properties of an entitlement declaration, applied to each of its names.
fn entitlement_properties(
    context: &mut Context<'_>,
    decl: &ast::EntitlementDecl,
) -> ir::Entitlement {
    let mut entitlement = ir::Entitlement {
        name: String::new(),
        sensitive: false,
        owner: None,
        description: None,
        max_duration: None,
        source: location(context.sources, decl.span),
    };
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for property in &decl.properties {
        let (key, span) = match property {
            EntitlementProperty::Sensitive(span) => ("sensitive", *span),
            EntitlementProperty::Owner(word) => ("owner", word.span),
            EntitlementProperty::Description(word) => ("description", word.span),
            EntitlementProperty::MaxDuration(duration) => ("at most", duration.span),
        };
        if let Some(first) = seen.get(key) {
            context.report(
                Diagnostic::error(
                    codes::DUPLICATE_PROPERTY,
                    format!("`{key}` is given twice for the same entitlements"),
                )
                .at(context.sources, span, "given again here")
                .also(context.sources, *first, "first given here")
                .with_help("keep one"),
            );
            continue;
        }
        seen.insert(key, span);
        match property {
            EntitlementProperty::Sensitive(_) => entitlement.sensitive = true,
            EntitlementProperty::Owner(word) => entitlement.owner = Some(word.text.clone()),
            EntitlementProperty::Description(word) => {
                entitlement.description = Some(word.text.clone())
            }
            EntitlementProperty::MaxDuration(literal) => {
                entitlement.max_duration = duration(context, literal)
            }
        }
    }
    entitlement
}

/// How deeply roles may include roles. Expansion recurses on it, and a
/// bundle of bundles 16 deep is already beyond what anyone can review.
pub const MAX_ROLE_DEPTH: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    InProgress,
    Done,
}

/// Expands every role to its entitlements, each role once (memoized, so
/// shared sub-roles cost nothing extra), reporting each cycle once.
fn expand_roles(
    context: &mut Context<'_>,
    decls: &[&ast::RoleDecl],
    members: &[Vec<Target>],
) -> HashMap<String, Vec<ResolvedEntitlement>> {
    let mut expander = RoleExpander {
        decls,
        members,
        index: decls
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.text.as_str(), i))
            .collect(),
        visits: vec![Visit::New; decls.len()],
        expansions: vec![Vec::new(); decls.len()],
        path: Vec::new(),
        reported_cycles: BTreeSet::new(),
    };
    for role in 0..decls.len() {
        expander.visit(context, role);
    }
    decls
        .iter()
        .zip(expander.expansions)
        .map(|(decl, expansion)| (decl.name.text.clone(), expansion))
        .collect()
}

struct RoleExpander<'d, 'a> {
    decls: &'d [&'a ast::RoleDecl],
    members: &'d [Vec<Target>],
    index: HashMap<&'a str, usize>,
    visits: Vec<Visit>,
    expansions: Vec<Vec<ResolvedEntitlement>>,
    /// The roles being expanded, outermost first.
    path: Vec<usize>,
    reported_cycles: BTreeSet<Vec<String>>,
}

impl RoleExpander<'_, '_> {
    fn name(&self, role: usize) -> String {
        self.decls
            .get(role)
            .map(|d| d.name.text.clone())
            .unwrap_or_default()
    }

    fn visit(&mut self, context: &mut Context<'_>, role: usize) {
        if self.visits.get(role) != Some(&Visit::New) {
            return;
        }
        if self.path.len() >= MAX_ROLE_DEPTH {
            if let Some(decl) = self.decls.get(role) {
                context.report(
                    Diagnostic::error(
                        codes::ROLE_CYCLE,
                        format!("roles include roles more than {MAX_ROLE_DEPTH} levels deep"),
                    )
                    .at(context.sources, decl.name.span, "included too deep")
                    .with_help("flatten the role hierarchy: include the entitlements directly"),
                );
            }
            if let Some(visit) = self.visits.get_mut(role) {
                *visit = Visit::Done;
            }
            return;
        }
        if let Some(visit) = self.visits.get_mut(role) {
            *visit = Visit::InProgress;
        }
        self.path.push(role);
        let name = self.name(role);
        let mut resolved = Vec::new();
        for target in self.members.get(role).map(Vec::as_slice).unwrap_or(&[]) {
            match target {
                Target::Entitlement(entitlement) => resolved.push(ResolvedEntitlement {
                    entitlement: entitlement.clone(),
                    via: vec![name.clone()],
                }),
                Target::Role(included_name) => {
                    let Some(&included) = self.index.get(included_name.as_str()) else {
                        continue;
                    };
                    if self.visits.get(included) == Some(&Visit::InProgress) {
                        let start = self.path.iter().position(|r| *r == included).unwrap_or(0);
                        let cycle: Vec<usize> = self.path.get(start..).unwrap_or(&[]).to_vec();
                        report_cycle(context, self.decls, &cycle, &mut self.reported_cycles);
                        continue;
                    }
                    self.visit(context, included);
                    for inner in self
                        .expansions
                        .get(included)
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                    {
                        let mut via = Vec::with_capacity(inner.via.len() + 1);
                        via.push(name.clone());
                        via.extend(inner.via.iter().cloned());
                        resolved.push(ResolvedEntitlement {
                            entitlement: inner.entitlement.clone(),
                            via,
                        });
                    }
                }
            }
        }
        if let Some(expansion) = self.expansions.get_mut(role) {
            *expansion = dedupe_resolved(resolved);
        }
        if let Some(visit) = self.visits.get_mut(role) {
            *visit = Visit::Done;
        }
        self.path.pop();
    }
}

fn report_cycle(
    context: &mut Context<'_>,
    decls: &[&ast::RoleDecl],
    cycle: &[usize],
    reported_cycles: &mut BTreeSet<Vec<String>>,
) {
    let names: Vec<String> = cycle
        .iter()
        .filter_map(|i| decls.get(*i).map(|d| d.name.text.clone()))
        .collect();
    let mut key = names.clone();
    key.sort();
    if !reported_cycles.insert(key) {
        return;
    }
    let Some(first) = cycle.first().and_then(|i| decls.get(*i)) else {
        return;
    };
    let mut chain = names.join(" → ");
    chain.push_str(&format!(" → {}", first.name.text));
    let mut diagnostic = Diagnostic::error(
        codes::ROLE_CYCLE,
        format!("roles include each other in a cycle: {chain}"),
    )
    .at(
        context.sources,
        first.name.span,
        "this role includes itself through the cycle",
    );
    for other in cycle.iter().skip(1).filter_map(|i| decls.get(*i)) {
        diagnostic = diagnostic.also(context.sources, other.name.span, "part of the cycle");
    }
    context.report(diagnostic.with_help(
        "a role may include other roles but never, directly or indirectly, itself; remove one `role` reference from the cycle",
    ));
}
