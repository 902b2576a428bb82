//! `GET /conversations/{id}`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, path_param};
use shared::messages::{self, model::ConversationView};

/// A conversation, for its participants only (`404` for anyone else).
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let conversation = messages::get(app, &principal, path_param(&req, "id")?).await?;
    json(StatusCode::OK, &ConversationView::from(&conversation))
}
