//! `GET /properties/{id}/photos`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, path_param};
use shared::photos::{self, PhotoList};

/// The host's photos with their status: ready ones in display order, then the others.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let items = photos::list(app, &principal, path_param(&req, "id")?).await?;
    json(StatusCode::OK, &PhotoList { items })
}
