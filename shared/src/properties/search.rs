//! Search by place, dates, guests and price.
//!
//! The walk queries gsi1 on the place partition (`PLACE#<cc>#<folded city>`), whose sort key
//! `PRICE#<12-digit amount>#<id>` makes a price filter a key range and gives the promised
//! order (nightly price, then id) for free. Currency, guests, min/max nights and availability
//! are checked per candidate. Each request examines at most [`MAX_CANDIDATES_PER_REQUEST`]
//! index items, so a sparse match never turns one request into a walk of the whole city; the
//! signed cursor resumes right after the last candidate examined.

use chrono::NaiveDate;
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::calendar::{self, Stay};
use super::model::Property;
use crate::App;
use crate::error::{ApiError, FieldError, Problems};
use crate::money::Currency;
use crate::place::{fold, parse_country};
use crate::store::keys::{self};
use crate::store::{Index, Item, Query, ResumeKey, SortKeyRange};

/// Most index items (candidates) one search request examines before it answers with what
/// matched so far and a cursor.
pub const MAX_CANDIDATES_PER_REQUEST: u32 = 60;

/// Availability checks run concurrently, this many at a time, in index order.
const CONCURRENT_CHECKS: usize = 8;

/// The query string of `GET /properties`, raw: every value as the client sent it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchQuery<'a> {
    pub city: Option<&'a str>,
    pub country: Option<&'a str>,
    pub check_in: Option<&'a str>,
    pub check_out: Option<&'a str>,
    pub guests: Option<&'a str>,
    pub min_price: Option<&'a str>,
    pub max_price: Option<&'a str>,
    pub currency: Option<&'a str>,
}

/// A search, parsed and validated; also the scope its cursors are bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Criteria {
    country: String,
    folded_city: String,
    stay: Option<Stay>,
    guests: Option<u32>,
    min_price: Option<i64>,
    max_price: Option<i64>,
    currency: Option<String>,
}

/// Where the next page resumes: the gsi1 sort key of the last candidate examined. A sort key
/// ends with the property id, so it is unique in its partition.
#[derive(Debug, Serialize, Deserialize)]
struct SearchPosition {
    after: String,
}

/// Empty values count as absent (`?guests=` is no guests filter).
fn given(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|value| !value.is_empty())
}

/// Parses an integer query parameter; a malformed one is recorded for the `400`.
fn integer(name: &str, raw: Option<&str>, malformed: &mut Vec<FieldError>) -> Option<i64> {
    let raw = given(raw)?;
    match raw.parse::<i64>() {
        Ok(value) => Some(value),
        Err(_) => {
            malformed.push(FieldError::new(name, "must be an integer"));
            None
        }
    }
}

/// Parses a `YYYY-MM-DD` query parameter; a malformed one is recorded for the `400`.
fn date(name: &str, raw: Option<&str>, malformed: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let raw = given(raw)?;
    match calendar::parse_date(raw) {
        Ok(value) => Some(value),
        Err(message) => {
            malformed.push(FieldError::new(name, message));
            None
        }
    }
}

impl Criteria {
    /// Malformed values (not a number, not a date) are `400` naming each; well-formed but
    /// invalid or missing ones are `422` naming each.
    fn parse(query: &SearchQuery<'_>) -> Result<Self, ApiError> {
        let mut malformed = Vec::new();
        let guests = integer("guests", query.guests, &mut malformed);
        let min_price = integer("minPrice", query.min_price, &mut malformed);
        let max_price = integer("maxPrice", query.max_price, &mut malformed);
        let check_in = date("checkIn", query.check_in, &mut malformed);
        let check_out = date("checkOut", query.check_out, &mut malformed);
        if !malformed.is_empty() {
            return Err(ApiError::BadRequest {
                message: "query parameters are malformed".to_owned(),
                details: malformed,
            });
        }

        let mut problems = Problems::new();
        let city = problems
            .required("city", given(query.city))
            .map(fold)
            .filter(|city| !city.is_empty());
        let country = problems
            .required("country", given(query.country))
            .and_then(|raw| problems.check("country", parse_country(raw)));
        let guests = match guests {
            Some(value) if value < 1 => {
                problems.add("guests", "must be at least 1");
                None
            }
            // More guests than any property holds is a valid search that finds nothing.
            other => other.map(|value| u32::try_from(value).unwrap_or(u32::MAX)),
        };
        for (name, value) in [("minPrice", min_price), ("maxPrice", max_price)] {
            if value.is_some_and(|value| !(0..=super::input::MAX_AMOUNT).contains(&value)) {
                problems.add(name, format!("must be 0..={} minor units", super::input::MAX_AMOUNT));
            }
        }
        if let (Some(min), Some(max)) = (min_price, max_price)
            && min > max
        {
            problems.add("maxPrice", "must not be below minPrice");
        }
        let currency = given(query.currency)
            .and_then(|raw| problems.check("currency", Currency::parse(raw)))
            .map(|currency| currency.code().to_owned());
        let stay = match (check_in, check_out) {
            (None, None) => None,
            (Some(_), None) => {
                problems.add("checkOut", "is required with checkIn");
                None
            }
            (None, Some(_)) => {
                problems.add("checkIn", "is required with checkOut");
                None
            }
            (Some(check_in), Some(check_out)) => {
                let stay = Stay::new(check_in, check_out);
                if stay.is_none() {
                    problems.add("checkOut", "must be after checkIn");
                }
                stay
            }
        };
        problems.finish()?;
        let (Some(folded_city), Some(country)) = (city, country) else {
            return Err(ApiError::internal("validation passed without a place"));
        };
        Ok(Self {
            country,
            folded_city,
            stay,
            guests,
            min_price,
            max_price,
            currency,
        })
    }

    /// The cursor scope: the normalised query, so a cursor only resumes the search it came from.
    fn scope(&self) -> Result<String, ApiError> {
        Ok(format!(
            "search-properties:{}",
            serde_json::to_string(self).map_err(ApiError::internal)?
        ))
    }

    /// The gsi1 sort-key range of this search, starting at `after` when resuming (inclusive:
    /// the walk skips that one item itself).
    fn range(&self, after: Option<&str>) -> SortKeyRange {
        let lower = after
            .map(str::to_owned)
            .or_else(|| self.min_price.map(keys::price_bound));
        // `~` sorts after every character of an id, so properties priced exactly at the
        // maximum are included.
        let upper = self.max_price.map(|max| format!("{}#~", keys::price_bound(max)));
        match (lower, upper) {
            (None, None) => SortKeyRange::Prefix("PRICE#".to_owned()),
            (Some(lower), None) => SortKeyRange::From(lower),
            (None, Some(upper)) => SortKeyRange::Until(upper),
            (Some(lower), Some(upper)) => SortKeyRange::Between(lower, upper),
        }
    }

    /// Whether `property` passes the filters that need no further read.
    fn admits(&self, property: &Property) -> bool {
        property.deleted_at.is_none()
            && self
                .currency
                .as_deref()
                .is_none_or(|code| property.nightly_price.currency.code() == code)
            && self.guests.is_none_or(|guests| property.max_guests >= guests)
            && self.stay.as_ref().is_none_or(|stay| {
                let nights = stay.nights();
                nights >= i64::from(property.min_nights) && nights <= i64::from(property.max_nights)
            })
    }
}

/// The candidate behind an index item, if it matches every filter (one night query when the
/// search has dates), with the item it came from.
async fn evaluate<'a>(
    app: &App,
    criteria: &Criteria,
    item: &'a Item,
) -> (&'a Item, Result<Option<Property>, ApiError>) {
    (item, admit(app, criteria, item).await)
}

async fn admit(app: &App, criteria: &Criteria, item: &Item) -> Result<Option<Property>, ApiError> {
    let property: Property = item.record()?;
    if !criteria.admits(&property) {
        return Ok(None);
    }
    if let Some(stay) = &criteria.stay
        && !calendar::is_free(app, &property.id, stay).await?
    {
        return Ok(None);
    }
    Ok(Some(property))
}

/// One page of search results (ascending nightly price, then id) and the cursor of the next,
/// `None` only once the place's index is exhausted.
pub async fn search(
    app: &App,
    query: &SearchQuery<'_>,
    limit: u32,
    cursor: Option<&str>,
) -> Result<(Vec<Property>, Option<String>), ApiError> {
    let criteria = Criteria::parse(query)?;
    let scope = criteria.scope()?;
    let now = app.clock.now();
    let after = match cursor {
        Some(cursor) => Some(app.cursors.open::<SearchPosition>(cursor, &scope, now)?.after),
        None => None,
    };
    let partition = keys::place(&criteria.country, &criteria.folded_city);

    let mut matched = Vec::new();
    let mut examined = 0u32;
    let mut start: Option<ResumeKey> = None;
    let mut first_page = true;
    loop {
        // The walk resumes at the cursor's own item (ranges are inclusive) and skips it, so
        // the first page asks for one more item than the budget.
        let skip = if first_page { after.as_deref() } else { None };
        first_page = false;
        let budget = MAX_CANDIDATES_PER_REQUEST - examined + u32::from(skip.is_some());
        let page = app
            .store
            .query(
                Query::partition(Index::Gsi1, partition.clone())
                    .range(criteria.range(after.as_deref()))
                    .limit(budget)
                    .start(start.take()),
            )
            .await?;
        let last_on_page = page.items.last().and_then(sort_key);
        // Futures of a named `async fn`, collected first: closures here trip the compiler's
        // higher-ranked lifetime checks once the handler future must be `Send`.
        let mut pending = Vec::with_capacity(page.items.len());
        for item in &page.items {
            if skip.is_none() || sort_key(item) != skip {
                pending.push(evaluate(app, &criteria, item));
            }
        }
        let mut checks = futures::stream::iter(pending).buffered(CONCURRENT_CHECKS);
        while let Some((item, verdict)) = checks.next().await {
            examined += 1;
            if let Some(property) = verdict? {
                matched.push(property);
            }
            if matched.len() >= limit as usize || examined >= MAX_CANDIDATES_PER_REQUEST {
                let last = sort_key(item);
                let nothing_follows = page.next.is_none() && last == last_on_page;
                let next = match last {
                    Some(after) if !nothing_follows => Some(app.cursors.seal(
                        &scope,
                        &SearchPosition {
                            after: after.to_owned(),
                        },
                        now,
                    )?),
                    _ => None,
                };
                return Ok((matched, next));
            }
        }
        match page.next {
            None => return Ok((matched, None)),
            // A page cut short by the store (size limit, expired items): keep walking.
            Some(next) => start = Some(next),
        }
    }
}

/// An index item's gsi1 sort key.
fn sort_key(item: &Item) -> Option<&str> {
    item.gsi1.as_ref().map(|key| key.sk.as_str())
}
