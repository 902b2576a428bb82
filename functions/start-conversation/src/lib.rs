//! `POST /conversations`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body};
use shared::messages::{self, StartInput, model::ConversationView};

/// The guest's inquiry: `201` with a new conversation, or `200` with the guest's existing
/// one for that property, the message added.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: StartInput = json_body(&req)?;
    let started = messages::start(app, &principal, input).await?;
    let status = if started.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json(status, &ConversationView::from(&started.conversation))
}
