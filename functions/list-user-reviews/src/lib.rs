//! `GET /users/{id}/reviews`.

use shared::App;
use shared::http::{HandlerResult, PageBody, Request, StatusCode, json, paging, path_param};
use shared::reviews::list;
use shared::reviews::model::ReviewView;

/// The published reviews of a user as a guest, newest first.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let (limit, cursor) = paging(&req)?;
    let (items, next_cursor) = list::of_user(app, path_param(&req, "id")?, limit, cursor).await?;
    json(
        StatusCode::OK,
        &PageBody {
            items: items.iter().map(ReviewView::from).collect(),
            next_cursor,
        },
    )
}
