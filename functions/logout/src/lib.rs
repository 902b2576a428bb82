//! `POST /auth/logout`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, json_body, no_content};
use shared::users::session::{RefreshRequest, logout};

/// Revokes the family of the given refresh token and answers `204`.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let request: RefreshRequest = json_body(&req)?;
    logout(app, &principal, request).await?;
    no_content()
}
