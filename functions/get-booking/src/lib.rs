//! `GET /bookings/{id}`.

use shared::App;
use shared::auth::authenticate;
use shared::bookings::{self, BookingView};
use shared::http::{HandlerResult, Request, StatusCode, json, path_param};

/// A booking, for its guest or host only (`404` for anyone else).
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let booking = bookings::get(app, &principal, path_param(&req, "id")?).await?;
    json(StatusCode::OK, &BookingView::from(&booking))
}
