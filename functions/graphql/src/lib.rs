//! `POST /graphql` and `GET /graphql/schema.graphql`: GraphQL over HTTP in front of the
//! schema of the `graphql` crate.

use http::{HeaderValue, Method, StatusCode, header};
use lambda_http::Body;
use shared::App;
use shared::auth::authenticate;
use shared::error::ApiError;
use shared::http::{HandlerResult, MAX_BODY_BYTES, Request, Response};

/// The media type of GraphQL over HTTP; a client accepting it gets `400` for a request that
/// failed as a whole (else `200`, as for `application/json`).
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Serves the SDL on `GET`, executes a request on `POST`.
pub async fn handle(app: &'static App, req: Request) -> HandlerResult {
    if req.method() == Method::GET {
        return Ok(text(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            graphql::SCHEMA_FILE.to_owned(),
        ));
    }
    let media_type = if accepts_graphql_response(&req) {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    };
    let body: &[u8] = req.body().as_ref();
    // The size limit answers like every route (the REST envelope), as the local API does.
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    // A missing or bad token leaves the request anonymous; fields that need a user say so
    // (with `account_suspended` for a suspended account's token).
    let caller = authenticate(app, &req).await;
    let outcome = graphql::execute(app, caller, body).await;
    let status = if outcome.request_failed && media_type == GRAPHQL_RESPONSE {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(text(status, media_type, outcome.body.to_string()))
}

fn accepts_graphql_response(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| {
            range
                .split(';')
                .next()
                .is_some_and(|media| media.trim().eq_ignore_ascii_case(GRAPHQL_RESPONSE))
        })
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
