//! Building responses, and [`serve`]: the wrapper that turns a handler's result into a
//! response with the envelope, a request id and one log line.

use std::future::Future;
use std::time::Instant;

use http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use serde::Serialize;
use tracing::Instrument;

use super::{HandlerResult, Request, Response};
use crate::error::ApiError;

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A JSON response with `status`.
pub fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> HandlerResult {
    // Text, not binary: a binary body would travel base64-encoded through API Gateway.
    let text = serde_json::to_string(body).map_err(ApiError::internal)?;
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    Ok(response)
}

/// A response whose JSON body is already rendered (a cached document).
pub fn json_text(status: StatusCode, body: &'static str) -> HandlerResult {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    Ok(response)
}

/// The answer recorded for an `Idempotency-Key`, replayed byte for byte.
pub fn stored_answer(answer: crate::idempotency::StoredAnswer) -> HandlerResult {
    let status = StatusCode::from_u16(answer.status).map_err(ApiError::internal)?;
    let mut response = Response::new(Body::Text(answer.body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    Ok(response)
}

/// `204 No Content`.
pub fn no_content() -> HandlerResult {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// `202 Accepted` with `{"status":"accepted"}`: the work (an email) happens later, and the
/// answer says nothing more (a reset request answers this for any address).
pub fn accepted() -> HandlerResult {
    json_text(StatusCode::ACCEPTED, r#"{"status":"accepted"}"#)
}

/// The envelope response of `err`.
pub fn error_response(err: &ApiError) -> Response {
    let body = serde_json::to_string(&err.envelope()).unwrap_or_else(|_| {
        r#"{"error":{"code":"internal","message":"something went wrong on our side","details":[]}}"#.to_owned()
    });
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    if let Some(seconds) = err.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The API Gateway request id, or a fresh one when the request has none.
pub fn request_id(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone().unwrap_or_else(crate::ids::new_id),
        _ => crate::ids::new_id(),
    }
}

/// Runs `handler` inside a span carrying the request id; maps its error to the envelope,
/// logs one line per request (5xx with the cause, which the client never sees) and echoes
/// the id in `x-request-id` so a client report can be matched with the logs.
pub async fn serve<F, Fut>(req: Request, handler: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = HandlerResult>,
{
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let caching = super::caching::Conditions::of(&method, &path, req.headers());
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    // The request's capacity units go out as one EMF line when metrics are on.
    let result = crate::metrics::metered(handler(req).instrument(span.clone())).await;
    let response = match result {
        Ok(response) => response,
        Err(err) => {
            span.in_scope(|| match &err {
                ApiError::Internal(cause) => tracing::error!(%cause, "request failed"),
                ApiError::Unavailable { cause, .. } => tracing::warn!(%cause, "request met a transient failure"),
                other => tracing::debug!(code = other.code(), "request refused"),
            });
            error_response(&err)
        }
    };
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "request done"
        )
    });
    let mut response = caching.apply(response);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The page shape of every list route: `{"items": [...], "nextCursor": "..." | null}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageBody<T: Serialize> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
