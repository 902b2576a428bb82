//! `POST /bookings/{id}/check-out`.

use shared::App;
use shared::bookings::actions::{self, Action};
use shared::http::{HandlerResult, Request};

/// The guest or the host records the departure.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    actions::handle(app, req, Action::CheckOut).await
}
