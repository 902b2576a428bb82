//! Profiles: the signed-in user's own (`/users/me`) and anyone's public one.

use serde::Deserialize;

use super::{User, find_user, parse_name, parse_phone};
use crate::App;
use crate::auth::Principal;
use crate::error::{ApiError, Problems};
use crate::store::keys;
use crate::store::{Condition, StoreError, Update};

/// Body of `PATCH /users/me`: any subset; `phone: null` removes the phone.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfilePatch {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub first_name: Option<String>,
    /// `null` removes the phone number.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone: Option<Option<String>>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub last_name: Option<String>,
}

/// Tells a field that is `null` (`Some(None)`) from one that is absent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// The signed-in user; a token whose user no longer exists is `401`.
pub async fn me(app: &App, principal: &Principal) -> Result<User, ApiError> {
    find_user(app.store.as_ref(), &principal.user_id)
        .await?
        .ok_or(ApiError::Unauthorized("user no longer exists"))
}

/// Anyone's public profile, or `404`.
pub async fn public(app: &App, user_id: &str) -> Result<User, ApiError> {
    // Ids are ULIDs; anything else cannot exist, and need not reach the store.
    if ulid::Ulid::from_string(user_id).is_err() {
        return Err(ApiError::NotFound("user not found"));
    }
    find_user(app.store.as_ref(), user_id)
        .await?
        .ok_or(ApiError::NotFound("user not found"))
}

/// Applies `patch` to the signed-in user's profile.
pub async fn update_me(app: &App, principal: &Principal, patch: ProfilePatch) -> Result<User, ApiError> {
    let mut problems = Problems::new();
    let mut update = Update::new();
    if let Some(raw) = patch.first_name
        && let Some(name) = problems.check("firstName", parse_name(&raw))
    {
        update = update.set("firstName", name);
    }
    if let Some(raw) = patch.last_name
        && let Some(name) = problems.check("lastName", parse_name(&raw))
    {
        update = update.set("lastName", name);
    }
    match patch.phone {
        Some(Some(raw)) => {
            if let Some(phone) = problems.check("phone", parse_phone(&raw)) {
                update = update.set("phone", phone);
            }
        }
        Some(None) => update = update.set("phone", serde_json::Value::Null),
        None => {}
    }
    problems.finish()?;
    if update.set.is_empty() {
        return me(app, principal).await;
    }
    match app
        .store
        .update(&keys::user(&principal.user_id), update, Condition::Exists)
        .await
    {
        Ok(item) => Ok(item.record()?),
        Err(StoreError::ConditionFailed) => Err(ApiError::Unauthorized("user no longer exists")),
        Err(err) => Err(err.into()),
    }
}
