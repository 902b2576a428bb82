//! `POST /auth/register`: a new user, unique by case-folded email.

use serde::{Deserialize, Serialize};

use super::email::Email;
use super::{User, parse_name, parse_phone};
use crate::App;
use crate::auth::{Role, password};
use crate::error::{ApiError, FieldError, Problems};
use crate::events::Queue;
use crate::outbox;
use crate::store::keys::{self, kind};
use crate::store::{Condition, Item, StoreError, TxAction};

/// Body of `POST /auth/register`. Every field is optional to serde so that validation can
/// name every missing or bad field at once.
/// The roles one may register as (the document's enum of `role`).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum RoleName {
    Guest,
    Host,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegisterRequest {
    /// Required; unique, case-insensitively.
    #[schema(required, nullable = false, format = Email, min_length = 3, max_length = 254)]
    pub email: Option<String>,
    /// Required; 8..128 characters.
    #[schema(required, nullable = false, min_length = 8, max_length = 128)]
    pub password: Option<String>,
    /// Required; 1..100 characters.
    #[schema(
        required,
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub first_name: Option<String>,
    /// Required; 1..100 characters.
    #[schema(
        required,
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub last_name: Option<String>,
    /// E.164, e.g. `+441234567890`.
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone: Option<String>,
    /// `guest` (default) or `host`.
    #[schema(value_type = Option<RoleName>)]
    pub role: Option<String>,
}

/// The email claim: who owns an address.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailClaim {
    pub user_id: String,
}

/// A password of 8..128 characters (characters, not bytes: a passphrase may be any script).
pub fn check_password(password: String) -> Result<String, String> {
    let length = password.chars().count();
    if (8..=128).contains(&length) {
        Ok(password)
    } else {
        Err("must be 8..128 characters".to_owned())
    }
}

fn parse_role(raw: &str) -> Result<Vec<Role>, String> {
    match raw {
        "guest" => Ok(vec![Role::Guest]),
        // A host can also travel.
        "host" => Ok(vec![Role::Guest, Role::Host]),
        _ => Err("must be guest or host".to_owned()),
    }
}

/// Registers a user: `422` naming every bad field, `409` when the email is taken.
pub async fn register(app: &App, request: RegisterRequest) -> Result<User, ApiError> {
    let mut problems = Problems::new();
    let email = problems
        .required("email", request.email)
        .and_then(|raw| problems.check("email", Email::parse(&raw)));
    let password = problems
        .required("password", request.password)
        .and_then(|raw| problems.check("password", check_password(raw)));
    let first_name = problems
        .required("firstName", request.first_name)
        .and_then(|raw| problems.check("firstName", parse_name(&raw)));
    let last_name = problems
        .required("lastName", request.last_name)
        .and_then(|raw| problems.check("lastName", parse_name(&raw)));
    let phone = request.phone.and_then(|raw| problems.check("phone", parse_phone(&raw)));
    let roles = match request.role {
        Some(raw) => problems.check("role", parse_role(&raw)),
        None => Some(vec![Role::Guest]),
    };
    problems.finish()?;
    let (Some(email), Some(password), Some(first_name), Some(last_name), Some(roles)) =
        (email, password, first_name, last_name, roles)
    else {
        return Err(ApiError::internal("validation passed with a missing field"));
    };

    let folded_email = email.folded();
    // Hashing consumes the password; a copy recognises a retry of this very registration
    // (see `own_earlier_registration`).
    let sent_password = password.clone();
    let user = User {
        id: crate::ids::new_id(),
        email: email.as_str().to_owned(),
        first_name,
        last_name,
        phone,
        roles,
        created_at: app.clock.now(),
        password_hash: password::hash(password).await?,
        email_verified: false,
        session_epoch: 0,
        notifications: Default::default(),
        suspended_at: None,
    };
    let claim = Item::new(
        keys::email_claim(&folded_email),
        kind::EMAIL_CLAIM,
        &EmailClaim {
            user_id: user.id.clone(),
        },
    )?;
    let mut actions = vec![
        TxAction::Put {
            item: claim,
            condition: Condition::Absent,
        },
        TxAction::Put {
            item: user.to_item()?,
            condition: Condition::Absent,
        },
    ];
    // The first verification email goes out through the notifications queue.
    let recorded = [(Queue::Notifications, super::account::registered_event(&user))];
    actions.extend(outbox::record(app.clock.as_ref(), &recorded)?);
    match app.store.transact(actions).await {
        Ok(()) => {
            outbox::publish_recorded(app.bus.as_ref(), &recorded).await;
            Ok(user)
        }
        // The claim is action 0: its condition failing means the address is taken, unless it
        // was taken by this same registration a moment ago.
        Err(StoreError::TransactionConditionFailed { index: 0 }) => {
            match own_earlier_registration(app, &folded_email, &user, sent_password).await? {
                Some(user) => Ok(user),
                None => Err(ApiError::Conflict {
                    message: "email is already registered".to_owned(),
                    details: vec![FieldError::new("email", "is already registered")],
                }),
            }
        }
        Err(err) => Err(err.into()),
    }
}

/// How long after a registration the same registration sent again gets its first answer.
const REPLAY_MINUTES: i64 = 15;

/// The account a registration that timed out after its write made, when `sent` (with
/// `password`) is that registration sent again: created in the last [`REPLAY_MINUTES`], not
/// yet verified, with the same names and a password that verifies. The client that lost its
/// `201` gets it again instead of `409`; anybody else (who would need the password) gets
/// `409`. Costs a read and a hash only on this path.
async fn own_earlier_registration(
    app: &App,
    folded_email: &str,
    sent: &User,
    password: String,
) -> Result<Option<User>, ApiError> {
    let Some(claim) = app.store.get(&keys::email_claim(folded_email)).await? else {
        return Ok(None);
    };
    let claim: EmailClaim = claim.record()?;
    let Some(user) = super::find_user(app.store.as_ref(), &claim.user_id).await? else {
        return Ok(None);
    };
    let recent = app.clock.now() - user.created_at <= chrono::Duration::minutes(REPLAY_MINUTES);
    let same = recent && !user.email_verified && user.first_name == sent.first_name && user.last_name == sent.last_name;
    if same && password::verify(password, user.password_hash.clone()).await? {
        Ok(Some(user))
    } else {
        Ok(None)
    }
}
