//! Calendar dates for timestamps (seconds since the Unix epoch, UTC), without a date library.

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (proleptic Gregorian).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm: eras of 400 years starting on 1 March.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month 1–12, day, hour, minute) of a moment, in UTC; `texts::moment` words it.
pub fn civil_utc(at: i64) -> (i64, u32, u32, i64, i64) {
    let (y, m, d) = civil_from_days(at.div_euclid(86_400));
    let secs = at.rem_euclid(86_400);
    (y, m, d, secs / 3_600, secs % 3_600 / 60)
}

/// "2026-11-27T09:32:00Z", for `<time datetime>`.
pub fn iso_utc(at: i64) -> String {
    let (y, m, d) = civil_from_days(at.div_euclid(86_400));
    let secs = at.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_utc(1_795_737_600), "2026-11-27T00:00:00Z");
        assert_eq!(civil_utc(1_795_771_920), (2026, 11, 27, 9, 32));
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn every_day_follows_the_previous() {
        // Walk 800 years of days: each date is the day after the one before.
        let mut prev = civil_from_days(-146_097);
        for days in -146_096..146_097 {
            let next = civil_from_days(days);
            let (y, m, d) = prev;
            let ok = next == (y, m, d + 1) || next == (y, m + 1, 1) || next == (y + 1, 1, 1);
            assert!(ok, "{prev:?} -> {next:?}");
            prev = next;
        }
    }
}
