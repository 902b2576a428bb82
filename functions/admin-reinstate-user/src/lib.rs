//! `POST /admin/users/{id}/reinstate`.

use shared::App;
use shared::admin::http;
use shared::http::{HandlerResult, Request};

/// An admin lifts a suspension.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::reinstate_user(app, req).await
}
