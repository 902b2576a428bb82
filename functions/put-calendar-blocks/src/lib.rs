//! `PUT /properties/{id}/calendar/blocks`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body, path_param};
use shared::properties::calendar::{self, BlocksInput};

/// The host blocks or opens a range of nights; answers the calendar of that range.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: BlocksInput = json_body(&req)?;
    let nights = calendar::set_blocks(app, &principal, path_param(&req, "id")?, input).await?;
    json(StatusCode::OK, &nights)
}
