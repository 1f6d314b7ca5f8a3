//! The rules: a fixed preamble every company has (baseline access,
//! offboarding, leave, contractors), then rules drawn from the schema's
//! weights.

use chrono::{Days, NaiveDate};

use crate::catalogue::{Catalogue, BASELINE_ROLE, REMOTE_ACCESS, REMOTE_ACCESS_ROLE};
use crate::rng::Rng;
use crate::schema::{
    cost_center, group_weight, Weighted, ACTIVE, CONTRACTOR, COST_CENTERS_PER_DEPARTMENT,
    COUNTRIES, DEPARTMENTS, EMPLOYMENT, FULL_TIME, GROUPS, INTERN, ON_LEAVE, PART_TIME, REMOTE,
    SITES, STATUS, TEAMS,
};
use crate::text::{quoted, value, MAX_WIDTH};

/// Per mille of the generated (non-preamble) rules that deny.
const DENY_PER_MILLE: u32 = 18;
/// How many grant rules have one, two, three and four predicates.
const PREDICATE_WEIGHTS: [u32; 4] = [4, 24, 42, 30];
/// What rules of two or more predicates are about: a department and a
/// country, a team, a department and a site, a country and seniority, a
/// department and seniority, a department and a group, cost centers.
const SCOPE_WEIGHTS: [u32; 7] = [50, 15, 10, 6, 4, 8, 7];
/// Per mille of grant rules with a time window.
const WINDOW_PER_MILLE: u32 = 100;
/// Per mille of grant rules that need an approval (more when they grant an
/// admin entitlement).
const APPROVAL_PER_MILLE: u32 = 25;

/// The name of the `index`-th rule (0-based): `r00001`, `r00002`, …
pub(crate) fn rule_name(index: usize) -> String {
    format!("r{:05}", index + 1)
}

/// The text of every rule, in order, each ending with a newline.
pub(crate) fn generate(count: usize, catalogue: &Catalogue, rng: &mut Rng) -> Vec<String> {
    let mut rules = Vec::with_capacity(count);
    let preamble = preamble(catalogue, rng);
    for (index, spec) in preamble.into_iter().take(count).enumerate() {
        rules.push(spec.render(&rule_name(index)));
    }
    let mut generator = RuleGen { catalogue, rng };
    for index in rules.len()..count {
        let spec = if generator.rng.chance(DENY_PER_MILLE) {
            generator.deny()
        } else {
            generator.grant()
        };
        rules.push(spec.render(&rule_name(index)));
    }
    rules
}

/// One rule before it is written.
#[derive(Debug, Default)]
struct Spec {
    cond: Cond,
    /// `grants …`, `denies …` or `denies everything`.
    effect: String,
    /// In canonical order: approval, from, until, for.
    approval: Option<String>,
    from: Option<String>,
    until: Option<String>,
    duration: Option<String>,
}

impl Spec {
    fn render(&self, name: &str) -> String {
        let mut out = format!("rule {name}:\n");
        out.push_str(&self.cond.render());
        out.push_str("    ");
        out.push_str(&self.effect);
        out.push('\n');
        for clause in [&self.approval, &self.from, &self.until, &self.duration]
            .into_iter()
            .flatten()
        {
            out.push_str("    ");
            out.push_str(clause);
            out.push('\n');
        }
        out
    }
}

/// Kinds of predicate, so that a condition tests each at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Employment,
    Status,
    Department,
    Team,
    Country,
    Site,
    Manager,
    Level,
    StartDate,
    EndDate,
    Groups,
    CostCenter,
}

/// The value-set attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attr {
    Employment,
    Status,
    Department,
    Team,
    Country,
    Site,
}

impl Attr {
    fn name(self) -> &'static str {
        match self {
            Attr::Employment => "employment",
            Attr::Status => "status",
            Attr::Department => "department",
            Attr::Team => "team",
            Attr::Country => "country",
            Attr::Site => "site",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Attr::Employment => Kind::Employment,
            Attr::Status => Kind::Status,
            Attr::Department => Kind::Department,
            Attr::Team => Kind::Team,
            Attr::Country => Kind::Country,
            Attr::Site => Kind::Site,
        }
    }
}

/// A condition being built: short terms first, then `where` parts joined
/// by `and`.
#[derive(Debug, Default)]
struct Cond {
    short: Vec<String>,
    /// Each part, and whether it is an `or` (parenthesized next to others).
    explicit: Vec<(String, bool)>,
    kinds: Vec<Kind>,
    /// The department the rule is about, if any (to pick what it grants).
    department: Option<usize>,
}

impl Cond {
    fn has(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }

    fn predicates(&self) -> usize {
        self.kinds.len()
    }

    fn explicit_text(&self) -> Vec<String> {
        let many = self.explicit.len() > 1;
        self.explicit
            .iter()
            .map(|(text, is_or)| {
                if *is_or && many {
                    format!("({text})")
                } else {
                    text.clone()
                }
            })
            .collect()
    }

    /// Keeps only the first alternative of an `or` part of a `where` line
    /// too long for one line: `grantline fmt` keeps a parenthesized part
    /// whole, so such a line could not be laid out within 100 columns.
    fn fit(&mut self) {
        loop {
            let line = format!("    where {}", self.explicit_text().join(" and "));
            if line.chars().count() <= MAX_WIDTH {
                return;
            }
            let Some(part) = self.explicit.iter_mut().find(|(_, is_or)| *is_or) else {
                return;
            };
            let first = part.0.split(" or ").next().unwrap_or_default().to_string();
            *part = (first, false);
        }
    }

    /// The condition's lines, in the layout of `grantline fmt`.
    fn render(&self) -> String {
        let short = self.short.join(" ");
        let parts = self.explicit_text();
        if parts.is_empty() {
            let short = if short.is_empty() {
                "anyone".to_string()
            } else {
                short
            };
            return format!("    {short}\n");
        }
        let where_line = format!("where {}", parts.join(" and "));
        if short.is_empty() {
            return format!("    {}\n", break_where(&parts));
        }
        let one_line = format!("    {short} {where_line}");
        if one_line.chars().count() <= MAX_WIDTH {
            return one_line + "\n";
        }
        format!("    {short}\n    {}\n", break_where(&parts))
    }

    /// Adds a test of a value-set attribute: one value or several, perhaps
    /// negated, in the short form or the explicit form.
    fn values(&mut self, rng: &mut Rng, attr: Attr, values: &[&str], negated: bool) {
        if values.is_empty() {
            return;
        }
        self.kinds.push(attr.kind());
        let words: Vec<String> = values.iter().map(|v| value(v)).collect();
        let single = words.len() == 1;
        // Several values, negated, only read well explicitly; several
        // employment or status values too.
        // `in remote` reads oddly: `site is remote`.
        let short_possible = (single && words.first().is_none_or(|w| w != "remote"))
            || (!negated && matches!(attr, Attr::Department | Attr::Team | Attr::Country));
        if short_possible && rng.chance(620) {
            let short = match (attr, single, negated) {
                (Attr::Employment, true, false) => words.join(""),
                (Attr::Employment, true, true) => format!("not {}", words.join("")),
                (Attr::Status, true, false) => {
                    if rng.chance(300) {
                        format!("with {} status", words.join(""))
                    } else {
                        words.join("")
                    }
                }
                (Attr::Status, true, true) => {
                    if rng.chance(500) {
                        format!("without {} status", words.join(""))
                    } else {
                        format!("not {}", words.join(""))
                    }
                }
                (_, _, negated) => {
                    let us_first = words.first().is_some_and(|w| w == "US");
                    let the = if attr == Attr::Country && us_first && rng.chance(500) {
                        "the "
                    } else {
                        ""
                    };
                    let not = if negated { "not " } else { "" };
                    format!("{not}in {the}{}", or_list(&words))
                }
            };
            self.short.push(short);
            return;
        }
        let name = attr.name();
        let text = match (single, negated) {
            (true, false) => format!("{name} is {}", words.join("")),
            (true, true) => format!("{name} is not {}", words.join("")),
            (false, false) => format!("{name} in {{{}}}", words.join(", ")),
            (false, true) => format!("{name} not in {{{}}}", words.join(", ")),
        };
        self.explicit.push((text, false));
    }

    fn manager(&mut self, rng: &mut Rng, negated: bool) {
        self.kinds.push(Kind::Manager);
        if rng.chance(600) {
            self.short.push(
                match (negated, rng.chance(700)) {
                    (false, true) => "with manager status",
                    (false, false) => "manager",
                    (true, true) => "without manager status",
                    (true, false) => "not manager",
                }
                .to_string(),
            );
        } else {
            self.explicit.push((
                if negated { "not manager" } else { "manager" }.to_string(),
                false,
            ));
        }
    }

    fn explicit(&mut self, kind: Kind, text: String) {
        self.kinds.push(kind);
        self.explicit.push((text, false));
    }
}

/// `where A and B and C`, continued at 8 before an `and` when too long.
fn break_where(parts: &[String]) -> String {
    let mut out = String::from("where ");
    let mut line_len = 4 + out.len();
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            out.push_str(part);
            line_len += part.chars().count();
            continue;
        }
        let piece = format!(" and {part}");
        if line_len + piece.chars().count() <= MAX_WIDTH {
            out.push_str(&piece);
            line_len += piece.chars().count();
        } else {
            let piece = format!("\n        and {part}");
            line_len = piece.chars().count() - 1;
            out.push_str(&piece);
        }
    }
    out
}

/// `A`, `A or B`, `A, B or C`.
fn or_list(words: &[String]) -> String {
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

fn date(days_after_2025: u64) -> String {
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    start
        .checked_add_days(Days::new(days_after_2025))
        .unwrap_or(start)
        .format("%Y-%m-%d")
        .to_string()
}

/// Indices of `count` distinct entries, drawn by `weight`.
fn distinct(
    rng: &mut Rng,
    table: &[Weighted],
    count: usize,
    weight: fn(&Weighted) -> u32,
) -> Vec<usize> {
    let mut chosen: Vec<usize> = Vec::new();
    let mut attempts = 0;
    while chosen.len() < count && attempts < 50 {
        attempts += 1;
        let index = rng.weighted(table.iter().map(weight));
        if !chosen.contains(&index) {
            chosen.push(index);
        }
    }
    chosen.sort_unstable();
    chosen
}

fn names(table: &[Weighted], indices: &[usize]) -> Vec<&'static str> {
    indices
        .iter()
        .filter_map(|&i| table.get(i).map(|v| v.name))
        .collect()
}

fn preamble(catalogue: &Catalogue, rng: &mut Rng) -> Vec<Spec> {
    let admins: Vec<&String> = catalogue
        .apps
        .iter()
        .filter_map(|app| app.admin.as_ref())
        .collect();
    let mut some_admins = |count: usize| -> String {
        let mut picked: Vec<String> = Vec::new();
        for _ in 0..count * 4 {
            if picked.len() == count {
                break;
            }
            if let Some(name) = rng.pick(&admins) {
                if !picked.contains(name) {
                    picked.push((*name).clone());
                }
            }
        }
        picked.join(", ")
    };
    let spec = |short: &str, effect: String| Spec {
        cond: Cond {
            short: vec![short.to_string()],
            ..Cond::default()
        },
        effect,
        ..Spec::default()
    };
    let contractor_denies = format!("denies {}", some_admins(3));
    let intern_denies = format!("denies {}", some_admins(2));
    vec![
        spec(
            "active not contractor",
            format!("grants role {BASELINE_ROLE}"),
        ),
        spec("terminated", "denies everything".to_string()),
        spec(
            "with on-leave status",
            format!("denies role {REMOTE_ACCESS_ROLE}"),
        ),
        Spec {
            cond: Cond {
                short: vec!["active".to_string()],
                explicit: vec![("employment in {full-time, part-time}".to_string(), false)],
                ..Cond::default()
            },
            effect: format!("grants role {REMOTE_ACCESS_ROLE}"),
            ..Spec::default()
        },
        Spec {
            from: Some("from start_date".to_string()),
            until: Some("until end_date".to_string()),
            ..spec(
                "contractor active",
                format!("grants role {BASELINE_ROLE}, role {REMOTE_ACCESS_ROLE}"),
            )
        },
        spec(
            "contractor without end_date",
            "denies everything".to_string(),
        ),
        spec("contractor", contractor_denies),
        spec("intern", intern_denies),
    ]
}

struct RuleGen<'a> {
    catalogue: &'a Catalogue,
    rng: &'a mut Rng,
}

impl RuleGen<'_> {
    fn department(&mut self) -> usize {
        self.rng.weighted(DEPARTMENTS.iter().map(|d| d.rules))
    }

    fn add_department(&mut self, cond: &mut Cond, department: usize) {
        cond.department = Some(department);
        cond.values(
            self.rng,
            Attr::Department,
            &names(DEPARTMENTS, &[department]),
            false,
        );
    }

    /// One country (sometimes two or three) drawn by the rule weights, or,
    /// negated, "not in the countries we cover": the US and two to five
    /// more, drawn by the people weights.
    fn add_countries(&mut self, cond: &mut Cond, negated: bool) {
        let chosen = if negated {
            let count = self.rng.between(3, 6) as usize;
            let mut chosen = distinct(
                self.rng,
                COUNTRIES.get(1..).unwrap_or_default(),
                count - 1,
                |c| c.people,
            );
            for index in &mut chosen {
                *index += 1;
            }
            chosen.insert(0, 0);
            chosen
        } else {
            let count = if self.rng.chance(100) {
                self.rng.between(2, 3) as usize
            } else {
                1
            };
            distinct(self.rng, COUNTRIES, count, |c| c.rules)
        };
        cond.values(self.rng, Attr::Country, &names(COUNTRIES, &chosen), negated);
    }

    fn add_team(&mut self, cond: &mut Cond) {
        let index = self.rng.below(TEAMS.len());
        let Some(&(team, department)) = TEAMS.get(index) else {
            return;
        };
        let mut teams = vec![team];
        if self.rng.chance(200) {
            let same: Vec<&str> = TEAMS
                .iter()
                .filter(|(other, d)| *d == department && *other != team)
                .map(|(other, _)| *other)
                .collect();
            if let Some(other) = self.rng.pick(&same) {
                teams.push(other);
            }
        }
        cond.department = Some(department);
        cond.values(self.rng, Attr::Team, &teams, false);
    }

    fn add_site(&mut self, cond: &mut Cond, allow_remote: bool) {
        let index = if allow_remote && self.rng.chance(50) {
            REMOTE
        } else {
            self.rng.below(REMOTE)
        };
        if let Some((site, _)) = SITES.get(index) {
            cond.values(self.rng, Attr::Site, &[site], false);
        }
    }

    fn group(&mut self) -> &'static str {
        let index = self.rng.weighted((0..GROUPS.len()).map(group_weight));
        GROUPS.get(index).copied().unwrap_or("oncall")
    }

    fn add_group(&mut self, cond: &mut Cond) {
        let group = self.group();
        cond.explicit(Kind::Groups, format!("groups contains {}", quoted(group)));
    }

    fn add_cost_centers(&mut self, cond: &mut Cond, several: bool) {
        let department = self.department();
        let first = self.rng.below(COST_CENTERS_PER_DEPARTMENT);
        let mut centers = vec![cost_center(department, first)];
        if several && self.rng.chance(300) {
            let second = (first + 1) % COST_CENTERS_PER_DEPARTMENT;
            centers.push(cost_center(department, second));
            centers.sort();
        }
        cond.department = Some(department);
        let set: Vec<String> = centers.iter().map(|c| quoted(c)).collect();
        let text = match set.as_slice() {
            [one] => format!("cost_center is {one}"),
            many => format!("cost_center in {{{}}}", many.join(", ")),
        };
        cond.explicit(Kind::CostCenter, text);
    }

    fn add_level(&mut self, cond: &mut Cond, senior: bool) {
        let text = if senior {
            format!("level >= {}", self.rng.between(7, 9))
        } else {
            match self.rng.below(4) {
                0 => format!("level >= {}", self.rng.between(3, 8)),
                1 => format!("level > {}", self.rng.between(2, 7)),
                2 => format!("level <= {}", self.rng.between(2, 5)),
                _ => format!("level < {}", self.rng.between(3, 6)),
            }
        };
        cond.explicit(Kind::Level, text);
    }

    /// A senior-ness test: a level, the manager flag, or now and then both
    /// as alternatives.
    fn add_seniority(&mut self, cond: &mut Cond) {
        match self.rng.below(20) {
            0 => {
                cond.kinds.push(Kind::Level);
                cond.kinds.push(Kind::Manager);
                let level = self.rng.between(7, 9);
                cond.explicit
                    .push((format!("level >= {level} or manager"), true));
            }
            1..=9 => self.add_level(cond, true),
            _ => cond.manager(self.rng, false),
        }
    }

    /// The key of a rule with at least two predicates: what it is about.
    fn add_scope(&mut self, cond: &mut Cond) {
        match self.rng.weighted(SCOPE_WEIGHTS.into_iter()) {
            0 => {
                let department = self.department();
                self.add_department(cond, department);
                self.add_countries(cond, false);
            }
            1 => {
                // A team, with a country, seniority or its department.
                self.add_team(cond);
                match (cond.department, self.rng.below(10)) {
                    (_, 0..=4) => self.add_countries(cond, false),
                    (_, 5..=7) => self.add_seniority(cond),
                    (Some(department), _) => {
                        cond.values(
                            self.rng,
                            Attr::Department,
                            &names(DEPARTMENTS, &[department]),
                            false,
                        );
                    }
                    (None, _) => self.add_countries(cond, false),
                }
            }
            2 => {
                let department = self.department();
                self.add_department(cond, department);
                self.add_site(cond, true);
            }
            3 => {
                self.add_countries(cond, false);
                self.add_seniority(cond);
            }
            4 => {
                let department = self.department();
                self.add_department(cond, department);
                self.add_seniority(cond);
            }
            5 => {
                let department = self.department();
                self.add_department(cond, department);
                if self.rng.chance(100) {
                    let (a, b) = (self.group(), self.group());
                    if a == b {
                        cond.explicit(Kind::Groups, format!("groups contains {}", quoted(a)));
                    } else {
                        cond.kinds.push(Kind::Groups);
                        cond.explicit.push((
                            format!(
                                "groups contains {} or groups contains {}",
                                quoted(a),
                                quoted(b)
                            ),
                            true,
                        ));
                    }
                } else {
                    self.add_group(cond);
                }
            }
            _ => {
                self.add_cost_centers(cond, true);
                self.add_countries(cond, false);
            }
        }
    }

    /// A rule with one predicate: only narrow ones (a team, a cost center).
    fn add_narrow(&mut self, cond: &mut Cond) {
        if self.rng.chance(550) {
            self.add_team(cond);
        } else {
            self.add_cost_centers(cond, false);
        }
    }

    /// One more predicate that narrows (or barely narrows) the condition.
    fn add_modifier(&mut self, cond: &mut Cond) {
        let kind = self
            .rng
            .weighted([250u32, 200, 220, 120, 100, 60, 30, 20].into_iter());
        match kind {
            0 if !cond.has(Kind::Status) => {
                cond.values(self.rng, Attr::Status, &[status_name(ACTIVE)], false);
            }
            1 if !cond.has(Kind::Employment) => {
                let (values, negated): (Vec<&str>, bool) = match self.rng.below(10) {
                    0..=4 => (vec![employment_name(FULL_TIME)], false),
                    5 | 6 => (vec![employment_name(CONTRACTOR)], true),
                    7 | 8 => (
                        vec![employment_name(FULL_TIME), employment_name(PART_TIME)],
                        false,
                    ),
                    _ => (vec![employment_name(CONTRACTOR)], false),
                };
                cond.values(self.rng, Attr::Employment, &values, negated);
                if values == [employment_name(CONTRACTOR)] && !negated && self.rng.chance(500) {
                    let end = date(self.rng.between(600, 1100) as u64);
                    cond.explicit(Kind::EndDate, format!("end_date <= {end}"));
                }
            }
            2 if !cond.has(Kind::Level) => self.add_level(cond, false),
            3 if !cond.has(Kind::Manager) => {
                let negated = self.rng.chance(300);
                cond.manager(self.rng, negated);
            }
            4 if !cond.has(Kind::StartDate) => {
                let text = if self.rng.chance(700) {
                    let year = self.rng.between(2016, 2025);
                    format!("start_date < {year}-01-01")
                } else {
                    format!("start_date >= {}", date(self.rng.between(0, 700) as u64))
                };
                cond.explicit(Kind::StartDate, text);
            }
            5 if !cond.has(Kind::Groups) => self.add_group(cond),
            6 if !cond.has(Kind::Country) => self.add_countries(cond, true),
            7 if !cond.has(Kind::Department) => {
                let department = self.department();
                cond.values(
                    self.rng,
                    Attr::Department,
                    &names(DEPARTMENTS, &[department]),
                    true,
                );
            }
            _ => {}
        }
    }

    fn grant(&mut self) -> Spec {
        let predicates = 1 + self.rng.weighted(PREDICATE_WEIGHTS.into_iter());
        let mut cond = Cond::default();
        if predicates == 1 {
            self.add_narrow(&mut cond);
        } else {
            self.add_scope(&mut cond);
        }
        let mut attempts = 0;
        while cond.predicates() < predicates && attempts < 10 {
            attempts += 1;
            self.add_modifier(&mut cond);
        }
        // Short terms first: `active` and the employment read best up front.
        cond.short.sort_by_key(|term| !is_leading_word(term));
        cond.fit();
        let department = cond.department.unwrap_or_else(|| self.department());
        let (effect, admin_app) = self.grants(department);
        let mut spec = Spec {
            cond,
            effect,
            ..Spec::default()
        };
        let approval = match &admin_app {
            Some(_) => self.rng.chance(400),
            None => self.rng.chance(APPROVAL_PER_MILLE),
        };
        if approval {
            spec.approval = Some(match admin_app {
                Some(owner) => format!("requires approval by {}", quoted(&owner)),
                None if self.rng.chance(800) => {
                    let owner = self
                        .catalogue
                        .department_app(department, self.rng)
                        .map(|app| app.owner())
                        .unwrap_or_else(|| "it-ops".to_string());
                    format!("requires approval by {}", quoted(&owner))
                }
                None => "requires approval".to_string(),
            });
        }
        if self.rng.chance(WINDOW_PER_MILLE) {
            self.window(&mut spec);
        }
        spec
    }

    /// `grants …` with one to three items, and the owner of an admin
    /// entitlement among them.
    fn grants(&mut self, department: usize) -> (String, Option<String>) {
        let count = 1 + self.rng.weighted([55u32, 30, 15].into_iter());
        let mut items: Vec<String> = Vec::new();
        let mut admin_owner = None;
        let mut attempts = 0;
        while items.len() < count && attempts < 12 {
            attempts += 1;
            let item = if self.rng.chance(120) {
                let roles = self
                    .catalogue
                    .roles_by_department
                    .get(department)
                    .filter(|roles| !roles.is_empty());
                let index = match roles {
                    Some(roles) => self.rng.pick(roles).copied(),
                    None => Some(self.rng.below(self.catalogue.roles.len())),
                };
                index
                    .and_then(|i| self.catalogue.roles.get(i))
                    .map(|role| format!("role {}", role.name))
            } else {
                let Some(app) = self.catalogue.department_app(department, self.rng) else {
                    continue;
                };
                match &app.admin {
                    Some(admin) if self.rng.chance(50) => {
                        admin_owner = Some(app.owner());
                        Some(admin.clone())
                    }
                    _ => self.catalogue.plain_entitlement(app, self.rng),
                }
            };
            if let Some(item) = item {
                if !items.contains(&item) {
                    items.push(item);
                }
            }
        }
        if items.is_empty() {
            items.push(format!("role {BASELINE_ROLE}"));
        }
        (format!("grants {}", items.join(", ")), admin_owner)
    }

    fn window(&mut self, spec: &mut Spec) {
        match self.rng.weighted([30u32, 20, 20, 15, 5, 5, 5].into_iter()) {
            0 => {
                let from = self.rng.between(0, 730) as u64;
                let until = from + self.rng.between(60, 720) as u64;
                spec.from = Some(format!("from {}", date(from)));
                spec.until = Some(format!("until {}", date(until)));
            }
            1 => {
                spec.until = Some(format!(
                    "until {}",
                    date(self.rng.between(420, 1460) as u64)
                ));
            }
            2 => {
                spec.from = Some("from start_date".to_string());
                spec.duration = Some(format!("for {}", self.duration()));
            }
            3 => spec.until = Some("until end_date".to_string()),
            4 => {
                spec.from = Some("from start_date".to_string());
                spec.until = Some("until end_date".to_string());
            }
            5 => {
                spec.from = Some(format!("from {}", date(self.rng.between(500, 900) as u64)));
            }
            _ => spec.duration = Some(format!("for {}", self.duration())),
        }
    }

    fn duration(&mut self) -> &'static str {
        match self.rng.below(6) {
            0 => "30 days",
            1 | 2 => "90 days",
            3 => "2 weeks",
            4 => "6 months",
            _ => "60 days",
        }
    }

    /// A deny rule, always about one department so that it stays narrow.
    fn deny(&mut self) -> Spec {
        let department = self.department();
        let mut cond = Cond::default();
        let effect = match self.rng.weighted([40u32, 20, 30, 10].into_iter()) {
            who @ (0 | 1) => {
                let employment = if who == 0 { CONTRACTOR } else { INTERN };
                cond.values(
                    self.rng,
                    Attr::Employment,
                    &[employment_name(employment)],
                    false,
                );
                self.add_department(&mut cond, department);
                let count = self.rng.between(1, 3) as usize;
                let mut items: Vec<String> = Vec::new();
                for _ in 0..count * 3 {
                    if items.len() == count {
                        break;
                    }
                    let admin = self
                        .catalogue
                        .department_app(department, self.rng)
                        .and_then(|app| app.admin.clone());
                    if let Some(admin) = admin {
                        if !items.contains(&admin) {
                            items.push(admin);
                        }
                    }
                }
                if items.is_empty() {
                    "denies everything".to_string()
                } else {
                    format!("denies {}", items.join(", "))
                }
            }
            2 => {
                cond.values(self.rng, Attr::Status, &[status_name(ON_LEAVE)], false);
                self.add_department(&mut cond, department);
                let mut items = vec![if self.rng.chance(500) {
                    format!("role {REMOTE_ACCESS_ROLE}")
                } else {
                    REMOTE_ACCESS.first().copied().unwrap_or("vpn").to_string()
                }];
                if let Some(app) = self.catalogue.department_app(department, self.rng) {
                    if let Some(api) = app.plain.iter().find(|e| e.ends_with(".api")) {
                        items.push(api.clone());
                    }
                }
                format!("denies {}", items.join(", "))
            }
            _ => {
                self.add_department(&mut cond, department);
                self.add_countries(&mut cond, true);
                let mut items: Vec<String> = Vec::new();
                if let Some(app) = self.catalogue.department_app(department, self.rng) {
                    items.extend(
                        app.plain
                            .iter()
                            .filter(|e| e.ends_with(".export") || e.ends_with(".reports"))
                            .cloned(),
                    );
                    if items.is_empty() {
                        items.extend(app.plain.first().cloned());
                    }
                }
                if items.is_empty() {
                    "denies everything".to_string()
                } else {
                    format!("denies {}", items.join(", "))
                }
            }
        };
        cond.short.sort_by_key(|term| !is_leading_word(term));
        Spec {
            cond,
            effect,
            ..Spec::default()
        }
    }
}

fn employment_name(index: usize) -> &'static str {
    EMPLOYMENT.get(index).map(|v| v.name).unwrap_or("full-time")
}

fn status_name(index: usize) -> &'static str {
    STATUS.get(index).map(|v| v.name).unwrap_or("active")
}

/// Employment and status words, which read best at the start of a rule.
fn is_leading_word(term: &str) -> bool {
    EMPLOYMENT
        .iter()
        .chain(STATUS)
        .any(|v| term == v.name || term.strip_prefix("not ") == Some(v.name))
}
