//! The REST front door of the admin routes: authenticate (`401`), admin only (`403`), the
//! optional `{"reason"}` body, the use case, its view. Each route's function calls one of
//! these; GraphQL calls the same use cases.

use super::ReasonInput;
use super::accounts::{self, AdminUserView};
use super::audit::{self, AuditQuery};
use crate::App;
use crate::auth::{Principal, authenticate};
use crate::bookings::BookingView;
use crate::bookings::actions::cancel_as_admin;
use crate::error::ApiError;
use crate::http::{
    HandlerResult, PageBody, Request, StatusCode, json, optional_json_body, paging, path_param, query_param,
};
use crate::properties::{PropertyView, listing};
use crate::reviews::model::ReviewView;
use crate::reviews::remove;

/// What every admin action route starts with: the admin (`401` without a valid token, `403`
/// without the role, before the body or the subject is looked at), the optional
/// `{"reason"}` body, and the subject's id.
async fn admin_action<'r>(app: &App, req: &'r Request) -> Result<(Principal, Option<ReasonInput>, &'r str), ApiError> {
    let admin = authenticate(app, req).await?;
    admin.ensure_admin()?;
    let input: Option<ReasonInput> = optional_json_body(req)?;
    let id = path_param(req, "id")?;
    Ok((admin, input, id))
}

// One function per route (not one dispatching on a route value), so that each Lambda binary
// links only its own use case: a dispatcher would put all six, and every area they touch,
// into every admin function.

/// `POST /admin/users/{id}/suspend`: `200` with the user, suspended.
pub async fn suspend_user(app: &App, req: Request) -> HandlerResult {
    let (admin, input, id) = admin_action(app, &req).await?;
    let user = accounts::suspend(app, &admin, id, input).await?;
    json(StatusCode::OK, &AdminUserView::from(&user))
}

/// `POST /admin/users/{id}/reinstate`: `200` with the user, active.
pub async fn reinstate_user(app: &App, req: Request) -> HandlerResult {
    let (admin, input, id) = admin_action(app, &req).await?;
    let user = accounts::reinstate(app, &admin, id, input).await?;
    json(StatusCode::OK, &AdminUserView::from(&user))
}

/// `POST /admin/properties/{id}/unlist`: `200` with the property, unlisted.
pub async fn unlist_property(app: &App, req: Request) -> HandlerResult {
    let (admin, input, id) = admin_action(app, &req).await?;
    let property = listing::unlist(app, &admin, id, input).await?;
    json(StatusCode::OK, &PropertyView::new(&property, &app.photo_urls))
}

/// `POST /admin/properties/{id}/relist`: `200` with the property, listed.
pub async fn relist_property(app: &App, req: Request) -> HandlerResult {
    let (admin, input, id) = admin_action(app, &req).await?;
    let property = listing::relist(app, &admin, id, input).await?;
    json(StatusCode::OK, &PropertyView::new(&property, &app.photo_urls))
}

/// `POST /admin/bookings/{id}/cancel`: `200` with the booking, cancelled with a full refund.
pub async fn cancel_booking(app: &App, req: Request) -> HandlerResult {
    let (admin, input, id) = admin_action(app, &req).await?;
    let booking = cancel_as_admin(app, &admin, id, input).await?;
    json(StatusCode::OK, &BookingView::from(&booking))
}

/// `POST /admin/reviews/{id}/remove`: `200` with the review as it was.
pub async fn remove_review(app: &App, req: Request) -> HandlerResult {
    let (admin, input, id) = admin_action(app, &req).await?;
    let review = remove::remove(app, &admin, id, input).await?;
    json(StatusCode::OK, &ReviewView::from(&review))
}

/// `GET /admin/users?email=`: `{"items": [the user, with status]}` (at most one).
pub async fn find_users(app: &App, req: Request) -> HandlerResult {
    let admin = authenticate(app, &req).await?;
    admin.ensure_admin()?;
    let users = accounts::find_by_email(app, &admin, query_param(&req, "email")).await?;
    json(
        StatusCode::OK,
        &PageBody {
            items: users.iter().map(AdminUserView::from).collect(),
            next_cursor: None,
        },
    )
}

/// `GET /admin/audit?from=&to=`: one page of the audit log, newest first.
pub async fn list_audit(app: &App, req: Request) -> HandlerResult {
    let admin = authenticate(app, &req).await?;
    admin.ensure_admin()?;
    let (limit, cursor) = paging(&req)?;
    let query = AuditQuery {
        from: query_param(&req, "from"),
        to: query_param(&req, "to"),
        limit,
        cursor,
    };
    let (items, next_cursor) = audit::list(app, &admin, query).await?;
    json(StatusCode::OK, &PageBody { items, next_cursor })
}
