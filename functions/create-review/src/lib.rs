//! `POST /bookings/{id}/reviews`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body, path_param};
use shared::reviews::{self, ReviewInput, model::ReviewView};

/// The booking's guest or host reviews the stay: `201`, hidden (`"published": false`) until
/// the other side has reviewed or the window closes.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: ReviewInput = json_body(&req)?;
    let review = reviews::create(app, &principal, path_param(&req, "id")?, input).await?;
    json(StatusCode::CREATED, &ReviewView::from(&review))
}
