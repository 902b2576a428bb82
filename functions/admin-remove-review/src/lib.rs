//! `POST /admin/reviews/{id}/remove`.

use shared::App;
use shared::admin::http;
use shared::http::{HandlerResult, Request};

/// An admin removes a review; the property's rating is recomputed exactly.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::remove_review(app, req).await
}
