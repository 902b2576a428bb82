//! The axum router: every HTTP route of the template, dispatched to its handler as an
//! API Gateway HTTP API (payload 2.0) request, plus the local-only `/_local/clock`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::{Path, Request as AxumRequest, State};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{MethodFilter, MethodRouter, on};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use shared::App;
use shared::error::ApiError;
use shared::http::{MAX_BODY_BYTES, Response, error_response, serve};

use crate::clock_route;
use crate::registry::HttpHandler;
use crate::runtime::Runtime;

/// One HTTP route and the handler that answers it.
#[derive(Clone)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub handler: HttpHandler,
}

/// The router serving `routes` on `runtime`'s app, with `/_local/clock`.
pub fn router(runtime: Arc<Runtime>, routes: Vec<Route>) -> Router {
    let mut by_path: BTreeMap<String, MethodRouter<Arc<Runtime>>> = BTreeMap::new();
    for route in routes {
        let Ok(filter) = MethodFilter::try_from(http::Method::from_bytes(route.method.as_bytes()).unwrap_or_default())
        else {
            continue;
        };
        let route = Arc::new(route);
        let method_router = by_path.remove(&route.path).unwrap_or_default();
        let route_for_handler = Arc::clone(&route);
        let method_router = method_router.on(
            filter,
            move |State(runtime): State<Arc<Runtime>>,
                  Path(params): Path<HashMap<String, String>>,
                  request: AxumRequest| {
                let route = Arc::clone(&route_for_handler);
                async move { dispatch(runtime.app, &route, params, request).await }
            },
        );
        by_path.insert(route.path.clone(), method_router.fallback(method_not_allowed));
    }
    let mut router = Router::new();
    for (path, method_router) in by_path {
        router = router.route(&path, method_router);
    }
    router
        .route(
            clock_route::PATH,
            on(MethodFilter::GET, clock_route::read).post(clock_route::move_clock),
        )
        .route(crate::mail::PATH, on(MethodFilter::GET, crate::mail::list))
        .route(
            crate::dead_letters::PATH,
            on(MethodFilter::GET, crate::dead_letters::list).post(crate::dead_letters::redrive),
        )
        .route(
            &format!("{}/{{token}}", crate::uploads::UPLOADS_PATH),
            on(MethodFilter::PUT, crate::uploads::put)
                .layer(axum::extract::DefaultBodyLimit::max(crate::uploads::MAX_UPLOAD_BYTES)),
        )
        .route(
            &format!("{}/{{*key}}", crate::uploads::PHOTOS_PATH),
            on(MethodFilter::GET, crate::uploads::get),
        )
        .fallback(not_found)
        .with_state(runtime)
}

async fn not_found() -> AxumResponse {
    into_axum(error_response(&ApiError::NotFound("no such route")))
}

async fn method_not_allowed() -> AxumResponse {
    into_axum(error_response(&ApiError::MethodNotAllowed))
}

/// Turns the axum request into what API Gateway would hand the Lambda, and back.
async fn dispatch(
    app: &'static App,
    route: &Route,
    params: HashMap<String, String>,
    request: AxumRequest,
) -> AxumResponse {
    let (parts, body) = request.into_parts();
    // One byte over the limit is enough for the handler to answer 413 as in Lambda.
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES + 1).await else {
        return into_axum(error_response(&ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES }));
    };
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(err) => Body::Binary(err.into_bytes()),
        }
    };
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let request_id = shared::ids::new_id();
    let context = request_context(&route.method, &route.path, parts.uri.path(), &request_id);
    let request = lambda_http::Request::from_parts(parts, body)
        .with_path_parameters(params)
        .with_query_string_parameters(
            query
                .parse::<lambda_http::aws_lambda_events::query_map::QueryMap>()
                .unwrap_or_default(),
        )
        .with_request_context(RequestContext::ApiGatewayV2(context));
    let handler = route.handler;
    into_axum(serve(request, |request| handler(app, request)).await)
}

fn request_context(method: &str, route_path: &str, raw_path: &str, request_id: &str) -> ApiGatewayV2httpRequestContext {
    let now = chrono::Utc::now();
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = http::Method::from_bytes(method.as_bytes()).unwrap_or_default();
    http.path = Some(raw_path.to_owned());
    http.protocol = Some("HTTP/1.1".to_owned());
    http.source_ip = Some("127.0.0.1".to_owned());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(format!("{method} {route_path}"));
    context.account_id = Some("000000000000".to_owned());
    context.apiid = Some("local".to_owned());
    context.stage = Some("$default".to_owned());
    context.request_id = Some(request_id.to_owned());
    context.time = Some(now.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    context.time_epoch = now.timestamp_millis();
    context.http = http;
    context
}

/// The Lambda response as axum's.
pub fn into_axum(response: Response) -> AxumResponse {
    let (parts, body) = response.into_parts();
    let body = match body {
        Body::Empty => AxumBody::empty(),
        Body::Text(text) => AxumBody::from(text),
        Body::Binary(bytes) => AxumBody::from(bytes),
        _ => AxumBody::empty(),
    };
    (parts.status, parts.headers, body).into_response()
}
