//! Pass two: rules (condition, effect, window, approval) and separations.

use std::collections::HashMap;

use grantline_ir::{self as ir, Approval, AttributeKind, Effect, TimePoint, Window};
use grantline_syntax::ast::{self, DenyTarget, RuleClause, Statement};
use grantline_syntax::{Diagnostic, Span};

use crate::conditions::{parse_date, ConditionCompiler};
use crate::declarations::{duration, location, Declarations};
use crate::suggest::{closest, did_you_mean};
use crate::{codes, Context};

pub fn compile_rules(
    context: &mut Context<'_>,
    declarations: &Declarations,
    files: &[ast::PolicyFile],
) -> Vec<ir::Rule> {
    let mut first_seen: HashMap<&str, Span> = HashMap::new();
    let mut rules = Vec::new();
    for statement in files.iter().flat_map(|f| f.statements.iter()) {
        let Statement::Rule(decl) = statement else {
            continue;
        };
        if let Some(first) = first_seen.get(decl.name.text.as_str()) {
            context.report(
                Diagnostic::error(
                    codes::DUPLICATE_NAME,
                    format!("rule `{}` is declared twice", decl.name.text),
                )
                .at(context.sources, decl.name.span, "declared again here")
                .also(context.sources, *first, "first declared here")
                .with_help("rule names identify rules in decisions and audit logs; give each rule its own name"),
            );
        } else {
            first_seen.insert(&decl.name.text, decl.name.span);
        }
        if let Some(rule) = compile_rule(context, declarations, decl) {
            rules.push(rule);
        }
    }
    rules
}

fn compile_rule(
    context: &mut Context<'_>,
    declarations: &Declarations,
    decl: &ast::RuleDecl,
) -> Option<ir::Rule> {
    let condition = ConditionCompiler {
        context: &mut *context,
        declarations,
    }
    .condition(&decl.condition);
    let effect = compile_effect(context, declarations, &decl.effect);
    let is_deny = matches!(decl.effect, ast::Effect::Denies { .. });
    let (window, approval) = compile_clauses(context, declarations, decl, is_deny);
    Some(ir::Rule {
        name: decl.name.text.clone(),
        source: location(context.sources, decl.span),
        condition: condition?,
        effect: effect?,
        window: window?,
        approval,
    })
}

fn compile_effect(
    context: &mut Context<'_>,
    declarations: &Declarations,
    effect: &ast::Effect,
) -> Option<Effect> {
    let mut check_items = |items: &[ast::GrantItem]| {
        let checked: Vec<Option<ir::Target>> = items
            .iter()
            .map(|item| declarations.check_item(context, item))
            .collect();
        let targets: Vec<ir::Target> = checked.into_iter().collect::<Option<_>>()?;
        let entitlements = declarations.resolve_targets(&targets);
        Some((targets, entitlements))
    };
    match effect {
        ast::Effect::Grants { items, .. } => {
            let (targets, entitlements) = check_items(items)?;
            Some(Effect::Grant {
                targets,
                entitlements,
            })
        }
        ast::Effect::Denies {
            target: DenyTarget::Everything(_),
            ..
        } => Some(Effect::DenyEverything),
        ast::Effect::Denies {
            target: DenyTarget::Items(items),
            ..
        } => {
            let (targets, entitlements) = check_items(items)?;
            Some(Effect::Deny {
                targets,
                entitlements,
            })
        }
    }
}

/// The window and approval of a rule. The window is `None` after an error.
fn compile_clauses(
    context: &mut Context<'_>,
    declarations: &Declarations,
    decl: &ast::RuleDecl,
    is_deny: bool,
) -> (Option<Window>, Option<Approval>) {
    let mut window = Window::default();
    let mut approval = None;
    let mut ok = true;
    let mut seen: HashMap<&'static str, Span> = HashMap::new();
    let mut fixed_from: Option<(chrono::NaiveDate, Span)> = None;
    let mut fixed_until: Option<(chrono::NaiveDate, Span)> = None;
    for clause in &decl.clauses {
        let key = match clause {
            RuleClause::Approval { .. } => "requires approval",
            RuleClause::From { .. } => "from",
            RuleClause::Until { .. } => "until",
            RuleClause::For { .. } => "for",
        };
        if let Some(first) = seen.get(key) {
            context.report(
                Diagnostic::error(
                    codes::DUPLICATE_CLAUSE,
                    format!("rule `{}` has `{key}` twice", decl.name.text),
                )
                .at(context.sources, clause.span(), "given again here")
                .also(context.sources, *first, "first given here")
                .with_help(format!("a rule has at most one `{key}`; keep one")),
            );
            ok = false;
            continue;
        }
        seen.insert(key, clause.span());
        match clause {
            RuleClause::Approval { by, span } => {
                if is_deny {
                    context.report(
                        Diagnostic::error(
                            codes::DENY_CLAUSE,
                            "a deny rule cannot require approval",
                        )
                        .at(context.sources, *span, "only grants wait for approval")
                        .with_help("remove `requires approval`; a deny always applies at once"),
                    );
                    ok = false;
                    continue;
                }
                if let Some(group) = by {
                    if group.text.is_empty() {
                        context.report(
                            Diagnostic::error(
                                codes::EMPTY_VALUE,
                                "the approving group cannot be empty",
                            )
                            .at(context.sources, group.span, "empty")
                            .with_help("name the group, or leave out `by \"…\"`"),
                        );
                        ok = false;
                    }
                }
                approval = Some(Approval {
                    by: by.as_ref().map(|w| w.text.clone()),
                });
            }
            RuleClause::From { point, .. } | RuleClause::Until { point, .. } => {
                let is_from = matches!(clause, RuleClause::From { .. });
                let Some(compiled) = time_point(context, declarations, point) else {
                    ok = false;
                    continue;
                };
                if let (TimePoint::Date(date), ast::TimePoint::Date { span, .. }) =
                    (&compiled, point)
                {
                    let fixed = Some((*date, *span));
                    if is_from {
                        fixed_from = fixed;
                    } else {
                        fixed_until = fixed;
                    }
                }
                if is_from {
                    window.from = Some(compiled);
                } else {
                    window.until = Some(compiled);
                }
            }
            RuleClause::For {
                duration: literal,
                span,
            } => match duration(context, literal) {
                Some(d) => {
                    window.duration = Some(d);
                    if is_deny
                        && !decl
                            .clauses
                            .iter()
                            .any(|c| matches!(c, RuleClause::From { .. }))
                    {
                        context.report(
                            Diagnostic::error(
                                codes::DENY_CLAUSE,
                                "a deny rule's `for` needs a `from`",
                            )
                            .at(context.sources, *span, "counted from when?")
                            .with_help("a deny is not given to anyone, so it has no grant time to count from; add `from <date>` or use `until`"),
                        );
                        ok = false;
                    }
                }
                None => ok = false,
            },
        }
    }
    if let (Some((from, _)), Some((until, until_span))) = (fixed_from, fixed_until) {
        if until < from {
            context.report(
                Diagnostic::error(
                    codes::EMPTY_WINDOW,
                    format!(
                        "rule `{}` ends on {until} before it starts on {from}",
                        decl.name.text
                    ),
                )
                .at(context.sources, until_span, "the last day covered")
                .with_help(
                    "`until` names the last day covered; it cannot be before the `from` day",
                ),
            );
            ok = false;
        }
    }
    (ok.then_some(window), approval)
}

fn time_point(
    context: &mut Context<'_>,
    declarations: &Declarations,
    point: &ast::TimePoint,
) -> Option<TimePoint> {
    match point {
        ast::TimePoint::Date { text, span } => {
            parse_date(context, text, *span).map(TimePoint::Date)
        }
        ast::TimePoint::Attribute(name) => match declarations.attribute(&name.text) {
            Some((_, attribute)) if attribute.kind == AttributeKind::Date => {
                Some(TimePoint::Attribute(attribute.name.clone()))
            }
            Some((_, attribute)) => {
                context.report(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!(
                            "`{}` is a {}, but a window needs a date",
                            name.text,
                            attribute.kind.describe()
                        ),
                    )
                    .at(context.sources, name.span, "not a date attribute")
                    .with_help("use a date (2027-06-30) or an attribute declared `date`"),
                );
                None
            }
            None => {
                let dates = declarations
                    .attributes
                    .iter()
                    .filter(|a| a.kind == AttributeKind::Date)
                    .map(|a| a.name.as_str());
                let help = did_you_mean(&closest(&name.text, dates)).unwrap_or_else(|| {
                    format!(
                        "declare it: `attribute {}: date`, or write a date as YYYY-MM-DD",
                        name.text
                    )
                });
                context.report(
                    Diagnostic::error(
                        codes::UNKNOWN_ATTRIBUTE,
                        format!("unknown date attribute `{}`", name.text),
                    )
                    .at(context.sources, name.span, "no attribute of this name")
                    .with_help(help),
                );
                None
            }
        },
    }
}

pub fn compile_separations(
    context: &mut Context<'_>,
    declarations: &Declarations,
    files: &[ast::PolicyFile],
) -> Vec<ir::Separation> {
    let mut separations = Vec::new();
    for statement in files.iter().flat_map(|f| f.statements.iter()) {
        let Statement::Separate(decl) = statement else {
            continue;
        };
        let left = declarations.check_item(context, &decl.left);
        let right = declarations.check_item(context, &decl.right);
        let (Some(left), Some(right)) = (left, right) else {
            continue;
        };
        let names = |target: &ir::Target| -> Vec<String> {
            declarations
                .resolve_targets(std::slice::from_ref(target))
                .into_iter()
                .map(|r| r.entitlement)
                .collect()
        };
        let left_entitlements = names(&left);
        let right_entitlements = names(&right);
        let shared: Vec<&String> = left_entitlements
            .iter()
            .filter(|e| right_entitlements.contains(e))
            .collect();
        if !shared.is_empty() {
            let listed: Vec<String> = shared.iter().map(|e| format!("`{e}`")).collect();
            context.report(
                Diagnostic::error(
                    codes::OVERLAPPING_SEPARATION,
                    format!(
                        "both sides of this separation hold {}",
                        listed.join(", ")
                    ),
                )
                .at(context.sources, decl.span, "the sides overlap")
                .with_help("a separation keeps two different duties apart; name sides that share no entitlement"),
            );
            continue;
        }
        separations.push(ir::Separation {
            left_entitlements,
            right_entitlements,
            left,
            right,
            source: location(context.sources, decl.span),
        });
    }
    separations
}
