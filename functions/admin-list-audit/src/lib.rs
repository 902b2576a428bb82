//! `GET /admin/audit?from=&to=`.

use shared::App;
use shared::admin::http;
use shared::http::{HandlerResult, Request};

/// One page of the audit log, newest first.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::list_audit(app, req).await
}
