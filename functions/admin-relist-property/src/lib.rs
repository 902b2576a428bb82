//! `POST /admin/properties/{id}/relist`.

use shared::App;
use shared::admin::http;
use shared::http::{HandlerResult, Request};

/// An admin puts an unlisted property back in search.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::relist_property(app, req).await
}
