//! `POST /auth/verify-email`.

use shared::App;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body};
use shared::users::UserView;
use shared::users::account::{self, VerifyEmailRequest};

/// Uses a verification token and answers the user, now verified.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let request: VerifyEmailRequest = json_body(&req)?;
    let user = account::verify_email(app, request).await?;
    json(StatusCode::OK, &UserView::from(&user))
}
