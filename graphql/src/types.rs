//! The object types: each is the REST JSON of its view (`UserView`, `PropertyView`,
//! `BookingView`, ...), read back field by field, so both front doors show one shape with the
//! same ids, strings and money; links to other objects resolve through the request's loaders.

use async_graphql::{ComplexObject, Context, Enum, Error, ID, SimpleObject};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::error::ApiError;
use shared::photos::storage::PhotoUrls;
use shared::reviews::list;
use shared::reviews::model::ReviewView;
use shared::users::PublicProfile;

use crate::context::{app, principal};
use crate::error::OrGraphql;
use crate::loaders;

/// A domain view as its GraphQL type: the view's REST JSON, deserialised.
pub fn mirror<V: serde::Serialize, T: DeserializeOwned>(view: &V) -> Result<T, ApiError> {
    let json = serde_json::to_value(view).map_err(ApiError::internal)?;
    T::deserialize(json).map_err(ApiError::internal)
}

/// A recorded REST body (an idempotent answer) as its GraphQL type.
pub fn from_body<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(ApiError::internal)
}

// ------------------------------------------------------------------------------ connections

/// Where a page ends. The use cases give one cursor per page, so `endCursor` is the cursor of
/// the next page (pass it as `after`), `null` with `hasNextPage: false` on the last page.
#[derive(SimpleObject, Debug, Clone, Default)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

macro_rules! connections {
    ($($connection:ident, $edge:ident, $node:ty;)*) => {
        $(
            /// One node of a page. Cursors are per page, not per node: only the last edge of a
            /// page has a `cursor` (equal to `pageInfo.endCursor`); the others are `null`.
            #[derive(SimpleObject)]
            pub struct $edge {
                pub cursor: Option<String>,
                pub node: $node,
            }

            /// A Relay connection over the same signed cursors as the REST lists: `first`
            /// 1..100 (default 20), `after` = a previous `pageInfo.endCursor`. A page may hold
            /// fewer than `first` nodes while `hasNextPage` is true.
            #[derive(SimpleObject)]
            pub struct $connection {
                pub edges: Vec<$edge>,
                pub page_info: PageInfo,
            }

            impl $connection {
                /// A page of `nodes` whose next page starts at `next`.
                pub fn page(nodes: Vec<$node>, next: Option<String>) -> Self {
                    let last = nodes.len().saturating_sub(1);
                    let edges = nodes
                        .into_iter()
                        .enumerate()
                        .map(|(at, node)| $edge {
                            cursor: if at == last { next.clone() } else { None },
                            node,
                        })
                        .collect();
                    Self {
                        edges,
                        page_info: PageInfo {
                            has_next_page: next.is_some(),
                            end_cursor: next,
                        },
                    }
                }
            }
        )*
    };
}

connections! {
    BookingConnection, BookingEdge, Booking;
    PropertyConnection, PropertyEdge, Property;
    SearchResultConnection, SearchResultEdge, SearchResult;
    ReviewConnection, ReviewEdge, Review;
    ConversationConnection, ConversationEdge, Conversation;
    MessageConnection, MessageEdge, Message;
    AuditEntryConnection, AuditEntryEdge, AuditEntry;
}

/// The complexity of a connection field: its selection counted `first` times.
pub fn weight(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.unwrap_or(shared::http::DEFAULT_LIMIT as i32);
    let first = first.clamp(1, shared::http::MAX_LIMIT as i32) as usize;
    first.saturating_mul(child_complexity).saturating_add(1)
}

/// `first` as a page size: 1..100, default 20 (`validation_failed` naming `first`).
pub fn page_size(first: Option<i32>) -> Result<u32, Error> {
    let first = first.unwrap_or(shared::http::DEFAULT_LIMIT as i32);
    u32::try_from(first)
        .ok()
        .filter(|size| (1..=shared::http::MAX_LIMIT).contains(size))
        .ok_or_else(|| {
            crate::error::to_error(ApiError::Validation(vec![shared::error::FieldError::new(
                "first",
                format!("must be 1..{}", shared::http::MAX_LIMIT),
            )]))
        })
}

// ------------------------------------------------------------------------------ enums

/// What a user may act as.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Guest,
    Host,
    /// Trust and safety (granted by an operator only).
    Admin,
}

/// Whether a property is in search and takes bookings.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    Listed,
    /// Taken out of search by an admin; no new bookings.
    Unlisted,
}

/// Whether an account may act.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Suspended,
}

/// What an admin (or, for the role itself, an operator) did.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SuspendUser,
    ReinstateUser,
    UnlistProperty,
    RelistProperty,
    CancelBooking,
    RemoveReview,
    GrantAdmin,
    RevokeAdmin,
}

/// Where a booking is in its life.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    PendingPayment,
    AwaitingHost,
    Confirmed,
    CheckedIn,
    CheckedOut,
    Expired,
    Declined,
    Cancelled,
}

impl BookingStatus {
    /// Its REST name.
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::PendingPayment => "pending_payment",
            BookingStatus::AwaitingHost => "awaiting_host",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::CheckedIn => "checked_in",
            BookingStatus::CheckedOut => "checked_out",
            BookingStatus::Expired => "expired",
            BookingStatus::Declined => "declined",
            BookingStatus::Cancelled => "cancelled",
        }
    }
}

/// How much a guest gets back on cancelling.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CancellationPolicy {
    Flexible,
    Moderate,
    Firm,
    Strict,
}

impl CancellationPolicy {
    /// Its REST name.
    pub fn as_str(self) -> &'static str {
        match self {
            CancellationPolicy::Flexible => "flexible",
            CancellationPolicy::Moderate => "moderate",
            CancellationPolicy::Firm => "firm",
            CancellationPolicy::Strict => "strict",
        }
    }
}

/// Where a payment stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
    Refunded,
    PartiallyRefunded,
}

/// Which provider took a payment.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PaymentProvider {
    Stripe,
    Sandbox,
}

/// Where a host's payout stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    Scheduled,
    Paid,
}

// ------------------------------------------------------------------------------ values

/// An integer count of the currency's minor unit and an ISO 4217 code.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct Money {
    pub amount: i64,
    pub currency: String,
}

/// Sign-in tokens.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

// ------------------------------------------------------------------------------ users

/// The signed-in user's own account (never the password).
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: ID,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub roles: Vec<Role>,
    pub created_at: String,
    /// Whether the email was verified through the link of a verification email.
    pub email_verified: bool,
}

/// A user as an admin sees them: the account and its status.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUser {
    pub id: ID,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub roles: Vec<Role>,
    pub created_at: String,
    pub email_verified: bool,
    pub status: AccountStatus,
    /// When the current suspension began (`null` while active).
    pub suspended_at: Option<String>,
}

/// One admin action of the audit log.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: ID,
    /// The admin's user id, or `operator` for a grant or revocation of the role.
    pub admin_id: String,
    pub action: AuditAction,
    /// The user, property, booking or review acted on.
    pub subject_id: ID,
    pub reason: Option<String>,
    pub at: String,
}

/// Which emails a user gets (security emails always go).
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPreferences {
    pub booking_updates: bool,
    pub messages: bool,
    pub reviews: bool,
}

/// What anyone may see of a user.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[graphql(complex)]
pub struct User {
    pub id: ID,
    pub first_name: String,
    pub joined_at: String,
    pub roles: Vec<Role>,
}

#[ComplexObject]
impl User {
    /// Published reviews hosts wrote about this user as a guest, newest first.
    #[graphql(complexity = "weight(first, child_complexity)")]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "1..100, default 20")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<ReviewConnection, Error> {
        let limit = page_size(first)?;
        let (items, next) = list::of_user(app(ctx), &self.id, limit, after.as_deref()).await.gql()?;
        reviews_page(&items, next)
    }
}

/// A user's public profile by id, through the request's loader; `None` if gone.
pub async fn user_by_id(ctx: &Context<'_>, id: &str) -> Result<Option<User>, Error> {
    let user = loaders::user(ctx, id).await?;
    user.map(|user| mirror(&PublicProfile::from(&user)).gql()).transpose()
}

// ------------------------------------------------------------------------------ properties

/// Where a property is.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub line1: String,
    pub city: String,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub postal_code: Option<String>,
}

/// A point on the map.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lng: f64,
}

/// Per-category averages, `null` for a category nobody rated.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryRatings {
    pub cleanliness: Option<f64>,
    pub accuracy: Option<f64>,
    pub check_in: Option<f64>,
    pub communication: Option<f64>,
    pub location: Option<f64>,
    pub value: Option<f64>,
}

/// The published guest reviews' average (two decimals).
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct Rating {
    pub average: f64,
    pub count: i64,
    pub categories: CategoryRatings,
}

/// A listed property.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[graphql(complex)]
pub struct Property {
    pub id: ID,
    pub host_id: ID,
    pub title: String,
    pub description: String,
    pub address: Address,
    /// IANA name.
    pub time_zone: String,
    pub max_guests: i32,
    pub bedrooms: i32,
    pub beds: i32,
    pub bathrooms: f64,
    pub amenities: Vec<String>,
    pub nightly_price: Money,
    pub cleaning_fee: Money,
    pub min_nights: i32,
    pub max_nights: i32,
    pub check_in_time: String,
    pub check_out_time: String,
    pub instant_book: bool,
    pub cancellation_policy: CancellationPolicy,
    /// `null` when the host gave none (then no map search finds it).
    pub location: Option<Location>,
    pub created_at: String,
    pub updated_at: String,
    /// `null` until 3 published guest reviews.
    pub rating: Option<Rating>,
    /// Verified photos in display order; the first is the cover.
    pub photos: Vec<Photo>,
    /// `unlisted` while an admin has taken it out of search (no new bookings then).
    pub listing_status: ListingStatus,
    /// Door codes and directions, posted privately to each confirmed stay: only in answers
    /// to the property's host (`createProperty`, `updateProperty`, `myProperties`), `null`
    /// everywhere else.
    #[serde(default)]
    pub check_in_instructions: Option<String>,
}

#[ComplexObject]
impl Property {
    /// The host's public profile.
    async fn host(&self, ctx: &Context<'_>) -> Result<Option<User>, Error> {
        user_by_id(ctx, &self.host_id).await
    }

    /// Published guest reviews, newest first.
    #[graphql(complexity = "weight(first, child_complexity)")]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "1..100, default 20")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<ReviewConnection, Error> {
        let limit = page_size(first)?;
        let (items, next) = list::of_property(app(ctx), &self.id, limit, after.as_deref())
            .await
            .gql()?;
        reviews_page(&items, next)
    }
}

/// A property as stored, as its GraphQL type: the public view.
pub fn property(property: &shared::properties::Property, urls: &PhotoUrls) -> Result<Property, Error> {
    mirror(&shared::properties::PropertyView::new(property, urls)).gql()
}

/// A property as its host sees it (the REST host view): with its check-in instructions.
pub fn hosted_property(property: &shared::properties::Property, urls: &PhotoUrls) -> Result<Property, Error> {
    mirror(&shared::properties::HostPropertyView::new(property, urls)).gql()
}

/// A listing photo as everyone sees it.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct Photo {
    pub id: ID,
    /// Stable and public; its bytes never change.
    pub url: String,
    pub width: i32,
    pub height: i32,
    pub caption: String,
}

/// Where a photo is in its life.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum PhotoStatus {
    /// Its file has not arrived or not been checked.
    Pending,
    /// Verified and shown on the property.
    Ready,
    /// The file failed the check and was deleted; see `rejectReason`.
    Rejected,
}

/// A photo as its host manages it (the REST `GET /properties/{id}/photos` item).
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostPhoto {
    pub id: ID,
    pub status: PhotoStatus,
    pub caption: String,
    /// Only once `ready`.
    pub url: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Only when `rejected`.
    pub reject_reason: Option<String>,
    pub created_at: String,
}

/// A photo just declared: `pending` until its file arrives and passes the check.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct NewPhoto {
    pub id: ID,
    pub status: PhotoStatus,
    pub caption: String,
}

/// A header the upload must carry exactly.
#[derive(SimpleObject, Debug, Clone)]
pub struct UploadHeader {
    pub name: String,
    pub value: String,
}

/// Where and how to send a photo's bytes (they never go through the API).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "PhotoUpload")]
pub struct PhotoUpload {
    /// Always `PUT`.
    pub method: String,
    pub url: String,
    pub headers: Vec<UploadHeader>,
    pub expires_at: String,
}

impl PhotoUpload {
    pub fn of(slot: &shared::photos::storage::UploadSlot) -> Self {
        Self {
            method: slot.method.clone(),
            url: slot.url.clone(),
            headers: slot
                .headers
                .iter()
                .map(|(name, value)| UploadHeader {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            expires_at: shared::time::rfc3339_text(slot.expires_at),
        }
    }
}

/// A search result: the property, and its distance from `near`.
#[derive(SimpleObject, Debug, Clone)]
pub struct SearchResult {
    pub property: Property,
    /// The property's first photo; `null` when it has none.
    pub cover_photo: Option<Photo>,
    /// Great-circle km from `near` (one decimal); `null` on other searches.
    pub distance_km: Option<f64>,
}

/// One night of a calendar.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct CalendarNight {
    /// `YYYY-MM-DD` in the property's time zone.
    pub date: String,
    /// False when the night is held, booked or blocked.
    pub available: bool,
    pub price: Money,
}

/// The nights of a range, ascending.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct Calendar {
    pub nights: Vec<CalendarNight>,
}

// ------------------------------------------------------------------------------ bookings

/// What a stay costs, computed by the server.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceBreakdown {
    pub nights: i32,
    pub nightly_price: Money,
    /// nights x nightly price.
    pub subtotal: Money,
    pub cleaning_fee: Money,
    /// The guest's fee, 14 % of the subtotal.
    pub service_fee: Money,
    /// subtotal + cleaning fee + service fee.
    pub total: Money,
    /// 3 % of the subtotal.
    pub host_fee: Money,
    /// subtotal + cleaning fee - host fee.
    pub host_payout: Money,
}

/// One transition of a booking.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct BookingHistoryEntry {
    pub status: BookingStatus,
    /// A user id, or `system`.
    pub actor: String,
    pub at: String,
    pub reason: Option<String>,
}

/// A booking, seen by its guest or host.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[graphql(complex)]
pub struct Booking {
    pub id: ID,
    pub property_id: ID,
    pub guest_id: ID,
    pub host_id: ID,
    pub check_in: String,
    pub check_out: String,
    pub guests: i32,
    pub status: BookingStatus,
    pub price: PriceBreakdown,
    /// While `pending_payment`: when the hold on the nights ends.
    pub hold_expires_at: Option<String>,
    pub checked_in_at: Option<String>,
    pub checked_out_at: Option<String>,
    /// What the guest gets back after a cancellation or decline.
    pub refund: Option<Money>,
    /// The guest's conversation with the host about this property.
    pub conversation_id: Option<ID>,
    pub created_at: String,
    pub history: Vec<BookingHistoryEntry>,
}

#[ComplexObject]
impl Booking {
    /// The booked property, as it is now (also after its host deleted the listing).
    async fn property(&self, ctx: &Context<'_>) -> Result<Option<Property>, Error> {
        let found = loaders::property(ctx, &self.property_id).await?;
        let urls = &app(ctx).photo_urls;
        found.as_ref().map(|found| property(found, urls)).transpose()
    }

    /// The guest's public profile.
    async fn guest(&self, ctx: &Context<'_>) -> Result<Option<User>, Error> {
        user_by_id(ctx, &self.guest_id).await
    }

    /// The host's public profile.
    async fn host(&self, ctx: &Context<'_>) -> Result<Option<User>, Error> {
        user_by_id(ctx, &self.host_id).await
    }

    /// The booking's payments, and (for its host) the payout.
    async fn payments(&self, ctx: &Context<'_>) -> Result<BookingPayments, Error> {
        booking_payments(ctx, &self.id).await
    }

    /// The conversation the booking joined (`null` for bookings older than conversations).
    async fn conversation(&self, ctx: &Context<'_>) -> Result<Option<Conversation>, Error> {
        let Some(id) = &self.conversation_id else {
            return Ok(None);
        };
        let found = shared::messages::get(app(ctx), principal(ctx)?, id).await.gql()?;
        Ok(Some(conversation(&found)?))
    }
}

/// A booking as stored, as its GraphQL type.
pub fn booking(booking: &shared::bookings::Booking) -> Result<Booking, Error> {
    mirror(&shared::bookings::BookingView::from(booking)).gql()
}

// ------------------------------------------------------------------------------ payments

/// A refund of a payment.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRefund {
    pub amount: Money,
    pub status: String,
    pub created_at: String,
}

/// What the guest must do next (3-D Secure).
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct NextAction {
    /// `redirect`.
    #[serde(rename = "type")]
    #[graphql(name = "type")]
    pub kind: String,
    pub url: String,
}

/// A payment of a booking.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub id: ID,
    pub booking_id: ID,
    pub amount: Money,
    pub status: PaymentStatus,
    pub provider: PaymentProvider,
    pub provider_ref: String,
    pub created_at: String,
    pub refunds: Vec<PaymentRefund>,
    /// Only while `pending`.
    pub next_action: Option<NextAction>,
    pub failure_reason: Option<String>,
}

/// The host's payout of a booking.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payout {
    pub amount: Money,
    pub status: PayoutStatus,
    pub available_at: String,
}

/// A booking's payments with their refunds, oldest first (not paged: a booking has few).
#[derive(SimpleObject, Debug, Clone, Deserialize)]
pub struct BookingPayments {
    pub items: Vec<Payment>,
    /// The host's payout: for the host only, once scheduled.
    pub payout: Option<Payout>,
}

/// The payments of a booking for the signed-in guest or host.
pub async fn booking_payments(ctx: &Context<'_>, booking_id: &str) -> Result<BookingPayments, Error> {
    let view = shared::payments::list(app(ctx), principal(ctx)?, booking_id)
        .await
        .gql()?;
    mirror(&view).gql()
}

// ------------------------------------------------------------------------------ reviews

/// The host's public answer to a review.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewResponse {
    pub comment: String,
    pub created_at: String,
}

/// A review of a stay: by the guest about the property, or by the host about the guest.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[graphql(complex)]
pub struct Review {
    pub id: ID,
    pub booking_id: ID,
    pub property_id: ID,
    pub author_id: ID,
    /// The reviewer's public name.
    pub author_name: String,
    /// The property (a guest's review) or the guest (a host's review).
    pub subject_id: ID,
    pub rating: i32,
    pub cleanliness: Option<i32>,
    pub accuracy: Option<i32>,
    pub check_in: Option<i32>,
    pub communication: Option<i32>,
    pub location: Option<i32>,
    pub value: Option<i32>,
    pub comment: String,
    pub response: Option<ReviewResponse>,
    pub created_at: String,
    /// `false` until both sides reviewed or the window closed.
    pub published: bool,
    pub published_at: Option<String>,
}

#[ComplexObject]
impl Review {
    /// The reviewer's public profile.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>, Error> {
        user_by_id(ctx, &self.author_id).await
    }
}

/// A review as stored, as its GraphQL type.
pub fn review(review: &shared::reviews::model::Review) -> Result<Review, Error> {
    mirror(&ReviewView::from(review)).gql()
}

fn reviews_page(items: &[shared::reviews::model::Review], next: Option<String>) -> Result<ReviewConnection, Error> {
    let nodes = items.iter().map(review).collect::<Result<Vec<_>, _>>()?;
    Ok(ReviewConnection::page(nodes, next))
}

// ------------------------------------------------------------------------------ messages

/// What a message is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    System,
}

/// What a system message announces.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[graphql(rename_items = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SystemEvent {
    BookingRequested,
    BookingConfirmed,
    BookingDeclined,
    BookingCancelled,
    BookingExpired,
    CheckedIn,
    CheckedOut,
    CheckInInstructions,
}

/// A message of a conversation (never edited).
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: ID,
    pub conversation_id: ID,
    /// A user id, or `system`.
    pub sender_id: String,
    pub kind: MessageKind,
    /// Contact details are `[hidden]` until the guest has a stay.
    pub body: String,
    /// For system messages: what happened.
    pub event: Option<SystemEvent>,
    pub booking_id: Option<ID>,
    pub created_at: String,
}

/// The dates a guest asked about.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inquiry {
    pub check_in: String,
    pub check_out: String,
    pub guests: i32,
}

/// A guest's conversation with a host about one property, as the caller sees it.
#[derive(SimpleObject, Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[graphql(complex)]
pub struct Conversation {
    pub id: ID,
    pub property_id: ID,
    pub guest_id: ID,
    pub host_id: ID,
    /// Its bookings, oldest first.
    pub booking_ids: Vec<ID>,
    pub inquiry: Option<Inquiry>,
    pub created_at: String,
    pub last_message: Option<Message>,
    /// Messages from the other side, and system messages, the caller has not read.
    pub unread_count: i32,
}

#[ComplexObject]
impl Conversation {
    /// The property it is about.
    async fn property(&self, ctx: &Context<'_>) -> Result<Option<Property>, Error> {
        let found = loaders::property(ctx, &self.property_id).await?;
        let urls = &app(ctx).photo_urls;
        found.as_ref().map(|found| property(found, urls)).transpose()
    }

    /// Its messages, newest first.
    #[graphql(complexity = "weight(first, child_complexity)")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "1..100, default 20")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<MessageConnection, Error> {
        let limit = page_size(first)?;
        let (items, next) = shared::messages::messages(app(ctx), principal(ctx)?, &self.id, limit, after.as_deref())
            .await
            .gql()?;
        let nodes = items
            .iter()
            .map(|m| mirror(m).gql())
            .collect::<Result<Vec<Message>, _>>()?;
        Ok(MessageConnection::page(nodes, next))
    }
}

/// A participant's entry of a conversation, as its GraphQL type.
pub fn conversation(member: &shared::messages::model::Member) -> Result<Conversation, Error> {
    mirror(&shared::messages::model::ConversationView::from(member)).gql()
}
