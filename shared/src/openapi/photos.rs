//! The photo routes of the OpenAPI document.

#![allow(dead_code)]

use super::ErrorResponse;
use crate::photos::model::HostPhotoView;
use crate::photos::{CaptionInput, NewUpload, OrderInput, PhotoList, UploadInput};

#[utoipa::path(post, path = "/properties/{id}/photos", tag = "photos", request_body = UploadInput,
    security(("bearer" = [])),
    description = "Declares a photo of the host's property and answers where to send its bytes: the client sends them \
with `upload.method` to `upload.url` with exactly `upload.headers` (in AWS a presigned S3 `PUT`, valid 15 minutes, \
bound to the declared type and size; in the local API a URL of the local API itself). The photo is `pending` until the \
file arrives and is verified (within seconds): then `ready` with its `width` and `height`, or `rejected` when the bytes \
are not an image of the declared type, are larger or smaller than declared, or exceed 8,000 pixels on a side. An upload \
never verified within 24 h is dropped. At most 50 photos per property, pending ones included.",
    params(("id" = String, Path, description = "Property id")),
    responses(
        (status = 201, description = "The pending photo and its upload", body = NewUpload),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not this property's host", body = ErrorResponse),
        (status = 404, description = "No such property", body = ErrorResponse),
        (status = 409, description = "The property has 50 photos already (pending ones count)", body = ErrorResponse),
        (status = 422, description = "contentType not image/jpeg, image/png or image/webp, sizeBytes outside 1..10485760, caption over 200 characters or with line breaks: all named", body = ErrorResponse),
    ))]
fn request_photo_upload() {}

#[utoipa::path(get, path = "/properties/{id}/photos", tag = "photos", security(("bearer" = [])),
    description = "Every photo of the host's property with its status: ready ones in display order (the first is the \
cover), then pending and rejected ones, oldest first. A rejected photo (with its `rejectReason`) is listed for 7 days.",
    params(("id" = String, Path, description = "Property id")),
    responses(
        (status = 200, description = "The photos", body = PhotoList),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not this property's host", body = ErrorResponse),
        (status = 404, description = "No such property", body = ErrorResponse),
    ))]
fn list_photos() {}

#[utoipa::path(patch, path = "/properties/{id}/photos", tag = "photos", request_body = OrderInput,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Property id")),
    responses(
        (status = 200, description = "The photos in their new order", body = PhotoList),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not this property's host", body = ErrorResponse),
        (status = 404, description = "No such property", body = ErrorResponse),
        (status = 409, description = "The photos kept changing meanwhile; try again", body = ErrorResponse),
        (status = 422, description = "`order` missing, or not every ready photo exactly once", body = ErrorResponse),
    ))]
fn reorder_photos() {}

#[utoipa::path(patch, path = "/properties/{id}/photos/{photoId}", tag = "photos", request_body = CaptionInput,
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Property id"),
        ("photoId" = String, Path, description = "Photo id"),
    ),
    responses(
        (status = 200, description = "The photo with its new caption", body = HostPhotoView),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not this property's host", body = ErrorResponse),
        (status = 404, description = "No such property or photo", body = ErrorResponse),
        (status = 409, description = "The photo kept changing meanwhile; try again", body = ErrorResponse),
        (status = 422, description = "`caption` missing, over 200 characters or with line breaks", body = ErrorResponse),
    ))]
fn update_photo() {}

#[utoipa::path(delete, path = "/properties/{id}/photos/{photoId}", tag = "photos", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Property id"),
        ("photoId" = String, Path, description = "Photo id"),
    ),
    responses(
        (status = 204, description = "Deleted: it leaves the property at once, its stored file within seconds"),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not this property's host", body = ErrorResponse),
        (status = 404, description = "No such property or photo", body = ErrorResponse),
        (status = 409, description = "The photo kept changing meanwhile; try again", body = ErrorResponse),
    ))]
fn delete_photo() {}
