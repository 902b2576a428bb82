//! A review as stored and as shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::keys::{self, kind};
use crate::store::{IndexKey, Item, StoreError};

/// Who wrote it: the guest reviews the property, the host reviews the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Guest,
    Host,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Guest => "guest",
            Side::Host => "host",
        }
    }

    pub fn other(self) -> Side {
        match self {
            Side::Guest => Side::Host,
            Side::Host => Side::Guest,
        }
    }
}

/// The optional sub-ratings of a guest's review (1..5 each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubRatings {
    pub cleanliness: Option<u8>,
    pub accuracy: Option<u8>,
    pub check_in: Option<u8>,
    pub communication: Option<u8>,
    pub location: Option<u8>,
    pub value: Option<u8>,
}

impl SubRatings {
    /// Each given sub-rating with the prefix of its property counters (`cleanliness` ->
    /// `cleanlinessSum` / `cleanlinessCount`).
    pub fn given(&self) -> impl Iterator<Item = (&'static str, u8)> {
        [
            ("cleanliness", self.cleanliness),
            ("accuracy", self.accuracy),
            ("checkIn", self.check_in),
            ("communication", self.communication),
            ("location", self.location),
            ("value", self.value),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value)))
    }
}

/// The host's public answer to a guest's review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewResponse {
    pub comment: String,
    #[serde(serialize_with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

/// A review as stored (`REVIEW#<id>` / `REVIEW`); in gsi1 (guest reviews) or gsi2 (host
/// reviews) only once published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    pub id: String,
    pub booking_id: String,
    pub property_id: String,
    pub side: Side,
    pub author_id: String,
    /// The author's public name (first name), kept so lists need no second read.
    pub author_name: String,
    /// The property for a guest's review, the guest for a host's.
    pub subject_id: String,
    pub rating: u8,
    #[serde(flatten)]
    pub sub_ratings: SubRatings,
    pub comment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ReviewResponse>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// Set when an admin removed it: out of every list, and no longer counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
}

impl Review {
    /// The index a published review is listed in.
    pub fn published_index(&self, published_at: DateTime<Utc>) -> IndexKey {
        let at = crate::time::sortable(published_at);
        match self.side {
            Side::Guest => keys::property_review_index(&self.property_id, &at, &self.id),
            Side::Host => keys::user_review_index(&self.subject_id, &at, &self.id),
        }
    }

    /// The item: hidden reviews are in no index.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let item = Item::new(keys::review(&self.id), kind::REVIEW, self)?;
        Ok(match (self.published_at, self.side) {
            (Some(at), Side::Guest) => item.with_gsi1(self.published_index(at)),
            (Some(at), Side::Host) => item.with_gsi2(self.published_index(at)),
            (None, _) => item,
        })
    }
}

/// A review as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewView {
    pub id: String,
    pub booking_id: String,
    pub property_id: String,
    pub author_id: String,
    /// The reviewer's public name.
    pub author_name: String,
    pub subject_id: String,
    pub rating: u8,
    #[serde(flatten)]
    pub sub_ratings: SubRatings,
    pub comment: String,
    pub response: Option<ReviewResponse>,
    #[serde(serialize_with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// `false` until both sides reviewed or the window closed.
    pub published: bool,
    #[serde(serialize_with = "crate::time::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<DateTime<Utc>>,
}

impl From<&Review> for ReviewView {
    fn from(r: &Review) -> Self {
        Self {
            id: r.id.clone(),
            booking_id: r.booking_id.clone(),
            property_id: r.property_id.clone(),
            author_id: r.author_id.clone(),
            author_name: r.author_name.clone(),
            subject_id: r.subject_id.clone(),
            rating: r.rating,
            sub_ratings: r.sub_ratings,
            comment: r.comment.clone(),
            response: r.response.clone(),
            created_at: r.created_at,
            published: r.published_at.is_some(),
            published_at: r.published_at,
        }
    }
}
