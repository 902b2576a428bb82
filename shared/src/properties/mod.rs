//! Properties: hosts list and manage them; anyone reads them, searches them and reads their
//! calendars.

pub mod calendar;
pub mod input;
pub mod model;
pub mod search;

use chrono::{DateTime, Utc};

pub use model::{Property, PropertyView};

use self::input::{Listing, PropertyInput};
use crate::App;
use crate::auth::{Principal, Role};
use crate::error::{ApiError, Problems};
use crate::store::keys::{self};
use crate::store::{Condition, Index, Query, StoreError, Update};

const NOT_FOUND: ApiError = ApiError::NotFound("property not found");

/// Reads a live (not deleted) property.
pub async fn find(app: &App, property_id: &str) -> Result<Option<(Property, u64)>, ApiError> {
    if ulid::Ulid::from_string(property_id).is_err() {
        return Ok(None);
    }
    let Some(item) = app.store.get(&keys::property(property_id)).await? else {
        return Ok(None);
    };
    let property: Property = item.record()?;
    Ok(property.deleted_at.is_none().then_some((property, item.version)))
}

/// A live property, or `404`.
pub async fn get(app: &App, property_id: &str) -> Result<Property, ApiError> {
    find(app, property_id).await?.map(|(p, _)| p).ok_or(NOT_FOUND)
}

/// A live property the principal hosts: `404` if absent, `403` if someone else's.
async fn owned(app: &App, principal: &Principal, property_id: &str) -> Result<(Property, u64), ApiError> {
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
        created_at,
        updated_at: now,
        deleted_at: None,
        open_bookings: 0,
        rating: Default::default(),
    }
}

/// Lists a new property for a host (`403` for a user without the host role).
pub async fn create(app: &App, principal: &Principal, input: PropertyInput) -> Result<Property, ApiError> {
    if !principal.has_role(Role::Host) {
        return Err(ApiError::Forbidden("only hosts can list properties"));
    }
    let mut problems = Problems::new();
    let listing = input.listing(None, &mut problems);
    problems.finish()?;
    let listing = listing.ok_or_else(|| ApiError::internal("validation passed without a listing"))?;
    let now = app.clock.now();
    let property = build(
        ulid::Ulid::new().to_string(),
        principal.user_id.clone(),
        listing,
        now,
        now,
    );
    app.store.put(property.to_item()?, Condition::Absent).await?;
    Ok(property)
}

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
        let next = build(
            current.id.clone(),
            current.host_id.clone(),
            listing,
            current.created_at,
            now,
        );
        let record = serde_json::to_value(&next).map_err(ApiError::internal)?;
        let mut update = Update::new().gsi1(Some(next.place_index()));
        for field in WRITABLE_FIELDS.iter().chain(["updatedAt"].iter()) {
            if let Some(value) = record.get(*field) {
                update = update.set(*field, value.clone());
            }
        }
        match app
            .store
            .update(&keys::property(property_id), update, Condition::VersionEquals(version))
            .await
        {
            Ok(item) => return Ok(item.record()?),
            Err(StoreError::ConditionFailed) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::conflict("the property kept changing; try again"))
}

/// The attributes a host writes (everything else is the store's or another area's).
const WRITABLE_FIELDS: [&str; 17] = [
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
    // either lands first (and blocks the delete) or finds the property gone.
    match app
        .store
        .update(
            &keys::property(&property.id),
            update,
            Condition::attribute_equals("openBookings", 0),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(ApiError::conflict(
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
    let start = app.cursors.resume(cursor, &scope, now)?;
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
    let next = app.cursors.next_page(&scope, page.next, now)?;
    Ok((properties, next))
}
