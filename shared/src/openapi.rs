//! The OpenAPI 3.1 document, generated from the request and response types themselves.
//! Each route of `template.yaml` has an entry here; a test checks the two lists agree.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

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
    /// `payload_too_large`, `unsupported_media_type`, `validation_failed`, `rate_limited`, `internal`.
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
        description = "Airbnb-style bookings: users, properties, bookings, payments, reviews. Errors share one envelope; money is integer minor units.",
    ),
    paths(health, openapi_json, register, login, refresh, logout, get_me, update_me, get_user),
    components(schemas(ErrorResponse, ErrorDetail, FieldProblem, HealthStatus)),
    modifiers(&BearerAuth),
    tags((name = "health"), (name = "auth"), (name = "users"))
)]
struct ApiDoc;

/// The document as JSON, rendered once per process.
pub fn document_json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|_| r#"{"openapi":"3.1.0"}"#.to_owned())
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
        (status = 422, description = "Missing fields", body = ErrorResponse),
        (status = 429, description = "5 failed logins for this email within 15 minutes; see Retry-After", body = ErrorResponse),
    ))]
#[allow(dead_code)]
fn login() {}

#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair; the presented token stops working", body = TokenPair),
        (status = 401, description = "Unknown, expired, used (its family is revoked) or revoked token", body = ErrorResponse),
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
