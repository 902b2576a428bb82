//! `PATCH /properties/{id}/photos/{photoId}`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body, path_param};
use shared::photos::{self, CaptionInput};

/// Changes a photo's caption: `200` with the photo.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: CaptionInput = json_body(&req)?;
    let photo = photos::caption(
        app,
        &principal,
        path_param(&req, "id")?,
        path_param(&req, "photoId")?,
        input,
    )
    .await?;
    json(StatusCode::OK, &photo)
}
