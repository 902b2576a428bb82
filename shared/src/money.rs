//! Money: an integer count of a currency's minor unit, never a float.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::CURRENCIES;

/// An ISO 4217 currency in use, with its minor-unit exponent (EUR 2, JPY 0, KWD 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// The currency of an upper-case ISO 4217 code.
    pub fn parse(code: &str) -> Result<Self, String> {
        CURRENCIES
            .binary_search_by(|(known, _)| (*known).cmp(code))
            .map(|at| {
                let (code, exponent) = CURRENCIES[at];
                Self { code, exponent }
            })
            .map_err(|_| "must be an ISO 4217 currency code such as EUR".to_owned())
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point in the currency's usual notation.
    pub fn exponent(self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount of money: `{"amount": 12550, "currency": "EUR"}` is EUR 125.50.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Money {
    /// Count of the currency's minor unit.
    pub amount: i64,
    /// ISO 4217 code.
    #[schema(value_type = String, example = "EUR")]
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// `percent` % of this amount, rounded half up to the minor unit (amounts are never
    /// negative where this is used; a negative one rounds half away from zero).
    pub fn percent_half_up(self, percent: i64) -> Money {
        let scaled = i128::from(self.amount) * i128::from(percent);
        let rounded = if scaled >= 0 {
            (scaled + 50) / 100
        } else {
            (scaled - 50) / 100
        };
        Money::new(i64::try_from(rounded).unwrap_or(i64::MAX), self.currency)
    }
}

/// Money as a request carries it: both fields checked by the caller, so that a missing one is
/// a `422` naming it rather than a serde error.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyInput {
    /// Minor units: 1..=10^11 for a nightly price, 0..=10^11 for a cleaning fee.
    #[schema(required, nullable = false, minimum = 0, maximum = 100000000000.0)]
    pub amount: Option<i64>,
    /// ISO 4217, e.g. `EUR`.
    #[schema(required, nullable = false, pattern = r"^[A-Z]{3}$")]
    pub currency: Option<String>,
}

impl MoneyInput {
    /// The money, or a message for the field: amount within `min..=max` minor units.
    pub fn parse(&self, min: i64, max: i64) -> Result<Money, String> {
        let currency = match &self.currency {
            Some(code) => Currency::parse(code)?,
            None => return Err("currency is required".to_owned()),
        };
        match self.amount {
            Some(amount) if (min..=max).contains(&amount) => Ok(Money::new(amount, currency)),
            Some(_) => Err(format!("amount must be {min}..={max} minor units")),
            None => Err("amount is required".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_know_their_minor_units() {
        assert_eq!(Currency::parse("EUR").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        assert!(Currency::parse("eur").is_err());
        assert!(Currency::parse("XAU").is_err());
        assert!(Currency::parse("ABC").is_err());
    }

    #[test]
    fn percentages_round_half_up() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(Money::new(1000, eur).percent_half_up(14).amount, 140);
        assert_eq!(Money::new(1025, eur).percent_half_up(14).amount, 144); // 143.5 -> 144
        assert_eq!(Money::new(1050, eur).percent_half_up(3).amount, 32); // 31.5 -> 32
        assert_eq!(Money::new(1049, eur).percent_half_up(3).amount, 31); // 31.47 -> 31
    }

    #[test]
    fn money_round_trips_as_json() {
        let money: Money = serde_json::from_str(r#"{"amount": 12550, "currency": "EUR"}"#).unwrap();
        assert_eq!(serde_json::to_value(money).unwrap()["currency"], "EUR");
        assert!(serde_json::from_str::<Money>(r#"{"amount": 1.5, "currency": "EUR"}"#).is_err());
    }
}
