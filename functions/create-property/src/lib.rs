//! `POST /properties`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, json_body, stored_answer};
use shared::idempotency;
use shared::properties::{self, input::PropertyInput};

/// Lists a property for the signed-in host and answers `201` with it (or, for a repeated
/// `Idempotency-Key`, the first answer again).
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: PropertyInput = json_body(&req)?;
    let key = idempotency::header_key(&req)?;
    stored_answer(properties::create(app, &principal, key, input).await?)
}
