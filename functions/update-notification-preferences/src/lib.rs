//! `PATCH /users/me/notifications`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body};
use shared::users::preferences::{self, PreferencesPatch};

/// Turns kinds of email on or off, and answers the preferences.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let patch: PreferencesPatch = json_body(&req)?;
    json(StatusCode::OK, &preferences::update(app, &principal, patch).await?)
}
