//! `POST /users/me/password`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, json_body, no_content};
use shared::users::account::{self, PasswordChange};

/// Changes the signed-in user's password, and answers `204`.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let request: PasswordChange = json_body(&req)?;
    account::change_password(app, &principal, request).await?;
    no_content()
}
