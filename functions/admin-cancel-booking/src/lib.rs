//! `POST /admin/bookings/{id}/cancel`.

use shared::App;
use shared::admin::http;
use shared::http::{HandlerResult, Request};

/// An admin cancels a booking that has not begun, with a full refund.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::cancel_booking(app, req).await
}
