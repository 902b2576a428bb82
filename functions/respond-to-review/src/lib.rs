//! `POST /reviews/{id}/response`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body, path_param};
use shared::reviews::{self, ResponseInput, model::ReviewView};

/// The reviewed property's host answers a published guest review, once.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: ResponseInput = json_body(&req)?;
    let review = reviews::respond(app, &principal, path_param(&req, "id")?, input).await?;
    json(StatusCode::CREATED, &ReviewView::from(&review))
}
