//! Every read of the REST API, as root fields. Each calls the use case its REST handler
//! calls; every root field is nullable, so one failing leaves the others' data.

use async_graphql::{Context, Error, ID, InputObject, Object};
use shared::admin::accounts::AdminUserView;
use shared::admin::audit::AuditQuery;
use shared::bookings::list::{self, ListQuery};
use shared::bookings::quote::{self, QuoteQuery};
use shared::properties::calendar;
use shared::properties::search::{self, SearchQuery};
use shared::users::{PublicProfile, UserView, profile};

use crate::context::{app, principal};
use crate::error::OrGraphql;
use crate::types::{
    Account, AdminUser, AuditEntryConnection, Booking, BookingConnection, BookingPayments, BookingStatus, Calendar,
    Conversation, ConversationConnection, HostPhoto, NotificationPreferences, PriceBreakdown, Property,
    PropertyConnection, ReviewConnection, SearchResult, SearchResultConnection, User, booking, booking_payments,
    conversation, hosted_property, mirror, page_size, property, weight,
};

/// Whose bookings.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "snake_case")]
pub enum BookingSide {
    /// Bookings the caller made.
    Guest,
    /// Bookings of the caller's properties.
    Host,
}

/// A point on the map, for `near`.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct CoordinatesInput {
    /// -90..90.
    pub lat: f64,
    /// -180..180.
    pub lng: f64,
}

/// A map viewport; `minLng > maxLng` crosses the antimeridian.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct BoundingBoxInput {
    pub min_lng: f64,
    pub min_lat: f64,
    pub max_lng: f64,
    pub max_lat: f64,
}

/// The roots of every read.
pub struct Query;

#[Object]
impl Query {
    /// The signed-in user's own account.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Account>, Error> {
        let user = profile::me(app(ctx), principal(ctx)?).await.gql()?;
        Ok(Some(mirror(&UserView::from(&user)).gql()?))
    }

    /// The signed-in user's email preferences.
    async fn notification_preferences(&self, ctx: &Context<'_>) -> Result<Option<NotificationPreferences>, Error> {
        let preferences = shared::users::preferences::get(app(ctx), principal(ctx)?).await.gql()?;
        Ok(Some(mirror(&preferences).gql()?))
    }

    /// Anyone's public profile.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>, Error> {
        let user = profile::public(app(ctx), &id).await.gql()?;
        Ok(Some(mirror(&PublicProfile::from(&user)).gql()?))
    }

    /// A listed property (a deleted one is `not_found`).
    async fn property(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Property>, Error> {
        let found = shared::properties::view(app(ctx), &id).await.gql()?;
        Ok(Some(property(&found, &app(ctx).photo_urls)?))
    }

    /// Properties in exactly one place (`city`, `near` or `bbox`), ascending nightly price,
    /// then id; the filters are those of `GET /properties`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "weight(first, child_complexity)")]
    async fn search_properties(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matched case- and accent-insensitively, in every country unless `country` narrows it.")]
        city: Option<String>,
        #[graphql(desc = "ISO 3166-1 alpha-2; only with `city`.")] country: Option<String>,
        #[graphql(desc = "Properties within `radiusKm` of this point; results carry `distanceKm`.")] near: Option<
            CoordinatesInput,
        >,
        #[graphql(desc = "0.1..100, default 10; only with `near`.")] radius_km: Option<f64>,
        #[graphql(desc = "Properties inside this box (at most 500 km on its longer side).")] bbox: Option<
            BoundingBoxInput,
        >,
        #[graphql(desc = "`YYYY-MM-DD`: only properties free for the whole stay.")] check_in: Option<String>,
        check_out: Option<String>,
        #[graphql(desc = "At least this many guests.")] guests: Option<i64>,
        #[graphql(desc = "At least this many bedrooms.")] bedrooms: Option<i64>,
        #[graphql(desc = "Every one of these (case-insensitive).")] amenities: Option<Vec<String>>,
        #[graphql(desc = "Minor units, inclusive, compared with the nightly price.")] min_price: Option<i64>,
        max_price: Option<i64>,
        #[graphql(desc = "Only properties priced in this ISO 4217 currency.")] currency: Option<String>,
        #[graphql(desc = "1..100, default 20")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<SearchResultConnection>, Error> {
        let limit = page_size(first)?;
        // The use case parses the REST parameters' text, so both front doors share its rules.
        let near = near.map(|p| format!("{},{}", p.lat, p.lng));
        let bbox = bbox.map(|b| format!("{},{},{},{}", b.min_lng, b.min_lat, b.max_lng, b.max_lat));
        let radius_km = radius_km.map(|r| r.to_string());
        let guests = guests.map(|n| n.to_string());
        let bedrooms = bedrooms.map(|n| n.to_string());
        let amenities = amenities.map(|list| list.join(","));
        let min_price = min_price.map(|n| n.to_string());
        let max_price = max_price.map(|n| n.to_string());
        let query = SearchQuery {
            city: city.as_deref(),
            country: country.as_deref(),
            near: near.as_deref(),
            radius_km: radius_km.as_deref(),
            bbox: bbox.as_deref(),
            check_in: check_in.as_deref(),
            check_out: check_out.as_deref(),
            guests: guests.as_deref(),
            bedrooms: bedrooms.as_deref(),
            amenities: amenities.as_deref(),
            min_price: min_price.as_deref(),
            max_price: max_price.as_deref(),
            currency: currency.as_deref(),
        };
        let (hits, next) = search::search(app(ctx), &query, limit, after.as_deref()).await.gql()?;
        let urls = &app(ctx).photo_urls;
        let nodes = hits
            .iter()
            .map(|hit| {
                // The REST item, as GraphQL types: one view of a result, the cover included.
                let result = search::SearchResult::new(hit, urls);
                Ok(SearchResult {
                    property: mirror(&result.property).gql()?,
                    cover_photo: result.cover_photo.as_ref().map(mirror).transpose().gql()?,
                    distance_km: result.distance_km,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Some(SearchResultConnection::page(nodes, next)))
    }

    /// The nights of `from..to` (`to` excluded; default today and 30 nights, at most 366).
    async fn calendar(
        &self,
        ctx: &Context<'_>,
        property_id: ID,
        #[graphql(desc = "`YYYY-MM-DD`, included")] from: Option<String>,
        #[graphql(desc = "`YYYY-MM-DD`, excluded")] to: Option<String>,
    ) -> Result<Option<Calendar>, Error> {
        let nights = calendar::calendar(app(ctx), &property_id, from.as_deref(), to.as_deref())
            .await
            .gql()?;
        Ok(Some(mirror(&nights).gql()?))
    }

    /// The price of a stay, or what `createBooking` would answer for it.
    async fn quote(
        &self,
        ctx: &Context<'_>,
        property_id: ID,
        check_in: Option<String>,
        check_out: Option<String>,
        guests: Option<i64>,
    ) -> Result<Option<PriceBreakdown>, Error> {
        let guests = guests.map(|n| n.to_string());
        let query = QuoteQuery {
            check_in: check_in.as_deref(),
            check_out: check_out.as_deref(),
            guests: guests.as_deref(),
        };
        let price = quote::quote(app(ctx), &property_id, query).await.gql()?;
        Ok(Some(mirror(&price).gql()?))
    }

    /// A booking of the caller's (as guest or host); anyone else's is `not_found`.
    async fn booking(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Booking>, Error> {
        let found = shared::bookings::get(app(ctx), principal(ctx)?, &id).await.gql()?;
        Ok(Some(booking(&found)?))
    }

    /// The caller's bookings as guest (default) or host, ascending check-in date; `from` and
    /// `to` bound the check-in date (`to` excluded).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "weight(first, child_complexity)")]
    async fn my_bookings(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "as")] side: Option<BookingSide>,
        status: Option<BookingStatus>,
        from: Option<String>,
        to: Option<String>,
        #[graphql(desc = "1..100, default 20")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<BookingConnection>, Error> {
        let limit = page_size(first)?;
        let query = ListQuery {
            as_: side.map(|side| match side {
                BookingSide::Guest => "guest",
                BookingSide::Host => "host",
            }),
            status: status.map(BookingStatus::as_str),
            from: from.as_deref(),
            to: to.as_deref(),
            limit,
            cursor: after.as_deref(),
        };
        let (items, next) = list::list(app(ctx), principal(ctx)?, query).await.gql()?;
        let nodes = items.iter().map(booking).collect::<Result<Vec<_>, _>>()?;
        Ok(Some(BookingConnection::page(nodes, next)))
    }

    /// The signed-in host's properties.
    #[graphql(complexity = "weight(first, child_complexity)")]
    async fn my_properties(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "1..100, default 20")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<PropertyConnection>, Error> {
        let limit = page_size(first)?;
        let (items, next) = shared::properties::list_mine(app(ctx), principal(ctx)?, limit, after.as_deref())
            .await
            .gql()?;
        let urls = &app(ctx).photo_urls;
        let nodes = items
            .iter()
            .map(|item| hosted_property(item, urls))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(PropertyConnection::page(nodes, next)))
    }

    /// A booking's payments, and (for its host) the payout.
    async fn booking_payments(&self, ctx: &Context<'_>, booking_id: ID) -> Result<Option<BookingPayments>, Error> {
        Ok(Some(booking_payments(ctx, &booking_id).await?))
    }

    /// A property's published guest reviews, newest first.
    #[graphql(complexity = "weight(first, child_complexity)")]
    async fn property_reviews(
        &self,
        ctx: &Context<'_>,
        property_id: ID,
        #[graphql(desc = "1..100, default 20")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<ReviewConnection>, Error> {
        let limit = page_size(first)?;
        let (items, next) = shared::reviews::list::of_property(app(ctx), &property_id, limit, after.as_deref())
            .await
            .gql()?;
        let nodes = items.iter().map(crate::types::review).collect::<Result<Vec<_>, _>>()?;
        Ok(Some(ReviewConnection::page(nodes, next)))
    }

    /// The caller's conversations (as guest or host), most recent message first.
    #[graphql(complexity = "weight(first, child_complexity)")]
    async fn conversations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "1..100, default 20")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<ConversationConnection>, Error> {
        let limit = page_size(first)?;
        let (items, next) = shared::messages::list(app(ctx), principal(ctx)?, limit, after.as_deref())
            .await
            .gql()?;
        let nodes = items.iter().map(conversation).collect::<Result<Vec<_>, _>>()?;
        Ok(Some(ConversationConnection::page(nodes, next)))
    }

    /// Every photo of the host's property with its status: ready ones in display order,
    /// then pending and rejected ones (the host only).
    async fn property_photos(&self, ctx: &Context<'_>, property_id: ID) -> Result<Option<Vec<HostPhoto>>, Error> {
        let photos = shared::photos::list(app(ctx), principal(ctx)?, &property_id)
            .await
            .gql()?;
        Ok(Some(mirror(&photos).gql()?))
    }

    /// A conversation the caller takes part in; anyone else's is `not_found`.
    async fn conversation(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Conversation>, Error> {
        let found = shared::messages::get(app(ctx), principal(ctx)?, &id).await.gql()?;
        Ok(Some(conversation(&found)?))
    }

    /// The published reviews hosts wrote about a user as a guest, newest first.
    #[graphql(complexity = "weight(first, child_complexity)")]
    async fn user_reviews(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        #[graphql(desc = "1..100, default 20")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<ReviewConnection>, Error> {
        let limit = page_size(first)?;
        let (items, next) = shared::reviews::list::of_user(app(ctx), &user_id, limit, after.as_deref())
            .await
            .gql()?;
        let nodes = items.iter().map(crate::types::review).collect::<Result<Vec<_>, _>>()?;
        Ok(Some(ReviewConnection::page(nodes, next)))
    }

    /// Admin only: the account registered with `email` (exact, case-insensitive), with its
    /// status; an empty list when there is none.
    async fn admin_users(&self, ctx: &Context<'_>, email: String) -> Result<Option<Vec<AdminUser>>, Error> {
        let users = shared::admin::accounts::find_by_email(app(ctx), principal(ctx)?, Some(&email))
            .await
            .gql()?;
        let views: Vec<AdminUserView> = users.iter().map(AdminUserView::from).collect();
        Ok(Some(mirror(&views).gql()?))
    }

    /// Admin only: the audit log, newest first; `from` (included) and `to` (excluded) are
    /// RFC 3339 instants.
    #[graphql(complexity = "weight(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        from: Option<String>,
        to: Option<String>,
        #[graphql(desc = "1..100, default 20")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<AuditEntryConnection>, Error> {
        let limit = page_size(first)?;
        let query = AuditQuery {
            from: from.as_deref(),
            to: to.as_deref(),
            limit,
            cursor: after.as_deref(),
        };
        let (items, next) = shared::admin::audit::list(app(ctx), principal(ctx)?, query)
            .await
            .gql()?;
        Ok(Some(AuditEntryConnection::page(mirror(&items).gql()?, next)))
    }
}
