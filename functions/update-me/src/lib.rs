//! `PATCH /users/me`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body};
use shared::users::UserView;
use shared::users::profile::{self, ProfilePatch};

/// Updates first name, last name or phone, and answers the updated profile.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let patch: ProfilePatch = json_body(&req)?;
    let user = profile::update_me(app, &principal, patch).await?;
    json(StatusCode::OK, &UserView::from(&user))
}
