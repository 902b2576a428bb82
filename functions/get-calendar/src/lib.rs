//! `GET /properties/{id}/calendar`.

use shared::App;
use shared::http::{HandlerResult, Request, StatusCode, json, path_param, query_param};
use shared::properties::calendar;

/// The nights of `from..to` (default: today in the property's time zone, 30 nights) with
/// availability and price.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let nights = calendar::calendar(
        app,
        path_param(&req, "id")?,
        query_param(&req, "from"),
        query_param(&req, "to"),
    )
    .await?;
    json(StatusCode::OK, &nights)
}
