//! Payments, refunds and payouts as stored and as shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::provider::ProviderName;
use crate::money::Money;
use crate::store::keys::{self, kind};
use crate::store::{Item, StoreError};

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Waiting for the customer (3-D Secure) or the provider; a webhook settles it.
    Pending,
    Succeeded,
    Failed,
    Refunded,
    PartiallyRefunded,
}

/// A refund made on a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRecord {
    pub amount: Money,
    /// As the provider answered (`succeeded`, `pending`).
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// The provider's refund id.
    pub reference: String,
    /// The booking event the refund executes: each is refunded once.
    pub event_id: String,
}

/// What the customer must do to finish a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NextAction {
    /// Always `redirect`.
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

/// A payment as stored (`BOOKING#<bookingId>` / `PAYMENT#<id>`, in gsi1 by provider reference).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub id: String,
    pub booking_id: String,
    pub amount: Money,
    pub status: PaymentStatus,
    pub provider: ProviderName,
    pub provider_ref: String,
    #[serde(default)]
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub next_action: Option<NextAction>,
    #[serde(default)]
    pub refunds: Vec<RefundRecord>,
    pub created_at: DateTime<Utc>,
}

impl Payment {
    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(
            Item::new(keys::payment(&self.booking_id, &self.id), kind::PAYMENT, self)?
                .with_gsi1(keys::payment_reference_index(&self.provider_ref)),
        )
    }

    /// Minor units refunded so far.
    pub fn refunded(&self) -> i64 {
        self.refunds.iter().map(|refund| refund.amount.amount).sum()
    }
}

/// One refund as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundView {
    pub amount: Money,
    pub status: String,
    #[serde(serialize_with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

/// A payment as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    pub id: String,
    pub booking_id: String,
    pub amount: Money,
    pub status: PaymentStatus,
    pub provider: ProviderName,
    pub provider_ref: String,
    #[serde(serialize_with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    pub refunds: Vec<RefundView>,
    /// Present while the customer must authenticate (3-D Secure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_action: Option<NextAction>,
    /// Why a failed payment failed (e.g. the card was declined).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl From<&Payment> for PaymentView {
    fn from(p: &Payment) -> Self {
        Self {
            id: p.id.clone(),
            booking_id: p.booking_id.clone(),
            amount: p.amount,
            status: p.status,
            provider: p.provider,
            provider_ref: p.provider_ref.clone(),
            created_at: p.created_at,
            refunds: p
                .refunds
                .iter()
                .map(|r| RefundView {
                    amount: r.amount,
                    status: r.status.clone(),
                    created_at: r.created_at,
                })
                .collect(),
            next_action: (p.status == PaymentStatus::Pending)
                .then(|| p.next_action.clone())
                .flatten(),
            failure_reason: p.failure_reason.clone(),
        }
    }
}

/// Where a payout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    Scheduled,
    Paid,
}

/// The host's payout of a booking (`BOOKING#<id>` / `PAYOUT`). The amount is kept as plain
/// minor units (`amountMinor`) so a refund can lower it with an atomic add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payout {
    pub booking_id: String,
    pub host_id: String,
    pub amount_minor: i64,
    pub currency: crate::money::Currency,
    pub status: PayoutStatus,
    pub available_at: DateTime<Utc>,
    #[serde(default)]
    pub paid_at: Option<DateTime<Utc>>,
}

/// A payout as its host sees it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayoutView {
    pub amount: Money,
    pub status: PayoutStatus,
    #[serde(serialize_with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub available_at: DateTime<Utc>,
}

impl From<&Payout> for PayoutView {
    fn from(p: &Payout) -> Self {
        Self {
            amount: Money::new(p.amount_minor.max(0), p.currency),
            status: p.status,
            available_at: p.available_at,
        }
    }
}

/// `GET /bookings/{id}/payments`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentsView {
    pub items: Vec<PaymentView>,
    /// The host's payout, shown to the host only (`null` for the guest, and before check-in).
    pub payout: Option<PayoutView>,
}
