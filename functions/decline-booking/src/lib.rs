//! `POST /bookings/{id}/decline`.

use shared::App;
use shared::bookings::actions::{self, Action};
use shared::http::{HandlerResult, Request};

/// The host declines a request to book; the guest is refunded in full.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    actions::handle(app, req, Action::Decline).await
}
