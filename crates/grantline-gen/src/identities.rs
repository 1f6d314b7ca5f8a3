//! The people: identity records drawn from the schema's `people` weights.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::rng::Rng;
use crate::schema::{
    cost_center, group_weight, CONTRACTOR, COST_CENTERS_PER_DEPARTMENT, COUNTRIES, DEPARTMENTS,
    EMPLOYMENT, GROUPS, INTERN, REMOTE, SITES, STATUS, TEAMS, TERMINATED,
};

/// The day the generated dates are drawn around: the date load tests
/// evaluate at (`--at 2026-12-01`).
pub const REFERENCE_DATE: &str = "2026-12-01";

fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default()
}

/// One generated identity record, serialized with its fields in this order.
/// Absent optional fields are left out of the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityRecord {
    pub employee_id: String,
    pub employment: &'static str,
    pub status: &'static str,
    pub department: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<&'static str>,
    pub country: &'static str,
    pub site: &'static str,
    /// Left out (which means false) for some people who are not managers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<bool>,
    pub level: u8,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// Left out (which means empty) for some people without groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<&'static str>>,
    pub cost_center: String,
}

fn weighted_name(rng: &mut Rng, table: &[crate::schema::Weighted]) -> (usize, &'static str) {
    let index = rng.weighted(table.iter().map(|v| v.people));
    (index, table.get(index).map(|v| v.name).unwrap_or_default())
}

fn days_from(date: NaiveDate, days: i64) -> NaiveDate {
    let shifted = if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    shifted.unwrap_or(date)
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The `index`-th identity (0-based) of the stream.
pub(crate) fn identity(index: usize, rng: &mut Rng) -> IdentityRecord {
    let today = reference_date();
    let (employment_index, employment) = weighted_name(rng, EMPLOYMENT);
    let (status_index, status) = weighted_name(rng, STATUS);
    let (department_index, department) = weighted_name(rng, DEPARTMENTS);
    let (country_index, country) = weighted_name(rng, COUNTRIES);

    let teams: Vec<&'static str> = TEAMS
        .iter()
        .filter(|(_, d)| *d == department_index)
        .map(|(team, _)| *team)
        .collect();
    // One in twenty people of a department with teams has none on record.
    let team = if teams.is_empty() || rng.chance(50) {
        None
    } else {
        rng.pick(&teams).copied()
    };

    let offices: Vec<&'static str> = SITES
        .iter()
        .filter(|(_, c)| *c == Some(country_index))
        .map(|(site, _)| *site)
        .collect();
    let site = match rng.pick(&offices) {
        Some(office) if rng.chance(750) => *office,
        _ => SITES.get(REMOTE).map(|s| s.0).unwrap_or("remote"),
    };

    let is_contractor = employment_index == CONTRACTOR;
    let is_intern = employment_index == INTERN;
    let level: u8 = if is_intern {
        1
    } else {
        let weights = [0u32, 8, 18, 22, 18, 14, 9, 6, 3, 2];
        1 + rng.weighted(weights.into_iter()) as u8
    };
    let manager_per_mille = match level {
        _ if is_contractor || is_intern => 0,
        0..=3 => 20,
        4 | 5 => 150,
        _ => 450,
    };
    let is_manager = rng.chance(manager_per_mille);
    let manager = if !is_manager && rng.chance(100) {
        None
    } else {
        Some(is_manager)
    };

    // Dates: employees started up to 14 years ago (more of them recently);
    // contractors and interns have a contract around today; terminated
    // people left in the last year; a few employees have given notice.
    let (start, end) = if status_index == TERMINATED {
        let end = days_from(today, -rng.between(1, 365));
        (days_from(end, -rng.between(90, 3000)), Some(end))
    } else if is_contractor || is_intern {
        let end = days_from(today, rng.between(-30, 540));
        let length = if is_intern {
            rng.between(60, 180)
        } else {
            rng.between(90, 730)
        };
        let start = days_from(end, -length);
        // One in twenty contractors has no end date on record.
        let end = (!is_contractor || !rng.chance(50)).then_some(end);
        (start, end)
    } else {
        let ago = if rng.chance(600) {
            rng.between(-30, 1460)
        } else {
            rng.between(0, 5100)
        };
        let start = days_from(today, -ago);
        let end = rng.chance(30).then(|| days_from(today, rng.between(1, 90)));
        (start, end)
    };

    let group_count = rng.weighted([18u32, 32, 26, 14, 7, 3].into_iter());
    let mut groups: Vec<&'static str> = Vec::new();
    let mut attempts = 0;
    while groups.len() < group_count && attempts < 20 {
        attempts += 1;
        let group = rng.weighted((0..GROUPS.len()).map(group_weight));
        if let Some(name) = GROUPS.get(group) {
            if !groups.contains(name) {
                groups.push(name);
            }
        }
    }
    let groups = if groups.is_empty() && rng.chance(500) {
        None
    } else {
        Some(groups)
    };

    let center = rng.below(COST_CENTERS_PER_DEPARTMENT);
    IdentityRecord {
        employee_id: format!("{}{:06}", if is_contractor { "C" } else { "E" }, index + 1),
        employment,
        status,
        department,
        team,
        country,
        site,
        manager,
        level,
        start_date: iso(start),
        end_date: end.map(iso),
        groups,
        cost_center: cost_center(department_index, center),
    }
}
