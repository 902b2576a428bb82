//! `DELETE /properties/{id}`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, no_content, path_param};
use shared::properties;

/// Soft-deletes the host's own property (`409` while a booking of it is not over).
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    properties::delete(app, &principal, path_param(&req, "id")?).await?;
    no_content()
}
