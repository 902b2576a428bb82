//! What a cancelling guest gets back, by the property's cancellation policy.
//!
//! | policy   | full refund                                        | 50 % of the nightly subtotal | nothing |
//! |----------|----------------------------------------------------|------------------------------|---------|
//! | flexible | at least 24 h before check-in                      | -                            | later   |
//! | moderate | at least 5 days before                             | later, until check-in        | after   |
//! | firm     | at least 30 days before                            | at least 7 days before       | later   |
//! | strict   | within 48 h of booking and at least 14 days before | at least 7 days before       | later   |
//!
//! "Before" is measured to the check-in instant (check-in date at `checkInTime` in the
//! property's zone). A full refund is the whole total; a partial one is half the subtotal
//! (rounded half up) plus the cleaning fee, never the service fee.

use chrono::{DateTime, Duration, Utc};

use super::price::PriceBreakdown;
use crate::money::Money;
use crate::properties::model::CancellationPolicy;

/// Which column of the table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundTier {
    Full,
    Half,
    Nothing,
}

/// The tier for a guest cancelling at `now` a stay that checks in at `check_in_at`, booked at
/// `booked_at`.
pub fn tier(
    policy: CancellationPolicy,
    booked_at: DateTime<Utc>,
    check_in_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> RefundTier {
    let ahead = check_in_at - now;
    let at_least = |span: Duration| ahead >= span;
    match policy {
        CancellationPolicy::Flexible if at_least(Duration::hours(24)) => RefundTier::Full,
        CancellationPolicy::Flexible => RefundTier::Nothing,
        CancellationPolicy::Moderate if at_least(Duration::days(5)) => RefundTier::Full,
        CancellationPolicy::Moderate if now < check_in_at => RefundTier::Half,
        CancellationPolicy::Moderate => RefundTier::Nothing,
        CancellationPolicy::Firm if at_least(Duration::days(30)) => RefundTier::Full,
        CancellationPolicy::Firm if at_least(Duration::days(7)) => RefundTier::Half,
        CancellationPolicy::Firm => RefundTier::Nothing,
        CancellationPolicy::Strict if now - booked_at <= Duration::hours(48) && at_least(Duration::days(14)) => {
            RefundTier::Full
        }
        CancellationPolicy::Strict if at_least(Duration::days(7)) => RefundTier::Half,
        CancellationPolicy::Strict => RefundTier::Nothing,
    }
}

/// The money a tier returns for `price`.
pub fn amount(tier: RefundTier, price: &PriceBreakdown) -> Money {
    let currency = price.total.currency;
    match tier {
        RefundTier::Full => price.total,
        RefundTier::Half => Money::new(
            price
                .subtotal
                .percent_half_up(50)
                .amount
                .saturating_add(price.cleaning_fee.amount),
            currency,
        ),
        RefundTier::Nothing => Money::new(0, currency),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use CancellationPolicy::*;
    use RefundTier::*;

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    /// Check-in instant used by every case, and a booking made long before it.
    const CHECK_IN: &str = "2027-03-01T15:00:00Z";
    const BOOKED_LONG_AGO: &str = "2026-01-01T00:00:00Z";

    fn tier_at(policy: CancellationPolicy, before_check_in: Duration) -> RefundTier {
        let check_in = at(CHECK_IN);
        tier(policy, at(BOOKED_LONG_AGO), check_in, check_in - before_check_in)
    }

    const SECOND: Duration = Duration::seconds(1);

    #[test]
    fn flexible_refunds_fully_until_exactly_24_hours_before() {
        assert_eq!(tier_at(Flexible, Duration::days(10)), Full);
        assert_eq!(tier_at(Flexible, Duration::hours(24)), Full);
        assert_eq!(tier_at(Flexible, Duration::hours(24) - SECOND), Nothing);
        assert_eq!(tier_at(Flexible, Duration::zero()), Nothing);
        assert_eq!(tier_at(Flexible, -Duration::hours(1)), Nothing);
    }

    #[test]
    fn moderate_refunds_fully_from_5_days_then_half_until_check_in() {
        assert_eq!(tier_at(Moderate, Duration::days(5)), Full);
        assert_eq!(tier_at(Moderate, Duration::days(5) - SECOND), Half);
        assert_eq!(tier_at(Moderate, SECOND), Half);
        assert_eq!(tier_at(Moderate, Duration::zero()), Nothing);
        assert_eq!(tier_at(Moderate, -Duration::hours(3)), Nothing);
    }

    #[test]
    fn firm_refunds_fully_from_30_days_half_from_7() {
        assert_eq!(tier_at(Firm, Duration::days(30)), Full);
        assert_eq!(tier_at(Firm, Duration::days(30) - SECOND), Half);
        assert_eq!(tier_at(Firm, Duration::days(7)), Half);
        assert_eq!(tier_at(Firm, Duration::days(7) - SECOND), Nothing);
        assert_eq!(tier_at(Firm, Duration::zero()), Nothing);
    }

    #[test]
    fn strict_refunds_fully_only_within_48_hours_of_booking_and_14_days_ahead() {
        let check_in = at(CHECK_IN);
        let strict = |booked: DateTime<Utc>, now: DateTime<Utc>| tier(Strict, booked, check_in, now);
        let now = check_in - Duration::days(20);
        assert_eq!(strict(now - Duration::hours(48), now), Full);
        assert_eq!(strict(now - Duration::hours(48) - SECOND, now), Half);
        assert_eq!(strict(now, now), Full);
        // Booked just now, but only 14 days ahead (exactly), then just under.
        let now = check_in - Duration::days(14);
        assert_eq!(strict(now, now), Full);
        let now = check_in - Duration::days(14) + SECOND;
        assert_eq!(strict(now, now), Half);
        assert_eq!(tier_at(Strict, Duration::days(7)), Half);
        assert_eq!(tier_at(Strict, Duration::days(7) - SECOND), Nothing);
        assert_eq!(tier_at(Strict, Duration::days(30)), Half, "booked long ago");
    }

    #[test]
    fn amounts_per_tier() {
        let eur = |amount| Money::new(amount, Currency::parse("EUR").unwrap());
        let price = PriceBreakdown::compute(eur(10_001), eur(2_500), 3).unwrap();
        assert_eq!(amount(Full, &price), price.total);
        // Half of 30003 = 15001.5 -> 15002, plus the cleaning fee; no service fee.
        assert_eq!(amount(Half, &price), eur(15_002 + 2_500));
        assert_eq!(amount(Nothing, &price), eur(0));
    }
}
