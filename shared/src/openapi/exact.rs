//! What every operation has in common, stated once and applied to the generated document: the
//! statuses the shared HTTP layer answers for any route (a malformed body or query, a body too
//! large or not JSON, a missing token, a page size out of range), the headers it sets on every
//! answer (`x-request-id`, `Cache-Control`, and `ETag` where the route is cacheable), the
//! bounds of the paging parameters, and the formats of date parameters. Derived from the same
//! constants and rules the code enforces ([`crate::http::MAX_LIMIT`],
//! [`crate::http::caching::max_age`]), so the document cannot drift from them route by route.

use serde_json::{Map, Value, json};

use crate::http::caching::max_age;
use crate::http::{MAX_BODY_BYTES, MAX_LIMIT};

/// A blank value: what Rust's `str::trim` leaves empty (Unicode White_Space), which the query
/// parameters read as absent.
const BLANK: &str =
    "^[\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$";

/// Query parameters that are calendar dates.
const DATE_PARAMETERS: [&str; 4] = ["checkIn", "checkOut", "from", "to"];

/// Operations whose `from`/`to` are instants (RFC 3339), not calendar dates.
const INSTANT_RANGES: [&str; 1] = ["admin_list_audit"];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// An operation a link leads to, with its parameters' runtime expressions.
type Link = (&'static str, &'static [(&'static str, &'static str)]);

/// What a created resource leads to, for clients and stateful tests that chain real ids:
/// (operation, status, the operations its answer's ids go to, each with its parameters).
const LINKS: &[(&str, &str, &[Link])] = &[
    (
        "register",
        "201",
        &[
            ("get_user", &[("id", "$response.body#/id")]),
            ("list_user_reviews", &[("id", "$response.body#/id")]),
        ],
    ),
    (
        "create_property",
        "201",
        &[
            ("get_property", &[("id", "$response.body#/id")]),
            ("update_property", &[("id", "$response.body#/id")]),
            ("delete_property", &[("id", "$response.body#/id")]),
            ("get_calendar", &[("id", "$response.body#/id")]),
            ("put_calendar_blocks", &[("id", "$response.body#/id")]),
            ("get_quote", &[("id", "$response.body#/id")]),
            ("list_property_reviews", &[("id", "$response.body#/id")]),
            ("request_photo_upload", &[("id", "$response.body#/id")]),
            ("list_photos", &[("id", "$response.body#/id")]),
            ("reorder_photos", &[("id", "$response.body#/id")]),
        ],
    ),
    (
        "request_photo_upload",
        "201",
        &[
            (
                "update_photo",
                &[("id", "$request.path.id"), ("photoId", "$response.body#/photo/id")],
            ),
            (
                "delete_photo",
                &[("id", "$request.path.id"), ("photoId", "$response.body#/photo/id")],
            ),
        ],
    ),
    (
        "create_booking",
        "201",
        &[
            ("get_booking", &[("id", "$response.body#/id")]),
            ("create_payment", &[("id", "$response.body#/id")]),
            ("list_payments", &[("id", "$response.body#/id")]),
            ("accept_booking", &[("id", "$response.body#/id")]),
            ("decline_booking", &[("id", "$response.body#/id")]),
            ("cancel_booking", &[("id", "$response.body#/id")]),
            ("check_in_booking", &[("id", "$response.body#/id")]),
            ("check_out_booking", &[("id", "$response.body#/id")]),
            ("create_review", &[("id", "$response.body#/id")]),
            ("get_conversation", &[("id", "$response.body#/conversationId")]),
        ],
    ),
    (
        "create_review",
        "201",
        &[("respond_to_review", &[("id", "$response.body#/id")])],
    ),
    (
        "start_conversation",
        "201",
        &[
            ("get_conversation", &[("id", "$response.body#/id")]),
            ("list_messages", &[("id", "$response.body#/id")]),
            ("send_message", &[("id", "$response.body#/id")]),
            ("mark_conversation_read", &[("id", "$response.body#/id")]),
        ],
    ),
];

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "headers": common_headers(),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    })
}

fn common_headers() -> Value {
    json!({
        "x-request-id": {
            "description": "The request's id, as in the logs (API Gateway's, or a new ULID).",
            "required": true,
            "schema": {"type": "string"},
        },
        "Cache-Control": {
            "description": "`public, max-age=60|300` on an anonymous 200 of a public read, `private, no-store` on everything else.",
            "required": true,
            "schema": {"type": "string"},
        },
    })
}

/// Tightens `doc` (the generated document, as JSON) in place.
pub fn tighten(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let cacheable = max_age(path).is_some();
        for method in METHODS {
            if let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) {
                tighten_operation(operation, cacheable && method == "get");
                link(operation);
            }
        }
    }
}

/// Adds the [`LINKS`] of `operation`'s answers.
fn link(operation: &mut Map<String, Value>) {
    let id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    for (source, status, targets) in LINKS {
        if *source != id {
            continue;
        }
        let Some(response) = operation
            .get_mut("responses")
            .and_then(|responses| responses.get_mut(*status))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let links = response.entry("links").or_insert_with(|| json!({}));
        for (target, parameters) in targets.iter() {
            let parameters: Map<String, Value> = parameters
                .iter()
                .map(|(name, expression)| ((*name).to_owned(), Value::String((*expression).to_owned())))
                .collect();
            links[*target] = json!({"operationId": target, "parameters": parameters});
        }
    }
}

fn tighten_operation(operation: &mut Map<String, Value>, cacheable: bool) {
    let instants = operation
        .get("operationId")
        .and_then(Value::as_str)
        .is_some_and(|id| INSTANT_RANGES.contains(&id));
    let mut has_query = false;
    let mut paged = false;
    if let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) {
        for parameter in parameters.iter_mut() {
            let Some(parameter) = parameter.as_object_mut() else {
                continue;
            };
            let name = parameter
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let location = parameter
                .get("in")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if location == "header" && name == "Idempotency-Key" {
                parameter.insert(
                    "schema".into(),
                    json!({"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]{1,255}$"}),
                );
            }
            if location != "query" {
                continue;
            }
            has_query = true;
            if name == "limit" {
                paged = true;
                parameter.insert(
                    "schema".into(),
                    json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": crate::http::DEFAULT_LIMIT}),
                );
                continue;
            }
            let required = parameter.get("required") == Some(&Value::Bool(true));
            let schema = if instants && (name == "from" || name == "to") {
                Some(json!({"type": "string", "format": "date-time"}))
            } else if DATE_PARAMETERS.contains(&name.as_str()) {
                Some(json!({"type": "string", "format": "date"}))
            } else {
                place_schema(&name).or_else(|| parameter.get("schema").cloned())
            };
            // An optional parameter's blank value counts as absent (`?guests=` is no filter).
            if let Some(schema) = schema {
                let schema = if required {
                    without_null(schema)
                } else {
                    json!({"anyOf": [without_null(schema), {"type": "string", "pattern": BLANK}]})
                };
                parameter.insert("schema".into(), schema);
            }
        }
    }
    if cacheable {
        let parameters = operation.entry("parameters").or_insert_with(|| json!([]));
        if let Some(parameters) = parameters.as_array_mut() {
            parameters.push(json!({
                "name": "If-None-Match",
                "in": "header",
                "required": false,
                "description": "An `ETag` of an earlier answer: `304` without a body while it is current",
                "schema": {"type": "string"},
            }));
        }
    }
    let has_body = operation.contains_key("requestBody");
    if let Some(body) = operation.get_mut("requestBody").and_then(Value::as_object_mut) {
        let optional = unwrap_nullable_body(body);
        body.insert("required".into(), Value::Bool(!optional));
    }
    let secured = operation.contains_key("security");
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    if secured {
        suspended(responses);
    }
    let mut add = |status: &str, description: &str| {
        responses.entry(status.to_owned()).or_insert_with(|| error(description));
    };
    if has_body || has_query {
        add(
            "400",
            "Malformed: a body that is not a JSON object, a wrong type or an unknown field, a malformed query parameter or cursor",
        );
    }
    if has_body {
        add("413", &format!("The body is over {MAX_BODY_BYTES} bytes"));
        add("415", "The body is not `application/json`");
    }
    if secured {
        add("401", "No valid access token");
    }

    if paged {
        add("422", &format!("`limit` outside 1..{MAX_LIMIT}"));
    }
    add("500", "A bug on our side (the cause is logged, never sent)");
    add(
        "503",
        "`unavailable`: a dependency was throttled, timed out or unreachable, or the write collided with a concurrent one; nothing was half-written, retry after `Retry-After` seconds",
    );
    if cacheable {
        responses.entry("304".to_owned()).or_insert_with(
            || json!({"description": "`If-None-Match` named the current `ETag`: no body", "headers": common_headers()}),
        );
    }
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        let headers = response.entry("headers").or_insert_with(|| json!({}));
        if let (Some(headers), Some(common)) = (headers.as_object_mut(), common_headers().as_object()) {
            for (name, header) in common {
                headers.entry(name.clone()).or_insert_with(|| header.clone());
            }
            if cacheable && (status == "200" || status == "304") {
                headers.entry("ETag").or_insert_with(|| {
                    json!({"description": "A strong tag of the body (for `If-None-Match`), on an anonymous request", "schema": {"type": "string"}})
                });
            }
            if status == "429" || status == "503" {
                headers.entry("Retry-After").or_insert_with(|| {
                    json!({"description": "Seconds until a retry may succeed", "required": true, "schema": {"type": "integer", "minimum": 1}})
                });
            }
        }
    }
}

/// What a signed-in route answers a suspended account's token (within a minute of the
/// suspension): a `403` of its own, or another reason of the route's `403`.
fn suspended(responses: &mut Map<String, Value>) {
    const SUSPENDED: &str = "`account_suspended`: the account is suspended by an admin (tokens issued before the suspension are refused within 60 seconds)";
    match responses.get_mut("403").and_then(Value::as_object_mut) {
        Some(forbidden) => {
            let description = forbidden
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            forbidden.insert(
                "description".into(),
                Value::String(format!("{description}; or {SUSPENDED}")),
            );
        }
        None => {
            responses.insert("403".to_owned(), error(SUSPENDED));
        }
    }
}

/// `schema` without its `null` alternative (a query parameter is absent, never `null`).
fn without_null(mut schema: Value) -> Value {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types[0].clone();
            schema["type"] = only;
        }
    }
    schema
}

/// The shapes of search's places: two or four decimal numbers, comma-separated; a radius.
fn place_schema(name: &str) -> Option<Value> {
    const LAT: &str = "-?(90(\\.0{1,8})?|[1-8]?[0-9](\\.[0-9]{1,8})?)";
    const LNG: &str = "-?(180(\\.0{1,8})?|(1[0-7][0-9]|[1-9]?[0-9])(\\.[0-9]{1,8})?)";
    match name {
        "near" => Some(json!({"type": "string", "pattern": format!("^{LAT},{LNG}$")})),
        "bbox" => Some(json!({"type": "string", "pattern": format!("^{LNG},{LAT},{LNG},{LAT}$")})),
        "radiusKm" => Some(json!({"type": "number", "minimum": 0.1, "maximum": 100})),
        _ => None,
    }
}

/// A body declared `Option<T>` is generated as `oneOf [null, T]`; the wire form is "no body,
/// or a `T`": the body is optional and never `null`. Returns whether it was optional.
fn unwrap_nullable_body(body: &mut Map<String, Value>) -> bool {
    let Some(schema) = body
        .get_mut("content")
        .and_then(|content| content.get_mut("application/json"))
        .and_then(|json| json.get_mut("schema"))
    else {
        return false;
    };
    let inner = schema.get("oneOf").and_then(Value::as_array).and_then(|choices| {
        let not_null: Vec<&Value> = choices
            .iter()
            .filter(|c| c.get("type") != Some(&json!("null")))
            .collect();
        (choices.len() == 2 && not_null.len() == 1).then(|| not_null[0].clone())
    });
    match inner {
        Some(inner) => {
            *schema = inner;
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_names_operations_of_the_document() {
        let mut doc = serde_json::to_value(<super::super::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
        tighten(&mut doc);
        let ids: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|operation| operation["operationId"].as_str().map(str::to_owned))
            .collect();
        let mut linked = 0;
        for item in doc["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                for response in operation["responses"].as_object().into_iter().flat_map(|r| r.values()) {
                    for link in response["links"].as_object().into_iter().flat_map(|l| l.values()) {
                        assert!(ids.iter().any(|id| link["operationId"] == id.as_str()), "{link}");
                        linked += 1;
                    }
                }
            }
        }
        let expected: usize = LINKS.iter().map(|(_, _, targets)| targets.len()).sum();
        assert_eq!(linked, expected, "every link found its source operation and status");
    }

    #[test]
    fn common_statuses_headers_and_bounds_are_added_once() {
        let mut doc = json!({"paths": {
            "/users/me/properties": {"get": {
                "security": [{"bearer": []}],
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "page"}},
            }},
            "/bookings/{id}/accept": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/ActionInput"}]}}}},
                "responses": {"200": {"description": "ok"}, "400": {"description": "kept"}},
            }},
            "/properties/{id}": {"get": {"responses": {"200": {"description": "the property"}}}},
        }});
        tighten(&mut doc);
        let list = &doc["paths"]["/users/me/properties"]["get"];
        assert_eq!(list["parameters"][0]["schema"]["maximum"], MAX_LIMIT);
        assert_eq!(list["parameters"][0]["schema"]["minimum"], 1);
        for status in ["400", "401", "422"] {
            assert!(list["responses"][status].is_object(), "{status}");
        }
        let action = &doc["paths"]["/bookings/{id}/accept"]["post"];
        assert_eq!(action["requestBody"]["required"], false);
        assert_eq!(
            action["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ActionInput"
        );
        assert_eq!(action["responses"]["400"]["description"], "kept");
        assert!(action["responses"]["415"].is_object());
        let property = &doc["paths"]["/properties/{id}"]["get"];
        assert!(property["responses"]["200"]["headers"]["ETag"].is_object());
        assert!(property["responses"]["304"].is_object());
        assert_eq!(
            property["responses"]["200"]["headers"]["x-request-id"]["required"],
            true
        );
        assert!(
            list["responses"]["200"]["headers"].get("ETag").is_none(),
            "a signed-in list is never cached"
        );
    }
}
