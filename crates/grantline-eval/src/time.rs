//! Calendar arithmetic in the policy time zone.
//!
//! Policy and identity dates are whole local days. Everything here is checked:
//! a date or instant near the ends of chrono's range never panics; a day start
//! that cannot be represented is clamped (for [`day_start`]) or treated as
//! "no such instant" (for window ends, which then have no end).

use chrono::{
    DateTime, Datelike, Days, FixedOffset, LocalResult, Months, NaiveDate, NaiveDateTime,
    NaiveTime, Offset, SecondsFormat, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;
use grantline_ir::{Duration, DurationUnit};

/// The longest stretch of local time a time-zone transition is assumed to
/// skip (Samoa skipped a whole day in 2011; nothing skipped two).
const LONGEST_GAP_SECONDS: i64 = 48 * 60 * 60;

/// The first instant of local date `date` in `tz`, or `None` when it is
/// outside the range chrono can represent.
///
/// When local midnight does not exist (a DST gap at midnight), this is the
/// first instant that exists after it; when it exists twice, the earlier.
pub(crate) fn checked_day_start(tz: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = date.and_time(NaiveTime::MIN);
    if let Some(instant) = resolve(tz, &midnight) {
        return Some(instant);
    }
    // Local midnight does not exist. Find the end of the gap: the smallest
    // number of seconds after midnight whose local time exists. Existence is
    // monotone across a gap (missing, then present), so a binary search works.
    let exists = |seconds: i64| -> Option<DateTime<Utc>> {
        let local = midnight.checked_add_signed(TimeDelta::try_seconds(seconds)?)?;
        resolve(tz, &local)
    };
    exists(LONGEST_GAP_SECONDS)?;
    let (mut missing, mut present) = (0_i64, LONGEST_GAP_SECONDS);
    while present - missing > 1 {
        let middle = missing + (present - missing) / 2;
        if exists(middle).is_some() {
            present = middle;
        } else {
            missing = middle;
        }
    }
    exists(present)
}

fn resolve(tz: Tz, local: &NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(local) {
        LocalResult::Single(instant) => Some(instant.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => {
            Some(first.with_timezone(&Utc).min(second.with_timezone(&Utc)))
        }
        LocalResult::None => None,
    }
}

/// [`checked_day_start`], clamped to chrono's range.
pub fn day_start(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    checked_day_start(tz, date).unwrap_or(if date.year() < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// The instant a window ending with local date `date` closes (exclusive): the
/// start of the following day. `None` means it never closes within range.
pub(crate) fn day_end(tz: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    checked_day_start(tz, date.succ_opt()?)
}

/// Calendar arithmetic on a local date; months clamp to the month's end.
pub(crate) fn add_duration(date: NaiveDate, duration: Duration) -> Option<NaiveDate> {
    let count = u64::from(duration.count);
    match duration.unit {
        DurationUnit::Days => date.checked_add_days(Days::new(count)),
        DurationUnit::Weeks => date.checked_add_days(Days::new(count.checked_mul(7)?)),
        DurationUnit::Months => date.checked_add_months(Months::new(duration.count)),
    }
}

/// How a window boundary is printed: the start of a window names its first
/// day, the (exclusive) end of a window names its last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Boundary {
    Start,
    End,
}

/// Prints an instant as a local date when it is the start of a local day
/// (`End`: the day before, the last day covered), and as RFC 3339 in the
/// policy time zone otherwise; says whether it printed a date.
pub(crate) fn format_boundary(
    instant: DateTime<Utc>,
    tz: Tz,
    boundary: Boundary,
) -> (String, bool) {
    let utc = instant.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix();
    // Near the ends of chrono's range the local time may not be representable
    // (chrono's own conversion would panic): print the instant in UTC then.
    let Some(local) = utc.checked_add_offset(offset) else {
        return (instant.to_rfc3339_opts(SecondsFormat::AutoSi, true), false);
    };
    let date = local.date();
    if checked_day_start(tz, date) == Some(instant) {
        let shown = match boundary {
            Boundary::Start => Some(date),
            Boundary::End => date.pred_opt(),
        };
        if let Some(shown) = shown {
            return (shown.format("%Y-%m-%d").to_string(), true);
        }
    }
    (
        DateTime::<FixedOffset>::from_naive_utc_and_offset(utc, offset)
            .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn day_start_in_utc_and_berlin() {
        assert_eq!(
            day_start(Tz::UTC, date(2026, 3, 1)),
            utc("2026-03-01T00:00:00Z")
        );
        // Winter: UTC+1, summer: UTC+2.
        assert_eq!(
            day_start(Tz::Europe__Berlin, date(2026, 1, 15)),
            utc("2026-01-14T23:00:00Z")
        );
        assert_eq!(
            day_start(Tz::Europe__Berlin, date(2026, 7, 15)),
            utc("2026-07-14T22:00:00Z")
        );
        // The DST switch day itself starts before the switch at 02:00.
        assert_eq!(
            day_start(Tz::Europe__Berlin, date(2026, 3, 29)),
            utc("2026-03-28T23:00:00Z")
        );
    }

    #[test]
    fn day_start_in_a_midnight_gap_is_the_end_of_the_gap() {
        // America/Santiago moved clocks from 00:00 to 01:00 on 2022-09-11.
        let start = day_start(Tz::America__Santiago, date(2022, 9, 11));
        assert_eq!(start, utc("2022-09-11T04:00:00Z"));
        let local = start.with_timezone(&Tz::America__Santiago);
        assert_eq!(
            local.naive_local(),
            date(2022, 9, 11).and_hms_opt(1, 0, 0).unwrap()
        );
        // Samoa skipped 2011-12-30 entirely.
        let skipped = day_start(Tz::Pacific__Apia, date(2011, 12, 30));
        let next = day_start(Tz::Pacific__Apia, date(2011, 12, 31));
        assert_eq!(skipped, next);
        assert_eq!(
            next - day_start(Tz::Pacific__Apia, date(2011, 12, 29)),
            TimeDelta::hours(24)
        );
    }

    #[test]
    fn day_start_in_a_midnight_fold_is_the_earlier_instant() {
        // America/Havana fell back from 01:00 to 00:00 on 2022-11-06: midnight happened twice.
        let start = day_start(Tz::America__Havana, date(2022, 11, 6));
        assert_eq!(start, utc("2022-11-06T04:00:00Z"));
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        for tz in [
            Tz::UTC,
            Tz::Pacific__Kiritimati,
            Tz::America__New_York,
            Tz::Europe__Berlin,
        ] {
            let _ = day_start(tz, NaiveDate::MIN);
            let _ = day_start(tz, NaiveDate::MAX);
            assert_eq!(day_end(tz, NaiveDate::MAX), None);
            let _ = format_boundary(DateTime::<Utc>::MIN_UTC, tz, Boundary::End);
            let _ = format_boundary(DateTime::<Utc>::MAX_UTC, tz, Boundary::Start);
        }
        assert_eq!(
            add_duration(
                NaiveDate::MAX,
                Duration {
                    count: u32::MAX,
                    unit: DurationUnit::Weeks
                }
            ),
            None
        );
    }

    #[test]
    fn months_clamp_to_the_end_of_the_month() {
        let month = |count| Duration {
            count,
            unit: DurationUnit::Months,
        };
        assert_eq!(
            add_duration(date(2026, 1, 31), month(1)),
            Some(date(2026, 2, 28))
        );
        assert_eq!(
            add_duration(date(2028, 1, 31), month(1)),
            Some(date(2028, 2, 29))
        );
        assert_eq!(
            add_duration(date(2026, 1, 31), month(3)),
            Some(date(2026, 4, 30))
        );
        assert_eq!(
            add_duration(
                date(2026, 1, 31),
                Duration {
                    count: 2,
                    unit: DurationUnit::Weeks
                }
            ),
            Some(date(2026, 2, 14))
        );
    }

    #[test]
    fn instants_print_as_days_when_they_start_a_day() {
        let tz = Tz::Europe__Berlin;
        let end = day_start(tz, date(2027, 7, 1));
        assert_eq!(format_boundary(end, tz, Boundary::End).0, "2027-06-30");
        assert_eq!(format_boundary(end, tz, Boundary::Start).0, "2027-07-01");
        assert_eq!(
            format_boundary(utc("2027-07-01T00:00:00Z"), tz, Boundary::End).0,
            "2027-07-01T02:00:00+02:00"
        );
        assert_eq!(
            format_boundary(utc("2027-07-01T10:30:00Z"), Tz::UTC, Boundary::Start).0,
            "2027-07-01T10:30:00Z"
        );
    }
}
