//! Listing photos: a host asks for an upload slot, sends the bytes straight to storage, and the
//! file's arrival (an event) is verified before the photo shows; hosts caption, order and
//! delete them. The REST functions and the GraphQL resolvers call these, once.
//!
//! Invariants, each kept by a conditional write:
//! - at most [`verify::MAX_PHOTOS_PER_PROPERTY`] photos pending or ready per property (the
//!   property's `photoSlots`, checked by the transaction that adds a photo);
//! - a photo leaves `pending` once (its status is the condition of the write that moves it);
//! - the property's `photos` list changes under its own `photosVersion`.

pub mod arrival;
pub mod model;
pub mod notification;
pub mod presign;
pub mod s3;
pub mod samples;
pub mod storage;
pub mod verify;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::json;

use self::model::{HostPhotoView, ListedPhoto, NewPhotoView, Photo, PhotoStatus};
use self::storage::{UploadRequest, UploadSlot};
use self::verify::{MAX_BYTES, MAX_PHOTOS_PER_PROPERTY, PhotoType};
use crate::App;
use crate::auth::Principal;
use crate::deadlines::{self, Deadline, DeadlineKind};
use crate::error::{ApiError, Problems};
use crate::events::{Event, EventType, Queue};
use crate::outbox;
use crate::properties::{self, Property};
use crate::store::keys::{self, PHOTO_PREFIX};
use crate::store::{Condition, Index, Query, SortKeyRange, StoreError, TxAction, Update};

/// How long an issued slot waits for its file before the photo is dropped.
pub const PENDING_HOURS: i64 = 24;

/// How long a rejected photo stays listed (with its reason) before it expires.
pub const REJECTED_KEPT_DAYS: i64 = 7;

/// How many times a write of the `photos` list is tried against concurrent changes of it.
const ATTEMPTS: usize = 3;

const NOT_FOUND: ApiError = ApiError::NotFound("photo not found");

/// The content types a photo may be declared as (the document's enum of `contentType`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub enum ImageType {
    #[schema(rename = "image/jpeg")]
    Jpeg,
    #[schema(rename = "image/png")]
    Png,
    #[schema(rename = "image/webp")]
    Webp,
}

/// Body of `POST /properties/{id}/photos`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadInput {
    /// `image/jpeg`, `image/png` or `image/webp`: the upload must send exactly this type.
    #[schema(required, nullable = false, value_type = Option<ImageType>)]
    pub content_type: Option<String>,
    /// 1..10485760: the upload must send exactly this many bytes.
    #[schema(required, nullable = false, minimum = 1, maximum = 10485760)]
    pub size_bytes: Option<i64>,
    /// At most 200 characters (default empty), no line breaks.
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub caption: Option<String>,
}

/// Body of `PATCH /properties/{id}/photos/{photoId}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptionInput {
    /// At most 200 characters; empty removes it; no line breaks.
    #[schema(required, nullable = false, max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub caption: Option<String>,
}

/// Body of `PATCH /properties/{id}/photos`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// Every ready photo's id exactly once, the cover first.
    #[schema(required, nullable = false, max_items = 50)]
    pub order: Option<Vec<String>>,
}

/// What `POST /properties/{id}/photos` answers: the pending photo and where to send its file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewUpload {
    pub photo: NewPhotoView,
    pub upload: UploadSlot,
}

/// The answer of the list routes: `{"items": [...]}`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PhotoList {
    pub items: Vec<HostPhotoView>,
}

/// The `data` of a [`EventType::PhotoRemoved`] event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoRemoved {
    pub property_id: String,
    pub photo_id: String,
}

/// A valid upload request, or the problems of the body.
struct Declaration {
    content_type: PhotoType,
    size_bytes: u64,
    caption: String,
}

fn declaration(input: UploadInput) -> Result<Declaration, ApiError> {
    let mut problems = Problems::new();
    let content_type = problems
        .required("contentType", input.content_type)
        .and_then(|raw| problems.check("contentType", PhotoType::parse(&raw)));
    let size_bytes = problems.required("sizeBytes", input.size_bytes).and_then(|size| {
        let size = u64::try_from(size).ok().filter(|size| (1..=MAX_BYTES).contains(size));
        if size.is_none() {
            problems.add("sizeBytes", format!("must be 1..{MAX_BYTES} (10 MiB)"));
        }
        size
    });
    let caption = match input.caption {
        Some(raw) => problems.check("caption", verify::parse_caption(&raw)),
        None => Some(String::new()),
    };
    problems.finish()?;
    match (content_type, size_bytes, caption) {
        (Some(content_type), Some(size_bytes), Some(caption)) => Ok(Declaration {
            content_type,
            size_bytes,
            caption,
        }),
        _ => Err(ApiError::internal("validation passed without a declaration")),
    }
}

/// The condition under which the `photos` list read at `version` may be replaced.
fn photos_unchanged(version: u64) -> Condition {
    if version == 0 {
        Condition::AttributeAbsent("photosVersion".to_owned())
    } else {
        Condition::attribute_equals("photosVersion", version)
    }
}

/// The update that replaces the property's `photos` with `photos`.
fn set_photos(photos: &[ListedPhoto]) -> Result<Update, StoreError> {
    let list = serde_json::to_value(photos).map_err(|err| StoreError::InvalidItem(err.to_string()))?;
    Ok(Update::new().set("photos", list).add("photosVersion", 1))
}

/// The deadline that drops a photo whose file never came.
fn pending_deadline(photo: &Photo) -> Deadline {
    Deadline {
        kind: DeadlineKind::PhotoUploadExpiry,
        subject_id: photo.id.clone(),
        booking_id: photo.property_id.clone(),
        due_at: photo.created_at + Duration::hours(PENDING_HOURS),
    }
}

/// A storage that could not sign or was unreachable is transient (`503`); one this function
/// was deployed without is a bug (`500`).
fn storage_error(err: storage::StorageError) -> ApiError {
    match err {
        storage::StorageError::Unavailable(_) => ApiError::unavailable(err),
        storage::StorageError::NotConfigured => ApiError::internal(err),
    }
}

/// `POST /properties/{id}/photos`: a pending photo and a URL to `PUT` its file to. `409` for
/// the 51st photo (pending ones count).
pub async fn request_upload(
    app: &App,
    principal: &Principal,
    property_id: &str,
    input: UploadInput,
) -> Result<NewUpload, ApiError> {
    let (property, _) = properties::owned(app, principal, property_id).await?;
    let declared = declaration(input)?;
    let now = app.clock.now();
    let photo = Photo {
        id: crate::ids::new_id(),
        property_id: property.id.clone(),
        status: PhotoStatus::Pending,
        content_type: declared.content_type.as_mime().to_owned(),
        size_bytes: declared.size_bytes,
        caption: declared.caption,
        width: None,
        height: None,
        reject_reason: None,
        created_at: now,
        upload_expires_at: now + Duration::minutes(storage::UPLOAD_URL_MINUTES),
    };
    let key = photo.object_key();
    // Signing needs no network and writes nothing, so it goes first: a slot is only recorded
    // once its URL exists.
    let upload = app
        .photo_storage
        .upload_slot(&UploadRequest {
            key: &key,
            content_type: declared.content_type,
            size_bytes: declared.size_bytes,
            issued_at: now,
        })
        .await
        .map_err(storage_error)?;
    let limit = i64::try_from(MAX_PHOTOS_PER_PROPERTY).unwrap_or(i64::MAX);
    let actions = vec![
        TxAction::Put {
            item: photo.to_item()?,
            condition: Condition::Absent,
        },
        TxAction::Update {
            key: keys::property(&property.id),
            update: Update::new().add("photoSlots", 1),
            condition: Condition::All(vec![
                Condition::AttributeAbsent("deletedAt".to_owned()),
                Condition::below("photoSlots", limit),
            ]),
        },
        deadlines::schedule(&pending_deadline(&photo), app.clock.as_ref())?,
    ];
    match app.store.transact(actions).await {
        Ok(()) => {}
        Err(StoreError::TransactionConditionFailed { index: 1 }) => {
            return Err(match properties::find(app, &property.id).await? {
                None => ApiError::NotFound("property not found"),
                Some(_) => ApiError::conflict(format!(
                    "a property has at most {MAX_PHOTOS_PER_PROPERTY} photos, pending uploads included; delete one first"
                )),
            });
        }
        Err(err) => return Err(err.into()),
    }
    Ok(NewUpload {
        photo: NewPhotoView {
            id: photo.id,
            status: photo.status,
            caption: photo.caption,
        },
        upload,
    })
}

/// Every photo item of a property (at most 50 pending or ready, plus the rejected ones of
/// the last [`REJECTED_KEPT_DAYS`] days): one query, paged by the store.
async fn stored_photos(app: &App, property_id: &str) -> Result<Vec<Photo>, ApiError> {
    let mut photos = Vec::new();
    let mut start = None;
    loop {
        let page = app
            .store
            .query(
                Query::partition(Index::Table, keys::property_partition(property_id))
                    .range(SortKeyRange::Prefix(PHOTO_PREFIX.to_owned()))
                    .limit(100)
                    .start(start),
            )
            .await?;
        for item in page.items {
            photos.push(item.into_record::<Photo>()?);
        }
        start = page.next;
        if start.is_none() {
            return Ok(photos);
        }
    }
}

/// The host's list: ready photos in display order, then pending and rejected ones, oldest first.
fn host_list(app: &App, property: &Property, mut photos: Vec<Photo>) -> Vec<HostPhotoView> {
    let position = |photo: &Photo| {
        property
            .photos
            .iter()
            .position(|listed| listed.id == photo.id)
            .unwrap_or(usize::MAX)
    };
    // Stable: photos off the list keep their id (creation) order.
    photos.sort_by_key(|photo| (photo.status != PhotoStatus::Ready, position(photo)));
    photos
        .iter()
        .map(|photo| HostPhotoView::of(photo, &app.photo_urls))
        .collect()
}

/// `GET /properties/{id}/photos`: every photo of the host's property with its status.
pub async fn list(app: &App, principal: &Principal, property_id: &str) -> Result<Vec<HostPhotoView>, ApiError> {
    let (property, _) = properties::owned(app, principal, property_id).await?;
    let photos = stored_photos(app, &property.id).await?;
    Ok(host_list(app, &property, photos))
}

/// `PATCH /properties/{id}/photos`: puts the ready photos in the given order (every one exactly
/// once, else `422`).
pub async fn reorder(
    app: &App,
    principal: &Principal,
    property_id: &str,
    input: OrderInput,
) -> Result<Vec<HostPhotoView>, ApiError> {
    let mut problems = Problems::new();
    let order = problems.required("order", input.order);
    problems.finish()?;
    let order = order.unwrap_or_default();
    for _ in 0..ATTEMPTS {
        let (property, _) = properties::owned(app, principal, property_id).await?;
        let reordered = ordered(&property.photos, &order)?;
        let action = TxAction::Update {
            key: keys::property(&property.id),
            update: set_photos(&reordered)?,
            condition: photos_unchanged(property.photos_version),
        };
        match app.store.transact(vec![action]).await {
            Ok(()) => {
                let mut written = property;
                written.photos = reordered;
                let photos = stored_photos(app, &written.id).await?;
                return Ok(host_list(app, &written, photos));
            }
            Err(StoreError::TransactionConditionFailed { .. } | StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::conflict("the photos kept changing; try again"))
}

/// `listed` in the order of `order`, which must name each of them exactly once.
fn ordered(listed: &[ListedPhoto], order: &[String]) -> Result<Vec<ListedPhoto>, ApiError> {
    let refuse = |message: String| {
        let mut problems = Problems::new();
        problems.add("order", message);
        problems
            .finish()
            .err()
            .unwrap_or_else(|| ApiError::internal("no problem recorded"))
    };
    let mut seen = std::collections::HashSet::with_capacity(order.len());
    if let Some(twice) = order.iter().find(|id| !seen.insert(id.as_str())) {
        return Err(refuse(format!("names photo {twice} more than once")));
    }
    if let Some(unknown) = order.iter().find(|id| !listed.iter().any(|photo| &photo.id == *id)) {
        return Err(refuse(format!("{unknown} is not a ready photo of this property")));
    }
    if order.len() != listed.len() {
        return Err(refuse(format!(
            "must name every ready photo exactly once ({} of {} named)",
            order.len(),
            listed.len()
        )));
    }
    Ok(order
        .iter()
        .filter_map(|id| listed.iter().find(|photo| &photo.id == id).cloned())
        .collect())
}

/// A photo of the host's property, with its item version; `404` for none.
async fn owned_photo(
    app: &App,
    principal: &Principal,
    property_id: &str,
    photo_id: &str,
) -> Result<(Property, Photo, u64), ApiError> {
    let (property, _) = properties::owned(app, principal, property_id).await?;
    if ulid::Ulid::from_string(photo_id).is_err() {
        return Err(NOT_FOUND);
    }
    let item = app
        .store
        .get(&keys::photo(&property.id, photo_id))
        .await?
        .ok_or(NOT_FOUND)?;
    let version = item.version;
    Ok((property, item.into_record()?, version))
}

/// `PATCH /properties/{id}/photos/{photoId}`: changes the caption (of a photo in any status).
pub async fn caption(
    app: &App,
    principal: &Principal,
    property_id: &str,
    photo_id: &str,
    input: CaptionInput,
) -> Result<HostPhotoView, ApiError> {
    let mut problems = Problems::new();
    let caption = problems
        .required("caption", input.caption)
        .and_then(|raw| problems.check("caption", verify::parse_caption(&raw)));
    problems.finish()?;
    let caption = caption.unwrap_or_default();
    for _ in 0..ATTEMPTS {
        let (property, mut photo, version) = owned_photo(app, principal, property_id, photo_id).await?;
        let mut actions = vec![TxAction::Update {
            key: keys::photo(&property.id, &photo.id),
            update: Update::new().set("caption", caption.clone()),
            condition: Condition::VersionEquals(version),
        }];
        // A ready photo's caption is shown from the property's list: both change at once.
        if let Some(position) = property.photos.iter().position(|listed| listed.id == photo.id) {
            let mut listed = property.photos.clone();
            listed[position].caption = caption.clone();
            actions.push(TxAction::Update {
                key: keys::property(&property.id),
                update: set_photos(&listed)?,
                condition: photos_unchanged(property.photos_version),
            });
        }
        match app.store.transact(actions).await {
            Ok(()) => {
                photo.caption = caption;
                return Ok(HostPhotoView::of(&photo, &app.photo_urls));
            }
            Err(StoreError::TransactionConditionFailed { .. } | StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::conflict("the photo kept changing; try again"))
}

/// `DELETE /properties/{id}/photos/{photoId}`: the photo leaves the property at once; its file is
/// removed by the photo-events consumer, from the event recorded in the same transaction.
pub async fn delete(app: &App, principal: &Principal, property_id: &str, photo_id: &str) -> Result<(), ApiError> {
    for _ in 0..ATTEMPTS {
        let (property, photo, version) = owned_photo(app, principal, property_id, photo_id).await?;
        let recorded = [(
            Queue::PhotoEvents,
            Event::new(
                EventType::PhotoRemoved,
                property.id.clone(),
                app.clock.now(),
                json!(PhotoRemoved {
                    property_id: property.id.clone(),
                    photo_id: photo.id.clone(),
                }),
            ),
        )];
        let mut actions = vec![TxAction::Delete {
            key: keys::photo(&property.id, &photo.id),
            condition: Condition::VersionEquals(version),
        }];
        let listed: Vec<ListedPhoto> = property
            .photos
            .iter()
            .filter(|listed| listed.id != photo.id)
            .cloned()
            .collect();
        match photo.status {
            PhotoStatus::Ready => actions.push(TxAction::Update {
                key: keys::property(&property.id),
                update: set_photos(&listed)?.add("photoSlots", -1),
                condition: photos_unchanged(property.photos_version),
            }),
            PhotoStatus::Pending => {
                actions.push(TxAction::Update {
                    key: keys::property(&property.id),
                    update: Update::new().add("photoSlots", -1),
                    condition: Condition::Exists,
                });
                // Its upload deadline stays: when it comes, the photo is gone and nothing is done.
            }
            // Its slot was given back and its file removed when it was refused.
            PhotoStatus::Rejected => {}
        }
        actions.extend(outbox::record(app.clock.as_ref(), &recorded)?);
        match app.store.transact(actions).await {
            Ok(()) => {
                outbox::publish_recorded(app.bus.as_ref(), &recorded).await;
                return Ok(());
            }
            Err(StoreError::TransactionConditionFailed { .. } | StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::conflict("the photo kept changing; try again"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: &str) -> ListedPhoto {
        ListedPhoto {
            id: id.to_owned(),
            width: 1,
            height: 1,
            caption: String::new(),
        }
    }

    #[test]
    fn an_order_names_every_ready_photo_exactly_once() {
        let photos = vec![listed("A"), listed("B"), listed("C")];
        let ids = |order: &[&str]| order.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
        let reordered = ordered(&photos, &ids(&["C", "A", "B"])).unwrap();
        assert_eq!(
            reordered.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            ["C", "A", "B"]
        );
        for bad in [
            &["A", "B"][..],
            &["A", "B", "C", "C"],
            &["A", "B", "D"],
            &["A", "A", "B"],
            &[],
        ] {
            let err = ordered(&photos, &ids(bad)).unwrap_err();
            assert_eq!(err.status(), 422, "{bad:?}");
        }
        assert!(ordered(&[], &[]).unwrap().is_empty());
    }
}
