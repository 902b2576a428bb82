//! The REST front door of the admin routes: authenticate (`401`), admin only (`403`), the
//! optional `{"reason"}` body, the use case, its view. Each route's function calls one of
//! these; GraphQL calls the same use cases.

use super::ReasonInput;
use super::accounts::{self, AdminUserView};
use super::audit::{self, AuditQuery};
use crate::App;
use crate::auth::authenticate;
use crate::bookings::BookingView;
use crate::bookings::actions::cancel_as_admin;
use crate::http::{
    HandlerResult, PageBody, Request, StatusCode, json, optional_json_body, paging, path_param, query_param,
};
use crate::properties::{PropertyView, listing};
use crate::reviews::model::ReviewView;
use crate::reviews::remove;

/// An admin action route (`POST /admin/<subject>/{id}/<action>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRoute {
    SuspendUser,
    ReinstateUser,
    UnlistProperty,
    RelistProperty,
    CancelBooking,
    RemoveReview,
}

/// `POST /admin/.../{id}/...`: `200` with the subject after the action.
pub async fn act(app: &App, req: Request, route: AdminRoute) -> HandlerResult {
    let admin = authenticate(app, &req).await?;
    // A non-admin learns nothing of the body's or the subject's validity.
    admin.ensure_admin()?;
    let input: Option<ReasonInput> = optional_json_body(&req)?;
    let id = path_param(&req, "id")?;
    match route {
        AdminRoute::SuspendUser => {
            let user = accounts::suspend(app, &admin, id, input).await?;
            json(StatusCode::OK, &AdminUserView::from(&user))
        }
        AdminRoute::ReinstateUser => {
            let user = accounts::reinstate(app, &admin, id, input).await?;
            json(StatusCode::OK, &AdminUserView::from(&user))
        }
        AdminRoute::UnlistProperty => {
            let property = listing::unlist(app, &admin, id, input).await?;
            json(StatusCode::OK, &PropertyView::new(&property, &app.photo_urls))
        }
        AdminRoute::RelistProperty => {
            let property = listing::relist(app, &admin, id, input).await?;
            json(StatusCode::OK, &PropertyView::new(&property, &app.photo_urls))
        }
        AdminRoute::CancelBooking => {
            let booking = cancel_as_admin(app, &admin, id, input).await?;
            json(StatusCode::OK, &BookingView::from(&booking))
        }
        AdminRoute::RemoveReview => {
            let review = remove::remove(app, &admin, id, input).await?;
            json(StatusCode::OK, &ReviewView::from(&review))
        }
    }
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
