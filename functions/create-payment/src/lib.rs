//! `POST /bookings/{id}/payments`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, json_body, path_param, stored_answer};
use shared::idempotency;
use shared::payments::pay::{self, PaymentInput};

/// The guest pays the booking's total: `201` with the payment, whatever its outcome.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: PaymentInput = json_body(&req)?;
    let booking_id = path_param(&req, "id")?;
    let key = idempotency::header_key(&req)?;
    stored_answer(pay::pay(app, &principal, key, booking_id, input).await?)
}
