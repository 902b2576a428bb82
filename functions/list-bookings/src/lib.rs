//! `GET /bookings?as=guest|host&status=&from=&to=`.

use shared::App;
use shared::auth::authenticate;
use shared::bookings::BookingView;
use shared::bookings::list::{self, ListQuery};
use shared::http::{HandlerResult, PageBody, Request, StatusCode, json, paging, query_param};

/// One page of the signed-in user's bookings as guest or host, by check-in date.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let principal = authenticate(app, &req).await?;
    let (limit, cursor) = paging(&req)?;
    let query = ListQuery {
        as_: query_param(&req, "as"),
        status: query_param(&req, "status"),
        from: query_param(&req, "from"),
        to: query_param(&req, "to"),
        limit,
        cursor,
    };
    let (items, next_cursor) = list::list(app, &principal, query).await?;
    json(
        StatusCode::OK,
        &PageBody {
            items: items.iter().map(BookingView::from).collect(),
            next_cursor,
        },
    )
}
