//! `GET /users/me/notifications`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json};
use shared::users::preferences;

/// Answers the signed-in user's email preferences.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    json(StatusCode::OK, &preferences::get(app, &principal).await?)
}
