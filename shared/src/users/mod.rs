//! Users: registration, sessions (login, refresh, logout) and profiles.

pub mod account;
pub mod email;
pub mod email_token;
pub mod login_limit;
pub mod preferences;
pub mod profile;
pub mod register;
pub mod session;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::error::ApiError;
use crate::store::keys::{self, kind};
use crate::store::{Item, Store, StoreError};

/// A user as stored (`USER#<id>` / `USER`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
    pub password_hash: String,
    /// Set by following the link of a verification email (users stored before: unverified).
    #[serde(default)]
    pub email_verified: bool,
    /// Raised by every password reset or change: refresh tokens of an older epoch stop working
    /// (one write revokes every family, however many there are).
    #[serde(default)]
    pub session_epoch: u64,
    /// Which emails the user wants (security emails are always sent).
    #[serde(default)]
    pub notifications: preferences::NotificationPreferences,
    /// Set while an admin has suspended the account: no sign-in, no refresh, no new bookings
    /// of their properties (see [`crate::admin`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<DateTime<Utc>>,
}

impl User {
    /// `403 account_suspended` while the account is suspended.
    pub fn ensure_active(&self) -> Result<(), ApiError> {
        match self.suspended_at {
            Some(_) => Err(ApiError::AccountSuspended),
            None => Ok(()),
        }
    }
}

impl User {
    /// The item that stores this user.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        Item::new(keys::user(&self.id), kind::USER, self)
    }
}

/// The user as they see themselves (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub roles: Vec<Role>,
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    pub email_verified: bool,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.clone(),
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            phone: user.phone.clone(),
            roles: user.roles.clone(),
            created_at: user.created_at,
            email_verified: user.email_verified,
        }
    }
}

/// What anyone may see of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicProfile {
    pub id: String,
    pub first_name: String,
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub joined_at: DateTime<Utc>,
    pub roles: Vec<Role>,
}

impl From<&User> for PublicProfile {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.clone(),
            first_name: user.first_name.clone(),
            joined_at: user.created_at,
            roles: user.roles.clone(),
        }
    }
}

/// Reads a user by id.
pub async fn find_user(store: &dyn Store, user_id: &str) -> Result<Option<User>, ApiError> {
    match store.get(&keys::user(user_id)).await? {
        Some(item) => Ok(Some(item.record()?)),
        None => Ok(None),
    }
}

/// A first or last name: 1..100 characters once trimmed.
pub fn parse_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    let length = name.chars().count();
    if length == 0 || length > 100 {
        return Err("must be 1..100 characters".to_owned());
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(name.to_owned())
}

/// A phone number in E.164 form: `+` and 8..15 digits (spaces and dashes are dropped).
pub fn parse_phone(raw: &str) -> Result<String, String> {
    let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = compact.strip_prefix('+').unwrap_or("");
    let valid =
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    if valid {
        Ok(compact)
    } else {
        Err("must be an international number like +441234567890".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_phones() {
        assert_eq!(parse_name("  Ada ").unwrap(), "Ada");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(101)).is_err());
        assert_eq!(parse_phone("+44 1234-567890").unwrap(), "+441234567890");
        assert!(parse_phone("01234567890").is_err());
        assert!(parse_phone("+12").is_err());
        assert!(parse_phone("+4412345678901234").is_err());
    }
}
