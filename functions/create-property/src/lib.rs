//! `POST /properties`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body};
use shared::properties::{self, HostPropertyView, input::PropertyInput};

/// Lists a property for the signed-in host and answers `201` with it.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req)?;
    let input: PropertyInput = json_body(&req)?;
    let property = properties::create(app, &principal, input).await?;
    json(StatusCode::CREATED, &HostPropertyView::new(&property, &app.photo_urls))
}
