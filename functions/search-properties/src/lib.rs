//! `GET /properties`.

use shared::App;
use shared::http::{HandlerResult, PageBody, Request, StatusCode, json, paging, query_param};
use shared::properties::PropertyView;
use shared::properties::search::{self, SearchQuery};

/// One page of properties in a place, ascending nightly price then id, filtered by stay,
/// guests and price.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let (limit, cursor) = paging(&req)?;
    let query = SearchQuery {
        city: query_param(&req, "city"),
        country: query_param(&req, "country"),
        check_in: query_param(&req, "checkIn"),
        check_out: query_param(&req, "checkOut"),
        guests: query_param(&req, "guests"),
        min_price: query_param(&req, "minPrice"),
        max_price: query_param(&req, "maxPrice"),
        currency: query_param(&req, "currency"),
    };
    let (items, next_cursor) = search::search(app, &query, limit, cursor).await?;
    json(
        StatusCode::OK,
        &PageBody {
            items: items.iter().map(PropertyView::from).collect(),
            next_cursor,
        },
    )
}
