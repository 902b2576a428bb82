//! `GET /users/{id}`.

use shared::App;
use shared::http::{HandlerResult, Request, StatusCode, json, path_param};
use shared::users::{PublicProfile, profile};

/// Answers anyone's public profile (no email, no phone).
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let user = profile::public(app, path_param(&req, "id")?).await?;
    json(StatusCode::OK, &PublicProfile::from(&user))
}
