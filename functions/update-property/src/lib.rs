//! `PATCH /properties/{id}`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body, path_param};
use shared::properties::{self, HostPropertyView, input::PropertyInput};

/// Changes any writable subset of the host's own property.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: PropertyInput = json_body(&req)?;
    let property = properties::update(app, &principal, path_param(&req, "id")?, input).await?;
    json(StatusCode::OK, &HostPropertyView::new(&property, &app.photo_urls))
}
