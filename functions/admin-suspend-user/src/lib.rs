//! `POST /admin/users/{id}/suspend`.

use shared::App;
use shared::admin::http;
use shared::http::{HandlerResult, Request};

/// An admin suspends an account: no sign-in, no refresh, older tokens refused within a minute.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::suspend_user(app, req).await
}
