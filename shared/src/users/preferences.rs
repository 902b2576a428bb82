//! Email preferences (`GET`/`PATCH /users/me/notifications`): which kinds of email a user
//! wants. Security emails (verification, reset, password changed) are not optional.

use serde::{Deserialize, Serialize};

use crate::App;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::store::keys;
use crate::store::{Condition, StoreError, Update};

/// What a user receives; all on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPreferences {
    /// Booking requested, confirmed, declined, cancelled, expired, payment failed, check-in
    /// reminder, payout paid.
    #[serde(default = "on")]
    pub booking_updates: bool,
    /// A new message in a conversation.
    #[serde(default = "on")]
    pub messages: bool,
    /// A review published about you.
    #[serde(default = "on")]
    pub reviews: bool,
}

fn on() -> bool {
    true
}

impl Default for NotificationPreferences {
    fn default() -> Self {
        Self {
            booking_updates: true,
            messages: true,
            reviews: true,
        }
    }
}

/// The kinds of email a preference can turn off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    BookingUpdates,
    Messages,
    Reviews,
    /// Always sent.
    Security,
}

impl NotificationPreferences {
    /// Whether an email of `topic` goes out.
    pub fn wants(&self, topic: Topic) -> bool {
        match topic {
            Topic::BookingUpdates => self.booking_updates,
            Topic::Messages => self.messages,
            Topic::Reviews => self.reviews,
            Topic::Security => true,
        }
    }
}

/// Body of `PATCH /users/me/notifications`: any subset.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PreferencesPatch {
    pub booking_updates: Option<bool>,
    pub messages: Option<bool>,
    pub reviews: Option<bool>,
}

/// The signed-in user's preferences.
pub async fn get(app: &App, principal: &Principal) -> Result<NotificationPreferences, ApiError> {
    Ok(super::profile::me(app, principal).await?.notifications)
}

/// Applies `patch` with a write conditioned on the version read, and returns the result.
pub async fn update(
    app: &App,
    principal: &Principal,
    patch: PreferencesPatch,
) -> Result<NotificationPreferences, ApiError> {
    let fields = [
        ("bookingUpdates", patch.booking_updates),
        ("messages", patch.messages),
        ("reviews", patch.reviews),
    ];
    if fields.iter().all(|(_, value)| value.is_none()) {
        return get(app, principal).await;
    }
    // The whole map is written: a user stored before preferences existed has none to
    // update field by field.
    let key = keys::user(&principal.user_id);
    for _ in 0..3 {
        let Some(item) = app.store.get(&key).await? else {
            return Err(ApiError::Unauthorized("user no longer exists"));
        };
        let user: super::User = item.record()?;
        let mut next = user.notifications;
        if let Some(value) = patch.booking_updates {
            next.booking_updates = value;
        }
        if let Some(value) = patch.messages {
            next.messages = value;
        }
        if let Some(value) = patch.reviews {
            next.reviews = value;
        }
        let value = serde_json::to_value(next).map_err(ApiError::internal)?;
        match app
            .store
            .update(
                &key,
                Update::new().set("notifications", value),
                Condition::VersionEquals(item.version),
            )
            .await
        {
            Ok(_) => return Ok(next),
            Err(StoreError::ConditionFailed) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::conflict("your profile kept changing; try again"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_on_by_default_and_security_cannot_be_turned_off() {
        let none: NotificationPreferences = serde_json::from_str("{}").unwrap();
        assert_eq!(none, NotificationPreferences::default());
        let off = NotificationPreferences {
            booking_updates: false,
            messages: false,
            reviews: false,
        };
        assert!(off.wants(Topic::Security));
        assert!(!off.wants(Topic::Messages));
    }
}
