//! `POST /webhooks/stripe`: Stripe tells us how a payment ended (3-D Secure done, a late
//! decline). The signature is checked over the raw body; each event id is recorded once, in
//! the same transaction as what it changes, so a replay is a `200` that changes nothing.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::model::{Payment, PaymentStatus};
use super::pay::{give_back, outcome};
use super::signature::{self, SignatureError};
use crate::App;
use crate::error::ApiError;
use crate::http::Request;
use crate::outbox;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Index, Item, Query, StoreError, TxAction};

/// How long an event id is remembered (Stripe retries for up to 3 days).
const SEEN_FOR: Duration = Duration::days(30);
/// Attempts when the payment changes while an event is applied.
const ATTEMPTS: usize = 3;

/// The parts of a Stripe event this project reads.
#[derive(Debug, Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: EventObject,
}

#[derive(Debug, Deserialize)]
struct EventObject {
    /// The PaymentIntent id for `payment_intent.*` events.
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    last_payment_error: Option<PaymentError>,
}

#[derive(Debug, Deserialize)]
struct PaymentError {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SeenEvent<'a> {
    kind: &'a str,
    #[serde(serialize_with = "crate::time::rfc3339")]
    received_at: DateTime<Utc>,
}

/// Verifies and applies one webhook delivery.
pub async fn receive(app: &App, req: &Request) -> Result<(), ApiError> {
    let secret = app
        .webhook_secret
        .as_ref()
        .ok_or_else(|| ApiError::internal("STRIPE_WEBHOOK_SECRET is not configured"))?;
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok());
    let payload: &[u8] = req.body().as_ref();
    let now = app.clock.now();
    let cached = secret.get().await?;
    let verified = match signature::verify(cached.expose(), header, payload, now) {
        // Signed with a secret this sandbox has not read yet (the endpoint's secret was
        // rolled): read it again once, rate-limited, before refusing.
        Err(SignatureError::Mismatch) => match secret.refreshed(&cached).await? {
            Some(fresh) => signature::verify(fresh.expose(), header, payload, now),
            None => Err(SignatureError::Mismatch),
        },
        verified => verified,
    };
    verified.map_err(|err| ApiError::bad_request(format!("Stripe-Signature: {err}")))?;
    let event: StripeEvent =
        serde_json::from_slice(payload).map_err(|_| ApiError::bad_request("the body is not a Stripe event"))?;
    let seen = TxAction::Put {
        item: Item::new(
            keys::stripe_event(&event.id),
            kind::STRIPE_EVENT,
            &SeenEvent {
                kind: &event.kind,
                received_at: now,
            },
        )?
        .with_ttl((now + SEEN_FOR).timestamp()),
        condition: Condition::Absent,
    };
    let settles = match event.kind.as_str() {
        "payment_intent.succeeded" => Some(PaymentStatus::Succeeded),
        "payment_intent.payment_failed" => Some(PaymentStatus::Failed),
        _ => None,
    };
    match (settles, event.data.object.id.as_deref()) {
        (Some(status), Some(reference)) => {
            let reason = event.data.object.last_payment_error.and_then(|e| e.message);
            settle(app, &event.id, seen, reference, status, reason, now).await
        }
        // A type this project does not use: remembered, nothing else.
        _ => remember(app, seen).await,
    }
}

/// Records an event id on its own (a replay is fine).
async fn remember(app: &App, seen: TxAction) -> Result<(), ApiError> {
    match app.store.transact(vec![seen]).await {
        Ok(()) | Err(StoreError::TransactionConditionFailed { .. }) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// The payment whose provider reference is `reference`, with its version.
async fn by_reference(app: &App, reference: &str) -> Result<Option<(Payment, u64)>, ApiError> {
    let page = app
        .store
        .query(Query::partition(Index::Gsi1, keys::payment_reference(reference)).limit(1))
        .await?;
    match page.items.first() {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// Moves a pending payment to `status` with the outcome a synchronous answer would have had.
async fn settle(
    app: &App,
    event_id: &str,
    seen: TxAction,
    reference: &str,
    status: PaymentStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    for _ in 0..ATTEMPTS {
        let Some((payment, version)) = by_reference(app, reference).await? else {
            // Not ours, or the synchronous answer is still being recorded: that path records
            // the same outcome itself.
            tracing::warn!(event_id, reference, "webhook for an unknown payment");
            return remember(app, seen).await;
        };
        if payment.status != PaymentStatus::Pending {
            // Settled already (the synchronous answer, or an earlier event).
            return remember(app, seen).await;
        }
        let mut settled = payment.clone();
        settled.status = status;
        settled.next_action = None;
        if status == PaymentStatus::Failed {
            settled.failure_reason = reason.clone().or_else(|| Some("the payment failed".to_owned()));
        }
        let mut item = settled.to_item()?;
        item.version = version + 1;
        let mut actions = vec![
            seen.clone(),
            TxAction::Put {
                item,
                condition: Condition::VersionEquals(version),
            },
        ];
        let (outcome_actions, recorded) = outcome(app.clock.as_ref(), &settled, now)?;
        actions.extend(outcome_actions);
        match app.store.transact(actions).await {
            Ok(()) => {
                outbox::publish_recorded(app.bus.as_ref(), &recorded).await;
                tracing::info!(event_id, payment_id = %settled.id, status = ?status, "payment settled by webhook");
                super::pay::count_outcome(&settled, now);
                return Ok(());
            }
            // Seen before: a replay changes nothing.
            Err(StoreError::TransactionConditionFailed { index: 0 }) => return Ok(()),
            // The payment changed meanwhile: read it again.
            Err(StoreError::TransactionConditionFailed { index: 1 }) => {}
            // Paid by another payment, or no longer awaiting payment: give this one back.
            Err(StoreError::TransactionConditionFailed { .. }) => {
                give_back(app, &settled, now).await;
                return remember(app, seen).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::conflict("the payment kept changing; Stripe will retry"))
}
