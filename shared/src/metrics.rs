//! Business and health metrics as CloudWatch Embedded Metric Format (EMF) lines on stdout:
//! Lambda ships each line to CloudWatch Logs, which turns it into a metric in the `Roost`
//! namespace. No API call, no network, nothing to wait for in a request; the alarms and the
//! dashboard of `template.yaml` read these metrics.
//!
//! Lines are written only in Lambda (`AWS_LAMBDA_FUNCTION_NAME` set) or when
//! `ROOST_METRICS=emf` asks for them; the local API and tests stay quiet unless asked.

use std::future::Future;
use std::io::Write;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::store::capacity::{self, Capacity};

/// The CloudWatch namespace of every metric here.
pub const NAMESPACE: &str = "Roost";

/// What Roost counts or measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A booking was created (its nights held).
    BookingsCreated,
    /// A payment succeeded (synchronously or by webhook).
    PaymentsSucceeded,
    /// A payment failed (a declined card, a failed authentication).
    PaymentsFailed,
    /// A refund was made.
    Refunds,
    /// An email was sent.
    EmailsSent,
    /// Age of the oldest event still in the outbox when the relay ran, in seconds.
    OutboxOldestAgeSeconds,
    /// How long after its due time the most overdue deadline of a sweep was handled, in seconds.
    SweepLagSeconds,
    /// DynamoDB read capacity units one request (or one SQS batch) consumed.
    ReadCapacityUnits,
    /// DynamoDB write capacity units one request (or one SQS batch) consumed.
    WriteCapacityUnits,
}

impl Metric {
    /// The metric's name in CloudWatch.
    pub fn name(self) -> &'static str {
        match self {
            Metric::BookingsCreated => "BookingsCreated",
            Metric::PaymentsSucceeded => "PaymentsSucceeded",
            Metric::PaymentsFailed => "PaymentsFailed",
            Metric::Refunds => "Refunds",
            Metric::EmailsSent => "EmailsSent",
            Metric::OutboxOldestAgeSeconds => "OutboxOldestAgeSeconds",
            Metric::SweepLagSeconds => "SweepLagSeconds",
            Metric::ReadCapacityUnits => "ReadCapacityUnits",
            Metric::WriteCapacityUnits => "WriteCapacityUnits",
        }
    }

    /// Its CloudWatch unit.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::OutboxOldestAgeSeconds | Metric::SweepLagSeconds => "Seconds",
            _ => "Count",
        }
    }
}

/// The EMF document of `values` at `at`, with no dimensions (one series per metric, which
/// the alarms read), as one line of JSON.
pub fn line(values: &[(Metric, f64)], at: DateTime<Utc>) -> String {
    document(values, None, at)
}

/// The dimension the capacity metrics are split by: the function (one route each, mostly),
/// which keeps the series few and tells what each route costs.
pub const FUNCTION_DIMENSION: &str = "Function";

/// The EMF document of the capacity `spent` by one request of `function`, as one line.
pub fn capacity_line(function: &str, spent: Capacity, at: DateTime<Utc>) -> String {
    document(
        &[
            (Metric::ReadCapacityUnits, spent.read),
            (Metric::WriteCapacityUnits, spent.write),
        ],
        Some((FUNCTION_DIMENSION, function)),
        at,
    )
}

/// An EMF document of `values`, split by one `dimension` (name, value) or by none.
fn document(values: &[(Metric, f64)], dimension: Option<(&str, &str)>, at: DateTime<Utc>) -> String {
    let definitions: Vec<Value> = values
        .iter()
        .map(|(metric, _)| json!({"Name": metric.name(), "Unit": metric.unit()}))
        .collect();
    let mut document = Map::new();
    document.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimension.map(|(name, _)| vec![name]).unwrap_or_default()],
                "Metrics": definitions,
            }],
        }),
    );
    if let Some((name, value)) = dimension {
        document.insert(name.to_owned(), json!(value));
    }
    for (metric, value) in values {
        document.insert(metric.name().to_owned(), json!(value));
    }
    Value::Object(document).to_string()
}

/// Whether this process writes metric lines.
fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
            || std::env::var("ROOST_METRICS").is_ok_and(|value| value.eq_ignore_ascii_case("emf"))
    })
}

/// Records `values` at `at`: one EMF line on stdout, in Lambda.
pub fn record(values: &[(Metric, f64)], at: DateTime<Utc>) {
    if values.is_empty() || !enabled() {
        return;
    }
    let mut line = line(values, at);
    line.push('\n');
    // A metric lost to a closed stdout is not worth failing a request for.
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// The function this process runs as (`AWS_LAMBDA_FUNCTION_NAME`), or `local`.
fn function_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".to_owned()))
}

/// Runs `work` (one request, one SQS batch) and, when metrics are written, writes the DynamoDB
/// capacity units its store calls consumed as one EMF line. With metrics off it only awaits
/// `work`: no tally is opened, so the embedded store does not size items either.
pub async fn metered<F: Future>(work: F) -> F::Output {
    if !enabled() {
        return work.await;
    }
    let (output, spent) = capacity::measure(work).await;
    let mut line = capacity_line(function_name(), spent, Utc::now());
    line.push('\n');
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
    output
}

/// Counts one `metric` at `at`.
pub fn count(metric: Metric, at: DateTime<Utc>) {
    record(&[(metric, 1.0)], at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_emf_document_cloudwatch_accepts() {
        let at: DateTime<Utc> = "2026-12-02T10:00:00Z".parse().unwrap();
        let text = line(
            &[(Metric::BookingsCreated, 1.0), (Metric::OutboxOldestAgeSeconds, 42.5)],
            at,
        );
        assert!(!text.contains('\n'), "one line per document");
        let doc: Value = serde_json::from_str(&text).unwrap();
        let aws = &doc["_aws"];
        assert_eq!(aws["Timestamp"], 1_796_205_600_000_i64);
        let directive = &aws["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Roost");
        assert_eq!(directive["Dimensions"], json!([[]]));
        assert_eq!(
            directive["Metrics"],
            json!([
                {"Name": "BookingsCreated", "Unit": "Count"},
                {"Name": "OutboxOldestAgeSeconds", "Unit": "Seconds"},
            ])
        );
        // Every metric named in the directive has its value at the top level, as a number.
        for definition in directive["Metrics"].as_array().unwrap() {
            let name = definition["Name"].as_str().unwrap();
            assert!(doc[name].is_number(), "{name}");
        }
        assert_eq!(doc["BookingsCreated"], 1.0);
        assert_eq!(doc["OutboxOldestAgeSeconds"], 42.5);
    }

    #[test]
    fn a_capacity_line_is_split_by_function() {
        let at: DateTime<Utc> = "2026-12-02T10:00:00Z".parse().unwrap();
        let spent = Capacity { read: 1.5, write: 4.0 };
        let text = capacity_line("roost-CreateBooking", spent, at);
        assert!(!text.contains('\n'));
        let doc: Value = serde_json::from_str(&text).unwrap();
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Roost");
        assert_eq!(directive["Dimensions"], json!([["Function"]]));
        assert_eq!(
            directive["Metrics"],
            json!([
                {"Name": "ReadCapacityUnits", "Unit": "Count"},
                {"Name": "WriteCapacityUnits", "Unit": "Count"},
            ])
        );
        // The dimension's value, like every metric's, sits at the top level.
        assert_eq!(doc["Function"], "roost-CreateBooking");
        assert_eq!(doc["ReadCapacityUnits"], 1.5);
        assert_eq!(doc["WriteCapacityUnits"], 4.0);
    }

    #[test]
    fn every_metric_has_a_distinct_name_and_a_cloudwatch_unit() {
        let all = [
            Metric::BookingsCreated,
            Metric::PaymentsSucceeded,
            Metric::PaymentsFailed,
            Metric::Refunds,
            Metric::EmailsSent,
            Metric::OutboxOldestAgeSeconds,
            Metric::SweepLagSeconds,
            Metric::ReadCapacityUnits,
            Metric::WriteCapacityUnits,
        ];
        let names: std::collections::HashSet<_> = all.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), all.len());
        for metric in all {
            assert!(["Count", "Seconds"].contains(&metric.unit()));
            // CloudWatch metric names: 1..255 ASCII characters.
            assert!(metric.name().is_ascii() && !metric.name().is_empty());
        }
    }
}
