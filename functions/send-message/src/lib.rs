//! `POST /conversations/{id}/messages`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body, path_param};
use shared::messages::{self, MessageInput};

/// A participant writes: `201` with the message as stored (contact details masked until the
/// guest has a stay).
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: MessageInput = json_body(&req)?;
    let message = messages::send(app, &principal, path_param(&req, "id")?, input).await?;
    json(StatusCode::CREATED, &message)
}
