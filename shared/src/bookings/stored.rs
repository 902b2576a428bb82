//! How a booking's price and history are stored: compactly. A booking item is rewritten at
//! every move, inside transactions that bill each started kilobyte twice, and it outgrew
//! 1 KB by its third move: seven `{"amount", "currency"}` maps and a `"reason": null` per
//! history entry were a fifth of it. Stored, the price names its currency once and holds
//! bare amounts, and an entry without a reason has no `reason`; what the API shows is
//! unchanged ([`super::BookingView`]), and bookings stored before in the full form still read.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::{BookingStatus, HistoryEntry};
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
pub fn serialize_price<S: Serializer>(price: &PriceBreakdown, serializer: S) -> Result<S::Ok, S::Error> {
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
pub fn deserialize_price<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PriceBreakdown, D::Error> {
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

/// A history entry as stored: no `reason` when there is none (read back as `None`).
#[derive(Serialize)]
struct StoredEntry<'a> {
    status: BookingStatus,
    actor: &'a str,
    #[serde(serialize_with = "crate::time::rfc3339")]
    at: &'a chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// Writes `history` with the entries' absent reasons left out.
pub fn serialize_history<S: Serializer>(history: &[HistoryEntry], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(history.iter().map(|entry| StoredEntry {
        status: entry.status,
        actor: &entry.actor,
        at: &entry.at,
        reason: entry.reason.as_deref(),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        #[serde(serialize_with = "serialize_price", deserialize_with = "deserialize_price")]
        price: PriceBreakdown,
        #[serde(serialize_with = "serialize_history")]
        history: Vec<HistoryEntry>,
    }

    fn eur(amount: i64) -> Money {
        Money {
            amount,
            currency: Currency::parse("EUR").unwrap(),
        }
    }

    fn holder() -> Holder {
        Holder {
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
            history: vec![
                HistoryEntry {
                    status: BookingStatus::PendingPayment,
                    actor: "01M8W1ETH8E7JJF2X1YQB06G01".into(),
                    at: chrono::DateTime::parse_from_rfc3339("2026-12-02T18:49:48Z")
                        .unwrap()
                        .into(),
                    reason: None,
                },
                HistoryEntry {
                    status: BookingStatus::Cancelled,
                    actor: "system".into(),
                    at: chrono::DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
                        .unwrap()
                        .into(),
                    reason: Some("guest changed plans".into()),
                },
            ],
        }
    }

    #[test]
    fn the_compact_form_round_trips_and_names_the_currency_once() {
        let stored = serde_json::to_value(holder()).unwrap();
        assert_eq!(
            stored,
            json!({
                "price": {"currency": "EUR", "nights": 3, "nightlyPrice": 10001, "subtotal": 30003,
                    "cleaningFee": 2500, "serviceFee": 4200, "total": 36703, "hostFee": 900, "hostPayout": 31603},
                "history": [
                    {"status": "pending_payment", "actor": "01M8W1ETH8E7JJF2X1YQB06G01", "at": "2026-12-02T18:49:48Z"},
                    {"status": "cancelled", "actor": "system", "at": "2026-12-03T08:00:00Z", "reason": "guest changed plans"},
                ],
            })
        );
        assert_eq!(serde_json::from_value::<Holder>(stored).unwrap(), holder());
    }

    #[test]
    fn bookings_stored_in_the_full_form_still_read() {
        let money = |amount: i64| json!({"amount": amount, "currency": "EUR"});
        let earlier = json!({
            "price": {"nights": 3, "nightlyPrice": money(10_001), "subtotal": money(30_003),
                "cleaningFee": money(2_500), "serviceFee": money(4_200), "total": money(36_703),
                "hostFee": money(900), "hostPayout": money(31_603)},
            "history": [
                {"status": "pending_payment", "actor": "01M8W1ETH8E7JJF2X1YQB06G01", "at": "2026-12-02T18:49:48Z", "reason": null},
                {"status": "cancelled", "actor": "system", "at": "2026-12-03T08:00:00Z", "reason": "guest changed plans"},
            ],
        });
        assert_eq!(serde_json::from_value::<Holder>(earlier).unwrap(), holder());
    }

    #[test]
    fn a_bare_amount_without_a_currency_is_refused() {
        let broken = json!({
            "price": {"nights": 1, "nightlyPrice": 1, "subtotal": 1, "cleaningFee": 0, "serviceFee": 0,
                "total": 1, "hostFee": 0, "hostPayout": 1},
            "history": [],
        });
        assert!(serde_json::from_value::<Holder>(broken).is_err());
    }
}
