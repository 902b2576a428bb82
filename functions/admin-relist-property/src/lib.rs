//! `POST /admin/properties/{id}/relist`.

use shared::App;
use shared::admin::http::{self, AdminRoute};
use shared::http::{HandlerResult, Request};

/// An admin puts an unlisted property back in search.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::act(app, req, AdminRoute::RelistProperty).await
}
