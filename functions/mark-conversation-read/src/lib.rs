//! `POST /conversations/{id}/read`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, no_content, path_param};
use shared::messages;

/// Every message so far counts as read by the caller: `204`.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    messages::mark_read(app, &principal, path_param(&req, "id")?).await?;
    no_content()
}
