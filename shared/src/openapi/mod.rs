//! The OpenAPI 3.1 document, generated from the request and response types themselves.
//! Each route of `template.yaml` has an entry here; a test checks the two lists agree.

mod account;
mod admin;
mod bookings;
mod docs;
mod exact;
mod graphql;
mod messages;
mod payments;
mod photos;
mod reviews;

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::properties::calendar::{BlocksInput, Calendar};
use crate::properties::input::PropertyInput;
use crate::properties::{HostPropertyView, PropertyView};
use crate::users::profile::ProfilePatch;
use crate::users::register::RegisterRequest;
use crate::users::session::{LoginRequest, RefreshRequest, TokenPair};
use crate::users::{PublicProfile, UserView};

/// `{"status": "ok"}`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct HealthStatus {
    status: String,
}

/// The error envelope every failure answers with.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorResponse {
    error: ErrorDetail,
}

/// Inside the envelope.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// Machine-readable: `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `payload_too_large`, `unsupported_media_type`, `validation_failed`, `rate_limited`,
    /// `unavailable` (`503`, retry after `Retry-After` seconds), `internal`, and
    /// `account_suspended` (`403`) for a suspended account.
    code: String,
    message: String,
    details: Vec<FieldProblem>,
}

/// One bad field.
#[derive(ToSchema)]
#[allow(dead_code)]
struct FieldProblem {
    field: String,
    message: String,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roost API",
        description = "Airbnb-style bookings: users, properties, bookings, payments, reviews, messages. Errors share one envelope; money is integer minor units.",
    ),
    paths(
        health, openapi_json, register, login, refresh, logout, get_me, update_me, get_user,
        account::request_email_verification, account::verify_email, account::request_password_reset,
        account::reset_password, account::change_password, account::get_notification_preferences,
        account::update_notification_preferences,
        create_property, get_property, update_property, delete_property, list_my_properties,
        search_properties, get_calendar, put_calendar_blocks,
        bookings::get_quote, bookings::create_booking, bookings::get_booking, bookings::list_bookings,
        bookings::accept_booking, bookings::decline_booking, bookings::cancel_booking,
        bookings::check_in_booking, bookings::check_out_booking,
        payments::create_payment, payments::list_payments, payments::stripe_webhook,
        reviews::create_review, reviews::list_property_reviews, reviews::list_user_reviews,
        reviews::respond_to_review,
        messages::start_conversation, messages::list_conversations, messages::get_conversation,
        messages::list_messages, messages::send_message, messages::mark_conversation_read,
        photos::request_photo_upload, photos::list_photos, photos::reorder_photos, photos::update_photo,
        photos::delete_photo,
        admin::admin_find_users, admin::admin_suspend_user, admin::admin_reinstate_user,
        admin::admin_unlist_property, admin::admin_relist_property, admin::admin_cancel_booking,
        admin::admin_remove_review, admin::admin_list_audit,
        graphql::graphql, graphql::graphql_schema,
        docs::docs_page, docs::docs_asset, docs::graphiql_page, docs::graphiql_asset,
    ),
    components(schemas(ErrorResponse, ErrorDetail, FieldProblem, HealthStatus)),
    modifiers(&BearerAuth),
    tags((name = "health"), (name = "auth"), (name = "users"), (name = "properties"), (name = "bookings"), (name = "payments"), (name = "reviews"), (name = "messages"), (name = "photos"), (name = "admin"), (name = "graphql"), (name = "docs"))
)]
struct ApiDoc;

/// The document as JSON, rendered once per process.
pub fn document_json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc =
            serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| serde_json::json!({"openapi": "3.1.0"}));
        exact::tighten(&mut doc);
        doc.to_string()
    })
}

/// Every `(METHOD, path)` the document describes, for the drift check against `template.yaml`.
pub fn routes() -> Vec<(String, String)> {
    let doc = ApiDoc::openapi();
    let mut routes = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ];
        for (method, present) in methods {
            if present {
                routes.push((method.to_owned(), path.clone()));
            }
        }
    }
    routes.sort();
    routes
}

#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, description = "The API is up", body = HealthStatus)))]
#[allow(dead_code)]
fn health() {}

#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "This document")))]
#[allow(dead_code)]
fn openapi_json() {}

#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = UserView),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 409, description = "Email already registered", body = ErrorResponse),
        (status = 413, description = "Body over 64 KiB", body = ErrorResponse),
        (status = 422, description = "Missing or invalid fields, all named", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn register() {}

#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong email or password", body = ErrorResponse),
        (status = 403, description = "`account_suspended`: the right password of a suspended account", body = ErrorResponse),
        (status = 422, description = "Missing fields", body = ErrorResponse),
        (status = 429, description = "5 failed logins for this email within 15 minutes; see Retry-After", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn login() {}

#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair; the presented token stops working", body = TokenPair),
        (status = 401, description = "Unknown, expired, used (its family is revoked) or revoked token", body = ErrorResponse),
        (status = 403, description = "`account_suspended`: the token's account is suspended", body = ErrorResponse),
        (status = 422, description = "Missing refreshToken", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn refresh() {}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body = RefreshRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The token's family is revoked (also when the token was already unusable)"),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "The refresh token belongs to another user", body = ErrorResponse),
        (status = 422, description = "Missing refreshToken", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn logout() {}

#[utoipa::path(get, path = "/users/me", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "Own profile", body = UserView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn get_me() {}

#[utoipa::path(patch, path = "/users/me", tag = "users", request_body = ProfilePatch, security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated profile", body = UserView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 422, description = "Invalid fields, all named", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn update_me() {}

#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "Public profile", body = PublicProfile),
        (status = 404, description = "No such user", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn get_user() {}

/// A page of properties.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
struct PropertyPage {
    items: Vec<HostPropertyView>,
    /// Opaque; pass back as `cursor` for the next page. `null` on the last page.
    next_cursor: Option<String>,
}

/// A page of search results.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
struct SearchPage {
    items: Vec<crate::properties::search::SearchResult>,
    /// Opaque; pass back as `cursor` for the next page. `null` once nothing more matches.
    next_cursor: Option<String>,
}

#[utoipa::path(post, path = "/properties", tag = "properties", request_body = PropertyInput, security(("bearer" = [])),
    description = "Lists a property. `Idempotency-Key` (optional, 1..255 visible ASCII characters, per user) works as for \
`POST /bookings`: a client that retries a request whose answer it lost (a `503`, a timeout) with the same key and body \
gets the first `201` again, and the property is listed once.",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Listed (with the host-only `checkInInstructions`), or the first answer again for a repeated Idempotency-Key", body = HostPropertyView),
        (status = 400, description = "Malformed JSON, a wrong type, an unknown field or a bad Idempotency-Key", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not a host", body = ErrorResponse),
        (status = 422, description = "Missing or invalid fields, all named, or an Idempotency-Key reused with another body", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn create_property() {}

#[utoipa::path(get, path = "/properties/{id}", tag = "properties",
    params(("id" = String, Path, description = "Property id")),
    responses(
        (status = 200, description = "The property; `rating` is null until 3 published guest reviews", body = PropertyView),
        (status = 404, description = "No such property (or deleted)", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn get_property() {}

#[utoipa::path(patch, path = "/properties/{id}", tag = "properties", request_body = PropertyInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Property id")),
    responses(
        (status = 200, description = "Updated; a new price applies to new bookings only", body = HostPropertyView),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not this property's host", body = ErrorResponse),
        (status = 404, description = "No such property", body = ErrorResponse),
        (status = 422, description = "Invalid fields, all named", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn update_property() {}

#[utoipa::path(delete, path = "/properties/{id}", tag = "properties", security(("bearer" = [])),
    params(("id" = String, Path, description = "Property id")),
    responses(
        (status = 204, description = "Deleted: it leaves search; its bookings and reviews stay readable"),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not this property's host", body = ErrorResponse),
        (status = 404, description = "No such property", body = ErrorResponse),
        (status = 409, description = "A booking of it is pending payment, awaiting the host, confirmed or checked in", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn delete_property() {}

#[utoipa::path(get, path = "/users/me/properties", tag = "properties", security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, description = "1..100, default 20"),
        ("cursor" = Option<String>, Query, description = "From the previous page's nextCursor"),
    ),
    responses(
        (status = 200, description = "The host's properties, oldest first", body = PropertyPage),
        (status = 400, description = "Malformed limit or cursor", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not a host", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn list_my_properties() {}

#[utoipa::path(get, path = "/properties", tag = "properties",
    description = "Search one place: a `city`, a circle (`near` with `radiusKm`) or a map box (`bbox`); exactly one. Results \
come in ascending nightly price, then id, for every kind of place. Each request examines a bounded number of candidates \
(240), so a page may hold fewer than `limit` items while `nextCursor` is set: keep following it; `nextCursor` is null \
only once nothing more matches. A cursor works only with the query it came from (same place and filters; `limit` may \
change): another query's cursor is 400. A property without a `location` is found by city only.",
    params(
        ("city" = Option<String>, Query, description = "A city, matched case- and accent-insensitively (`zurich` finds `Zürich`), in every country unless `country` narrows it"),
        ("country" = Option<String>, Query, description = "ISO 3166-1 alpha-2; only with city (alone: 422)"),
        ("near" = Option<String>, Query, description = "`<lat>,<lng>`: properties within `radiusKm` of this point, each with `distanceKm`. Not two numbers: 400; out of range: 422"),
        ("radiusKm" = Option<f64>, Query, description = "With near: 0.1..100 km, default 10. Not a number: 400; out of range or without near: 422"),
        ("bbox" = Option<String>, Query, description = "`<minLng>,<minLat>,<maxLng>,<maxLat>`: a map viewport, at most 500 km on its longer side; `minLng > maxLng` crosses the antimeridian. Not four numbers: 400; out of range, minLat above maxLat or too large: 422"),
        ("checkIn" = Option<String>, Query, description = "YYYY-MM-DD, with checkOut: only properties free every night of the stay and whose min/max nights allow it. Not a date: 400"),
        ("checkOut" = Option<String>, Query, description = "YYYY-MM-DD, after checkIn (not a night itself). Not a date: 400"),
        ("guests" = Option<i64>, Query, minimum = 1, description = "Keeps properties with maxGuests at least this (1 or more)"),
        ("bedrooms" = Option<i64>, Query, minimum = 0, description = "Keeps properties with at least this many bedrooms"),
        ("amenities" = Option<String>, Query, description = "Comma-separated: keeps properties that list every one of them (case-insensitive)"),
        ("minPrice" = Option<i64>, Query, minimum = 0, maximum = 100000000000.0, description = "Nightly price at least this many minor units (inclusive)"),
        ("maxPrice" = Option<i64>, Query, minimum = 0, maximum = 100000000000.0, description = "Nightly price at most this many minor units (inclusive)"),
        ("currency" = Option<String>, Query, pattern = r"^[A-Z]{3}$", description = "ISO 4217: only properties priced in it"),
        ("limit" = Option<u32>, Query, description = "1..100, default 20"),
        ("cursor" = Option<String>, Query, description = "From the previous page's nextCursor"),
    ),
    responses(
        (status = 200, description = "Matching properties", body = SearchPage),
        (status = 400, description = "A malformed number, coordinate, date, limit or cursor (each named), or a cursor of another query", body = ErrorResponse),
        (status = 422, description = "No place or more than one kind of place (city, near, bbox named), country without city, radiusKm without near, a coordinate, radius or box out of range, unknown country or currency, guests below 1, bedrooms below 0, too many or too long amenities, a price out of range or maxPrice below minPrice, only one of checkIn/checkOut, checkOut not after checkIn: all named", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn search_properties() {}

#[utoipa::path(get, path = "/properties/{id}/calendar", tag = "properties",
    description = "Nights from `from` (included) to `to` (excluded), in the property's time zone. `available` is false for a \
night that is held, booked or blocked (which one is not shown); `price` is the nightly price.",
    params(
        ("id" = String, Path, description = "Property id"),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD; default today in the property's time zone. Not a date: 400"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD, excluded; default from + 30 days; at most 366 nights after from. Not a date: 400"),
    ),
    responses(
        (status = 200, description = "One entry per night, ascending", body = Calendar),
        (status = 400, description = "from or to is not a YYYY-MM-DD date", body = ErrorResponse),
        (status = 404, description = "No such property (or deleted)", body = ErrorResponse),
        (status = 422, description = "to not after from, or more than 366 nights", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn get_calendar() {}

#[utoipa::path(put, path = "/properties/{id}/calendar/blocks", tag = "properties", request_body = BlocksInput,
    security(("bearer" = [])),
    description = "The host blocks (`blocked: true`) or opens (`false`) every night from `from` (included) to `to` \
(excluded), at most 90 nights per request (they are written in one transaction). All or nothing: nights already in the \
wanted state are left as they are; a night that is booked or held anywhere in the range fails the whole request with \
409, whose `details` name that night: `{\"field\": \"2026-12-24\", \"message\": \"this night is booked or held\"}`. \
Answers the calendar of the range.",
    params(("id" = String, Path, description = "Property id")),
    responses(
        (status = 200, description = "The calendar of from..to after the change", body = Calendar),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 403, description = "Not this property's host", body = ErrorResponse),
        (status = 404, description = "No such property (or deleted)", body = ErrorResponse),
        (status = 409, description = "A night in the range is booked or held; details[].field is its date", body = ErrorResponse),
        (status = 422, description = "Missing from, to or blocked, a date that is not YYYY-MM-DD, to not after from, or more than 90 nights: all named", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn put_calendar_blocks() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_openapi_3_1_and_lists_the_routes() {
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(routes().contains(&("GET".to_owned(), "/users/{id}".to_owned())));
        assert!(doc["components"]["schemas"]["RegisterRequest"].is_object());
    }
}
