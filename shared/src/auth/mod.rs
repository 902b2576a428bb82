//! Authentication: access tokens (JWT), password hashes, refresh-token families, and the
//! principal a request acts as.

pub mod password;
pub mod refresh;
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

/// The principal of `req`: a valid bearer access token, or `401`.
pub fn authenticate(app: &crate::App, req: &Request) -> Result<Principal, ApiError> {
    let token = bearer_token(req)?;
    let claims = app.tokens.verify(token, app.clock.now())?;
    Ok(Principal {
        user_id: claims.sub,
        roles: claims.roles,
    })
}
