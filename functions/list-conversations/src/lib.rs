//! `GET /conversations`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, PageBody, Request, StatusCode, json, paging};
use shared::messages::{self, model::ConversationView};

/// The caller's conversations, most recent message first.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let (limit, cursor) = paging(&req)?;
    let (items, next_cursor) = messages::list(app, &principal, limit, cursor).await?;
    json(
        StatusCode::OK,
        &PageBody {
            items: items.iter().map(ConversationView::from).collect(),
            next_cursor,
        },
    )
}
