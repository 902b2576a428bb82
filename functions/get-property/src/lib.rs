//! `GET /properties/{id}`.

use shared::App;
use shared::http::{HandlerResult, Request, StatusCode, json, path_param};
use shared::properties::{self, PropertyView};

/// Answers a property with its rating (`null` until 3 reviews); deleted ones are `404`.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let property = properties::view(app, path_param(&req, "id")?).await?;
    json(StatusCode::OK, &PropertyView::new(&property, &app.photo_urls))
}
