//! The attribute schema of the synthetic company, and the weights that
//! shape its people and its rules.
//!
//! Each table has two weights: `people` says how common a value is among
//! identities, `rules` how often policy authors write a rule about it. Rules
//! follow the people, but much flatter: every department and country has
//! its own rules, the big ones only somewhat more. (Rules weighted like the
//! people would make a typical person match several times more rules.)

use crate::text::attribute_decl;

/// A value of a value-set attribute with its weights.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Weighted {
    pub name: &'static str,
    pub people: u32,
    pub rules: u32,
}

const fn w(name: &'static str, people: u32, rules: u32) -> Weighted {
    Weighted {
        name,
        people,
        rules,
    }
}

pub(crate) const EMPLOYMENT: &[Weighted] = &[
    w("full-time", 780, 60),
    w("part-time", 70, 10),
    w("contractor", 110, 20),
    w("intern", 40, 10),
];
pub(crate) const FULL_TIME: usize = 0;
pub(crate) const PART_TIME: usize = 1;
pub(crate) const CONTRACTOR: usize = 2;
pub(crate) const INTERN: usize = 3;

pub(crate) const STATUS: &[Weighted] = &[
    w("active", 950, 90),
    w("on-leave", 30, 5),
    w("terminated", 20, 5),
];
pub(crate) const ACTIVE: usize = 0;
pub(crate) const ON_LEAVE: usize = 1;
pub(crate) const TERMINATED: usize = 2;

/// Departments; multi-word names are quoted in policies.
pub(crate) const DEPARTMENTS: &[Weighted] = &[
    w("Engineering", 260, 120),
    w("Sales", 140, 100),
    w("Customer Success", 90, 85),
    w("Support", 80, 80),
    w("Operations", 80, 80),
    w("Marketing", 70, 80),
    w("Product", 60, 80),
    w("Finance", 50, 90),
    w("Data Science", 50, 80),
    w("Security", 40, 85),
    w("Human Resources", 40, 75),
    w("Legal", 20, 65),
];

/// ISO 3166 country codes. Keywords are lowercase, so `IN` is a plain value.
pub(crate) const COUNTRIES: &[Weighted] = &[
    w("US", 300, 80),
    w("IN", 120, 60),
    w("DE", 100, 60),
    w("GB", 90, 60),
    w("CA", 50, 50),
    w("PL", 40, 50),
    w("BR", 40, 50),
    w("FR", 30, 50),
    w("ES", 30, 45),
    w("NL", 30, 45),
    w("IE", 30, 45),
    w("PT", 20, 45),
    w("SE", 20, 40),
    w("JP", 20, 45),
    w("SG", 20, 45),
    w("AU", 20, 45),
    w("MX", 20, 40),
    w("IT", 20, 40),
    w("CH", 10, 40),
    w("DK", 10, 40),
];

/// Offices and the country (index into [`COUNTRIES`]) each is in; `remote`
/// is in none.
pub(crate) const SITES: &[(&str, Option<usize>)] = &[
    ("New York", Some(0)),
    ("Austin", Some(0)),
    ("San Francisco", Some(0)),
    ("Toronto", Some(4)),
    ("Berlin", Some(2)),
    ("Munich", Some(2)),
    ("London", Some(3)),
    ("Dublin", Some(10)),
    ("Bengaluru", Some(1)),
    ("Pune", Some(1)),
    ("Warsaw", Some(5)),
    ("Lisbon", Some(11)),
    ("Sao Paulo", Some(6)),
    ("Singapore", Some(14)),
    ("remote", None),
];
pub(crate) const REMOTE: usize = 14;

/// Teams and the department (index into [`DEPARTMENTS`]) they belong to.
/// Only people of these departments have a team.
pub(crate) const TEAMS: &[(&str, usize)] = &[
    ("Platform", 0),
    ("SRE", 0),
    ("Payments", 0),
    ("Mobile", 0),
    ("Storefront", 0),
    ("Identity", 0),
    ("Search", 0),
    ("Growth", 0),
    ("Billing", 0),
    ("Infra", 0),
    ("Web", 0),
    ("Checkout", 0),
    ("Fulfillment", 0),
    ("Logistics", 0),
    ("Pricing", 0),
    ("Catalog", 0),
    ("Messaging", 0),
    ("Tooling", 0),
    ("Developer Experience", 0),
    ("Data", 8),
    ("Analytics", 8),
    ("Machine Learning", 8),
    ("AppSec", 9),
    ("Incident Response", 9),
    ("GRC", 9),
];

/// Google groups, most common first (people draw them with weight
/// `30 - index`).
pub(crate) const GROUPS: &[&str] = &[
    "all-hands-speakers",
    "interviewers",
    "oncall",
    "mentors",
    "hiring-managers",
    "vpn-users",
    "beta-testers",
    "security-champions",
    "sales-east",
    "sales-west",
    "incident-commanders",
    "release-managers",
    "budget-owners",
    "travel-approvers",
    "design-reviewers",
    "support-escalations",
    "data-stewards",
    "db-admins",
    "payables",
    "receivables",
    "finance-close",
    "sales-leadership",
    "privacy-reviewers",
    "pci-scope",
    "soc2-auditors",
    "qa-leads",
    "architecture-board",
    "board-reporting",
    "ediscovery",
    "accessibility-guild",
];

pub(crate) fn group_weight(index: usize) -> u32 {
    30u32.saturating_sub(index as u32)
}

/// Cost centers per department: `CC-1000 + 100 * department + k`.
pub(crate) const COST_CENTERS_PER_DEPARTMENT: usize = 6;

pub(crate) fn cost_center(department: usize, k: usize) -> String {
    format!("CC-{}", 1000 + 100 * department + k)
}

fn names(table: &[Weighted]) -> Vec<&'static str> {
    table.iter().map(|v| v.name).collect()
}

/// The text of `schema.grant`.
pub(crate) fn schema_file(header: &str) -> String {
    let mut out = String::new();
    out.push_str(header);
    out.push_str(
        "# The attributes the HR system sends for every person. Dates are whole days in UTC.\n\
         timezone \"UTC\"\n\n",
    );
    out.push_str("attribute employee_id: text\n");
    for line in [
        attribute_decl("employment", false, &names(EMPLOYMENT)),
        attribute_decl("status", false, &names(STATUS)),
        attribute_decl("department", false, &names(DEPARTMENTS)),
        "# Only Engineering, Data Science and Security have teams.".to_string(),
        attribute_decl(
            "team",
            true,
            &TEAMS.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        ),
        attribute_decl("country", false, &names(COUNTRIES)),
        attribute_decl(
            "site",
            false,
            &SITES.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        ),
    ] {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(
        "attribute manager: flag  # has direct reports\n\
         attribute level: number  # 1 (intern) to 10\n\
         attribute start_date: date\n\
         # Contractors and interns always have one; employees once they gave notice.\n\
         attribute end_date: optional date\n\
         attribute groups: list of text\n\
         attribute cost_center: text\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_value_is_declared_twice_or_twice_up_to_case() {
        let mut all: Vec<String> = Vec::new();
        all.extend(EMPLOYMENT.iter().map(|v| v.name.to_lowercase()));
        all.extend(STATUS.iter().map(|v| v.name.to_lowercase()));
        all.extend(DEPARTMENTS.iter().map(|v| v.name.to_lowercase()));
        all.extend(COUNTRIES.iter().map(|v| v.name.to_lowercase()));
        all.extend(SITES.iter().map(|(name, _)| name.to_lowercase()));
        all.extend(TEAMS.iter().map(|(name, _)| name.to_lowercase()));
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), count);
        assert_eq!(DEPARTMENTS.len(), 12);
        assert_eq!(COUNTRIES.len(), 20);
        assert_eq!(SITES.len(), 15);
        assert_eq!(TEAMS.len(), 25);
        assert_eq!(GROUPS.len(), 30);
        assert!(COUNTRIES.iter().any(|c| c.name == "IN"));
    }

    #[test]
    fn sites_and_teams_point_at_their_country_and_department() {
        assert_eq!(SITES.get(REMOTE).map(|s| s.0), Some("remote"));
        let berlin = SITES.iter().find(|s| s.0 == "Berlin").and_then(|s| s.1);
        assert_eq!(
            berlin.and_then(|c| COUNTRIES.get(c)).map(|c| c.name),
            Some("DE")
        );
        let dublin = SITES.iter().find(|s| s.0 == "Dublin").and_then(|s| s.1);
        assert_eq!(
            dublin.and_then(|c| COUNTRIES.get(c)).map(|c| c.name),
            Some("IE")
        );
        let lisbon = SITES.iter().find(|s| s.0 == "Lisbon").and_then(|s| s.1);
        assert_eq!(
            lisbon.and_then(|c| COUNTRIES.get(c)).map(|c| c.name),
            Some("PT")
        );
        let sg = SITES.iter().find(|s| s.0 == "Singapore").and_then(|s| s.1);
        assert_eq!(
            sg.and_then(|c| COUNTRIES.get(c)).map(|c| c.name),
            Some("SG")
        );
        for (team, department) in TEAMS {
            let department = DEPARTMENTS.get(*department).map(|d| d.name);
            assert!(
                matches!(
                    department,
                    Some("Engineering" | "Data Science" | "Security")
                ),
                "{team}"
            );
        }
        assert_eq!(
            EMPLOYMENT.get(CONTRACTOR).map(|e| e.name),
            Some("contractor")
        );
        assert_eq!(EMPLOYMENT.get(INTERN).map(|e| e.name), Some("intern"));
        assert_eq!(EMPLOYMENT.get(FULL_TIME).map(|e| e.name), Some("full-time"));
        assert_eq!(EMPLOYMENT.get(PART_TIME).map(|e| e.name), Some("part-time"));
        assert_eq!(STATUS.get(ACTIVE).map(|e| e.name), Some("active"));
        assert_eq!(STATUS.get(ON_LEAVE).map(|e| e.name), Some("on-leave"));
        assert_eq!(STATUS.get(TERMINATED).map(|e| e.name), Some("terminated"));
    }
}
