//! `POST /auth/register`.

use shared::App;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body};
use shared::users::UserView;
use shared::users::register::{RegisterRequest, register};

/// Registers a user and answers `201` with their profile.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let request: RegisterRequest = json_body(&req)?;
    let user = register(app, request).await?;
    json(StatusCode::CREATED, &UserView::from(&user))
}
