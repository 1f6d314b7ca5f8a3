//! The `--at` argument: when to evaluate.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use grantline::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Now,
    /// A date: its first instant in the policy time zone.
    Date(NaiveDate),
    /// A date and time without offset: read in the policy time zone.
    Local(NaiveDateTime),
    /// An instant with an offset.
    Instant(DateTime<Utc>),
}

pub fn parse(text: &str) -> Result<When, String> {
    if text == "now" {
        return Ok(When::Now);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(When::Date(date));
    }
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(When::Instant(instant.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(When::Local(local));
        }
    }
    Err(format!(
        "`{text}` is not an instant: use `now`, a date (2026-12-01), a local date-time (2026-12-01T09:00) or RFC 3339 (2026-12-01T09:00:00Z)"
    ))
}

impl When {
    pub fn resolve(self, engine: &Engine) -> DateTime<Utc> {
        match self {
            When::Now => Utc::now(),
            When::Date(date) => engine.day_start(date),
            When::Instant(instant) => instant,
            When::Local(local) => engine
                .timezone()
                .from_local_datetime(&local)
                .earliest()
                // A local time inside a DST gap: take the first hour after it.
                .or_else(|| {
                    engine
                        .timezone()
                        .from_local_datetime(&(local + chrono::Duration::hours(1)))
                        .earliest()
                })
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&local)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_documented_form() {
        assert_eq!(parse("now"), Ok(When::Now));
        assert!(matches!(parse("2026-12-01"), Ok(When::Date(_))));
        assert!(matches!(parse("2026-12-01T09:00"), Ok(When::Local(_))));
        assert!(matches!(
            parse("2026-12-01T09:00:00+01:00"),
            Ok(When::Instant(_))
        ));
        assert!(parse("2026-13-01").is_err());
        assert!(parse("tomorrow").is_err());
    }
}
