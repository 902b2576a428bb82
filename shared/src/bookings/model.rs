//! A booking as stored and as shown.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::price::PriceBreakdown;
use crate::money::Money;
use crate::properties::Property;
use crate::properties::calendar::Stay;
use crate::properties::model::CancellationPolicy;
use crate::store::keys::{self, kind};
use crate::store::{Item, StoreError};
use crate::zone::Zone;

/// Where a booking is in its life (see `lifecycle` for the allowed moves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    PendingPayment,
    AwaitingHost,
    Confirmed,
    CheckedIn,
    CheckedOut,
    Expired,
    Declined,
    Cancelled,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 8] = [
        BookingStatus::PendingPayment,
        BookingStatus::AwaitingHost,
        BookingStatus::Confirmed,
        BookingStatus::CheckedIn,
        BookingStatus::CheckedOut,
        BookingStatus::Expired,
        BookingStatus::Declined,
        BookingStatus::Cancelled,
    ];

    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::PendingPayment => "pending_payment",
            BookingStatus::AwaitingHost => "awaiting_host",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::CheckedIn => "checked_in",
            BookingStatus::CheckedOut => "checked_out",
            BookingStatus::Expired => "expired",
            BookingStatus::Declined => "declined",
            BookingStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| {
                "must be one of pending_payment, awaiting_host, confirmed, checked_in, checked_out, expired, declined, cancelled"
                    .to_owned()
            })
    }

    /// Whether the booking still counts against deleting its property (`openBookings`).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            BookingStatus::PendingPayment
                | BookingStatus::AwaitingHost
                | BookingStatus::Confirmed
                | BookingStatus::CheckedIn
        )
    }
}

/// Who made a transition: a user id, or `system` (deadlines, payment outcomes).
pub const SYSTEM_ACTOR: &str = "system";

/// One transition of a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub status: BookingStatus,
    /// A user id, or `system`.
    pub actor: String,
    #[serde(serialize_with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// The property's terms as they were when the booking was made: later edits of the listing
/// do not change a booking's times or its cancellation policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Terms {
    pub time_zone: String,
    pub check_in_time: String,
    pub check_out_time: String,
    pub cancellation_policy: CancellationPolicy,
    pub instant_book: bool,
}

impl Terms {
    pub fn of(property: &Property) -> Self {
        Self {
            time_zone: property.time_zone.clone(),
            check_in_time: property.check_in_time.clone(),
            check_out_time: property.check_out_time.clone(),
            cancellation_policy: property.cancellation_policy,
            instant_book: property.instant_book,
        }
    }

    fn zone(&self) -> Zone {
        // Validated when the property was listed; UTC only if a stored record is damaged.
        Zone::of_record(&self.time_zone)
    }

    /// `date` at `time` in the property's zone.
    fn instant(&self, date: NaiveDate, time: &str) -> DateTime<Utc> {
        let time = NaiveTime::parse_from_str(time, "%H:%M").unwrap_or(NaiveTime::MIN);
        self.zone().instant(date, time)
    }

    /// The check-in instant: check-in date at `checkInTime`.
    pub fn check_in_at(&self, date: NaiveDate) -> DateTime<Utc> {
        self.instant(date, &self.check_in_time)
    }

    /// The check-out instant: check-out date at `checkOutTime`.
    pub fn check_out_at(&self, date: NaiveDate) -> DateTime<Utc> {
        self.instant(date, &self.check_out_time)
    }

    /// The start of `date` (00:00) in the property's zone.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.zone().instant(date, NaiveTime::MIN)
    }

    /// Today in the property's zone.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.zone().date_of(now)
    }
}

/// A booking (`BOOKING#<id>` / `BOOKING`). It is written and read in the compact stored form
/// of `super::stored` (`Serialize`/`Deserialize` go through it): the item is rewritten at
/// every move, and each started kilobyte of it costs a write unit (two in a transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub id: String,
    pub property_id: String,
    pub guest_id: String,
    pub host_id: String,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub guests: u32,
    pub status: BookingStatus,
    pub price: PriceBreakdown,
    pub terms: Terms,
    pub hold_expires_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub refund: Option<Money>,
    /// The payment that paid for the booking (set once, in the payment's transaction).
    pub paid_by: Option<String>,
    /// The guest's conversation about the property, which the booking joined when made
    /// (absent on bookings made before conversations existed).
    pub conversation_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub history: Vec<HistoryEntry>,
    /// Which keyed request made the last move (a digest of its user, route and
    /// `Idempotency-Key`), so that the same request sent again is answered, not refused.
    /// Never shown.
    pub last_request: Option<String>,
}

impl Booking {
    pub fn stay(&self) -> Stay {
        // Created only from a valid stay; a damaged record still yields its first night.
        Stay::new(self.check_in, self.check_out).unwrap_or(Stay {
            check_in: self.check_in,
            check_out: self.check_in + chrono::Duration::days(1),
        })
    }

    /// Whether `user_id` is this booking's guest or host (the only ones who may see it).
    pub fn involves(&self, user_id: &str) -> bool {
        self.guest_id == user_id || self.host_id == user_id
    }

    /// The item storing this booking, listed for its guest (gsi1) and host (gsi2) by check-in.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let check_in = self.check_in.format("%Y-%m-%d").to_string();
        Ok(Item::new(keys::booking(&self.id), kind::BOOKING, self)?
            .with_gsi1(keys::guest_booking_index(&self.guest_id, &check_in, &self.id))
            .with_gsi2(keys::host_booking_index(&self.host_id, &check_in, &self.id)))
    }
}

/// A booking as its guest and host see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingView {
    pub id: String,
    pub property_id: String,
    pub guest_id: String,
    pub host_id: String,
    #[schema(value_type = String, format = Date, example = "2026-12-24")]
    pub check_in: NaiveDate,
    #[schema(value_type = String, format = Date, example = "2026-12-27")]
    pub check_out: NaiveDate,
    pub guests: u32,
    pub status: BookingStatus,
    pub price: PriceBreakdown,
    /// While `pending_payment`: when the hold on the nights ends; `null` afterwards.
    #[serde(serialize_with = "crate::time::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub hold_expires_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::time::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub checked_in_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::time::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub checked_out_at: Option<DateTime<Utc>>,
    /// What the guest gets back after a cancellation or decline; `null` otherwise.
    pub refund: Option<Money>,
    /// The guest's conversation with the host about this property.
    pub conversation_id: Option<String>,
    #[serde(serialize_with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    pub history: Vec<HistoryEntry>,
}

impl From<&Booking> for BookingView {
    fn from(b: &Booking) -> Self {
        Self {
            id: b.id.clone(),
            property_id: b.property_id.clone(),
            guest_id: b.guest_id.clone(),
            host_id: b.host_id.clone(),
            check_in: b.check_in,
            check_out: b.check_out,
            guests: b.guests,
            status: b.status,
            price: b.price,
            hold_expires_at: (b.status == BookingStatus::PendingPayment).then_some(b.hold_expires_at),
            checked_in_at: b.checked_in_at,
            checked_out_at: b.checked_out_at,
            refund: b.refund,
            conversation_id: b.conversation_id.clone(),
            created_at: b.created_at,
            history: b.history.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_instants_follow_the_zone_and_its_dst_changes() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let time = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let at = |raw: &str| raw.parse::<DateTime<Utc>>().unwrap();
        let kiritimati = Zone::named("Pacific/Kiritimati").unwrap(); // UTC+14
        assert_eq!(
            kiritimati.instant(date(2026, 12, 24), time(15, 0)),
            at("2026-12-24T01:00:00Z")
        );
        let pago = Zone::named("Pacific/Pago_Pago").unwrap(); // UTC-11
        assert_eq!(
            pago.instant(date(2026, 12, 24), time(15, 0)),
            at("2026-12-25T02:00:00Z")
        );
        let berlin = Zone::named("Europe/Berlin").unwrap();
        // 2026-03-29 02:30 does not exist in Berlin: the clock reads 03:30 then.
        assert_eq!(
            berlin.instant(date(2026, 3, 29), time(2, 30)),
            at("2026-03-29T01:30:00Z")
        );
        // 2026-10-25 02:30 happens twice: the first one counts.
        assert_eq!(
            berlin.instant(date(2026, 10, 25), time(2, 30)),
            at("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn statuses_parse_by_their_api_names() {
        for status in BookingStatus::ALL {
            assert_eq!(BookingStatus::parse(status.as_str()), Ok(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert!(BookingStatus::parse("paid").is_err());
    }
}
