//! A listing photo as stored, and as hosts and guests see it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::storage::{PhotoUrls, object_key};
use crate::store::keys::{self, kind};
use crate::store::{Item, StoreError};

/// Where a photo is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PhotoStatus {
    /// Its slot was issued; the file has not arrived or not been checked.
    Pending,
    /// Verified and shown on the property.
    Ready,
    /// The file failed the check and was deleted; kept so the host sees why.
    Rejected,
}

/// A photo as stored: `PROPERTY#<id>` / `PHOTO#<photo id>` (DESIGN.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Photo {
    pub id: String,
    pub property_id: String,
    pub status: PhotoStatus,
    /// The declared MIME type (what the upload was signed for).
    pub content_type: String,
    /// The declared size in bytes.
    pub size_bytes: u64,
    pub caption: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Why the file was refused (the host's text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When the upload URL stops working: a file arriving later is refused.
    pub upload_expires_at: DateTime<Utc>,
}

impl Photo {
    /// The stored file's key.
    pub fn object_key(&self) -> String {
        object_key(&self.property_id, &self.id)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Item::new(keys::photo(&self.property_id, &self.id), kind::PHOTO, self)
    }
}

/// A verified photo as the property lists it, in display order (the `photos` attribute of the
/// property item, so reading a property or a search page needs no read per photo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedPhoto {
    pub id: String,
    pub width: u32,
    pub height: u32,
    pub caption: String,
}

/// A photo as everyone sees it on a property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PhotoView {
    pub id: String,
    /// Stable and public (through the CDN in AWS); its bytes never change.
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub caption: String,
}

impl PhotoView {
    pub fn of(property_id: &str, photo: &ListedPhoto, urls: &PhotoUrls) -> Self {
        Self {
            id: photo.id.clone(),
            url: urls.url(&object_key(property_id, &photo.id)),
            width: photo.width,
            height: photo.height,
            caption: photo.caption.clone(),
        }
    }
}

/// A photo as its host manages it: any status, with the reason of a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostPhotoView {
    pub id: String,
    pub status: PhotoStatus,
    pub caption: String,
    /// Only once `ready`.
    pub url: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Only when `rejected`.
    pub reject_reason: Option<String>,
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
}

impl HostPhotoView {
    pub fn of(photo: &Photo, urls: &PhotoUrls) -> Self {
        Self {
            id: photo.id.clone(),
            status: photo.status,
            caption: photo.caption.clone(),
            url: (photo.status == PhotoStatus::Ready).then(|| urls.url(&photo.object_key())),
            width: photo.width,
            height: photo.height,
            reject_reason: photo.reject_reason.clone(),
            created_at: photo.created_at,
        }
    }
}

/// The photo part of `POST /properties/{id}/photos`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewPhotoView {
    pub id: String,
    /// Always `pending`.
    pub status: PhotoStatus,
    pub caption: String,
}
