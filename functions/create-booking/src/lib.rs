//! `POST /bookings`.

use shared::App;
use shared::auth::authenticate;
use shared::bookings::create::{self, BookingInput};
use shared::http::{HandlerResult, Request, json_body, stored_answer};
use shared::idempotency;

/// Books a stay: `201` with the booking in `pending_payment` and its `holdExpiresAt`.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: BookingInput = json_body(&req)?;
    let key = idempotency::header_key(&req)?;
    stored_answer(create::create(app, &principal, key, input).await?)
}
