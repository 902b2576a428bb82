//! `GET /properties`.

use shared::App;
use shared::http::{HandlerResult, PageBody, Request, StatusCode, json, paging, query_param};
use shared::properties::search::{self, SearchQuery, SearchResult};

/// One page of properties in a city, a circle or a map box, ascending nightly price then id,
/// filtered by stay, guests, bedrooms, amenities and price.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    let (limit, cursor) = paging(&req)?;
    let query = SearchQuery {
        city: query_param(&req, "city"),
        country: query_param(&req, "country"),
        near: query_param(&req, "near"),
        radius_km: query_param(&req, "radiusKm"),
        bbox: query_param(&req, "bbox"),
        check_in: query_param(&req, "checkIn"),
        check_out: query_param(&req, "checkOut"),
        guests: query_param(&req, "guests"),
        bedrooms: query_param(&req, "bedrooms"),
        amenities: query_param(&req, "amenities"),
        min_price: query_param(&req, "minPrice"),
        max_price: query_param(&req, "maxPrice"),
        currency: query_param(&req, "currency"),
    };
    let (hits, next_cursor) = search::search(app, &query, limit, cursor).await?;
    json(
        StatusCode::OK,
        &PageBody {
            items: hits
                .iter()
                .map(|hit| SearchResult::new(hit, &app.photo_urls))
                .collect::<Vec<_>>(),
            next_cursor,
        },
    )
}
