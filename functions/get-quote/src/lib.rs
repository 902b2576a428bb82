//! `GET /properties/{id}/quote`.

use shared::App;
use shared::bookings::quote::{self, QuoteQuery};
use shared::http::{HandlerResult, Request, StatusCode, json, only_query_params, path_param, query_param};

/// Prices a stay: `200` with the breakdown, or what `POST /bookings` would answer for it.
pub async fn handle(app: &App, req: Request) -> HandlerResult {
    // A client never sends a price: any parameter but the stay's is refused.
    only_query_params(&req, &["checkIn", "checkOut", "guests"])?;
    let query = QuoteQuery {
        check_in: query_param(&req, "checkIn"),
        check_out: query_param(&req, "checkOut"),
        guests: query_param(&req, "guests"),
    };
    let price = quote::quote(app, path_param(&req, "id")?, query).await?;
    json(StatusCode::OK, &price)
}
