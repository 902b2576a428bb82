//! `POST /admin/properties/{id}/unlist`.

use shared::App;
use shared::admin::http;
use shared::http::{HandlerResult, Request};

/// An admin takes a property out of search and closes it to new bookings.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::unlist_property(app, req).await
}
