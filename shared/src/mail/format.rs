//! How emails write money, dates and instants, and how they shorten user text.

use chrono::{DateTime, NaiveDate, Utc};

use crate::money::Money;
use crate::zone::Zone;

/// Money in its currency's notation, code first: `EUR 123.45`, `JPY 5000`, `KWD 1.234`,
/// `EUR -0.50`. No grouping separators, so it reads the same in every locale.
pub fn money(amount: Money) -> String {
    let exponent = u32::from(amount.currency.exponent());
    let code = amount.currency.code();
    let sign = if amount.amount < 0 { "-" } else { "" };
    // i128: the magnitude of i64::MIN does not fit an i64.
    let magnitude = i128::from(amount.amount).unsigned_abs();
    if exponent == 0 {
        return format!("{code} {sign}{magnitude}");
    }
    let unit = 10u128.pow(exponent);
    let width = exponent as usize;
    format!("{code} {sign}{}.{:0width$}", magnitude / unit, magnitude % unit)
}

/// A calendar date as emails show it: `Sat 14 Nov 2026`.
pub fn date(day: NaiveDate) -> String {
    day.format("%a %-d %b %Y").to_string()
}

/// An instant on the wall clock of the IANA zone `time_zone`, naming the zone:
/// `Tue 3 Nov 2026, 15:00 (Europe/Zurich)`. An unknown zone shows UTC (stored zones were
/// validated when the property was listed; this only guards a damaged record).
pub fn local_time(at: DateTime<Utc>, time_zone: &str) -> String {
    let zone = Zone::of_record(time_zone);
    format!(
        "{} ({})",
        zone.wall_clock(at).format("%a %-d %b %Y, %H:%M"),
        zone.name()
    )
}

/// An instant in UTC, for emails that have no place to take a zone from (account emails):
/// `Tue 3 Nov 2026, 14:00 UTC`.
pub fn utc_time(at: DateTime<Utc>) -> String {
    format!("{} UTC", at.format("%a %-d %b %Y, %H:%M"))
}

/// `text` on one line: every run of whitespace or control characters becomes one space (a
/// subject must never carry a line break into the headers).
pub fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` on one line, cut to at most `max_chars` characters at a word boundary where there
/// is one, with an ellipsis when something was cut.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let line = one_line(text);
    if line.chars().count() <= max_chars {
        return line;
    }
    let cut: String = line.chars().take(max_chars.saturating_sub(1)).collect();
    let kept = match cut.rfind(' ') {
        Some(at) if at > cut.len() / 2 => &cut[..at],
        _ => cut.as_str(),
    };
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn of(amount: i64, code: &str) -> String {
        money(Money::new(amount, Currency::parse(code).unwrap()))
    }

    #[test]
    fn money_uses_the_minor_unit_of_its_currency() {
        assert_eq!(of(12345, "EUR"), "EUR 123.45");
        assert_eq!(of(5, "EUR"), "EUR 0.05");
        assert_eq!(of(0, "EUR"), "EUR 0.00");
        assert_eq!(of(-50, "EUR"), "EUR -0.50");
        assert_eq!(of(5000, "JPY"), "JPY 5000");
        assert_eq!(of(1234, "KWD"), "KWD 1.234");
        assert_eq!(of(i64::MIN, "JPY"), "JPY -9223372036854775808");
    }

    #[test]
    fn instants_show_on_the_wall_clock_of_the_zone() {
        let at = DateTime::parse_from_rfc3339("2026-11-03T23:30:00Z").unwrap().to_utc();
        assert_eq!(local_time(at, "Europe/Zurich"), "Wed 4 Nov 2026, 00:30 (Europe/Zurich)");
        assert_eq!(
            local_time(at, "America/New_York"),
            "Tue 3 Nov 2026, 18:30 (America/New_York)"
        );
        assert_eq!(local_time(at, "Not/A_Zone"), "Tue 3 Nov 2026, 23:30 (UTC)");
        assert_eq!(utc_time(at), "Tue 3 Nov 2026, 23:30 UTC");
        assert_eq!(date(NaiveDate::from_ymd_opt(2026, 11, 14).unwrap()), "Sat 14 Nov 2026");
    }

    #[test]
    fn excerpts_stay_on_one_line_and_within_the_limit() {
        assert_eq!(excerpt("Hi!\r\nSee you\tsoon", 40), "Hi! See you soon");
        let cut = excerpt("The keys are under the blue flower pot by the door", 20);
        assert_eq!(cut, "The keys are under…");
        assert!(cut.chars().count() <= 20);
        assert_eq!(excerpt("Zoë-Zoë-Zoë-Zoë", 5), "Zoë-…");
        assert_eq!(one_line("a\u{0}b\n\nc"), "a b c");
    }
}
