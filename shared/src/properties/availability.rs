//! A property's taken nights, mirrored on the property item so that a dated search reads no
//! more than an undated one.
//!
//! The night items (`PROPERTY#<id>` / `NIGHT#<date>`) stay the source of truth: their
//! conditional puts are what make a night go to one taker. Every transaction that writes a
//! night item also changes one of two string sets on the property item, in the same commit:
//! - `takenNights`: `YYYY-MM-DD` of each night booked or blocked;
//! - `heldNights`: `YYYY-MM-DD~<hold end, epoch seconds>` of each night held by an unpaid
//!   booking. A hold that lapsed frees its night in the night items (its `ttl` passed) and
//!   here alike (its end passed), with no write; the booking's expiry later drops its entry.
//!
//! Two sets rather than one because DynamoDB refuses `ADD` and `DELETE` of one attribute in
//! one update, and a payment turns holds into bookings in one update.

use chrono::NaiveDate;

use super::calendar::{Stay, day};
use super::model::Property;
use crate::store::Update;

/// Attribute of the booked and blocked nights.
pub const TAKEN_NIGHTS: &str = "takenNights";
/// Attribute of the held nights.
pub const HELD_NIGHTS: &str = "heldNights";

/// The entry of a night booked or blocked.
pub fn taken_entry(date: NaiveDate) -> String {
    day(date)
}

/// The entry of a night held until `until` (epoch seconds). Holds of one night never overlap
/// in time and each later one ends later, so the pair names one hold.
pub fn held_entry(date: NaiveDate, until: i64) -> String {
    format!("{}~{until}", day(date))
}

/// Adds the holds of `stay`'s nights until `until`.
pub fn hold(update: Update, stay: &Stay, until: i64) -> Update {
    update.add_to_set(HELD_NIGHTS, stay.dates().map(|date| held_entry(date, until)))
}

/// Drops the holds of `stay`'s nights until `until`.
pub fn release_holds(update: Update, stay: &Stay, until: i64) -> Update {
    update.delete_from_set(HELD_NIGHTS, stay.dates().map(|date| held_entry(date, until)))
}

/// Marks `dates` booked or blocked.
pub fn take(update: Update, dates: impl IntoIterator<Item = NaiveDate>) -> Update {
    update.add_to_set(TAKEN_NIGHTS, dates.into_iter().map(taken_entry))
}

/// Frees `dates` that were booked or blocked.
pub fn untake(update: Update, dates: impl IntoIterator<Item = NaiveDate>) -> Update {
    update.delete_from_set(TAKEN_NIGHTS, dates.into_iter().map(taken_entry))
}

/// Whether every night of `stay` is free at `now` (epoch seconds), given a property's
/// `takenNights` and `heldNights` entries.
pub fn free<'a>(
    taken: impl IntoIterator<Item = &'a str>,
    held: impl IntoIterator<Item = &'a str>,
    stay: &Stay,
    now: i64,
) -> bool {
    StayNights::of(stay).free(taken, held, now)
}

/// A stay's nights as the mirror spells them, formatted once for a search that checks many
/// properties (formatting two dates cost more than the check itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StayNights {
    /// The first night, `YYYY-MM-DD`.
    first: String,
    /// The check-out day (not a night), `YYYY-MM-DD`.
    end: String,
}

impl StayNights {
    pub fn of(stay: &Stay) -> Self {
        Self {
            first: day(stay.check_in),
            end: day(stay.check_out),
        }
    }

    /// Whether `date` (`YYYY-MM-DD`) is a night of the stay. Dates compare as text:
    /// `YYYY-MM-DD` sorts like the dates it spells.
    fn contains(&self, date: &str) -> bool {
        date >= self.first.as_str() && date < self.end.as_str()
    }

    /// Whether every night is free at `now` (epoch seconds), given a property's
    /// `takenNights` and `heldNights` entries.
    pub fn free<'a>(
        &self,
        taken: impl IntoIterator<Item = &'a str>,
        held: impl IntoIterator<Item = &'a str>,
        now: i64,
    ) -> bool {
        let taken = taken.into_iter().any(|date| self.contains(date));
        let held = held.into_iter().any(|entry| match entry.split_once('~') {
            Some((date, until)) => self.contains(date) && until.parse::<i64>().is_ok_and(|until| until > now),
            None => false,
        });
        !taken && !held
    }
}

impl Property {
    /// Whether every night of `stay` is free at `now` (epoch seconds), from the property item
    /// alone.
    pub fn is_free(&self, stay: &Stay, now: i64) -> bool {
        free(
            self.taken_nights.iter().map(String::as_str),
            self.held_nights.iter().map(String::as_str),
            stay,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn property(taken: &[&str], held: &[&str]) -> Property {
        let mut property: Property = serde_json::from_value(serde_json::json!({
            "id": "P", "hostId": "H", "title": "t", "description": "", "timeZone": "UTC",
            "address": {"line1": "l", "city": "c", "region": null, "country": "CH", "postalCode": null},
            "maxGuests": 2, "bedrooms": 1, "beds": 1, "bathrooms": 1.0, "amenities": [],
            "nightlyPrice": {"amount": 100, "currency": "CHF"}, "cleaningFee": {"amount": 0, "currency": "CHF"},
            "minNights": 1, "maxNights": 30, "checkInTime": "15:00", "checkOutTime": "11:00",
            "instantBook": true, "cancellationPolicy": "moderate",
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
            "takenNights": taken, "heldNights": held
        }))
        .unwrap();
        property.id = "P".into();
        property
    }

    #[test]
    fn taken_nights_block_only_stays_that_include_them() {
        let p = property(&["2026-12-10"], &[]);
        assert!(!p.is_free(&Stay::new(date(9), date(11)).unwrap(), 0));
        assert!(!p.is_free(&Stay::new(date(10), date(11)).unwrap(), 0));
        // Check-out day is not a night.
        assert!(p.is_free(&Stay::new(date(8), date(10)).unwrap(), 0));
        assert!(p.is_free(&Stay::new(date(11), date(12)).unwrap(), 0));
    }

    #[test]
    fn holds_count_until_they_end() {
        let p = property(&[], &[&held_entry(date(10), 1_000)]);
        let stay = Stay::new(date(10), date(12)).unwrap();
        assert!(!p.is_free(&stay, 999));
        assert!(p.is_free(&stay, 1_000));
        assert!(p.is_free(&Stay::new(date(11), date(12)).unwrap(), 0));
    }

    #[test]
    fn the_sets_are_read_but_never_written_with_the_record() {
        let p = property(&["2026-12-10"], &["2026-12-11~5"]);
        assert_eq!(p.taken_nights, ["2026-12-10"]);
        let written = serde_json::to_value(&p).unwrap();
        assert!(written.get(TAKEN_NIGHTS).is_none() && written.get(HELD_NIGHTS).is_none());
    }
}
