//! `DELETE /properties/{id}/photos/{photoId}`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, no_content, path_param};
use shared::photos;

/// Removes a photo from the property at once (`204`); its file is deleted from the event.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    photos::delete(app, &principal, path_param(&req, "id")?, path_param(&req, "photoId")?).await?;
    no_content()
}
