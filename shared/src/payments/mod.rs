//! Payments: charging a booking's total, Stripe's webhooks, refunds of cancelled and declined
//! bookings, and the host's payout.

pub mod consumer;
pub mod model;
pub mod pay;
pub mod provider;
pub mod sandbox;
pub mod signature;
pub mod stripe;
pub mod webhook;

use crate::App;
use crate::auth::Principal;
use crate::bookings::lifecycle;
use crate::error::ApiError;
use crate::store::keys;
use crate::store::{Index, Query, SortKeyRange};

use self::model::{Payment, PaymentView, PaymentsView, Payout, PayoutView};

/// `GET /bookings/{id}/payments`: the booking's payments with their refunds, oldest first,
/// for its guest and host; the payout for the host only.
pub async fn list(app: &App, principal: &Principal, booking_id: &str) -> Result<PaymentsView, ApiError> {
    let (booking, _) = lifecycle::load(app, booking_id)
        .await?
        .filter(|(booking, _)| booking.involves(&principal.user_id))
        .ok_or(crate::bookings::NOT_FOUND)?;
    let mut items = Vec::new();
    let mut query = Query::partition(Index::Table, keys::booking(&booking.id).pk)
        .range(SortKeyRange::Prefix(keys::PAYMENT_PREFIX.to_owned()))
        .limit(100);
    loop {
        let page = app.store.query(query.clone()).await?;
        for item in &page.items {
            items.push(PaymentView::from(&item.record::<Payment>()?));
        }
        match page.next {
            Some(next) => query = query.start(Some(next)),
            None => break,
        }
    }
    // Payment ids are ULIDs: the sort-key order is creation order.
    let payout = if booking.host_id == principal.user_id {
        match app.store.get(&keys::payout(&booking.id)).await? {
            Some(item) => Some(PayoutView::from(&item.record::<Payout>()?)),
            None => None,
        }
    } else {
        None
    };
    Ok(PaymentsView { items, payout })
}
