//! The local API's payment provider: no network, Stripe's test payment methods with Stripe's
//! outcomes, so the whole flow works offline.
//!
//! - `pm_card_visa` succeeds;
//! - `pm_card_visa_chargeDeclined` is declined;
//! - `pm_card_threeDSecure2Required` needs 3-D Secure: the payment stays pending with a
//!   redirect (nothing settles it locally, like a customer who never authenticates);
//! - any other id is refused like Stripe refuses an unknown payment method.
//!
//! The same idempotency key charges once, refunds never exceed the charge, and the same
//! refund key refunds once. Charges live in memory, and with [`SandboxProvider::persistent`]
//! also in a file that is rewritten (atomically, by rename) before each answer: the local API
//! killed after a charge still knows it when it comes back, so a retried payment finds its
//! charge and a later cancellation can refund it, as with Stripe.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;

use super::provider::{Charge, ChargeRequest, ChargeState, PaymentProvider, ProviderError, ProviderName, Refund};
use crate::money::Money;

/// Test payment methods the sandbox knows.
pub const CARD_SUCCEEDS: &str = "pm_card_visa";
pub const CARD_DECLINED: &str = "pm_card_visa_chargeDeclined";
pub const CARD_NEEDS_3DS: &str = "pm_card_threeDSecure2Required";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SandboxCharge {
    amount: i64,
    state: ChargeState,
    refunded: i64,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
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
    /// Where the ledger is kept across restarts, if anywhere.
    file: Option<PathBuf>,
}

/// Why a persistent sandbox could not be opened or could not keep a change.
#[derive(Debug, thiserror::Error)]
pub enum SandboxFileError {
    #[error("sandbox payments file {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("sandbox payments file {path} is not a ledger: {cause}")]
    Corrupt { path: String, cause: serde_json::Error },
}

impl SandboxProvider {
    /// A sandbox that forgets everything when the process ends (tests).
    pub fn new() -> Self {
        Self::default()
    }

    /// A sandbox whose ledger is read from `file` (if it exists) and kept there.
    pub fn persistent(file: impl Into<PathBuf>) -> Result<Self, SandboxFileError> {
        let file = file.into();
        let ledger = match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|cause| SandboxFileError::Corrupt {
                path: file.display().to_string(),
                cause,
            })?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ledger::default(),
            Err(cause) => {
                return Err(SandboxFileError::Io {
                    path: file.display().to_string(),
                    cause,
                });
            }
        };
        Ok(Self {
            ledger: Mutex::new(ledger),
            file: Some(file),
        })
    }

    /// Writes the ledger to its file (if any) before a change is answered, so an answer the
    /// caller saw is never forgotten. A failed write is the provider being unavailable: the
    /// caller retries with the same key, which finds the change in memory and writes again.
    fn keep(&self, ledger: &Ledger) -> Result<(), ProviderError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        write_atomically(file, ledger).map_err(|err| {
            tracing::error!(error = %err, "the sandbox could not keep its ledger");
            ProviderError::Unavailable("the sandbox could not keep its ledger".to_owned())
        })
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
        self.keep(&ledger)?;
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
        self.keep(&ledger)?;
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

/// Writes `ledger` next to `file` and renames it over `file`: a reader (or a restart after a
/// kill) sees the old ledger or the new one, never half of one.
fn write_atomically(file: &Path, ledger: &Ledger) -> Result<(), SandboxFileError> {
    let io = |cause| SandboxFileError::Io {
        path: file.display().to_string(),
        cause,
    };
    let bytes = serde_json::to_vec(ledger).map_err(|cause| SandboxFileError::Corrupt {
        path: file.display().to_string(),
        cause,
    })?;
    let partial = file.with_extension("partial");
    std::fs::write(&partial, bytes).map_err(io)?;
    std::fs::rename(&partial, file).map_err(io)
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

    #[tokio::test]
    async fn a_persistent_sandbox_remembers_its_charges_and_refunds_after_a_restart() {
        let dir = std::env::temp_dir().join(format!("roost-sandbox-{}", crate::ids::new_ulid()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("payments.json");
        let eur = |amount| Money::new(amount, Currency::parse("EUR").unwrap());
        let (charge, refund) = {
            let sandbox = SandboxProvider::persistent(&file).unwrap();
            let charge = sandbox.charge(&request("a", CARD_SUCCEEDS)).await.unwrap();
            let refund = sandbox.refund(&charge.reference, eur(6_000), "r1").await.unwrap();
            (charge, refund)
        };
        let reopened = SandboxProvider::persistent(&file).unwrap();
        assert_eq!(reopened.charge(&request("a", CARD_SUCCEEDS)).await.unwrap(), charge);
        assert_eq!(
            reopened.refund(&charge.reference, eur(6_000), "r1").await.unwrap(),
            refund
        );
        assert!(
            reopened.refund(&charge.reference, eur(6_000), "r2").await.is_err(),
            "6,000 of 10,000 were refunded already"
        );
        assert_eq!(reopened.state(&charge.reference).await.unwrap(), ChargeState::Succeeded);
        std::fs::write(&file, b"not json").unwrap();
        assert!(matches!(
            SandboxProvider::persistent(&file),
            Err(SandboxFileError::Corrupt { .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
