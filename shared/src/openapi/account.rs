//! The account routes of the OpenAPI document: email verification, password recovery and
//! change, email preferences.

#![allow(dead_code)]

use super::ErrorResponse;
use crate::users::UserView;
use crate::users::account::{PasswordChange, PasswordReset, ResetRequest, VerifyEmailRequest};
use crate::users::preferences::{NotificationPreferences, PreferencesPatch};

/// `{"status": "accepted"}`: the email goes out shortly.
#[derive(utoipa::ToSchema)]
pub(super) struct Accepted {
    /// Always `accepted`.
    status: String,
}

#[utoipa::path(post, path = "/auth/verify-email/request", tag = "auth", security(("bearer" = [])),
    description = "Emails the signed-in user a new verification link (valid 24 h), at most once a minute.",
    responses(
        (status = 202, description = "The email is on its way", body = Accepted),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 409, description = "The email is already verified", body = ErrorResponse),
        (status = 429, description = "Asked again within 60 s; `Retry-After` says when to try again", body = ErrorResponse),
    ))]
fn request_email_verification() {}

#[utoipa::path(post, path = "/auth/verify-email", tag = "auth", request_body = VerifyEmailRequest,
    description = "Uses the token of a verification link (single use).",
    responses(
        (status = 200, description = "The user, with `emailVerified: true`", body = UserView),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field; or a used, expired or unknown token (code `invalid_token`)", body = ErrorResponse),
        (status = 422, description = "Missing token", body = ErrorResponse),
    ))]
fn verify_email() {}

#[utoipa::path(post, path = "/auth/password-reset/request", tag = "auth", request_body = ResetRequest,
    description = "Emails a reset link (valid 1 h) if the address has an account; answers the same either way, and \
sends at most 3 reset emails per address per hour.",
    responses(
        (status = 202, description = "Accepted, for any well-formed address", body = Accepted),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 422, description = "Missing or malformed email", body = ErrorResponse),
    ))]
fn request_password_reset() {}

#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = PasswordReset,
    description = "Sets a new password with the token of a reset link (single use): every refresh token of the \
user stops working, the failed-login lock is cleared, and a \"password changed\" email is sent.",
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field; or a used, expired or unknown token (code `invalid_token`)", body = ErrorResponse),
        (status = 422, description = "Missing token, or a password that is not 8..128 characters", body = ErrorResponse),
    ))]
fn reset_password() {}

#[utoipa::path(post, path = "/users/me/password", tag = "users", request_body = PasswordChange, security(("bearer" = [])),
    description = "Changes the signed-in user's password, with the same effects as a reset. A wrong \
`currentPassword` counts as a failed login.",
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
        (status = 409, description = "The password was changed meanwhile", body = ErrorResponse),
        (status = 422, description = "Wrong currentPassword, or a newPassword that is not 8..128 characters, all named", body = ErrorResponse),
        (status = 429, description = "Too many failed logins for this email; `Retry-After` says when to try again", body = ErrorResponse),
    ))]
fn change_password() {}

#[utoipa::path(get, path = "/users/me/notifications", tag = "users", security(("bearer" = [])),
    description = "Which emails the signed-in user gets. Security emails are always sent.",
    responses(
        (status = 200, description = "The preferences", body = NotificationPreferences),
        (status = 401, description = "No valid access token", body = ErrorResponse),
    ))]
fn get_notification_preferences() {}

#[utoipa::path(patch, path = "/users/me/notifications", tag = "users", request_body = PreferencesPatch, security(("bearer" = [])),
    responses(
        (status = 200, description = "The preferences after the change", body = NotificationPreferences),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = ErrorResponse),
        (status = 401, description = "No valid access token", body = ErrorResponse),
    ))]
fn update_notification_preferences() {}
