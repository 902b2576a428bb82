//! `POST /auth/refresh`.

use shared::App;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body};
use shared::users::session::{RefreshRequest, refresh};

/// Exchanges a refresh token for a new pair (the old one stops working).
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let request: RefreshRequest = json_body(&req)?;
    json(StatusCode::OK, &refresh(app, request).await?)
}
