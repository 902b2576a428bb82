//! `POST /auth/verify-email/request`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, accepted};
use shared::users::account;

/// Queues another verification email for the signed-in user and answers `202`.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    account::request_verification(app, &principal).await?;
    accepted()
}
