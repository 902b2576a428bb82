//! `GET /conversations/{id}/messages`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, PageBody, Request, StatusCode, json, paging, path_param};
use shared::messages;

/// A conversation's messages, newest first, for its participants only.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let (limit, cursor) = paging(&req)?;
    let (items, next_cursor) = messages::messages(app, &principal, path_param(&req, "id")?, limit, cursor).await?;
    json(StatusCode::OK, &PageBody { items, next_cursor })
}
