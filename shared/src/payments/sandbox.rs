//! The local API's payment provider: no network, Stripe's test payment methods with Stripe's
//! outcomes, so the whole flow works offline.
//!
//! - `pm_card_visa` succeeds;
//! - `pm_card_visa_chargeDeclined` is declined;
//! - `pm_card_threeDSecure2Required` needs 3-D Secure: the payment stays pending with a
//!   redirect (nothing settles it locally, like a customer who never authenticates);
//! - any other id is refused like Stripe refuses an unknown payment method.
//!
//! Charges live in memory: the same idempotency key charges once, refunds never exceed the
//! charge, and the same refund key refunds once.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::provider::{Charge, ChargeRequest, ChargeState, PaymentProvider, ProviderError, ProviderName, Refund};
use crate::money::Money;

/// Test payment methods the sandbox knows.
pub const CARD_SUCCEEDS: &str = "pm_card_visa";
pub const CARD_DECLINED: &str = "pm_card_visa_chargeDeclined";
pub const CARD_NEEDS_3DS: &str = "pm_card_threeDSecure2Required";

#[derive(Debug, Clone)]
struct SandboxCharge {
    amount: i64,
    state: ChargeState,
    refunded: i64,
}

#[derive(Debug, Default)]
struct Ledger {
    charges: HashMap<String, SandboxCharge>,
    /// Idempotency key -> charge reference.
    charge_keys: HashMap<String, String>,
    /// Idempotency key -> refund.
    refund_keys: HashMap<String, Refund>,
}

/// The offline provider.
#[derive(Debug, Default)]
pub struct SandboxProvider {
    ledger: Mutex<Ledger>,
}

impl SandboxProvider {
    pub fn new() -> Self {
        Self::default()
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        // A panic while holding the lock cannot leave the ledger half-updated (each change
        // is one insert), so a poisoned lock is still good.
        self.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl PaymentProvider for SandboxProvider {
    fn name(&self) -> ProviderName {
        ProviderName::Sandbox
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, ProviderError> {
        let mut ledger = self.ledger();
        if let Some(reference) = ledger.charge_keys.get(&request.idempotency_key).cloned() {
            let state = ledger
                .charges
                .get(&reference)
                .map(|c| c.state.clone())
                .unwrap_or(ChargeState::Processing);
            return Ok(Charge { reference, state });
        }
        let reference = format!("pi_sandbox_{}", crate::ids::new_ulid());
        let state = match request.payment_method.as_str() {
            CARD_SUCCEEDS => ChargeState::Succeeded,
            CARD_DECLINED => ChargeState::Failed {
                reason: "Your card was declined.".to_owned(),
            },
            CARD_NEEDS_3DS => ChargeState::RequiresAction {
                url: format!("https://sandbox.roost.invalid/3ds/{reference}"),
            },
            other => return Err(ProviderError::Invalid(format!("No such PaymentMethod: '{other}'"))),
        };
        ledger.charges.insert(
            reference.clone(),
            SandboxCharge {
                amount: request.amount.amount,
                state: state.clone(),
                refunded: 0,
            },
        );
        ledger
            .charge_keys
            .insert(request.idempotency_key.clone(), reference.clone());
        Ok(Charge { reference, state })
    }

    async fn refund(&self, reference: &str, amount: Money, idempotency_key: &str) -> Result<Refund, ProviderError> {
        let mut ledger = self.ledger();
        if let Some(refund) = ledger.refund_keys.get(idempotency_key) {
            return Ok(refund.clone());
        }
        let Some(charge) = ledger.charges.get_mut(reference) else {
            return Err(ProviderError::Invalid(format!("No such payment_intent: '{reference}'")));
        };
        if charge.state != ChargeState::Succeeded {
            return Err(ProviderError::Invalid("the charge did not succeed".to_owned()));
        }
        if amount.amount <= 0 || charge.refunded + amount.amount > charge.amount {
            return Err(ProviderError::Invalid(
                "the refund is larger than what is left of the charge".to_owned(),
            ));
        }
        charge.refunded += amount.amount;
        let refund = Refund {
            reference: format!("re_sandbox_{}", crate::ids::new_ulid()),
            status: "succeeded".to_owned(),
        };
        ledger.refund_keys.insert(idempotency_key.to_owned(), refund.clone());
        Ok(refund)
    }

    async fn state(&self, reference: &str) -> Result<ChargeState, ProviderError> {
        self.ledger()
            .charges
            .get(reference)
            .map(|charge| charge.state.clone())
            .ok_or_else(|| ProviderError::Invalid(format!("No such payment_intent: '{reference}'")))
    }
}

/// A provider for functions that take no payments: every call fails, loudly in the logs.
#[derive(Debug, Default)]
pub struct NoProvider;

#[async_trait]
impl PaymentProvider for NoProvider {
    fn name(&self) -> ProviderName {
        ProviderName::Stripe
    }

    async fn charge(&self, _request: &ChargeRequest) -> Result<Charge, ProviderError> {
        Err(ProviderError::Unavailable(
            "no payment provider is configured for this function".to_owned(),
        ))
    }

    async fn refund(&self, _reference: &str, _amount: Money, _key: &str) -> Result<Refund, ProviderError> {
        Err(ProviderError::Unavailable(
            "no payment provider is configured for this function".to_owned(),
        ))
    }

    async fn state(&self, _reference: &str) -> Result<ChargeState, ProviderError> {
        Err(ProviderError::Unavailable(
            "no payment provider is configured for this function".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn request(key: &str, method: &str) -> ChargeRequest {
        ChargeRequest {
            idempotency_key: key.into(),
            amount: Money::new(10_000, Currency::parse("EUR").unwrap()),
            payment_method: method.into(),
            booking_id: "B".into(),
            payment_id: "P".into(),
        }
    }

    #[tokio::test]
    async fn test_cards_behave_like_stripe_test_cards() {
        let sandbox = SandboxProvider::new();
        let ok = sandbox.charge(&request("a", CARD_SUCCEEDS)).await.unwrap();
        assert_eq!(ok.state, ChargeState::Succeeded);
        assert_eq!(
            sandbox.charge(&request("a", CARD_SUCCEEDS)).await.unwrap(),
            ok,
            "same key, same charge"
        );
        assert!(matches!(
            sandbox.charge(&request("b", CARD_DECLINED)).await.unwrap().state,
            ChargeState::Failed { .. }
        ));
        assert!(matches!(
            sandbox.charge(&request("c", CARD_NEEDS_3DS)).await.unwrap().state,
            ChargeState::RequiresAction { .. }
        ));
        assert!(matches!(
            sandbox.charge(&request("d", "pm_card_unknown")).await,
            Err(ProviderError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn refunds_never_exceed_the_charge_and_a_key_refunds_once() {
        let sandbox = SandboxProvider::new();
        let charge = sandbox.charge(&request("a", CARD_SUCCEEDS)).await.unwrap();
        let eur = |amount| Money::new(amount, Currency::parse("EUR").unwrap());
        let first = sandbox.refund(&charge.reference, eur(6_000), "r1").await.unwrap();
        assert_eq!(
            sandbox.refund(&charge.reference, eur(6_000), "r1").await.unwrap(),
            first
        );
        assert!(sandbox.refund(&charge.reference, eur(6_000), "r2").await.is_err());
        sandbox.refund(&charge.reference, eur(4_000), "r3").await.unwrap();
    }
}
