//! A property's IANA time zone: its wall clock, from the compressed tzdb bundled by `jiff`.
//!
//! Only this module knows the time-zone library; the rest of the crate speaks chrono. The
//! bundled database (not the host's `/usr/share/zoneinfo`) makes every function answer the
//! same on every machine, and costs about a sixth of the binary size chrono-tz's generated
//! tables did.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use jiff::civil;
use jiff::tz::TimeZone;

/// One IANA zone, parsed once.
#[derive(Debug, Clone)]
pub struct Zone(TimeZone);

impl Zone {
    /// UTC, for a stored record whose zone no longer parses.
    pub fn utc() -> Self {
        Self(TimeZone::UTC)
    }

    /// The zone named `name` exactly (case as the database spells it), or `None`.
    pub fn named(name: &str) -> Option<Self> {
        let zone = TimeZone::get(name).ok()?;
        // The database looks names up ignoring case; the API stores the canonical spelling
        // only, so a listing says "Europe/Zurich" and never "europe/zurich".
        (zone.iana_name() == Some(name)).then_some(Self(zone))
    }

    /// A stored zone name, or UTC if the record is damaged (zones are validated when a
    /// property is listed).
    pub fn of_record(name: &str) -> Self {
        Self::named(name).unwrap_or_else(Self::utc)
    }

    /// The zone's IANA name (`UTC` for UTC).
    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// What the zone's wall clock reads at `at`.
    pub fn wall_clock(&self, at: DateTime<Utc>) -> NaiveDateTime {
        jiff::Timestamp::new(at.timestamp(), subsec_nanos(at.timestamp_subsec_nanos()))
            .ok()
            .and_then(|instant| naive(self.0.to_datetime(instant)))
            .unwrap_or_else(|| at.naive_utc())
    }

    /// The date on the zone's wall clock at `at`.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        self.wall_clock(at).date()
    }

    /// The instant a local wall-clock time names. In the hour a DST change repeats, the
    /// earlier one; in the hour it skips, the instant the same wall time would have named
    /// before the change (the clock reads one hour later then).
    pub fn instant(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let local = date.and_time(time);
        civil(local)
            .and_then(|wall| self.0.to_ambiguous_timestamp(wall).compatible().ok())
            .and_then(|instant| DateTime::from_timestamp(instant.as_second(), 0))
            .unwrap_or_else(|| local.and_utc())
    }
}

fn subsec_nanos(nanos: u32) -> i32 {
    // chrono's leap-second nanos (>= 1e9) fold into the last nanosecond of the second.
    i32::try_from(nanos.min(999_999_999)).unwrap_or(0)
}

fn civil(local: NaiveDateTime) -> Option<civil::DateTime> {
    let small = |value: u32| i8::try_from(value).ok();
    civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        small(local.month())?,
        small(local.day())?,
        small(local.hour())?,
        small(local.minute())?,
        small(local.second())?,
        0,
    )
    .ok()
}

fn naive(wall: civil::DateTime) -> Option<NaiveDateTime> {
    let date = NaiveDate::from_ymd_opt(
        i32::from(wall.year()),
        u32::try_from(wall.month()).ok()?,
        u32::try_from(wall.day()).ok()?,
    )?;
    let time = NaiveTime::from_hms_opt(
        u32::try_from(wall.hour()).ok()?,
        u32::try_from(wall.minute()).ok()?,
        u32::try_from(wall.second()).ok()?,
    )?;
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    #[test]
    fn names_are_exact_and_canonical() {
        assert_eq!(Zone::named("Europe/Zurich").unwrap().name(), "Europe/Zurich");
        assert_eq!(
            Zone::named("America/Argentina/Buenos_Aires").unwrap().name(),
            "America/Argentina/Buenos_Aires"
        );
        assert_eq!(Zone::named("UTC").unwrap().name(), "UTC");
        assert!(Zone::named("europe/zurich").is_none());
        assert!(Zone::named("Mars/Olympus_Mons").is_none());
        assert!(Zone::named("").is_none());
        assert_eq!(Zone::of_record("Nowhere/Else").name(), "UTC");
    }

    #[test]
    fn wall_clocks_far_from_utc() {
        let kiritimati = Zone::named("Pacific/Kiritimati").unwrap(); // UTC+14
        assert_eq!(
            kiritimati.date_of(at("2026-12-24T10:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()
        );
        let pago = Zone::named("Pacific/Pago_Pago").unwrap(); // UTC-11
        assert_eq!(
            pago.date_of(at("2026-12-25T10:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()
        );
        let kathmandu = Zone::named("Asia/Kathmandu").unwrap(); // UTC+5:45
        assert_eq!(
            kathmandu.wall_clock(at("2026-06-01T00:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 6, 1)
                .unwrap()
                .and_hms_opt(5, 45, 0)
                .unwrap()
        );
        let berlin = Zone::named("Europe/Berlin").unwrap();
        assert_eq!(
            berlin.wall_clock(at("2026-07-01T12:00:00Z")).time(),
            NaiveTime::from_hms_opt(14, 0, 0).unwrap()
        );
        assert_eq!(
            berlin.wall_clock(at("2026-01-01T12:00:00Z")).time(),
            NaiveTime::from_hms_opt(13, 0, 0).unwrap()
        );
    }
}
