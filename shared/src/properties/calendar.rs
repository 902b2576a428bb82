//! The calendar: nights with availability and price, and host blocks.
//!
//! A night that is held, booked or blocked is one item `PROPERTY#<id>` / `NIGHT#<date>`
//! (dates in the property's own time zone). A free night has no item, or a hold whose `ttl`
//! has passed, which the store already treats as absent. So every taker of a night (a
//! booking's hold, a host's block) writes it with [`Condition::Absent`], and whoever writes
//! second fails: no read-then-write race can give one night to two takers.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::availability;
use super::model::Property;
use crate::App;
use crate::auth::Principal;
use crate::error::{ApiError, FieldError, Problems};
use crate::money::Money;
use crate::store::keys::{self, NIGHT_PREFIX, kind};
use crate::store::{Condition, Index, Item, Query, SortKeyRange, StoreError, TxAction, Update};
use crate::zone::Zone;

/// Most nights one calendar read covers.
pub const MAX_CALENDAR_NIGHTS: i64 = 366;
/// Nights shown when the request gives no `to`.
pub const DEFAULT_CALENDAR_NIGHTS: i64 = 30;
/// Most nights one block or unblock covers: they are written in one transaction, which holds
/// at most 100 actions.
pub const MAX_BLOCK_NIGHTS: i64 = 90;

/// `state` of a night item.
pub mod state {
    /// Held by a booking awaiting payment (the item's `ttl` is the hold's end).
    pub const HELD: &str = "held";
    /// Taken by a paid booking.
    pub const BOOKED: &str = "booked";
    /// Closed by the host.
    pub const BLOCKED: &str = "blocked";
}

/// Parses a calendar date, `YYYY-MM-DD` exactly.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    // chrono alone would accept `2026-1-5`; the API promises one spelling per date.
    let well_shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(at, byte)| {
            if at == 4 || at == 7 {
                byte == b'-'
            } else {
                byte.is_ascii_digit()
            }
        });
    if !well_shaped {
        return Err("must be a date as YYYY-MM-DD".to_owned());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "must be a real calendar date (YYYY-MM-DD)".to_owned())
}

/// The sort-key part of a night's date.
pub(crate) fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A stay: check-in date (the first night) up to the check-out date (not a night).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stay {
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
}

impl Stay {
    /// A stay of at least one night; `None` unless `check_out` is after `check_in`.
    pub fn new(check_in: NaiveDate, check_out: NaiveDate) -> Option<Self> {
        (check_out > check_in).then_some(Self { check_in, check_out })
    }

    /// Number of nights.
    pub fn nights(&self) -> i64 {
        (self.check_out - self.check_in).num_days()
    }

    /// The last night (the day before check-out).
    pub fn last_night(&self) -> NaiveDate {
        self.check_out - Duration::days(1)
    }

    /// Every night, in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let check_in = self.check_in;
        (0..self.nights()).map(move |offset| check_in + Duration::days(offset))
    }
}

/// The query of `property_id`'s night items from `stay`'s first to last night.
fn nights_query(property_id: &str, stay: &Stay, limit: u32) -> Query {
    let first = keys::night(property_id, &day(stay.check_in));
    let last = keys::night(property_id, &day(stay.last_night()));
    Query::partition(Index::Table, first.pk)
        .range(SortKeyRange::Between(first.sk, last.sk))
        .limit(limit)
}

/// The live night items of a stay, by date.
pub(crate) async fn night_items(
    app: &App,
    property_id: &str,
    stay: &Stay,
) -> Result<BTreeMap<NaiveDate, Item>, ApiError> {
    let limit = u32::try_from(stay.nights().clamp(1, 1000)).unwrap_or(1000);
    let mut query = nights_query(property_id, stay, limit);
    let mut taken = BTreeMap::new();
    loop {
        let page = app.store.query(query.clone()).await?;
        for item in page.items {
            let date = item
                .key
                .sk
                .strip_prefix(NIGHT_PREFIX)
                .and_then(|raw| parse_date(raw).ok())
                .ok_or_else(|| ApiError::internal(format!("night item with sort key {}", item.key.sk)))?;
            taken.insert(date, item);
        }
        match page.next {
            Some(next) => query = query.start(Some(next)),
            None => return Ok(taken),
        }
    }
}

/// The live night items of a stay, by date (their `state`).
async fn taken_nights(app: &App, property_id: &str, stay: &Stay) -> Result<BTreeMap<NaiveDate, String>, ApiError> {
    Ok(night_items(app, property_id, stay)
        .await?
        .into_iter()
        .map(|(date, item)| {
            let state = item
                .attrs
                .get("state")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            (date, state)
        })
        .collect())
}

/// The first night of `stay` that is held, booked or blocked, if any.
pub(crate) async fn first_taken(app: &App, property_id: &str, stay: &Stay) -> Result<Option<NaiveDate>, ApiError> {
    let limit = u32::try_from(stay.nights().clamp(1, 1000)).unwrap_or(1000);
    let mut query = nights_query(property_id, stay, limit);
    loop {
        let page = app.store.query(query.clone()).await?;
        if let Some(item) = page.items.first() {
            return item
                .key
                .sk
                .strip_prefix(NIGHT_PREFIX)
                .and_then(|raw| parse_date(raw).ok())
                .map(Some)
                .ok_or_else(|| ApiError::internal(format!("night item with sort key {}", item.key.sk)));
        }
        match page.next {
            Some(next) => query = query.start(Some(next)),
            None => return Ok(None),
        }
    }
}

/// Whether every night of `stay` is free: one query of its night items (more only when the
/// store cuts the page short, e.g. at expired holds).
pub async fn is_free(app: &App, property_id: &str, stay: &Stay) -> Result<bool, ApiError> {
    Ok(first_taken(app, property_id, stay).await?.is_none())
}

/// One night of a calendar.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarNight {
    /// `YYYY-MM-DD` in the property's time zone.
    #[schema(value_type = String, format = Date, example = "2026-12-24")]
    pub date: NaiveDate,
    /// False when the night is held, booked or blocked (which one is not shown).
    pub available: bool,
    /// The property's nightly price.
    pub price: Money,
}

/// `{"nights": [...]}`: one entry per night, ascending.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Calendar {
    pub nights: Vec<CalendarNight>,
}

/// Today in the property's time zone.
fn today(app: &App, property: &Property) -> Result<NaiveDate, ApiError> {
    let zone = Zone::named(&property.time_zone)
        .ok_or_else(|| ApiError::internal(format!("property {} has time zone {}", property.id, property.time_zone)))?;
    Ok(zone.date_of(app.clock.now()))
}

/// The calendar of `range` from one read of its night items.
async fn render(app: &App, property: &Property, range: &Stay) -> Result<Calendar, ApiError> {
    let taken = taken_nights(app, &property.id, range).await?;
    Ok(Calendar {
        nights: range
            .dates()
            .map(|date| CalendarNight {
                date,
                available: !taken.contains_key(&date),
                price: property.nightly_price,
            })
            .collect(),
    })
}

/// A query date parameter: absent or empty is `None`, malformed is `400` naming it.
pub(crate) fn query_date(name: &str, raw: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) => parse_date(raw).map(Some).map_err(|message| ApiError::BadRequest {
            message: format!("{name} is malformed"),
            details: vec![FieldError::new(name, message)],
        }),
    }
}

/// Checks a range: `to` after `from`, at most `max` nights (`422` naming `to`).
fn checked_range(from: NaiveDate, to: NaiveDate, max: i64, problems: &mut Problems) -> Option<Stay> {
    let Some(range) = Stay::new(from, to) else {
        problems.add("to", "must be after from");
        return None;
    };
    if range.nights() > max {
        problems.add("to", format!("must be at most {max} nights after from"));
        return None;
    }
    Some(range)
}

/// `GET /properties/{id}/calendar?from=&to=`: `from` included, `to` excluded; by default
/// today (property's time zone) and the 30 nights from it. Malformed dates are `400`; a
/// range that is empty, inverted or over 366 nights is `422`; a deleted property is `404`.
pub async fn calendar(
    app: &App,
    property_id: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Calendar, ApiError> {
    let from = query_date("from", from)?;
    let to = query_date("to", to)?;
    let property = super::view(app, property_id).await?;
    let from = match from {
        Some(from) => from,
        None => today(app, &property)?,
    };
    let to = to.unwrap_or(from + Duration::days(DEFAULT_CALENDAR_NIGHTS));
    let mut problems = Problems::new();
    let range = checked_range(from, to, MAX_CALENDAR_NIGHTS, &mut problems);
    problems.finish()?;
    let range = range.ok_or_else(|| ApiError::internal("validation passed without a range"))?;
    render(app, &property, &range).await
}

/// Body of `PUT /properties/{id}/calendar/blocks`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BlocksInput {
    /// First night, `YYYY-MM-DD`.
    #[schema(required, nullable = false, format = Date)]
    pub from: Option<String>,
    /// Night after the last one (excluded), `YYYY-MM-DD`; at most 90 nights after `from`.
    #[schema(required, nullable = false, format = Date)]
    pub to: Option<String>,
    /// `true` blocks the nights, `false` opens the ones the host blocked.
    #[schema(required, nullable = false)]
    pub blocked: Option<bool>,
}

/// The record of a night the host blocked.
#[derive(Debug, Serialize)]
struct BlockedNight {
    state: &'static str,
}

/// A `409` naming the night that is not the host's to change.
pub(crate) fn night_taken(date: NaiveDate) -> ApiError {
    ApiError::Conflict {
        message: "a night in the range is booked or held".to_owned(),
        details: vec![FieldError::new(day(date), "this night is booked or held")],
    }
}

/// Attempts before giving up on a range that keeps changing under the request.
const ATTEMPTS: usize = 3;

/// `PUT /properties/{id}/calendar/blocks`: the host blocks (or unblocks) every night of
/// `from..to` at once and gets the calendar of that range. A night already in the wanted
/// state is left alone; a booked or held night anywhere in the range fails the whole request
/// (`409`, its date named in `details[].field`). Dates in the body that are not `YYYY-MM-DD`
/// are `422` naming them, like any invalid body value.
pub async fn set_blocks(
    app: &App,
    principal: &Principal,
    property_id: &str,
    input: BlocksInput,
) -> Result<Calendar, ApiError> {
    let property = hosted(app, principal, property_id).await?;
    let mut problems = Problems::new();
    let from = problems
        .required("from", input.from.as_deref())
        .and_then(|raw| problems.check("from", parse_date(raw)));
    let to = problems
        .required("to", input.to.as_deref())
        .and_then(|raw| problems.check("to", parse_date(raw)));
    let blocked = problems.required("blocked", input.blocked);
    let range = match (from, to) {
        (Some(from), Some(to)) => checked_range(from, to, MAX_BLOCK_NIGHTS, &mut problems),
        _ => None,
    };
    problems.finish()?;
    let (Some(range), Some(blocked)) = (range, blocked) else {
        return Err(ApiError::internal("validation passed without a range"));
    };

    for attempt in 1..=ATTEMPTS {
        let taken = taken_nights(app, &property.id, &range).await?;
        if let Some((date, _)) = taken.iter().find(|(_, state)| state.as_str() != state::BLOCKED) {
            return Err(night_taken(*date));
        }
        // The nights this request writes, in transaction order (so a failing index names one).
        let mut dates = Vec::new();
        let mut actions = Vec::new();
        for date in range.dates() {
            let key = keys::night(&property.id, &day(date));
            match (blocked, taken.contains_key(&date)) {
                (true, false) => {
                    let item = Item::new(key, kind::NIGHT, &BlockedNight { state: state::BLOCKED })?;
                    actions.push(TxAction::Put {
                        item,
                        condition: Condition::Absent,
                    });
                    dates.push(date);
                }
                (false, true) => {
                    actions.push(TxAction::Delete {
                        key,
                        condition: Condition::attribute_equals("state", state::BLOCKED),
                    });
                    dates.push(date);
                }
                // Already as wanted.
                _ => {}
            }
        }
        if actions.is_empty() {
            return render(app, &property, &range).await;
        }
        // The property's own view of its nights, after the nights (so that a failing index
        // still names one of `dates`).
        let view = if blocked {
            availability::take(Update::new(), dates.iter().copied())
        } else {
            availability::untake(Update::new(), dates.iter().copied())
        };
        actions.push(TxAction::Update {
            key: keys::property(&property.id),
            update: view,
            condition: Condition::Exists,
        });
        match app.store.transact(actions).await {
            Ok(()) => return render(app, &property, &range).await,
            // A night changed since the read (a booking held it, another request blocked or
            // opened it): read again, which names it if it is now taken.
            Err(StoreError::TransactionConditionFailed { index }) => {
                if attempt == ATTEMPTS {
                    let date = dates.get(index).copied().unwrap_or(range.check_in);
                    return Err(night_taken(date));
                }
            }
            // A collision the store's retries did not get past: transient, `503`.
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::unavailable("the calendar kept changing"))
}

/// A live property the principal hosts: `404` if absent or deleted, `403` if someone else's.
async fn hosted(app: &App, principal: &Principal, property_id: &str) -> Result<Property, ApiError> {
    let property = super::get(app, property_id).await?;
    if property.host_id != principal.user_id {
        return Err(ApiError::Forbidden("only the property's host may change its calendar"));
    }
    Ok(property)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_have_one_spelling() {
        assert_eq!(
            parse_date("2026-12-24"),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 24).unwrap())
        );
        for bad in [
            "2026-1-5",
            "2026-02-30",
            "24.12.2026",
            "2026-12-24T00:00",
            "",
            "2026-12-2x",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_stay_has_its_nights_but_not_its_check_out_day() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let stay = Stay::new(day(24), day(27)).unwrap();
        assert_eq!(stay.nights(), 3);
        assert_eq!(stay.last_night(), day(26));
        assert_eq!(stay.dates().collect::<Vec<_>>(), [day(24), day(25), day(26)]);
        assert!(Stay::new(day(24), day(24)).is_none());
    }
}
