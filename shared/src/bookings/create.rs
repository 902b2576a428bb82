//! `POST /bookings`: one transaction writes the booking, a hold on each of its nights, the
//! property's open-bookings count, the hold's expiry deadline, the idempotency record and
//! the booking's place in the guest's conversation about the property.
//!
//! Each hold is a put on the night's key on condition that no live item is there (a hold
//! whose time has passed is not live), so of two bookings wanting one night exactly one
//! transaction commits, however they interleave; the other fails at that night's position,
//! which names the first taken night in the `409`.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::model::{Booking, BookingStatus, BookingView, HistoryEntry, Terms};
use super::request::{self, StayRequest};
use crate::App;
use crate::auth::Principal;
use crate::clock::Clock;
use crate::deadlines::{self, Deadline, DeadlineKind};
use crate::error::{ApiError, FieldError, Problems};
use crate::idempotency::{self, Begin, Claim, StoredAnswer};
use crate::messages::{self, model::Parties};
use crate::properties::calendar::{self, day, parse_date, state};
use crate::properties::{self, Property, availability, listing};
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, StoreError, TxAction, Update};

/// The route name idempotency keys are scoped to.
pub const ROUTE: &str = "POST /bookings";
/// How long an unpaid booking holds its nights.
pub const HOLD: Duration = Duration::minutes(15);

/// Body of `POST /bookings`. Prices are never accepted: the server computes them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BookingInput {
    #[schema(required, nullable = false, min_length = 26, max_length = 26)]
    pub property_id: Option<String>,
    /// First night, `YYYY-MM-DD` in the property's time zone.
    #[schema(required, nullable = false, format = Date)]
    pub check_in: Option<String>,
    /// Day of departure (not a night), `YYYY-MM-DD`.
    #[schema(required, nullable = false, format = Date)]
    pub check_out: Option<String>,
    /// 1..maxGuests, default 1.
    #[schema(minimum = 1, maximum = 50)]
    pub guests: Option<i64>,
}

/// The record of a night held for a booking; the item's `ttl` is the hold's end, so the
/// store sees the night as free once it has passed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct HeldNight<'a> {
    state: &'static str,
    booking_id: &'a str,
    #[serde(serialize_with = "crate::time::rfc3339")]
    hold_until: chrono::DateTime<chrono::Utc>,
}

/// Books a stay for the signed-in user; the answer is `201` with the booking (or the first
/// answer again for a repeated `Idempotency-Key`).
pub async fn create(
    app: &App,
    principal: &Principal,
    idempotency_key: Option<&str>,
    input: BookingInput,
) -> Result<StoredAnswer, ApiError> {
    let claim = match idempotency::begin(app, idempotency_key, &input, &principal.user_id, ROUTE).await? {
        Begin::Replay(answer) => return Ok(answer),
        Begin::Proceed(claim) => claim,
    };
    let (property, wanted) = checked(app, principal, input).await?;
    // The conversation exists before the booking's transaction, which then joins it.
    let parties = messages::ensure(app, &property.id, &principal.user_id, &property.host_id).await?;
    let mut booking = new_booking(principal, &property, &wanted, app.clock.now());
    booking.conversation_id = Some(parties.conversation_id.clone());
    let answer = StoredAnswer {
        status: 201,
        body: serde_json::to_string(&BookingView::from(&booking)).map_err(ApiError::internal)?,
    };
    if let Some(concurrent) = write(app, &booking, &parties, claim.as_ref(), &answer).await? {
        return Ok(concurrent);
    }
    tracing::info!(booking_id = %booking.id, property_id = %booking.property_id, nights = booking.price.nights, "booking created");
    crate::metrics::count(crate::metrics::Metric::BookingsCreated, booking.created_at);
    Ok(answer)
}

/// The property and the stay, once every rule holds.
async fn checked(app: &App, principal: &Principal, input: BookingInput) -> Result<(Property, StayRequest), ApiError> {
    let mut problems = Problems::new();
    let property_id = problems.required("propertyId", input.property_id);
    let mut date = |field: &str, raw: Option<String>| raw.and_then(|raw| problems.check(field, parse_date(&raw)));
    let check_in = date("checkIn", input.check_in);
    let check_out = date("checkOut", input.check_out);
    let property = match &property_id {
        Some(id) => properties::find(app, id).await?.map(|(property, _)| property),
        None => None,
    };
    let Some(property) = property else {
        if property_id.is_some() {
            problems.add("propertyId", "no such property");
        }
        problems.finish()?;
        return Err(ApiError::internal("validation passed without a property"));
    };
    if property.host_id == principal.user_id {
        return Err(ApiError::Forbidden("hosts cannot book their own property"));
    }
    listing::ensure_bookable(app, &property).await?;
    let wanted = request::check(&property, check_in, check_out, input.guests, app.clock.now(), problems)?;
    Ok((property, wanted))
}

fn new_booking(
    principal: &Principal,
    property: &Property,
    wanted: &StayRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Booking {
    Booking {
        id: crate::ids::new_id(),
        property_id: property.id.clone(),
        guest_id: principal.user_id.clone(),
        host_id: property.host_id.clone(),
        check_in: wanted.stay.check_in,
        check_out: wanted.stay.check_out,
        guests: wanted.guests,
        status: BookingStatus::PendingPayment,
        price: wanted.price,
        terms: Terms::of(property),
        hold_expires_at: now + HOLD,
        checked_in_at: None,
        checked_out_at: None,
        refund: None,
        paid_by: None,
        conversation_id: None,
        created_at: now,
        history: vec![HistoryEntry {
            status: BookingStatus::PendingPayment,
            actor: principal.user_id.clone(),
            at: now,
            reason: None,
        }],
        last_request: None,
    }
}

/// Positions of the fixed actions of the transaction; the nights follow them.
const AT_PROPERTY: usize = 1;
const AT_HOST: usize = 2;
const AT_IDEMPOTENCY: usize = 4;

/// The transaction of a new booking: booking, property counter, the host's account check,
/// hold deadline, idempotency record (if keyed), the conversation's two entries (joining
/// it), then one hold per night in date order.
fn actions(
    booking: &Booking,
    parties: &Parties,
    claim: Option<&Claim>,
    answer: &StoredAnswer,
    clock: &dyn Clock,
) -> Result<(Vec<TxAction>, usize), StoreError> {
    let mut actions = Vec::with_capacity(7 + booking.price.nights as usize);
    actions.push(TxAction::Put {
        item: booking.to_item()?,
        condition: Condition::Absent,
    });
    // Counts the booking against deleting the property, and fails if it was deleted; the
    // holds show in the property's own view of its nights too.
    actions.push(TxAction::Update {
        key: keys::property(&booking.property_id),
        update: availability::hold(
            Update::new().add("openBookings", 1),
            &booking.stay(),
            booking.hold_expires_at.timestamp(),
        ),
        // Neither deleted by the host nor unlisted by an admin meanwhile.
        condition: Condition::All(vec![
            Condition::AttributeAbsent("deletedAt".to_owned()),
            Condition::AttributeAbsent("unlistedAt".to_owned()),
        ]),
    });
    // The host's account is not suspended, exactly at the commit.
    actions.push(TxAction::Check {
        key: keys::user(&booking.host_id),
        condition: Condition::AttributeAbsent("suspendedAt".to_owned()),
    });
    actions.push(deadlines::schedule(
        &Deadline {
            kind: DeadlineKind::HoldExpiry,
            subject_id: booking.id.clone(),
            booking_id: booking.id.clone(),
            due_at: booking.hold_expires_at,
        },
        clock,
    )?);
    if let Some(claim) = claim {
        actions.push(claim.record(answer, booking.created_at)?);
    }
    actions.extend(messages::attach(parties, &booking.id));
    let first_night = actions.len();
    for date in booking.stay().dates() {
        let hold = HeldNight {
            state: state::HELD,
            booking_id: &booking.id,
            hold_until: booking.hold_expires_at,
        };
        let item = Item::new(keys::night(&booking.property_id, &day(date)), kind::NIGHT, &hold)?
            .with_ttl(booking.hold_expires_at.timestamp());
        actions.push(TxAction::Put {
            item,
            condition: Condition::Absent,
        });
    }
    Ok((actions, first_night))
}

/// Commits the booking, retrying transactions that collided with concurrent ones. Answers
/// `Some` when a concurrent request with the same idempotency key won: its answer is this
/// request's answer too.
async fn write(
    app: &App,
    booking: &Booking,
    parties: &Parties,
    claim: Option<&Claim>,
    answer: &StoredAnswer,
) -> Result<Option<StoredAnswer>, ApiError> {
    let (actions, first_night) = actions(booking, parties, claim, answer, app.clock.as_ref())?;
    match app.store.transact(actions).await {
        Ok(()) => Ok(None),
        Err(StoreError::TransactionConditionFailed { index }) => {
            failure_at(app, booking, claim, index, first_night).await.map(Some)
        }
        // Another transaction kept touching the same items through the store's retries: the
        // nights may be taken by now, and if so that is the answer; else a transient `503`.
        Err(StoreError::Conflict) => Err(
            match calendar::first_taken(app, &booking.property_id, &booking.stay()).await? {
                Some(date) => calendar::night_taken(date),
                None => ApiError::unavailable("the property's calendar kept changing"),
            },
        ),
        Err(err) => Err(err.into()),
    }
}

/// The answer when the condition of action `index` failed: an error, or the answer of the
/// concurrent request with the same idempotency key.
async fn failure_at(
    app: &App,
    booking: &Booking,
    claim: Option<&Claim>,
    index: usize,
    first_night: usize,
) -> Result<StoredAnswer, ApiError> {
    if index >= first_night {
        let nth = i64::try_from(index - first_night).unwrap_or(0);
        return Err(calendar::night_taken(booking.check_in + Duration::days(nth)));
    }
    match (index, claim) {
        (AT_PROPERTY, _) => match properties::find(app, &booking.property_id).await? {
            Some((property, _)) if property.unlisted_at.is_some() => Err(listing::unlisted()),
            _ => Err(ApiError::Validation(vec![FieldError::new(
                "propertyId",
                "no such property",
            )])),
        },
        (AT_HOST, _) => Err(listing::host_suspended()),
        (AT_IDEMPOTENCY, Some(claim)) => claim.answer_of_concurrent_request(app).await,
        _ => Err(ApiError::internal(format!(
            "booking transaction failed at action {index}"
        ))),
    }
}
