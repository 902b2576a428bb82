//! Authentication: access tokens (JWT), password hashes, refresh-token families, and the
//! principal a request acts as.

pub mod keys;
pub mod password;
pub mod refresh;
pub mod suspensions;
pub mod token;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::http::{Request, bearer_token};

/// What a user may act as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Guest,
    Host,
    /// Trust and safety: granted only by an operator (`local-api admin grant EMAIL`), never
    /// through the API.
    Admin,
}

/// The signed-in user a request acts for, read from its access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub roles: Vec<Role>,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

impl Principal {
    /// `403` unless the principal is an admin (the token's roles: granted by an operator, in
    /// tokens issued after the grant).
    pub fn ensure_admin(&self) -> Result<(), ApiError> {
        if self.has_role(Role::Admin) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("only admins may do this"))
        }
    }
}

/// The principal of `req`: a valid bearer access token (else `401`) of an account that is
/// not suspended (else `403 account_suspended`, within a minute of the suspension; see
/// [`suspensions`]).
pub async fn authenticate(app: &crate::App, req: &Request) -> Result<Principal, ApiError> {
    let token = bearer_token(req)?;
    let now = app.clock.now();
    let claims = keys::verify(&app.keys, token, now).await?;
    if app
        .suspensions
        .is_suspended(app.store.as_ref(), &claims.sub, now)
        .await?
    {
        return Err(ApiError::AccountSuspended);
    }
    Ok(Principal {
        user_id: claims.sub,
        roles: claims.roles,
    })
}
