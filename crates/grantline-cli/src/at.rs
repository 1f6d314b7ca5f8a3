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

/// `YYYY-MM-DD` with every digit written, so that `2026-12-1` is refused
/// rather than guessed at.
fn starts_with_full_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 10
        && bytes.iter().take(10).enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

pub fn parse(text: &str) -> Result<When, String> {
    if text == "now" {
        return Ok(When::Now);
    }
    if !starts_with_full_date(text) {
        return Err(not_an_instant(text));
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
    Err(not_an_instant(text))
}

fn not_an_instant(text: &str) -> String {
    format!(
        "`{text}` is not an instant: use `now`, a date (2026-12-01), a local date-time (2026-12-01T09:00) or RFC 3339 (2026-12-01T09:00:00Z)"
    )
}

/// How far past a local time that does not exist (a daylight-saving gap) to
/// look for the first one that does; Samoa skipped a whole day in 2011.
const LONGEST_GAP_MINUTES: i64 = 48 * 60;

impl When {
    pub fn resolve(self, engine: &Engine) -> DateTime<Utc> {
        self.resolve_in(engine.timezone())
    }

    /// The instant in the policy time zone `tz`.
    pub fn resolve_in(self, tz: chrono_tz::Tz) -> DateTime<Utc> {
        match self {
            When::Now => Utc::now(),
            When::Date(date) => grantline_eval::day_start(tz, date),
            When::Instant(instant) => instant,
            When::Local(local) => {
                // A local time inside a gap becomes the first instant after
                // the gap, as policy dates do. Gaps are whole quarter hours.
                (0..=LONGEST_GAP_MINUTES / 15)
                    .filter_map(|step| {
                        let shifted =
                            local.checked_add_signed(chrono::TimeDelta::try_minutes(step * 15)?)?;
                        tz.from_local_datetime(&shifted).earliest()
                    })
                    .next()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|| Utc.from_utc_datetime(&local))
            }
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
        assert!(parse("2026-12-1").is_err());
        assert!(parse("2026-12-1T09:00").is_err());
        assert!(parse("tomorrow").is_err());
    }
}
