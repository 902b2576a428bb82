//! `PATCH /properties/{id}/photos`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body, path_param};
use shared::photos::{self, OrderInput, PhotoList};

/// Puts the ready photos in the host's order (the first is the cover): `200` with the list.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: OrderInput = json_body(&req)?;
    let items = photos::reorder(app, &principal, path_param(&req, "id")?, input).await?;
    json(StatusCode::OK, &PhotoList { items })
}
