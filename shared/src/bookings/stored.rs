//! How a booking is stored: compactly. A booking item is rewritten at every move, inside
//! transactions that bill each started kilobyte twice (and its two list entries, in gsi1 and
//! gsi2, a unit a kilobyte each), and it outgrew 1 KB by its third move. Stored:
//! - the price names its currency once and holds bare amounts (seven `{"amount", "currency"}`
//!   maps were a fifth of the item);
//! - instants are whole epoch seconds (numbers: about 6 bytes, where RFC 3339 with nanoseconds
//!   took 30), which is all the API shows of them;
//! - each history entry is one string, `<status>|<actor>|<epoch seconds>[|<reason>]`, whose
//!   actor is `g` or `h` when it is the booking's guest or host (a map of four named fields,
//!   the actor's 26-character id among them, took about 80 bytes).
//!
//! What the API shows is unchanged ([`super::BookingView`]), and bookings stored in each
//! earlier form still read.

use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::{Booking, BookingStatus, HistoryEntry, Terms};
use super::price::PriceBreakdown;
use crate::money::{Currency, Money};

/// A price breakdown as stored: one currency, bare amounts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompactPrice {
    currency: Currency,
    nights: u32,
    nightly_price: i64,
    subtotal: i64,
    cleaning_fee: i64,
    service_fee: i64,
    total: i64,
    host_fee: i64,
    host_payout: i64,
}

/// Writes `price` in the compact form.
fn serialize_price<S: Serializer>(price: &PriceBreakdown, serializer: S) -> Result<S::Ok, S::Error> {
    CompactPrice {
        currency: price.total.currency,
        nights: price.nights,
        nightly_price: price.nightly_price.amount,
        subtotal: price.subtotal.amount,
        cleaning_fee: price.cleaning_fee.amount,
        service_fee: price.service_fee.amount,
        total: price.total.amount,
        host_fee: price.host_fee.amount,
        host_payout: price.host_payout.amount,
    }
    .serialize(serializer)
}

/// An amount as stored: bare (the compact form), or a whole [`Money`] (the earlier one).
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredAmount {
    Bare(i64),
    Money(Money),
}

/// A price breakdown in either form.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredPrice {
    #[serde(default)]
    currency: Option<Currency>,
    nights: u32,
    nightly_price: StoredAmount,
    subtotal: StoredAmount,
    cleaning_fee: StoredAmount,
    service_fee: StoredAmount,
    total: StoredAmount,
    host_fee: StoredAmount,
    host_payout: StoredAmount,
}

/// Reads a price stored in either form; a bare amount needs the price's currency.
fn deserialize_price<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PriceBreakdown, D::Error> {
    let stored = StoredPrice::deserialize(deserializer)?;
    let money = |amount: StoredAmount| match (amount, stored.currency) {
        (StoredAmount::Money(money), _) => Ok(money),
        (StoredAmount::Bare(amount), Some(currency)) => Ok(Money { amount, currency }),
        (StoredAmount::Bare(_), None) => Err(serde::de::Error::custom("a bare amount without the price's currency")),
    };
    Ok(PriceBreakdown {
        nights: stored.nights,
        nightly_price: money(stored.nightly_price)?,
        subtotal: money(stored.subtotal)?,
        cleaning_fee: money(stored.cleaning_fee)?,
        service_fee: money(stored.service_fee)?,
        total: money(stored.total)?,
        host_fee: money(stored.host_fee)?,
        host_payout: money(stored.host_payout)?,
    })
}

/// The actor of an entry made by the booking's guest, as stored.
const GUEST: &str = "g";
/// The actor of an entry made by the booking's host, as stored.
const HOST: &str = "h";

/// A booking as written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Written<'a> {
    id: &'a str,
    property_id: &'a str,
    guest_id: &'a str,
    host_id: &'a str,
    check_in: NaiveDate,
    check_out: NaiveDate,
    guests: u32,
    status: BookingStatus,
    #[serde(serialize_with = "serialize_price")]
    price: PriceBreakdown,
    terms: &'a Terms,
    hold_expires_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    checked_in_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checked_out_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paid_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<&'a str>,
    created_at: i64,
    history: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_request: Option<&'a str>,
}

/// `entry` as one string, its actor shortened when it is `booking`'s guest or host.
fn written_entry(booking: &Booking, entry: &HistoryEntry) -> String {
    let actor = if entry.actor == booking.guest_id {
        GUEST
    } else if entry.actor == booking.host_id {
        HOST
    } else {
        entry.actor.as_str()
    };
    let mut text = format!("{}|{actor}|{}", entry.status.as_str(), entry.at.timestamp());
    if let Some(reason) = &entry.reason {
        text.push('|');
        text.push_str(reason);
    }
    text
}

impl Serialize for Booking {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Written {
            id: &self.id,
            property_id: &self.property_id,
            guest_id: &self.guest_id,
            host_id: &self.host_id,
            check_in: self.check_in,
            check_out: self.check_out,
            guests: self.guests,
            status: self.status,
            price: self.price,
            terms: &self.terms,
            hold_expires_at: self.hold_expires_at.timestamp(),
            checked_in_at: self.checked_in_at.map(|at| at.timestamp()),
            checked_out_at: self.checked_out_at.map(|at| at.timestamp()),
            refund: self.refund,
            paid_by: self.paid_by.as_deref(),
            conversation_id: self.conversation_id.as_deref(),
            created_at: self.created_at.timestamp(),
            history: self.history.iter().map(|entry| written_entry(self, entry)).collect(),
            last_request: self.last_request.as_deref(),
        }
        .serialize(serializer)
    }
}

/// An instant as read: epoch seconds, or RFC 3339 (the earlier form). Read by a visitor, not
/// an untagged enum: every booking read goes through here, and an untagged enum buffers each
/// value to try its variants.
struct ReadInstant(DateTime<Utc>);

/// The instant `seconds` after the epoch.
fn from_seconds<E: de::Error>(seconds: i64) -> Result<DateTime<Utc>, E> {
    DateTime::from_timestamp(seconds, 0).ok_or_else(|| E::custom("an instant out of range"))
}

impl<'de> Deserialize<'de> for ReadInstant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InstantVisitor;
        impl Visitor<'_> for InstantVisitor {
            type Value = ReadInstant;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("epoch seconds or an RFC 3339 instant")
            }
            fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<ReadInstant, E> {
                from_seconds(seconds).map(ReadInstant)
            }
            fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<ReadInstant, E> {
                from_seconds(i64::try_from(seconds).map_err(E::custom)?).map(ReadInstant)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<ReadInstant, E> {
                text.parse().map(ReadInstant).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(InstantVisitor)
    }
}

/// A history entry as read: one string, or a map (the earlier forms, with or without
/// `reason`). Its actor may still be [`GUEST`] or [`HOST`].
struct ReadEntry(HistoryEntry);

/// The entry `<status>|<actor>|<epoch seconds>[|<reason>]`.
fn parse_entry<E: de::Error>(text: &str) -> Result<HistoryEntry, E> {
    let mut parts = text.splitn(4, '|');
    let (Some(status), Some(actor), Some(at)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(E::custom(format!("a history entry of an unknown form: {text}")));
    };
    Ok(HistoryEntry {
        status: BookingStatus::parse(status).map_err(E::custom)?,
        actor: actor.to_owned(),
        at: from_seconds(at.parse::<i64>().map_err(E::custom)?)?,
        reason: parts.next().map(str::to_owned),
    })
}

impl<'de> Deserialize<'de> for ReadEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = ReadEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a history entry")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<ReadEntry, E> {
                parse_entry(text).map(ReadEntry)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ReadEntry, A::Error> {
                HistoryEntry::deserialize(de::value::MapAccessDeserializer::new(map)).map(ReadEntry)
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

/// A booking as read, in any of its stored forms.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Read {
    id: String,
    property_id: String,
    guest_id: String,
    host_id: String,
    check_in: NaiveDate,
    check_out: NaiveDate,
    guests: u32,
    status: BookingStatus,
    #[serde(deserialize_with = "deserialize_price")]
    price: PriceBreakdown,
    terms: Terms,
    hold_expires_at: ReadInstant,
    #[serde(default)]
    checked_in_at: Option<ReadInstant>,
    #[serde(default)]
    checked_out_at: Option<ReadInstant>,
    #[serde(default)]
    refund: Option<Money>,
    #[serde(default)]
    paid_by: Option<String>,
    #[serde(default)]
    conversation_id: Option<String>,
    created_at: ReadInstant,
    history: Vec<ReadEntry>,
    #[serde(default)]
    last_request: Option<String>,
}

impl<'de> Deserialize<'de> for Booking {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let read = Read::deserialize(deserializer)?;
        let history = read
            .history
            .into_iter()
            .map(|ReadEntry(mut entry)| {
                // A shortened actor is named again.
                match entry.actor.as_str() {
                    GUEST => entry.actor.clone_from(&read.guest_id),
                    HOST => entry.actor.clone_from(&read.host_id),
                    _ => {}
                }
                entry
            })
            .collect();
        Ok(Booking {
            hold_expires_at: read.hold_expires_at.0,
            checked_in_at: read.checked_in_at.map(|at| at.0),
            checked_out_at: read.checked_out_at.map(|at| at.0),
            created_at: read.created_at.0,
            history,
            id: read.id,
            property_id: read.property_id,
            guest_id: read.guest_id,
            host_id: read.host_id,
            check_in: read.check_in,
            check_out: read.check_out,
            guests: read.guests,
            status: read.status,
            price: read.price,
            terms: read.terms,
            refund: read.refund,
            paid_by: read.paid_by,
            conversation_id: read.conversation_id,
            last_request: read.last_request,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::properties::model::CancellationPolicy;

    const GUEST_ID: &str = "01M8W1ETH8E7JJF2X1YQB06G01";
    const HOST_ID: &str = "01M8W1ETH8E7JJF2X1YQB06H02";

    fn eur(amount: i64) -> Money {
        Money {
            amount,
            currency: Currency::parse("EUR").unwrap(),
        }
    }

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn entry(status: BookingStatus, actor: &str, when: &str, reason: Option<&str>) -> HistoryEntry {
        HistoryEntry {
            status,
            actor: actor.to_owned(),
            at: at(when),
            reason: reason.map(str::to_owned),
        }
    }

    /// A booking checked out after an instant booking, as the journey leaves it.
    fn booking() -> Booking {
        Booking {
            id: "01M96QANEEYYPTTXKXP18EGFHC".into(),
            property_id: "01M96QANEDHWYY5WTERV6WVV17".into(),
            guest_id: GUEST_ID.into(),
            host_id: HOST_ID.into(),
            check_in: NaiveDate::from_ymd_opt(2026, 12, 12).unwrap(),
            check_out: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
            guests: 2,
            status: BookingStatus::CheckedOut,
            price: PriceBreakdown {
                nights: 3,
                nightly_price: eur(10_001),
                subtotal: eur(30_003),
                cleaning_fee: eur(2_500),
                service_fee: eur(4_200),
                total: eur(36_703),
                host_fee: eur(900),
                host_payout: eur(31_603),
            },
            terms: Terms {
                time_zone: "Atlantic/Reykjavik".into(),
                check_in_time: "15:00".into(),
                check_out_time: "11:00".into(),
                cancellation_policy: CancellationPolicy::Flexible,
                instant_book: true,
            },
            hold_expires_at: at("2026-12-06T22:39:25Z"),
            checked_in_at: Some(at("2026-12-12T16:00:00Z")),
            checked_out_at: Some(at("2026-12-15T10:00:00Z")),
            refund: None,
            paid_by: Some("01M96QANEFC541Q1R18NA9X09S".into()),
            conversation_id: Some("01M96QANEEYYPTTXKXP18EGFHB".into()),
            created_at: at("2026-12-06T22:24:25Z"),
            history: vec![
                entry(BookingStatus::PendingPayment, GUEST_ID, "2026-12-06T22:24:25Z", None),
                entry(BookingStatus::Confirmed, "system", "2026-12-06T22:24:26Z", None),
                entry(BookingStatus::CheckedIn, GUEST_ID, "2026-12-12T16:00:00Z", None),
                entry(
                    BookingStatus::CheckedOut,
                    HOST_ID,
                    "2026-12-15T10:00:00Z",
                    Some("left early | all fine"),
                ),
            ],
            last_request: Some("0f3c2a9d8e7b6a5f4e3d2c1b0a998877".into()),
        }
    }

    #[test]
    fn the_compact_form_round_trips() {
        let stored = serde_json::to_value(booking()).unwrap();
        assert_eq!(
            stored["price"],
            json!({"currency": "EUR", "nights": 3, "nightlyPrice": 10001, "subtotal": 30003,
                "cleaningFee": 2500, "serviceFee": 4200, "total": 36703, "hostFee": 900, "hostPayout": 31603})
        );
        assert_eq!(
            stored["history"],
            json!([
                "pending_payment|g|1796595865",
                "confirmed|system|1796595866",
                "checked_in|g|1797091200",
                "checked_out|h|1797328800|left early | all fine",
            ])
        );
        assert_eq!(stored["createdAt"], 1_796_595_865);
        assert!(stored.get("refund").is_none(), "absent values are left out");
        assert_eq!(serde_json::from_value::<Booking>(stored).unwrap(), booking());
    }

    #[test]
    fn instants_are_stored_in_whole_seconds() {
        let mut precise = booking();
        precise.created_at += chrono::Duration::nanoseconds(38_500_386);
        let back: Booking = serde_json::from_value(serde_json::to_value(&precise).unwrap()).unwrap();
        assert_eq!(back.created_at, booking().created_at);
    }

    #[test]
    fn a_checked_out_booking_with_its_keys_stays_under_a_kilobyte() {
        // Its size as DynamoDB counts it (the embedded store bills by the same function): 990
        // bytes with a reason on its last move, where the earlier form took about 1,230.
        let size = crate::store::capacity::item_size(&booking().to_item().unwrap(), |_| false);
        assert!(size < 1024, "{size} bytes");
    }

    #[test]
    fn bookings_stored_in_earlier_forms_still_read() {
        let money = |amount: i64| json!({"amount": amount, "currency": "EUR"});
        let mut full = serde_json::to_value(booking()).unwrap();
        full["price"] = json!({"nights": 3, "nightlyPrice": money(10_001), "subtotal": money(30_003),
            "cleaningFee": money(2_500), "serviceFee": money(4_200), "total": money(36_703),
            "hostFee": money(900), "hostPayout": money(31_603)});
        full["history"] = json!([
            {"status": "pending_payment", "actor": GUEST_ID, "at": "2026-12-06T22:24:25Z", "reason": null},
            {"status": "confirmed", "actor": "system", "at": "2026-12-06T22:24:26Z"},
            {"status": "checked_in", "actor": GUEST_ID, "at": "2026-12-12T16:00:00Z"},
            {"status": "checked_out", "actor": HOST_ID, "at": "2026-12-15T10:00:00Z", "reason": "left early | all fine"},
        ]);
        full["holdExpiresAt"] = json!("2026-12-06T22:39:25Z");
        full["checkedInAt"] = json!("2026-12-12T16:00:00.000000000Z");
        full["checkedOutAt"] = json!("2026-12-15T10:00:00Z");
        full["createdAt"] = json!("2026-12-06T22:24:25Z");
        assert_eq!(serde_json::from_value::<Booking>(full).unwrap(), booking());
    }

    #[test]
    fn a_bare_amount_without_a_currency_or_a_broken_entry_is_refused() {
        let mut broken = serde_json::to_value(booking()).unwrap();
        broken["price"].as_object_mut().unwrap().remove("currency");
        assert!(serde_json::from_value::<Booking>(broken).is_err());
        let mut broken = serde_json::to_value(booking()).unwrap();
        broken["history"] = json!(["checked_in|g"]);
        assert!(serde_json::from_value::<Booking>(broken.clone()).is_err());
        broken["history"] = json!(["paid|g|1"]);
        assert!(serde_json::from_value::<Booking>(broken).is_err());
    }
}
