//! `GET /users/me`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json};
use shared::users::{UserView, profile};

/// Answers the signed-in user's own profile.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let user = profile::me(app, &principal).await?;
    json(StatusCode::OK, &UserView::from(&user))
}
