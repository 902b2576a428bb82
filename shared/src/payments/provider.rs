//! The payment-provider port: charge a booking's total, refund part or all of a charge, read
//! a charge's state. Adapters: Stripe over HTTPS (`stripe`), and the offline sandbox of the
//! local API (`sandbox`), which knows the same test payment methods.

use async_trait::async_trait;

use crate::money::Money;

/// Which adapter took a payment (the `provider` field of a payment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProviderName {
    Stripe,
    Sandbox,
}

/// A charge to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// Sent as the provider's idempotency key: the same key never charges twice.
    pub idempotency_key: String,
    pub amount: Money,
    /// A payment method id such as `pm_card_visa`.
    pub payment_method: String,
    /// Kept with the charge at the provider (metadata), so a webhook can be traced back.
    pub booking_id: String,
    pub payment_id: String,
}

/// Where a charge stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ChargeState {
    Succeeded,
    /// Declined or otherwise failed; the message is safe to show (e.g. "Your card was declined.").
    Failed {
        reason: String,
    },
    /// The customer must authenticate (3-D Secure) at `url`; a webhook settles it.
    RequiresAction {
        url: String,
    },
    /// Neither settled nor waiting for the customer yet (`processing`).
    Processing,
}

/// A charge as the provider answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The provider's id (a Stripe PaymentIntent id, `pi_...`).
    pub reference: String,
    pub state: ChargeState,
}

/// A refund as the provider answered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Refund {
    /// The provider's id (`re_...`).
    pub reference: String,
    /// `succeeded`, `pending`, ... as the provider says.
    pub status: String,
}

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The request was refused as invalid (an unknown payment method, say): the client's fault.
    #[error("payment refused: {0}")]
    Invalid(String),
    /// The provider could not be reached or failed; retrying may help. Details for logs only.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

/// The payment-provider port.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// The name payments record.
    fn name(&self) -> ProviderName;
    /// Creates and confirms a charge of `request.amount`.
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, ProviderError>;
    /// Refunds `amount` of the charge `reference`; the same `idempotency_key` refunds once.
    async fn refund(&self, reference: &str, amount: Money, idempotency_key: &str) -> Result<Refund, ProviderError>;
    /// The current state of the charge `reference`.
    async fn state(&self, reference: &str) -> Result<ChargeState, ProviderError>;
}
