//! `POST /auth/password-reset`.

use shared::App;
use shared::http::{HandlerResult, Request, json_body, no_content};
use shared::users::account::{self, PasswordReset};

/// Uses a reset token to set a new password, and answers `204`.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let request: PasswordReset = json_body(&req)?;
    account::reset_password(app, request).await?;
    no_content()
}
