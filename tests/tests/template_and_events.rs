//! The template, the handlers, the OpenAPI document and the sample events stay in step:
//! drift between them fails here (and stops the local API at start-up).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use local_api::registry::{Handler, handlers};
use local_api::startup::match_template;
use local_api::template::{BUILT_IN, Trigger, functions};
use tests::app::{Backend, spawn_app};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_function_crate_is_in_the_template_and_every_handler_has_a_route() {
    let specs = functions(BUILT_IN).unwrap();
    assert!(match_template(&specs).is_ok());
    let crates: BTreeSet<String> = std::fs::read_dir(repo_root().join("functions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let in_template: BTreeSet<String> = specs.iter().map(|s| s.binary.clone()).collect();
    assert_eq!(crates, in_template);
    assert!(
        !BUILT_IN.contains("/_local/"),
        "local-only routes must never be deployed"
    );
}

/// `sam build` runs `make build-<LogicalId>` (BuildMethod: makefile) for every function, and
/// scripts/lambda-artifact must read the same function-to-binary map the YAML parser does.
#[test]
fn every_function_builds_through_the_makefile_with_its_own_binary() {
    let specs = functions(BUILT_IN).unwrap();
    let template: serde_yaml::Value = serde_yaml::from_str(BUILT_IN).unwrap();
    for spec in &specs {
        let method = &template["Resources"][spec.logical_id.as_str()]["Metadata"]["BuildMethod"];
        assert_eq!(method.as_str(), Some("makefile"), "{}", spec.logical_id);
    }
    let makefile = std::fs::read_to_string(repo_root().join("Makefile")).unwrap();
    assert!(makefile.contains("build-%:\n\tscripts/lambda-artifact $* \"$(ARTIFACTS_DIR)\""));
    let listed = std::process::Command::new(repo_root().join("scripts/lambda-artifact"))
        .arg("--list")
        .output()
        .unwrap();
    assert!(listed.status.success());
    let listed: BTreeSet<(String, String)> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (id, binary) = line.split_once(' ').unwrap();
            (id.to_owned(), binary.to_owned())
        })
        .collect();
    let parsed: BTreeSet<(String, String)> = specs.iter().map(|s| (s.logical_id.clone(), s.binary.clone())).collect();
    assert_eq!(listed.len(), specs.len(), "one line per function");
    assert_eq!(listed, parsed);
}

/// Only `run_photo_http` and `run_photo_event` build the S3 client; the local API builds its
/// own app, so a function given `PHOTOS_BUCKET` that starts through another entry point would
/// pass every local test and answer its photo requests with a 500 in Lambda (as the `graphql`
/// function's `requestPhotoUpload` did). Each side implies the other.
#[test]
fn the_functions_given_the_photo_bucket_are_the_ones_that_start_with_photo_storage() {
    let specs = functions(BUILT_IN).unwrap();
    let template: serde_yaml::Value = serde_yaml::from_str(BUILT_IN).unwrap();
    let mut with_photos = 0;
    for spec in &specs {
        let variables = &template["Resources"][spec.logical_id.as_str()]["Properties"]["Environment"]["Variables"];
        let given_bucket = !variables["PHOTOS_BUCKET"].is_null();
        let main = repo_root().join("functions").join(&spec.binary).join("src/main.rs");
        let main = std::fs::read_to_string(&main).unwrap_or_else(|err| panic!("{}: {err}", main.display()));
        let photo_entry =
            main.contains("shared::lambda::run_photo_http(") || main.contains("shared::lambda::run_photo_event(");
        assert_eq!(
            given_bucket, photo_entry,
            "{}: PHOTOS_BUCKET in the template: {given_bucket}; started with photo storage: {photo_entry}",
            spec.logical_id
        );
        with_photos += usize::from(photo_entry);
    }
    assert!(
        with_photos >= 3,
        "request-photo-upload, photo-events-consumer and graphql handle files"
    );
}

#[test]
fn the_local_api_refuses_a_template_that_drifted() {
    let mut specs = functions(BUILT_IN).unwrap();
    let removed = specs.remove(specs.iter().position(|s| s.binary == "get-me").unwrap());
    let err = match_template(&specs)
        .err()
        .expect("a handler without a route is refused")
        .to_string();
    assert!(
        err.contains("handler `get-me` has no function in template.yaml"),
        "{err}"
    );

    let mut specs = functions(BUILT_IN).unwrap();
    let mut extra = removed.clone();
    extra.logical_id = "TeleportFunction".into();
    extra.binary = "teleport".into();
    specs.push(extra);
    let err = match_template(&specs)
        .err()
        .expect("a route without a handler is refused")
        .to_string();
    assert!(
        err.contains("TeleportFunction (binary `teleport`) is in template.yaml but has no handler"),
        "{err}"
    );
}

#[test]
fn the_openapi_document_covers_exactly_the_template_routes() {
    let mut template_routes: Vec<(String, String)> = functions(BUILT_IN)
        .unwrap()
        .into_iter()
        .flat_map(|spec| spec.triggers)
        .filter_map(|trigger| match trigger {
            Trigger::Http { method, path } => Some((method, path)),
            _ => None,
        })
        .collect();
    template_routes.sort();
    assert_eq!(shared::openapi::routes(), template_routes);
}

/// Replays `events/<binary>.json` through the binary's handler: each must be a well-formed
/// event for its route and get a well-formed answer, never a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_replays_through_its_handler() {
    let app = spawn_app(Backend::Sqlite).await;
    let specs = functions(BUILT_IN).unwrap();
    let known: std::collections::HashMap<_, _> = handlers().into_iter().collect();
    for spec in &specs {
        let path = repo_root().join("events").join(format!("{}.json", spec.binary));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
        match (known[spec.binary.as_str()], spec.triggers.first()) {
            (Handler::Http(handler), Some(Trigger::Http { method, path: route })) => {
                let event: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(event["version"], "2.0", "{}", spec.binary);
                assert_eq!(event["routeKey"], format!("{method} {route}"), "{}", spec.binary);
                let request = lambda_http::request::from_str(&text)
                    .unwrap_or_else(|err| panic!("{} does not parse as an HTTP API event: {err}", spec.binary));
                let response = shared::http::serve(request, |request| handler(app.app, request)).await;
                let status = response.status().as_u16();
                assert!(status < 500, "{} answered {status}", spec.binary);
                let body: &[u8] = response.body().as_ref();
                // A page (the API reference, GraphiQL) says it is HTML; everything else is JSON.
                let json_answer = response
                    .headers()
                    .get("content-type")
                    .and_then(|value| value.to_str().ok())
                    .is_none_or(|value| value.contains("json"));
                if !body.is_empty() && (json_answer || status >= 400) {
                    let json: serde_json::Value = serde_json::from_slice(body)
                        .unwrap_or_else(|_| panic!("{} answered a body that is not JSON", spec.binary));
                    if status >= 400 {
                        assert!(json["error"]["code"].is_string(), "{} answered {json}", spec.binary);
                    }
                }
            }
            (Handler::Scheduled(job), Some(Trigger::Schedule)) => {
                let event: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(event["detail-type"], "Scheduled Event");
                job(app.app).await.unwrap();
            }
            (Handler::Consumer(consumer), Some(Trigger::Queue { .. })) => {
                let batch: shared::aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text)
                    .unwrap_or_else(|err| panic!("{} does not parse as an SQS event: {err}", spec.binary));
                assert!(!batch.records.is_empty(), "{}", spec.binary);
                // The sample names a booking that does not exist: handled (logged), not retried.
                let response = consumer(app.app, batch).await;
                assert!(
                    response.batch_item_failures.is_empty(),
                    "{} failed its sample: {response:?}",
                    spec.binary
                );
            }
            (_, trigger) => panic!("{}: unexpected trigger {trigger:?}", spec.binary),
        }
    }
}

/// A function with more than one route has a sample per further route,
/// `events/<binary>-<name>.json`; each replays through its handler like the first (a body
/// that is not JSON is fine when the answer says so, as the GraphQL schema's SDL does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_extra_sample_names_a_route_of_its_function_and_replays() {
    let app = spawn_app(Backend::Sqlite).await;
    let specs = functions(BUILT_IN).unwrap();
    let known: std::collections::HashMap<_, _> = handlers().into_iter().collect();
    let binaries: BTreeSet<&str> = specs.iter().map(|s| s.binary.as_str()).collect();
    for entry in std::fs::read_dir(repo_root().join("events")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if binaries.contains(name.as_str()) {
            continue;
        }
        let spec = specs
            .iter()
            .filter(|s| name.starts_with(&format!("{}-", s.binary)))
            .max_by_key(|s| s.binary.len())
            .unwrap_or_else(|| panic!("{} belongs to no function", path.display()));
        let text = std::fs::read_to_string(&path).unwrap();
        let event: serde_json::Value = serde_json::from_str(&text).unwrap();
        let route_key = event["routeKey"].as_str().unwrap_or_default().to_owned();
        assert!(
            spec.triggers.iter().skip(1).any(|trigger| matches!(
                trigger,
                Trigger::Http { method, path } if format!("{method} {path}") == route_key
            )),
            "{name}: {route_key} is not a further route of {}",
            spec.binary
        );
        let Handler::Http(handler) = known[spec.binary.as_str()] else {
            panic!("{} is not an HTTP function", spec.binary);
        };
        let request = lambda_http::request::from_str(&text).unwrap();
        let response = shared::http::serve(request, |request| handler(app.app, request)).await;
        let status = response.status().as_u16();
        assert!(status < 500, "{name} answered {status}");
        let json_answer = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        if json_answer {
            let body: &[u8] = response.body().as_ref();
            serde_json::from_slice::<serde_json::Value>(body)
                .unwrap_or_else(|_| panic!("{name} answered a body that is not JSON"));
        }
    }
}

/// The outbox relay passes an event once [`shared::outbox::SETTLE`] has gone by since its
/// transaction took its time; a function still running then could commit an event behind the
/// relay, which would be lost if its own publish failed. Every function's timeout (its own or
/// the template's default) is shorter.
#[test]
fn every_function_times_out_before_the_outbox_relay_passes_its_events() {
    let specs = functions(BUILT_IN).unwrap();
    let template: serde_yaml::Value = serde_yaml::from_str(BUILT_IN).unwrap();
    let default = template["Globals"]["Function"]["Timeout"].as_i64();
    for spec in &specs {
        let own = template["Resources"][spec.logical_id.as_str()]["Properties"]["Timeout"].as_i64();
        let timeout = own.or(default).unwrap_or(3);
        assert!(
            chrono::Duration::seconds(timeout) < shared::outbox::SETTLE,
            "{}: a {timeout} s timeout",
            spec.logical_id
        );
    }
}
