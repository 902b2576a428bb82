//! `GET /users/me/properties`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, PageBody, Request, StatusCode, json, paging};
use shared::properties::{self, HostPropertyView};

/// One page of the signed-in host's properties.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let (limit, cursor) = paging(&req)?;
    let (items, next_cursor) = properties::list_mine(app, &principal, limit, cursor).await?;
    json(
        StatusCode::OK,
        &PageBody {
            items: items
                .iter()
                .map(|p| HostPropertyView::new(p, &app.photo_urls))
                .collect(),
            next_cursor,
        },
    )
}
