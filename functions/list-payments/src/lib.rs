//! `GET /bookings/{id}/payments`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, path_param};
use shared::payments;

/// A booking's payments and refunds, and (for its host) the payout.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let view = payments::list(app, &principal, path_param(&req, "id")?).await?;
    json(StatusCode::OK, &view)
}
