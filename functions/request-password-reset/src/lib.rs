//! `POST /auth/password-reset/request`.

use shared::App;
use shared::http::{HandlerResult, Request, accepted, json_body};
use shared::users::account::{self, ResetRequest};

/// Answers `202` for any well-formed address, known or not.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let request: ResetRequest = json_body(&req)?;
    account::request_reset(app, request).await?;
    accepted()
}
