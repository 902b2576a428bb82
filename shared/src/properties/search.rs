//! Search by place (a city, a circle or a map viewport), dates, guests, bedrooms, amenities
//! and price.
//!
//! Every index a search walks orders its properties by `PRICE#<12-digit amount>#<id>`, so a
//! price filter is a key range and the promised order (nightly price, then id) comes free:
//! - a city is one gsi1 partition (`CITY#<folded city>`) holding the property items
//!   themselves, across countries; `country` and the other filters are checked per item;
//! - a circle or a box is the geohash cells that cover it at one level (see [`geo::cover`]),
//!   each a table partition of small map entries ([`super::index`]). Their pages are merged
//!   in price order, filtered exactly by distance or box, and the properties shown are read
//!   in one batch.
//!
//! Availability needs no read per candidate: the property item carries its taken and held
//! nights ([`super::availability`]). A request examines a bounded number of candidates, and
//! makes at most one store call per index partition plus two; the signed cursor resumes
//! right after the last candidate examined.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::availability;
use super::calendar::{self, Stay};
use super::index::GeoEntry;
use super::model::Property;
use crate::App;
use crate::error::{ApiError, FieldError, Problems};
use crate::geo::{self, BBox, Point};
use crate::money::Currency;
use crate::photos::model::PhotoView;
use crate::photos::storage::PhotoUrls;
use crate::place::{fold, parse_country};
use crate::store::keys;
use crate::store::record::{Record, Text};
use crate::store::{Index, Key, MAX_BATCH_GET_KEYS, MAX_EXCLUDED_VALUES, Query, ResumeKey, SortKeyRange};

/// Most index items (candidates) one search request examines before it answers with what
/// matched so far and a cursor.
pub const MAX_CANDIDATES_PER_REQUEST: u32 = 240;

/// Most queries of the city partition one request makes (so at most this many store calls).
const CITY_ROUNDS: u32 = 3;

/// Default radius of a `near` search, km.
pub const DEFAULT_RADIUS_KM: f64 = 10.0;
/// Radius bounds of a `near` search, km.
pub const RADIUS_KM: (f64, f64) = (0.1, 100.0);
/// Longest side of a `bbox` search, km.
pub const MAX_BOX_SIDE_KM: f64 = 500.0;
/// Most amenities one search asks for (a property lists at most as many).
const MAX_AMENITIES: usize = 50;

/// The query string of `GET /properties`, raw: every value as the client sent it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchQuery<'a> {
    pub city: Option<&'a str>,
    pub country: Option<&'a str>,
    pub near: Option<&'a str>,
    pub radius_km: Option<&'a str>,
    pub bbox: Option<&'a str>,
    pub check_in: Option<&'a str>,
    pub check_out: Option<&'a str>,
    pub guests: Option<&'a str>,
    pub bedrooms: Option<&'a str>,
    pub amenities: Option<&'a str>,
    pub min_price: Option<&'a str>,
    pub max_price: Option<&'a str>,
    pub currency: Option<&'a str>,
}

/// Where a search looks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
enum Place {
    City { city: String, country: Option<String> },
    Near { center: Point, radius_km: f64 },
    Area { bbox: BBox },
}

/// A search, parsed and validated; also the scope its cursors are bound to.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Criteria {
    place: Place,
    stay: Option<Stay>,
    guests: Option<u32>,
    bedrooms: Option<u32>,
    /// Lower-cased, sorted, without repeats.
    amenities: Vec<String>,
    min_price: Option<i64>,
    max_price: Option<i64>,
    currency: Option<String>,
}

/// Where the next page resumes: the sort key of the last candidate examined. A sort key ends
/// with the property id, so it is unique in every partition.
#[derive(Debug, Serialize, Deserialize)]
struct SearchPosition {
    after: String,
}

/// One result: the property, and how far it is from the centre of a `near` search.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub property: Property,
    /// Great-circle km, one decimal; only for `near`.
    pub distance_km: Option<f64>,
}

/// A search result as clients see it: the property, and `distanceKm` for a `near` search.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    #[serde(flatten)]
    pub property: super::PropertyView,
    /// Great-circle distance from `near`, km with one decimal; only on a `near` search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// The first of `photos`; `null` when the property has none.
    pub cover_photo: Option<PhotoView>,
}

impl SearchResult {
    pub fn new(hit: &Hit, urls: &PhotoUrls) -> Self {
        let property = super::PropertyView::new(&hit.property, urls);
        Self {
            cover_photo: property.photos.first().cloned(),
            property,
            distance_km: hit.distance_km,
        }
    }
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

/// Parses a list of `count` comma-separated finite numbers; a malformed one is recorded for
/// the `400` with `shape` telling what was expected.
fn numbers<const N: usize>(
    name: &str,
    raw: Option<&str>,
    shape: &str,
    malformed: &mut Vec<FieldError>,
) -> Option<[f64; N]> {
    let raw = given(raw)?;
    let mut values = [0.0; N];
    let mut parts = raw.split(',');
    let parsed = values.iter_mut().all(|slot| {
        match parts
            .next()
            .and_then(|part| part.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
        {
            Some(value) => {
                *slot = value;
                true
            }
            None => false,
        }
    });
    if parsed && parts.next().is_none() {
        Some(values)
    } else {
        malformed.push(FieldError::new(name, format!("must be {shape}")));
        None
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

/// Whether a latitude and longitude are in range; records each that is not under `field`.
fn in_range(field: &str, lat: f64, lng: f64, problems: &mut Problems) -> bool {
    let mut ok = true;
    if !(-90.0..=90.0).contains(&lat) {
        problems.add(field, "latitude must be -90..90");
        ok = false;
    }
    if !(-180.0..=180.0).contains(&lng) {
        problems.add(field, "longitude must be -180..180");
        ok = false;
    }
    ok
}

/// The raw place parameters, parsed as far as their shape goes.
struct RawPlace<'a> {
    city: Option<&'a str>,
    country: Option<&'a str>,
    near: Option<[f64; 2]>,
    radius_km: Option<f64>,
    bbox: Option<[f64; 4]>,
}

impl RawPlace<'_> {
    /// The one place the query names, every problem recorded (`422`).
    fn place(&self, problems: &mut Problems) -> Option<Place> {
        let named = [
            ("city", self.city.is_some()),
            ("near", self.near.is_some()),
            ("bbox", self.bbox.is_some()),
        ];
        let count = named.iter().filter(|(_, present)| *present).count();
        if count == 0 {
            for (field, _) in named {
                problems.add(field, "a search names one place: city, near or bbox");
            }
        } else if count > 1 {
            for (field, present) in named {
                if present {
                    problems.add(field, "only one of city, near and bbox may be given");
                }
            }
        }
        if self.country.is_some() && self.city.is_none() {
            problems.add("country", "narrows a city search; give city too");
        }
        if self.radius_km.is_some() && self.near.is_none() {
            problems.add("radiusKm", "is only for a near search");
        }
        let country = self
            .country
            .and_then(|raw| problems.check("country", parse_country(raw)));
        let radius_km = self.radius_km.unwrap_or(DEFAULT_RADIUS_KM);
        if !(RADIUS_KM.0..=RADIUS_KM.1).contains(&radius_km) {
            problems.add("radiusKm", format!("must be {}..{} km", RADIUS_KM.0, RADIUS_KM.1));
        }
        if count != 1 {
            return None;
        }
        if let Some(city) = self.city {
            let city = fold(city);
            return Some(Place::City { city, country });
        }
        if let Some([lat, lng]) = self.near {
            let center = if in_range("near", lat, lng, problems) {
                Point::new(lat, lng)
            } else {
                None
            };
            return Some(Place::Near {
                center: center?,
                radius_km,
            });
        }
        let [min_lng, min_lat, max_lng, max_lat] = self.bbox?;
        let corners = in_range("bbox", min_lat, min_lng, problems) & in_range("bbox", max_lat, max_lng, problems);
        if !corners {
            return None;
        }
        if min_lat > max_lat {
            problems.add("bbox", "minLat must not be above maxLat");
            return None;
        }
        let bbox = BBox {
            min_lng,
            min_lat,
            max_lng,
            max_lat,
        };
        if bbox.longer_side_km() > MAX_BOX_SIDE_KM {
            problems.add(
                "bbox",
                format!("must be at most {MAX_BOX_SIDE_KM} km on its longer side"),
            );
            return None;
        }
        Some(Place::Area { bbox })
    }
}

/// `amenities=wifi,Kitchen`: lower-cased, sorted, without repeats or empty parts.
fn amenity_list(raw: Option<&str>, problems: &mut Problems) -> Vec<String> {
    let Some(raw) = given(raw) else {
        return Vec::new();
    };
    let mut list: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_lowercase)
        .collect();
    list.sort();
    list.dedup();
    if list.len() > MAX_AMENITIES {
        problems.add("amenities", format!("at most {MAX_AMENITIES} amenities"));
    }
    if list.iter().any(|amenity| amenity.chars().count() > 50) {
        problems.add("amenities", "each amenity is at most 50 characters");
    }
    list
}

impl Criteria {
    /// Malformed values (not a number, not a date, not a coordinate) are `400` naming each;
    /// well-formed but invalid, missing or inconsistent ones are `422` naming each.
    fn parse(query: &SearchQuery<'_>) -> Result<Self, ApiError> {
        let mut malformed = Vec::new();
        let guests = integer("guests", query.guests, &mut malformed);
        let bedrooms = integer("bedrooms", query.bedrooms, &mut malformed);
        let min_price = integer("minPrice", query.min_price, &mut malformed);
        let max_price = integer("maxPrice", query.max_price, &mut malformed);
        let check_in = date("checkIn", query.check_in, &mut malformed);
        let check_out = date("checkOut", query.check_out, &mut malformed);
        let near = numbers::<2>("near", query.near, "<lat>,<lng>", &mut malformed);
        let radius = numbers::<1>("radiusKm", query.radius_km, "a number of km", &mut malformed);
        let bbox = numbers::<4>(
            "bbox",
            query.bbox,
            "<minLng>,<minLat>,<maxLng>,<maxLat>",
            &mut malformed,
        );
        if !malformed.is_empty() {
            return Err(ApiError::BadRequest {
                message: "query parameters are malformed".to_owned(),
                details: malformed,
            });
        }

        let mut problems = Problems::new();
        let raw_place = RawPlace {
            city: given(query.city).filter(|city| !fold(city).is_empty()),
            country: given(query.country),
            near,
            radius_km: radius.map(|[km]| km),
            bbox,
        };
        let place = raw_place.place(&mut problems);
        let guests = match guests {
            Some(value) if value < 1 => {
                problems.add("guests", "must be at least 1");
                None
            }
            // More guests than any property holds is a valid search that finds nothing.
            other => other.map(|value| u32::try_from(value).unwrap_or(u32::MAX)),
        };
        let bedrooms = match bedrooms {
            Some(value) if value < 0 => {
                problems.add("bedrooms", "must be at least 0");
                None
            }
            other => other.map(|value| u32::try_from(value).unwrap_or(u32::MAX)),
        };
        let amenities = amenity_list(query.amenities, &mut problems);
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
        let place = place.ok_or_else(|| ApiError::internal("validation passed without a place"))?;
        Ok(Self {
            place,
            stay,
            guests,
            bedrooms,
            amenities,
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

    /// The index sort-key range of this search, starting at `after` when resuming
    /// (inclusive: the walk skips that one item itself).
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

    /// Whether a candidate passes every filter that needs neither its nights nor its
    /// position: one rule for the city walk (on the property) and the map walk (on its entry).
    fn admits(&self, facts: Facts<'_>) -> bool {
        let country = match &self.place {
            Place::City {
                country: Some(country), ..
            } => facts.country == country,
            _ => true,
        };
        country
            && self
                .currency
                .as_deref()
                .is_none_or(|code| facts.currency.code() == code)
            && self.guests.is_none_or(|guests| facts.max_guests >= guests)
            && self.bedrooms.is_none_or(|bedrooms| facts.bedrooms >= bedrooms)
            && self.stay.as_ref().is_none_or(|stay| {
                let nights = stay.nights();
                nights >= i64::from(facts.min_nights) && nights <= i64::from(facts.max_nights)
            })
            && self.amenities.iter().all(|wanted| (facts.has_amenity)(wanted))
    }

    /// Whether `point` is inside the circle or box, with the distance for a circle.
    fn locate(&self, point: Point) -> Option<Option<f64>> {
        match &self.place {
            Place::City { .. } => Some(None),
            Place::Near { center, radius_km } => {
                let distance = geo::distance_km(*center, point);
                (distance <= *radius_km).then_some(Some((distance * 10.0).round() / 10.0))
            }
            Place::Area { bbox } => bbox.contains(point).then_some(None),
        }
    }

    /// Whether the property is still listed and free at `now` on `nights` (the stay's, when
    /// the search has dates).
    fn bookable(property: &Property, nights: Option<&availability::StayNights>, now: i64) -> bool {
        property.in_search()
            && nights.is_none_or(|nights| {
                nights.free(
                    property.taken_nights.iter().map(String::as_str),
                    property.held_nights.iter().map(String::as_str),
                    now,
                )
            })
    }

    /// Whether the city walk must look past the first `limit` items to fill a page.
    fn filters_items(&self) -> bool {
        matches!(self.place, Place::City { country: Some(_), .. })
            || self.stay.is_some()
            || self.guests.is_some()
            || self.bedrooms.is_some()
            || !self.amenities.is_empty()
            || self.currency.is_some()
    }
}

/// What the filters read of a candidate, from a property or from its map entry.
#[derive(Clone, Copy)]
struct Facts<'a> {
    country: &'a str,
    currency: Currency,
    max_guests: u32,
    bedrooms: u32,
    min_nights: u32,
    max_nights: u32,
    /// Whether the candidate lists this (lower-cased) amenity.
    has_amenity: &'a dyn Fn(&str) -> bool,
}

/// One page of matches, and the sort key the next page resumes after (`None` once nothing
/// more can match).
type Walked = (Vec<Hit>, Option<String>);

/// One page of search results (ascending nightly price, then id) and the cursor of the next,
/// `None` only once nothing more matches.
pub async fn search(
    app: &App,
    query: &SearchQuery<'_>,
    limit: u32,
    cursor: Option<&str>,
) -> Result<(Vec<Hit>, Option<String>), ApiError> {
    let criteria = Criteria::parse(query)?;
    let scope = criteria.scope()?;
    let now = app.clock.now();
    let after = match cursor {
        Some(cursor) => Some(
            app.signing_keys()
                .await?
                .cursors
                .open::<SearchPosition>(cursor, &scope, now)?
                .after,
        ),
        None => None,
    };
    // A suspended host's properties leave search (within a minute of the suspension).
    let suspended = app.suspensions.current(app.store.as_ref(), now).await?;
    let hosts = Hosts(&suspended);
    let (hits, resume) = match &criteria.place {
        Place::City { city, .. } => walk_city(app, &criteria, hosts, city, after.as_deref(), limit).await?,
        Place::Near { center, radius_km } => {
            let bbox = BBox::around(*center, *radius_km);
            walk_map(app, &criteria, hosts, &bbox, after.as_deref(), limit).await?
        }
        Place::Area { bbox } => walk_map(app, &criteria, hosts, bbox, after.as_deref(), limit).await?,
    };
    let next = match resume {
        Some(after) => Some(
            app.signing_keys()
                .await?
                .cursors
                .seal(&scope, &SearchPosition { after }, now)?,
        ),
        None => None,
    };
    Ok((hits, next))
}

/// The hosts whose properties search leaves out: the suspended ones.
#[derive(Clone, Copy)]
struct Hosts<'a>(&'a std::collections::HashSet<String>);

impl Hosts<'_> {
    fn admit(self, host_id: &str) -> bool {
        self.0.is_empty() || !self.0.contains(host_id)
    }
}

/// The city walk: the property items of the city's gsi1 partition in index order, in at
/// most [`CITY_ROUNDS`] queries.
async fn walk_city(
    app: &App,
    criteria: &Criteria,
    hosts: Hosts<'_>,
    city: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Walked, ApiError> {
    let now = app.clock.now().timestamp();
    let nights = criteria.stay.as_ref().map(availability::StayNights::of);
    let partition = keys::city(city);
    // The store leaves out the properties with a night of the stay booked or blocked, so they
    // are never decoded (holds, which lapse, are still checked here; so is everything else,
    // the exclusion being only a shortcut).
    let taken: Option<Vec<String>> = criteria
        .stay
        .as_ref()
        .map(|stay| stay.dates().map(availability::taken_entry).collect::<Vec<String>>())
        .filter(|nights| (1..=MAX_EXCLUDED_VALUES).contains(&nights.len()));
    let mut hits = Vec::new();
    let mut examined = 0u32;
    let mut start: Option<ResumeKey> = None;
    let mut last: Option<String> = None;
    for round in 1..=CITY_ROUNDS {
        // The walk resumes at the cursor's own item (ranges are inclusive) and skips it, so
        // the first query asks for one more item than it may examine.
        let skip = if round == 1 { after } else { None };
        let budget = MAX_CANDIDATES_PER_REQUEST - examined;
        let size = round_size(criteria, limit, examined, hits.len()).min(budget) + u32::from(skip.is_some());
        let mut query = Query::partition(Index::Gsi1, partition.clone())
            .range(criteria.range(after))
            .limit(size.min(1000))
            .start(start.take());
        if let Some(taken) = &taken {
            query = query.without(availability::TAKEN_NIGHTS, taken.clone());
        }
        let page = app.store.query_records(query).await?;
        for item in page.items {
            if skip.is_some() && gsi1_sort_key(&item) == skip {
                continue;
            }
            if hits.len() >= limit as usize || examined >= MAX_CANDIDATES_PER_REQUEST {
                // Examined enough; this item is where the next page starts.
                return Ok((hits, last));
            }
            examined += 1;
            last = gsi1_sort_key(&item).map(str::to_owned);
            if let Some(property) = city_candidate(criteria, hosts, nights.as_ref(), &item, now)? {
                hits.push(Hit {
                    property,
                    distance_km: None,
                });
            }
        }
        match page.next {
            // The partition is walked to its end.
            None => return Ok((hits, None)),
            Some(next) if hits.len() < limit as usize && examined < MAX_CANDIDATES_PER_REQUEST => {
                // Items the store left out were examined too: a cursor may start past them.
                if let Some(sort_key) = next.sort_key(Index::Gsi1) {
                    last = Some(sort_key.to_owned());
                }
                start = Some(next);
            }
            // Full, with more items in the index: they may match.
            Some(_) => return Ok((hits, last)),
        }
    }
    Ok((hits, last))
}

/// The part of a property item the filters read, borrowed from its attributes: a candidate
/// that fails them costs no full decoding.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Glance<'a> {
    #[serde(borrow)]
    host_id: Text<'a>,
    #[serde(borrow)]
    address: GlanceAddress<'a>,
    #[serde(borrow)]
    nightly_price: GlanceMoney<'a>,
    max_guests: u32,
    bedrooms: u32,
    min_nights: u32,
    max_nights: u32,
    #[serde(borrow, default)]
    amenities: Vec<Text<'a>>,
    #[serde(borrow, default)]
    deleted_at: Option<Text<'a>>,
    #[serde(borrow, default)]
    taken_nights: Vec<Text<'a>>,
    #[serde(borrow, default)]
    held_nights: Vec<Text<'a>>,
}

#[derive(Deserialize)]
struct GlanceAddress<'a> {
    #[serde(borrow)]
    country: Text<'a>,
}

#[derive(Deserialize)]
struct GlanceMoney<'a> {
    #[serde(borrow)]
    currency: Text<'a>,
}

/// The property of a city index item, if it passes every filter at `now` (free on `nights`,
/// the stay's, when the search has dates).
fn city_candidate(
    criteria: &Criteria,
    hosts: Hosts<'_>,
    nights: Option<&availability::StayNights>,
    item: &Record,
    now: i64,
) -> Result<Option<Property>, ApiError> {
    let glance: Glance<'_> = item.decode()?;
    let Ok(currency) = Currency::parse(glance.nightly_price.currency.as_str()) else {
        return Err(ApiError::internal(format!("{}: unknown currency", item.key.pk)));
    };
    let has_amenity = |wanted: &str| glance.amenities.iter().any(|a| a.as_str().to_lowercase() == wanted);
    let admitted = glance.deleted_at.is_none()
        && hosts.admit(glance.host_id.as_str())
        && criteria.admits(Facts {
            country: glance.address.country.as_str(),
            currency,
            max_guests: glance.max_guests,
            bedrooms: glance.bedrooms,
            min_nights: glance.min_nights,
            max_nights: glance.max_nights,
            has_amenity: &has_amenity,
        })
        && nights.is_none_or(|nights| {
            nights.free(
                glance.taken_nights.iter().map(Text::as_str),
                glance.held_nights.iter().map(Text::as_str),
                now,
            )
        });
    if !admitted {
        return Ok(None);
    }
    Ok(Some(item.decode()?))
}

/// How many items the next query of a city walk asks for: unfiltered, the rest of the page
/// and one more (which tells whether another page follows); filtered, twice the page at first,
/// then what the share of matches so far says fills it, with half as much again to spare.
fn round_size(criteria: &Criteria, limit: u32, examined: u32, hits: usize) -> u32 {
    let missing = limit.saturating_sub(u32::try_from(hits).unwrap_or(u32::MAX));
    if !criteria.filters_items() {
        return missing + 1;
    }
    if examined == 0 {
        return 2 * limit + 1;
    }
    if hits == 0 {
        return MAX_CANDIDATES_PER_REQUEST;
    }
    let per_hit = examined.div_ceil(u32::try_from(hits).unwrap_or(u32::MAX));
    missing.saturating_mul(per_hit).saturating_mul(3) / 2 + 1
}

/// A map entry read from one cell, with its sort key.
struct Candidate {
    position: String,
    entry: GeoEntry,
}

/// The map walk: one query per covering cell, merged in price order up to the point every
/// cell has reached, filtered on the entries, then one batch read of the properties to show.
async fn walk_map(
    app: &App,
    criteria: &Criteria,
    hosts: Hosts<'_>,
    bbox: &BBox,
    after: Option<&str>,
    limit: u32,
) -> Result<Walked, ApiError> {
    let (_, cells) = geo::cover(bbox);
    let cells_count = u32::try_from(cells.len().max(1)).unwrap_or(u32::MAX);
    // Each cell may hold the whole page; together they stay within the candidate budget
    // unless the page alone is larger.
    let per_cell = (MAX_CANDIDATES_PER_REQUEST / cells_count).max(limit + 1) + u32::from(after.is_some());
    let queries = cells.iter().map(|cell| {
        app.store.query(
            Query::partition(Index::Table, keys::geo_cell(cell))
                .range(criteria.range(after))
                .limit(per_cell.min(1000)),
        )
    });
    let pages = futures::future::try_join_all(queries).await?;

    // Past the smallest last position of a cell that has more, another cell's items might
    // be preceded by ones not read yet: the merge stops there.
    let mut frontier: Option<String> = None;
    let mut candidates = Vec::new();
    for page in pages {
        if page.next.is_some() {
            let last = page
                .items
                .last()
                .map(|item| item.key.sk.clone())
                .or_else(|| page.next.as_ref().and_then(|next| next.0.get("sk").cloned()))
                .unwrap_or_default();
            if frontier.as_ref().is_none_or(|f| last < *f) {
                frontier = Some(last);
            }
        }
        for item in page.items {
            if after == Some(item.key.sk.as_str()) {
                continue;
            }
            let position = item.key.sk.clone();
            candidates.push(Candidate {
                entry: GeoEntry::from_item(item)?,
                position,
            });
        }
    }
    candidates.sort_unstable_by(|a, b| a.position.cmp(&b.position));
    if let Some(frontier) = &frontier {
        candidates.retain(|c| c.position <= *frontier);
    }

    // The entries that pass every filter but the nights, in order, as many as one batch
    // read takes (a page's worth when there are no dates to check).
    let wanted = if criteria.stay.is_some() {
        MAX_BATCH_GET_KEYS
    } else {
        limit as usize
    };
    let mut passing: Vec<(&Candidate, Option<f64>)> = Vec::new();
    let mut examined_up_to = None;
    for candidate in &candidates {
        if passing.len() >= wanted {
            break;
        }
        examined_up_to = Some(candidate.position.as_str());
        let entry = &candidate.entry;
        let has_amenity = |wanted: &str| entry.amenities.iter().any(|a| a == wanted);
        if !criteria.admits(Facts {
            country: &entry.country,
            currency: entry.nightly_price.currency,
            max_guests: entry.max_guests,
            bedrooms: entry.bedrooms,
            min_nights: entry.min_nights,
            max_nights: entry.max_nights,
            has_amenity: &has_amenity,
        }) {
            continue;
        }
        if let Some(distance) = criteria.locate(entry.location) {
            passing.push((candidate, distance));
        }
    }

    let keys: Vec<Key> = passing
        .iter()
        .map(|(candidate, _)| keys::property(&candidate.entry.property_id))
        .collect();
    let properties = if keys.is_empty() {
        Vec::new()
    } else {
        app.store.batch_get(&keys).await?
    };
    let now = app.clock.now().timestamp();
    let nights = criteria.stay.as_ref().map(availability::StayNights::of);
    let mut by_id: std::collections::HashMap<String, Property> = properties
        .into_iter()
        .map(|item| item.into_record::<Property>().map(|p| (p.id.clone(), p)))
        .collect::<Result<_, _>>()?;
    let mut hits = Vec::new();
    for (candidate, distance_km) in &passing {
        if hits.len() >= limit as usize {
            // Full: the next page starts at this candidate.
            return Ok((hits, Some(last_before(&candidates, &candidate.position))));
        }
        if let Some(property) = by_id.remove(&candidate.entry.property_id)
            && hosts.admit(&property.host_id)
            && Criteria::bookable(&property, nights.as_ref(), now)
        {
            hits.push(Hit {
                property,
                distance_km: *distance_km,
            });
        }
    }
    // Everything read up to `examined_up_to` is decided; more follows if a cell has more
    // or read candidates remain past it.
    let last_read = candidates.last().map(|c| c.position.as_str());
    let more_read = examined_up_to < last_read;
    Ok(match (frontier, examined_up_to) {
        (_, Some(up_to)) if more_read => (hits, Some(up_to.to_owned())),
        (Some(frontier), up_to) => (
            hits,
            Some(up_to.map_or(frontier.clone(), |u| u.to_owned().max(frontier))),
        ),
        (None, _) => (hits, None),
    })
}

/// The position just before `position` among the candidates read: the cursor that makes the
/// next page start with it.
fn last_before(candidates: &[Candidate], position: &str) -> String {
    candidates
        .iter()
        .take_while(|c| c.position.as_str() < position)
        .last()
        .map(|c| c.position.clone())
        .unwrap_or_default()
}

/// An index item's gsi1 sort key.
fn gsi1_sort_key(item: &Record) -> Option<&str> {
    item.gsi1.as_ref().map(|key| key.sk.as_str())
}
