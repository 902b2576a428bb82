//! `POST /bookings/{id}/check-in`.

use shared::App;
use shared::bookings::actions::{self, Action};
use shared::http::{HandlerResult, Request};

/// The guest or the host records the arrival.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    actions::handle(app, req, Action::CheckIn).await
}
