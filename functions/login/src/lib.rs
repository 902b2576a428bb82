//! `POST /auth/login`.

use shared::App;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body};
use shared::users::session::{LoginRequest, login};

/// Signs in and answers `200` with an access and a refresh token.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let request: LoginRequest = json_body(&req)?;
    json(StatusCode::OK, &login(app, request).await?)
}
