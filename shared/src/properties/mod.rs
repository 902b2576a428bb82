//! Properties: hosts list and manage them; anyone reads them, searches them and reads their
//! calendars.

pub mod availability;
pub mod backfill;
pub mod calendar;
pub mod index;
pub mod input;
pub mod listing;
pub mod model;
pub mod search;

use chrono::{DateTime, Utc};

pub use model::{HostPropertyView, Property, PropertyView};

use self::input::{Listing, PropertyInput};
use crate::App;
use crate::auth::{Principal, Role};
use crate::error::{ApiError, Problems};
use crate::idempotency::{self, Begin, StoredAnswer};
use crate::store::keys::{self};
use crate::store::{Condition, Consistency, Index, Query, StoreError, TxAction, Update};

const NOT_FOUND: ApiError = ApiError::NotFound("property not found");

/// Reads a live (not deleted) property.
pub async fn find(app: &App, property_id: &str) -> Result<Option<(Property, u64)>, ApiError> {
    find_with(app, property_id, Consistency::Strong).await
}

/// Reads a live property read with `consistency`.
async fn find_with(
    app: &App,
    property_id: &str,
    consistency: Consistency,
) -> Result<Option<(Property, u64)>, ApiError> {
    if ulid::Ulid::from_string(property_id).is_err() {
        return Ok(None);
    }
    let key = keys::property(property_id);
    let found = match consistency {
        Consistency::Strong => app.store.get(&key).await?,
        Consistency::Eventual => app.store.get_eventual(&key).await?,
    };
    let Some(item) = found else {
        return Ok(None);
    };
    let property: Property = item.record()?;
    Ok(property.deleted_at.is_none().then_some((property, item.version)))
}

/// A live property, or `404`.
pub async fn get(app: &App, property_id: &str) -> Result<Property, ApiError> {
    find(app, property_id).await?.map(|(p, _)| p).ok_or(NOT_FOUND)
}

/// A live property for a public view (its page, a quote, its calendar), or `404`. Read
/// eventually consistent: a listing a second out of date is harmless there (a booking reads
/// it again, strongly, and its transaction checks what matters), and it costs half the read
/// units of [`get`], which every path that writes uses.
pub async fn view(app: &App, property_id: &str) -> Result<Property, ApiError> {
    find_with(app, property_id, Consistency::Eventual)
        .await?
        .map(|(p, _)| p)
        .ok_or(NOT_FOUND)
}

/// A live property the principal hosts: `404` if absent, `403` if someone else's.
pub(crate) async fn owned(app: &App, principal: &Principal, property_id: &str) -> Result<(Property, u64), ApiError> {
    let (property, version) = find(app, property_id).await?.ok_or(NOT_FOUND)?;
    if property.host_id != principal.user_id {
        return Err(ApiError::Forbidden("only the property's host may change it"));
    }
    Ok((property, version))
}

fn build(id: String, host_id: String, listing: Listing, created_at: DateTime<Utc>, now: DateTime<Utc>) -> Property {
    Property {
        id,
        host_id,
        title: listing.title,
        description: listing.description,
        address: listing.address,
        time_zone: listing.time_zone,
        max_guests: listing.max_guests,
        bedrooms: listing.bedrooms,
        beds: listing.beds,
        bathrooms: listing.bathrooms,
        amenities: listing.amenities,
        nightly_price: listing.nightly_price,
        cleaning_fee: listing.cleaning_fee,
        min_nights: listing.min_nights,
        max_nights: listing.max_nights,
        check_in_time: listing.check_in_time,
        check_out_time: listing.check_out_time,
        instant_book: listing.instant_book,
        cancellation_policy: listing.cancellation_policy,
        check_in_instructions: listing.check_in_instructions,
        created_at,
        updated_at: now,
        deleted_at: None,
        unlisted_at: None,
        open_bookings: 0,
        rating: Default::default(),
        location: listing.location,
        taken_nights: Vec::new(),
        held_nights: Vec::new(),
        photos: Vec::new(),
        photos_version: 0,
        photo_slots: 0,
    }
}

/// Writes a property's change with its map entries: one transaction, or a single write (half
/// the cost) for a property with no entries to move. Either way a failed condition reads as
/// the transaction's, at the position of the action.
async fn commit(app: &App, mut actions: Vec<TxAction>) -> Result<(), StoreError> {
    if actions.len() != 1 {
        return app.store.transact(actions).await;
    }
    let single = match actions.pop() {
        Some(TxAction::Put { item, condition }) => app.store.put(item, condition).await,
        Some(TxAction::Update { key, update, condition }) => app.store.update(&key, update, condition).await.map(drop),
        Some(other) => app.store.transact(vec![other]).await,
        None => Ok(()),
    };
    single.map_err(|err| match err {
        StoreError::ConditionFailed => StoreError::TransactionConditionFailed { index: 0 },
        other => other,
    })
}

/// Lists a new property for a host (`403` for a user without the host role).
///
/// With an `Idempotency-Key` (which a host's client sends so that retrying a request whose
/// answer was lost lists the property once), the same key and body within 24 h answer the
/// first `201` again, as for bookings; the answer is recorded in the listing's transaction.
pub async fn create(
    app: &App,
    principal: &Principal,
    idempotency_key: Option<&str>,
    input: PropertyInput,
) -> Result<StoredAnswer, ApiError> {
    if !principal.has_role(Role::Host) {
        return Err(ApiError::Forbidden("only hosts can list properties"));
    }
    let claim = match idempotency::begin(app, idempotency_key, &input, &principal.user_id, CREATE_ROUTE).await? {
        Begin::Replay(answer) => return Ok(answer),
        Begin::Proceed(claim) => claim,
    };
    let mut problems = Problems::new();
    let listing = input.listing(None, &mut problems);
    problems.finish()?;
    let listing = listing.ok_or_else(|| ApiError::internal("validation passed without a listing"))?;
    let now = app.clock.now();
    let property = build(crate::ids::new_id(), principal.user_id.clone(), listing, now, now);
    let answer = StoredAnswer {
        status: 201,
        body: serde_json::to_string(&HostPropertyView::new(&property, &app.photo_urls)).map_err(ApiError::internal)?,
    };
    let mut actions = vec![TxAction::Put {
        item: property.to_item()?,
        condition: Condition::Absent,
    }];
    actions.extend(index::moves(None, Some(&property))?);
    let recorded_at = actions.len();
    if let Some(claim) = &claim {
        actions.push(claim.record(&answer, now)?);
    }
    match commit(app, actions).await {
        Ok(()) => Ok(answer),
        // A concurrent request with the same key listed it first: its answer is ours.
        Err(StoreError::TransactionConditionFailed { index }) if index == recorded_at => match &claim {
            Some(claim) => claim.answer_of_concurrent_request(app).await,
            None => Err(ApiError::internal("a listing without a key failed on its key")),
        },
        Err(err) => Err(err.into()),
    }
}

/// The route `POST /properties`, the scope of its idempotency keys.
pub const CREATE_ROUTE: &str = "POST /properties";

/// Changes any writable subset of the host's property. Counters (open bookings, ratings)
/// change under it concurrently, so the write is conditioned on the version read and retried.
pub async fn update(
    app: &App,
    principal: &Principal,
    property_id: &str,
    input: PropertyInput,
) -> Result<Property, ApiError> {
    for _ in 0..3 {
        let (current, version) = owned(app, principal, property_id).await?;
        let mut problems = Problems::new();
        let listing = input.clone().listing(Some(&Listing::of(&current)), &mut problems);
        problems.finish()?;
        let listing = listing.ok_or_else(|| ApiError::internal("validation passed without a listing"))?;
        let now = app.clock.now();
        let mut next = build(
            current.id.clone(),
            current.host_id.clone(),
            listing,
            current.created_at,
            now,
        );
        // An admin's unlisting outlives the host's edits: no index entry comes back with them.
        next.unlisted_at = current.unlisted_at;
        let record = serde_json::to_value(&next).map_err(ApiError::internal)?;
        let mut update = Update::new().gsi1(next.in_search().then(|| next.city_index()));
        for field in WRITABLE_FIELDS.iter().chain(["updatedAt"].iter()) {
            match record.get(*field) {
                Some(value) => update = update.set(*field, value.clone()),
                // A patch that removed an optional field (`location: null`).
                None => update = update.remove(*field),
            }
        }
        // The map entries move with the property, under the same version condition.
        let mut actions = vec![TxAction::Update {
            key: keys::property(property_id),
            update,
            condition: Condition::VersionEquals(version),
        }];
        actions.extend(index::moves(Some(&current), Some(&next))?);
        match commit(app, actions).await {
            Ok(()) => {}
            Err(StoreError::TransactionConditionFailed { .. } | StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
        // Counters and ratings are the stored ones: the patch changed none of them.
        let mut written = next;
        written.open_bookings = current.open_bookings;
        written.rating = current.rating;
        written.taken_nights = current.taken_nights;
        written.held_nights = current.held_nights;
        written.photos = current.photos;
        written.photos_version = current.photos_version;
        written.photo_slots = current.photo_slots;
        return Ok(written);
    }
    Err(ApiError::conflict("the property kept changing; try again"))
}

/// The attributes a host writes (everything else is the store's or another area's).
const WRITABLE_FIELDS: [&str; 19] = [
    "title",
    "description",
    "address",
    "timeZone",
    "maxGuests",
    "bedrooms",
    "beds",
    "bathrooms",
    "amenities",
    "nightlyPrice",
    "cleaningFee",
    "minNights",
    "maxNights",
    "checkInTime",
    "checkOutTime",
    "instantBook",
    "cancellationPolicy",
    "checkInInstructions",
    "location",
];

/// Soft-deletes the host's property: it leaves search and the host's list; its bookings and
/// reviews stay readable. `409` while any booking of it is not yet over.
pub async fn delete(app: &App, principal: &Principal, property_id: &str) -> Result<(), ApiError> {
    let (property, _) = owned(app, principal, property_id).await?;
    let now = app.clock.now();
    let update = Update::new()
        .set("deletedAt", serde_json::to_value(now).map_err(ApiError::internal)?)
        .gsi1(None)
        .gsi2(None);
    // The counter is checked in the same write that deletes, so a booking made meanwhile
    // either lands first (and blocks the delete) or finds the property gone; the map entries
    // go with it.
    let mut actions = vec![TxAction::Update {
        key: keys::property(&property.id),
        update,
        condition: Condition::attribute_equals("openBookings", 0),
    }];
    actions.extend(index::moves(Some(&property), None)?);
    match commit(app, actions).await {
        Ok(()) => Ok(()),
        Err(StoreError::TransactionConditionFailed { .. }) => Err(ApiError::conflict(
            "the property has bookings that are not over yet (pending payment, awaiting the host, confirmed or checked in)",
        )),
        Err(err) => Err(err.into()),
    }
}

/// One page of the host's own properties, oldest first.
pub async fn list_mine(
    app: &App,
    principal: &Principal,
    limit: u32,
    cursor: Option<&str>,
) -> Result<(Vec<Property>, Option<String>), ApiError> {
    if !principal.has_role(Role::Host) {
        return Err(ApiError::Forbidden("only hosts have properties"));
    }
    let scope = format!("my-properties:{}", principal.user_id);
    let now = app.clock.now();
    let start = app.signing_keys().await?.cursors.resume(cursor, &scope, now)?;
    let page = app
        .store
        .query(
            Query::partition(Index::Gsi2, keys::host_properties(&principal.user_id))
                .limit(limit)
                .start(start),
        )
        .await?;
    let properties = page
        .items
        .iter()
        .map(|item| item.record())
        .collect::<Result<Vec<Property>, _>>()?;
    let next = app.signing_keys().await?.cursors.next_page(&scope, page.next, now)?;
    Ok((properties, next))
}
