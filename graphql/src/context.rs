//! What every resolver reads from the request: the app and who is calling.

use async_graphql::{Context, Error};
use shared::App;
use shared::auth::Principal;
use shared::error::ApiError;

use crate::error::to_error;

/// The app, as schema data (built once at init).
pub struct Services {
    pub app: &'static App,
}

/// The caller of one request: the principal, or why the request is not signed in (no
/// valid token: anonymous; or a suspended account, or a store that could not tell).
pub struct Caller(pub Result<Principal, ApiError>);

/// The app.
pub fn app<'a>(ctx: &Context<'a>) -> &'a App {
    ctx.data_unchecked::<Services>().app
}

/// The signed-in caller; `unauthorized` for an anonymous request, `account_suspended` for a
/// suspended account's token (as on every REST route).
pub fn principal<'a>(ctx: &Context<'a>) -> Result<&'a Principal, Error> {
    match ctx.data_opt::<Caller>() {
        Some(Caller(Ok(principal))) => Ok(principal),
        Some(Caller(Err(err @ (ApiError::AccountSuspended | ApiError::Unavailable { .. })))) => {
            Err(to_error(err.clone()))
        }
        _ => Err(to_error(ApiError::Unauthorized("sign in with a bearer token"))),
    }
}

/// The caller when signed in, `None` when anonymous.
pub fn caller<'a>(ctx: &Context<'a>) -> Option<&'a Principal> {
    ctx.data_opt::<Caller>().and_then(|caller| caller.0.as_ref().ok())
}
