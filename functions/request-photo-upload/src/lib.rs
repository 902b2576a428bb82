//! `POST /properties/{id}/photos`.

use shared::App;
use shared::auth::authenticate;
use shared::http::{HandlerResult, Request, StatusCode, json, json_body, path_param};
use shared::photos::{self, UploadInput};

/// The host declares a file: `201` with the pending photo and the presigned URL to `PUT` it to.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let input: UploadInput = json_body(&req)?;
    let upload = photos::request_upload(app, &principal, path_param(&req, "id")?, input).await?;
    json(StatusCode::CREATED, &upload)
}
