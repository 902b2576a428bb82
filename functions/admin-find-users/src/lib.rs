//! `GET /admin/users?email=`.

use shared::App;
use shared::admin::http;
use shared::http::{HandlerResult, Request};

/// The user registered with an email, as an admin sees them (status, roles, verification).
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::find_users(app, req).await
}
