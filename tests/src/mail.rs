//! Reading the emails a test app sent, through `GET /_local/mail?to=`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::app::TestApp;

/// The emails sent to `to` so far, newest first.
pub async fn inbox(app: &TestApp, to: &str) -> Vec<Value> {
    let answer = app.get(&format!("/_local/mail?to={}", urlencode(to)), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body["items"].as_array().cloned().unwrap_or_default()
}

/// Waits (up to 5 s) until `to` has received `count` emails whose subject contains `subject`;
/// returns them, newest first.
pub async fn wait_for_mail(app: &TestApp, to: &str, subject: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let found: Vec<Value> = inbox(app, to)
            .await
            .into_iter()
            .filter(|mail| mail["subject"].as_str().is_some_and(|s| s.contains(subject)))
            .collect();
        if found.len() >= count {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{to} got {} emails about {subject:?}, wanted {count}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The emails of `to` whose subject contains `subject`, after letting queued work settle
/// (for asserting that something was *not* sent).
pub async fn settled_mail(app: &TestApp, to: &str, subject: &str) -> Vec<Value> {
    tokio::time::sleep(Duration::from_millis(400)).await;
    inbox(app, to)
        .await
        .into_iter()
        .filter(|mail| mail["subject"].as_str().is_some_and(|s| s.contains(subject)))
        .collect()
}

/// The token of the first link of `mail` under `path` (`/verify-email`, `/reset-password`).
pub fn token_in(mail: &Value, path: &str) -> String {
    let prefix = format!("{}{path}?token=", crate::app::TEST_APP_BASE_URL);
    mail["links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find_map(|link| link.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {path} link in {mail}"))
        .to_owned()
}

pub fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
