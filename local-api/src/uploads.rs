//! Photo files in the local API, local only like the clock: `PUT /_local/uploads/<token>` is
//! where an upload slot's URL points (the same client code that `PUT`s to a presigned S3 URL
//! works offline), and `GET /_local/photos/<key>` serves a stored photo as the CDN would.
//! A stored upload is announced on the photo-events queue with the notification S3 sends, so
//! the same consumer verifies it, with the queue's retries and dead-letter list.

use std::sync::Arc;

use axum::body::{Body as AxumBody, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response as AxumResponse};
use embedded::bus::LocalBus;
use embedded::files::{AcceptError, LocalPhotoStorage};
use shared::error::ApiError;
use shared::events::Queue;
use shared::http::{StatusCode, error_response};
use shared::photos::notification::stored_notification;
use shared::photos::storage::PHOTO_CACHE_CONTROL;

use crate::runtime::Runtime;
use crate::server::into_axum;

pub use embedded::files::{PHOTOS_PATH, UPLOADS_PATH};

/// The largest body the upload route reads: one byte over the photo limit, so a file too
/// large still reaches the verifier (which refuses it) instead of being cut.
pub const MAX_UPLOAD_BYTES: usize = shared::photos::verify::MAX_BYTES as usize + 1;

/// The bucket name local notifications carry.
const LOCAL_BUCKET: &str = "local";

/// The local API's photo files and the queue their arrivals go to.
pub struct LocalUploads {
    pub storage: Arc<LocalPhotoStorage>,
    pub bus: Arc<LocalBus>,
}

fn error(err: &ApiError) -> AxumResponse {
    into_axum(error_response(err))
}

/// `PUT /_local/uploads/{token}`.
pub async fn put(
    State(runtime): State<Arc<Runtime>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AxumResponse {
    let Some(uploads) = &runtime.uploads else {
        return error(&ApiError::NotFound("uploads go to S3 on this backend"));
    };
    // Over the limit (or cut off): refused in the error envelope, as every other route does.
    let Ok(body) = body else {
        return error(&ApiError::PayloadTooLarge {
            limit: MAX_UPLOAD_BYTES,
        });
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    let now = runtime.app.clock.now();
    match uploads.storage.accept(&token, content_type, &body, now) {
        Ok(accepted) => {
            let notification = stored_notification(LOCAL_BUCKET, &accepted.key, accepted.size, now);
            if let Err(err) = uploads.bus.send_body(Queue::PhotoEvents, &notification) {
                tracing::error!(key = %accepted.key, error = %err, "the upload is stored but could not be announced");
                return error(&ApiError::internal(err));
            }
            StatusCode::OK.into_response()
        }
        // What S3 answers a presigned URL that expired, was tampered with or gets another type.
        Err(AcceptError::Refused(refused)) => {
            tracing::info!(reason = %refused, "upload refused");
            error(&ApiError::Forbidden(match refused {
                embedded::files::UploadRefused::BadToken => "the upload URL is not valid",
                embedded::files::UploadRefused::Expired => "the upload URL has expired; ask for a new one",
                embedded::files::UploadRefused::WrongContentType(_) => {
                    "Content-Type must be the declared type (send the headers the upload came with)"
                }
            }))
        }
        Err(AcceptError::Io(err)) => error(&ApiError::internal(err)),
    }
}

/// `GET /_local/photos/{*key}`.
pub async fn get(State(runtime): State<Arc<Runtime>>, Path(key): Path<String>) -> AxumResponse {
    let Some(uploads) = &runtime.uploads else {
        return error(&ApiError::NotFound("photos are served by the CDN on this backend"));
    };
    match uploads.storage.read(&key) {
        Ok(Some((bytes, content_type))) => {
            let mut response = AxumResponse::new(AxumBody::from(bytes));
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(&content_type) {
                headers.insert(header::CONTENT_TYPE, value);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PHOTO_CACHE_CONTROL));
            response
        }
        Ok(None) => error(&ApiError::NotFound("no such photo")),
        Err(err) => error(&ApiError::internal(err)),
    }
}
