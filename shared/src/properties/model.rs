//! A property as stored and as shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::geo::Point;
use crate::money::Money;
use crate::photos::model::{ListedPhoto, PhotoView};
use crate::photos::storage::PhotoUrls;
use crate::store::keys::{self, kind};
use crate::store::{Item, StoreError};

/// How much a guest gets back when they cancel (see the bookings rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CancellationPolicy {
    Flexible,
    Moderate,
    Firm,
    Strict,
}

impl CancellationPolicy {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "flexible" => Ok(Self::Flexible),
            "moderate" => Ok(Self::Moderate),
            "firm" => Ok(Self::Firm),
            "strict" => Ok(Self::Strict),
            _ => Err("must be flexible, moderate, firm or strict".to_owned()),
        }
    }
}

/// Where a property is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub line1: String,
    pub city: String,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub postal_code: Option<String>,
}

/// The review categories a guest may rate besides the overall rating.
pub const CATEGORIES: [&str; 6] = [
    "cleanliness",
    "accuracy",
    "checkIn",
    "communication",
    "location",
    "value",
];

/// What published guest reviews said, as integer sums and counts: top-level attributes of the
/// property item (`ratingCount`, `ratingSum`, `cleanlinessSum`, `cleanlinessCount`, ...), so a
/// publication adds to them atomically and concurrent publications never lose an update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RatingTotals {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rating_count: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rating_sum: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cleanliness_sum: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cleanliness_count: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub accuracy_sum: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub accuracy_count: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub check_in_sum: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub check_in_count: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub communication_sum: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub communication_count: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub location_sum: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub location_count: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value_sum: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value_count: u64,
}

/// Zero totals are left out of the stored item (an atomic add treats a missing attribute as
/// 0): a property without reviews is 280 bytes smaller, which keeps its row within one SQLite
/// page and costs fewer read units.
fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// `sum / count` with two decimals, `None` without any.
fn average(sum: u64, count: u64) -> Option<f64> {
    (count > 0).then(|| (sum as f64 / count as f64 * 100.0).round() / 100.0)
}

/// A property as stored (`PROPERTY#<id>` / `PROPERTY`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    pub id: String,
    pub host_id: String,
    pub title: String,
    pub description: String,
    pub address: Address,
    pub time_zone: String,
    pub max_guests: u32,
    pub bedrooms: u32,
    pub beds: u32,
    pub bathrooms: f64,
    pub amenities: Vec<String>,
    pub nightly_price: Money,
    pub cleaning_fee: Money,
    pub min_nights: u32,
    pub max_nights: u32,
    pub check_in_time: String,
    pub check_out_time: String,
    pub instant_book: bool,
    pub cancellation_policy: CancellationPolicy,
    /// Door codes, parking, wifi: posted to a confirmed stay's conversation 48 h before
    /// check-in; shown to the host only, never in the public view.
    #[serde(default)]
    pub check_in_instructions: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Set while an admin has unlisted the property: out of search, no new bookings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlisted_at: Option<DateTime<Utc>>,
    /// Bookings not yet over; a property with any cannot be deleted.
    #[serde(default)]
    pub open_bookings: i64,
    #[serde(default, flatten)]
    pub rating: RatingTotals,
    /// Where it is on a map; without one, only a city search finds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Point>,
    /// Nights booked or blocked (`YYYY-MM-DD`), mirrored from the night items by the
    /// transactions that write those (see [`super::availability`]). A string set that only
    /// updates change, so never written with the record.
    #[serde(default, skip_serializing)]
    pub taken_nights: Vec<String>,
    /// Nights held by unpaid bookings, as `YYYY-MM-DD~<hold end, epoch seconds>`: a hold
    /// whose end has passed frees its night without any write.
    #[serde(default, skip_serializing)]
    pub held_nights: Vec<String>,
    /// Verified photos in display order (the first is the cover). Written only by the photo
    /// use cases, under [`Property::photos_version`], so never with the record.
    #[serde(default, skip_serializing)]
    pub photos: Vec<ListedPhoto>,
    /// Bumped by every change of `photos`; their writes are conditioned on it, so a booking
    /// or a rating changing the property meanwhile costs them no retry.
    #[serde(default, skip_serializing)]
    pub photos_version: u64,
    /// Photos pending or ready: at most [`crate::photos::verify::MAX_PHOTOS_PER_PROPERTY`],
    /// checked by the write that adds one.
    #[serde(default, skip_serializing)]
    pub photo_slots: i64,
}

/// Guest reviews needed before a property shows a rating.
pub const MIN_REVIEWS_FOR_RATING: u64 = 3;

/// A property's rating as shown: `null` until enough reviews.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RatingView {
    /// Average overall rating of the published guest reviews, two decimals.
    pub average: f64,
    pub count: u64,
    /// Per-category averages (two decimals), `null` for a category nobody rated.
    pub categories: CategoryAverages,
}

/// Averages of the optional sub-ratings.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryAverages {
    pub cleanliness: Option<f64>,
    pub accuracy: Option<f64>,
    pub check_in: Option<f64>,
    pub communication: Option<f64>,
    pub location: Option<f64>,
    pub value: Option<f64>,
}

impl RatingTotals {
    /// The rating clients see: `None` until [`MIN_REVIEWS_FOR_RATING`] published reviews.
    pub fn view(&self) -> Option<RatingView> {
        if self.rating_count < MIN_REVIEWS_FOR_RATING {
            return None;
        }
        Some(RatingView {
            average: average(self.rating_sum, self.rating_count)?,
            count: self.rating_count,
            categories: CategoryAverages {
                cleanliness: average(self.cleanliness_sum, self.cleanliness_count),
                accuracy: average(self.accuracy_sum, self.accuracy_count),
                check_in: average(self.check_in_sum, self.check_in_count),
                communication: average(self.communication_sum, self.communication_count),
                location: average(self.location_sum, self.location_count),
                value: average(self.value_sum, self.value_count),
            },
        })
    }
}

/// Whether a property is in search and takes bookings: `unlisted` once an admin took it
/// down (`POST /admin/properties/{id}/unlist`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListingStatus {
    Listed,
    Unlisted,
}

/// A property as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertyView {
    pub id: String,
    pub host_id: String,
    pub title: String,
    pub description: String,
    pub address: Address,
    pub time_zone: String,
    pub max_guests: u32,
    pub bedrooms: u32,
    pub beds: u32,
    pub bathrooms: f64,
    pub amenities: Vec<String>,
    pub nightly_price: Money,
    pub cleaning_fee: Money,
    pub min_nights: u32,
    pub max_nights: u32,
    pub check_in_time: String,
    pub check_out_time: String,
    pub instant_book: bool,
    pub cancellation_policy: CancellationPolicy,
    /// `null` when the host gave none (then no map search finds it).
    pub location: Option<Point>,
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
    pub rating: Option<RatingView>,
    /// Verified photos in display order; the first is the cover.
    pub photos: Vec<PhotoView>,
    /// `unlisted` while an admin has taken it out of search (it takes no bookings then).
    pub listing_status: ListingStatus,
}

impl PropertyView {
    /// The public view of `p`, its photos addressed under `urls`.
    pub fn new(p: &Property, urls: &PhotoUrls) -> Self {
        let rating = p.rating.view();
        Self {
            id: p.id.clone(),
            host_id: p.host_id.clone(),
            title: p.title.clone(),
            description: p.description.clone(),
            address: p.address.clone(),
            time_zone: p.time_zone.clone(),
            max_guests: p.max_guests,
            bedrooms: p.bedrooms,
            beds: p.beds,
            bathrooms: p.bathrooms,
            amenities: p.amenities.clone(),
            nightly_price: p.nightly_price,
            cleaning_fee: p.cleaning_fee,
            min_nights: p.min_nights,
            max_nights: p.max_nights,
            check_in_time: p.check_in_time.clone(),
            check_out_time: p.check_out_time.clone(),
            instant_book: p.instant_book,
            cancellation_policy: p.cancellation_policy,
            location: p.location,
            created_at: p.created_at,
            updated_at: p.updated_at,
            rating,
            photos: p.photos.iter().map(|photo| PhotoView::of(&p.id, photo, urls)).collect(),
            listing_status: p.listing_status(),
        }
    }
}

/// A property as its host sees it: the public view plus what only the host may read.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostPropertyView {
    #[serde(flatten)]
    pub property: PropertyView,
    /// Posted to each confirmed stay's conversation 48 h before check-in (`""`: none).
    pub check_in_instructions: String,
}

impl HostPropertyView {
    pub fn new(p: &Property, urls: &PhotoUrls) -> Self {
        Self {
            property: PropertyView::new(p, urls),
            check_in_instructions: p.check_in_instructions.clone(),
        }
    }
}

impl Property {
    /// The item that stores this property, in search (gsi1) unless deleted and in its host's
    /// list (gsi2).
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let mut item = Item::new(keys::property(&self.id), kind::PROPERTY, self)?.with_gsi2(keys::host_property_index(
            &self.host_id,
            &crate::time::sortable(self.created_at),
            &self.id,
        ));
        if self.in_search() {
            item = item.with_gsi1(self.city_index());
        }
        Ok(item)
    }

    /// Whether search may find it: neither deleted by its host nor unlisted by an admin.
    pub fn in_search(&self) -> bool {
        self.deleted_at.is_none() && self.unlisted_at.is_none()
    }

    pub fn listing_status(&self) -> ListingStatus {
        match self.unlisted_at {
            Some(_) => ListingStatus::Unlisted,
            None => ListingStatus::Listed,
        }
    }

    /// Where this property sits in city search: its folded city, then nightly price and id.
    pub fn city_index(&self) -> crate::store::IndexKey {
        keys::city_index(
            &crate::place::fold(&self.address.city),
            self.nightly_price.amount,
            &self.id,
        )
    }
}
