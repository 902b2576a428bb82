//! `POST /admin/users/{id}/reinstate`.

use shared::App;
use shared::admin::http::{self, AdminRoute};
use shared::http::{HandlerResult, Request};

/// An admin lifts a suspension.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::act(app, req, AdminRoute::ReinstateUser).await
}
