//! The photo-events consumer's work: a stored file is verified and its photo becomes `ready` or
//! `rejected`; a removed photo's file is deleted; a photo whose file never came is dropped.
//!
//! Every step is idempotent by the photo's state (a photo leaves `pending` once, under a
//! condition on its status; deleting a file twice deletes nothing), so a redelivered message,
//! or S3 notifying twice, changes nothing. Messages are independent (a standard queue), so each
//! one that fails is reported alone and comes back alone.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Duration, Utc};

use super::PhotoRemoved;
use super::model::{ListedPhoto, Photo, PhotoStatus};
use super::notification::{self, PhotoMessage, StoredFile};
use super::storage::{StorageError, parse_object_key};
use super::verify::{self, Declared, HEAD_BYTES, PhotoType, RejectReason, Verdict};
use super::{ATTEMPTS, REJECTED_KEPT_DAYS, photos_unchanged, set_photos};
use crate::App;
use crate::deadlines::{Deadline, DeadlineKind};
use crate::events::{Event, EventType};
use crate::properties::Property;
use crate::store::keys;
use crate::store::{Condition, StoreError, TxAction, Update};

/// Why a message must come back.
#[derive(Debug, thiserror::Error)]
pub enum ArrivalError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Unreadable(#[from] notification::UnreadableMessage),
    #[error("{0}")]
    Invalid(String),
}

/// Handles a batch of the photo-events queue, reporting each message that failed.
pub async fn handle_batch(app: &App, batch: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in batch.records {
        let message_id = record.message_id.unwrap_or_default();
        let outcome = match notification::parse(record.body.as_deref().unwrap_or_default()) {
            Ok(message) => handle(app, message).await,
            Err(err) => Err(err.into()),
        };
        if let Err(err) = outcome {
            tracing::warn!(message_id, error = %err, "photo event not handled; it will be retried");
            response.add_failure(message_id);
        }
    }
    response
}

/// Acts on one message.
pub async fn handle(app: &App, message: PhotoMessage) -> Result<(), ArrivalError> {
    match message {
        PhotoMessage::Ignored => Ok(()),
        PhotoMessage::Stored(files) => {
            for file in files {
                stored(app, &file).await?;
            }
            Ok(())
        }
        PhotoMessage::Event(event) => on_event(app, event).await,
    }
}

async fn on_event(app: &App, event: Event) -> Result<(), ArrivalError> {
    match event.kind {
        EventType::PhotoRemoved => {
            let removed: PhotoRemoved =
                serde_json::from_value(event.data).map_err(|err| ArrivalError::Invalid(err.to_string()))?;
            app.photo_storage
                .delete(&super::storage::object_key(&removed.property_id, &removed.photo_id))
                .await?;
            Ok(())
        }
        EventType::DeadlineReached => {
            let deadline: Deadline =
                serde_json::from_value(event.data).map_err(|err| ArrivalError::Invalid(err.to_string()))?;
            match deadline.kind {
                DeadlineKind::PhotoUploadExpiry => expire(app, &deadline.booking_id, &deadline.subject_id).await,
                other => Err(ArrivalError::Invalid(format!("deadline {other:?} is not a photo's"))),
            }
        }
        other => Err(ArrivalError::Invalid(format!("{other:?} is not a photo event"))),
    }
}

/// The photo item at `(property_id, photo_id)` and its version.
async fn photo(app: &App, property_id: &str, photo_id: &str) -> Result<Option<(Photo, u64)>, ArrivalError> {
    match app.store.get(&keys::photo(property_id, photo_id)).await? {
        Some(item) => {
            let version = item.version;
            Ok(Some((item.into_record()?, version)))
        }
        None => Ok(None),
    }
}

/// A file arrived: verify it if its photo waits for it; otherwise make sure no stray file stays.
async fn stored(app: &App, file: &StoredFile) -> Result<(), ArrivalError> {
    let Some((property_id, photo_id)) = parse_object_key(&file.key) else {
        tracing::warn!(key = %file.key, "a file outside the photo keys; left alone");
        return Ok(());
    };
    match photo(app, property_id, photo_id).await? {
        // Deleted or dropped before its file came: the file belongs to nothing.
        None => Ok(app.photo_storage.delete(&file.key).await?),
        Some((photo, _)) if photo.status == PhotoStatus::Rejected => Ok(app.photo_storage.delete(&file.key).await?),
        Some((photo, _)) if photo.status == PhotoStatus::Ready => Ok(()),
        Some((photo, _)) => verify_pending(app, photo, file.stored_at).await,
    }
}

async fn verify_pending(app: &App, photo: Photo, stored_at: DateTime<Utc>) -> Result<(), ArrivalError> {
    if stored_at > photo.upload_expires_at {
        return reject(app, &photo, RejectReason::UploadExpired).await;
    }
    let key = photo.object_key();
    let Some(head) = app.photo_storage.head(&key, HEAD_BYTES).await? else {
        // Removed since S3 said it arrived: the photo waits for a file, or for its deadline.
        return Ok(());
    };
    let content_type =
        PhotoType::parse(&photo.content_type).map_err(|err| ArrivalError::Invalid(format!("stored type: {err}")))?;
    let declared = Declared {
        content_type,
        size_bytes: photo.size_bytes,
    };
    match verify::verify(&declared, &head.bytes, head.size) {
        Verdict::Ready { width, height } => ready(app, &photo, width, height).await,
        Verdict::Rejected(reason) => reject(app, &photo, reason).await,
    }
}

/// Shows the photo: its status and the property's list change in one transaction, the list
/// under its own version (retried when a reorder or another photo got there first).
async fn ready(app: &App, photo: &Photo, width: u32, height: u32) -> Result<(), ArrivalError> {
    for _ in 0..ATTEMPTS {
        let Some(item) = app.store.get(&keys::property(&photo.property_id)).await? else {
            return Err(ArrivalError::Invalid(format!("photo {} has no property", photo.id)));
        };
        let property: Property = item.into_record()?;
        let mut listed = property.photos.clone();
        if !listed.iter().any(|p| p.id == photo.id) {
            listed.push(ListedPhoto {
                id: photo.id.clone(),
                width,
                height,
                caption: photo.caption.clone(),
            });
        }
        let actions = vec![
            TxAction::Update {
                key: keys::photo(&photo.property_id, &photo.id),
                update: Update::new()
                    .set("status", "ready")
                    .set("width", width)
                    .set("height", height),
                condition: Condition::attribute_equals("status", "pending"),
            },
            TxAction::Update {
                key: keys::property(&photo.property_id),
                update: set_photos(&listed)?,
                condition: photos_unchanged(property.photos_version),
            },
        ];
        match app.store.transact(actions).await {
            Ok(()) => {
                tracing::info!(photo_id = %photo.id, property_id = %photo.property_id, width, height, "photo ready");
                return Ok(());
            }
            // Deleted, or handled by another delivery: nothing left to do.
            Err(StoreError::TransactionConditionFailed { index: 0 }) => return Ok(()),
            Err(StoreError::TransactionConditionFailed { .. } | StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ArrivalError::Invalid("the property's photos kept changing".to_owned()))
}

/// Refuses the file: the photo keeps its reason for the host for a week, its slot is given
/// back, and the file is deleted (after the commit: a failed delete brings the message back,
/// and the now rejected photo deletes it then).
async fn reject(app: &App, photo: &Photo, reason: RejectReason) -> Result<(), ArrivalError> {
    let now = app.clock.now();
    let actions = vec![
        TxAction::Update {
            key: keys::photo(&photo.property_id, &photo.id),
            update: Update::new()
                .set("status", "rejected")
                .set("rejectReason", reason.message())
                .ttl(Some((now + Duration::days(REJECTED_KEPT_DAYS)).timestamp())),
            condition: Condition::attribute_equals("status", "pending"),
        },
        TxAction::Update {
            key: keys::property(&photo.property_id),
            update: Update::new().add("photoSlots", -1),
            condition: Condition::Exists,
        },
    ];
    match app.store.transact(actions).await {
        Ok(()) => {
            tracing::info!(photo_id = %photo.id, property_id = %photo.property_id, reason = reason.code(), "photo rejected");
        }
        // Handled by another delivery, or deleted: the file goes either way.
        Err(StoreError::TransactionConditionFailed { index: 0 }) => {}
        Err(err) => return Err(err.into()),
    }
    app.photo_storage.delete(&photo.object_key()).await?;
    Ok(())
}

/// The upload deadline passed: a photo still pending is dropped with its file, if one came late.
async fn expire(app: &App, property_id: &str, photo_id: &str) -> Result<(), ArrivalError> {
    let Some((photo, version)) = photo(app, property_id, photo_id).await? else {
        return Ok(());
    };
    if photo.status != PhotoStatus::Pending {
        return Ok(());
    }
    let actions = vec![
        TxAction::Delete {
            key: keys::photo(property_id, photo_id),
            condition: Condition::VersionEquals(version),
        },
        TxAction::Update {
            key: keys::property(property_id),
            update: Update::new().add("photoSlots", -1),
            condition: Condition::Exists,
        },
    ];
    match app.store.transact(actions).await {
        Ok(()) => tracing::info!(
            photo_id,
            property_id,
            "pending photo dropped: no file within its deadline"
        ),
        // Changed meanwhile (its file was just verified, or it was deleted): leave it.
        Err(StoreError::TransactionConditionFailed { index: 0 }) => return Ok(()),
        Err(err) => return Err(err.into()),
    }
    app.photo_storage.delete(&photo.object_key()).await?;
    Ok(())
}
