//! `POST /bookings/{id}/cancel`.

use shared::App;
use shared::bookings::actions::{self, Action};
use shared::http::{HandlerResult, Request};

/// The guest or the host cancels before check-in; the refund follows the policy.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    actions::handle(app, req, Action::Cancel).await
}
