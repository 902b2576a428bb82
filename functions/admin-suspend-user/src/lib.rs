//! `POST /admin/users/{id}/suspend`.

use shared::App;
use shared::admin::http::{self, AdminRoute};
use shared::http::{HandlerResult, Request};

/// An admin suspends an account: no sign-in, no refresh, older tokens refused within a minute.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::act(app, req, AdminRoute::SuspendUser).await
}
