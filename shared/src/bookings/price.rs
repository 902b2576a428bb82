//! The price of a stay: every amount computed here, in minor units, and nowhere else.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::properties::Property;

/// The guest's service fee, in percent of the nightly subtotal.
pub const SERVICE_FEE_PERCENT: i64 = 14;
/// The host's fee, in percent of the nightly subtotal.
pub const HOST_FEE_PERCENT: i64 = 3;

/// The price breakdown of a quote and of a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceBreakdown {
    pub nights: u32,
    pub nightly_price: Money,
    /// `nights` x `nightlyPrice`.
    pub subtotal: Money,
    pub cleaning_fee: Money,
    /// The guest's fee: 14 % of the subtotal, rounded half up.
    pub service_fee: Money,
    /// What the guest pays: subtotal + cleaning fee + service fee.
    pub total: Money,
    /// The host's fee: 3 % of the subtotal, rounded half up.
    pub host_fee: Money,
    /// What the host receives: subtotal + cleaning fee - host fee.
    pub host_payout: Money,
}

/// Why a price cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("the nightly price and the cleaning fee are in different currencies")]
    MixedCurrencies,
    #[error("the amount does not fit in 64 bits")]
    Overflow,
}

impl PriceBreakdown {
    /// The price of `nights` nights at `property`'s current prices.
    pub fn of(property: &Property, nights: u32) -> Result<Self, PriceError> {
        Self::compute(property.nightly_price, property.cleaning_fee, nights)
    }

    /// The price of `nights` nights at `nightly` with a `cleaning` fee.
    pub fn compute(nightly: Money, cleaning: Money, nights: u32) -> Result<Self, PriceError> {
        if nightly.currency != cleaning.currency {
            return Err(PriceError::MixedCurrencies);
        }
        let currency = nightly.currency;
        let subtotal = nightly
            .amount
            .checked_mul(i64::from(nights))
            .ok_or(PriceError::Overflow)?;
        let subtotal = Money::new(subtotal, currency);
        let service_fee = subtotal.percent_half_up(SERVICE_FEE_PERCENT);
        let host_fee = subtotal.percent_half_up(HOST_FEE_PERCENT);
        let sum = |parts: &[i64]| parts.iter().try_fold(0i64, |acc, part| acc.checked_add(*part));
        let total = sum(&[subtotal.amount, cleaning.amount, service_fee.amount]).ok_or(PriceError::Overflow)?;
        let payout = sum(&[subtotal.amount, cleaning.amount])
            .and_then(|gross| gross.checked_sub(host_fee.amount))
            .ok_or(PriceError::Overflow)?;
        Ok(Self {
            nights,
            nightly_price: nightly,
            subtotal,
            cleaning_fee: cleaning,
            service_fee,
            total: Money::new(total, currency),
            host_fee,
            host_payout: Money::new(payout, currency),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn eur(amount: i64) -> Money {
        Money::new(amount, Currency::parse("EUR").unwrap())
    }

    #[test]
    fn the_breakdown_adds_up() {
        let price = PriceBreakdown::compute(eur(12_550), eur(3_000), 3).unwrap();
        assert_eq!(price.subtotal, eur(37_650));
        assert_eq!(price.service_fee, eur(5_271)); // 5271.0
        assert_eq!(price.total, eur(37_650 + 3_000 + 5_271));
        assert_eq!(price.host_fee, eur(1_130)); // 1129.5 -> 1130
        assert_eq!(price.host_payout, eur(37_650 + 3_000 - 1_130));
    }

    #[test]
    fn fees_round_half_up_to_the_minor_unit() {
        // 14 % of 1025 = 143.5 -> 144; 3 % of 1025 = 30.75 -> 31.
        let price = PriceBreakdown::compute(eur(1_025), eur(0), 1).unwrap();
        assert_eq!(price.service_fee, eur(144));
        assert_eq!(price.host_fee, eur(31));
        // 3 % of 50 = 1.5 -> 2; 14 % of 50 = 7.
        let price = PriceBreakdown::compute(eur(50), eur(0), 1).unwrap();
        assert_eq!(price.host_fee, eur(2));
        assert_eq!(price.service_fee, eur(7));
    }

    #[test]
    fn zero_decimal_currencies_round_to_whole_units() {
        let jpy = |amount| Money::new(amount, Currency::parse("JPY").unwrap());
        let price = PriceBreakdown::compute(jpy(10_001), jpy(500), 1).unwrap();
        assert_eq!(price.service_fee, jpy(1_400)); // 1400.14
        assert_eq!(price.host_fee, jpy(300)); // 300.03
    }

    #[test]
    fn mixed_currencies_and_overflow_are_refused() {
        let usd = Money::new(100, Currency::parse("USD").unwrap());
        assert_eq!(
            PriceBreakdown::compute(eur(100), usd, 1),
            Err(PriceError::MixedCurrencies)
        );
        assert_eq!(
            PriceBreakdown::compute(eur(i64::MAX / 2), eur(0), 3),
            Err(PriceError::Overflow)
        );
    }
}
