//! Helpers for search tests: the ids of a page, and every page of a search followed through
//! its cursors.

use reqwest::StatusCode;

use crate::app::{Answer, TestApp};

/// The ids of a page, in order (the page must be a `200`).
pub fn ids(answer: &Answer) -> Vec<String> {
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Every page of `GET /properties?<query>`, followed to the end (at most 200 pages): the ids
/// in order, and the (nightly amount, id) of each.
pub async fn all_pages(app: &TestApp, query: &str) -> (Vec<String>, Vec<(i64, String)>) {
    let mut seen = Vec::new();
    let mut prices = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..200 {
        let path = match &cursor {
            Some(cursor) => format!("/properties?{query}&cursor={cursor}"),
            None => format!("/properties?{query}"),
        };
        let answer = app.get(&path, None).await;
        seen.extend(ids(&answer));
        for item in answer.body["items"].as_array().expect("items") {
            prices.push((
                item["nightlyPrice"]["amount"].as_i64().expect("an amount"),
                item["id"].as_str().expect("an id").to_owned(),
            ));
        }
        match answer.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (seen, prices),
        }
    }
    panic!("{query} does not end");
}
