//! `POST /bookings/{id}/accept`.

use shared::App;
use shared::bookings::actions::{self, Action};
use shared::http::{HandlerResult, Request};

/// The host accepts a request to book.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    actions::handle(app, req, Action::Accept).await
}
