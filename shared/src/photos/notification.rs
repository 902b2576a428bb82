//! What arrives on the photo-events queue: S3's event notifications (a file was stored, or the
//! test message S3 sends when notifications are set up), and events from the outbox.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::events::Event;

/// One message of the photo-events queue, read.
#[derive(Debug, Clone, PartialEq)]
pub enum PhotoMessage {
    /// Files stored (`ObjectCreated:*`), one per record.
    Stored(Vec<StoredFile>),
    /// `s3:TestEvent`, or a notification of anything but a creation: nothing to do.
    Ignored,
    /// An event recorded by the outbox (removals, upload expiries).
    Event(Event),
}

/// A file S3 says it stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The object key, decoded (S3 sends it URL-encoded).
    pub key: String,
    /// When S3 stored it: an upload after its URL's expiry is refused even where the store
    /// did not enforce the expiry itself.
    pub stored_at: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Notification {
    #[serde(default)]
    records: Option<Vec<Record>>,
    #[serde(default)]
    event: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    event_name: String,
    event_time: DateTime<Utc>,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    object: S3Object,
}

#[derive(Deserialize)]
struct S3Object {
    key: String,
}

/// Why a message could not be read (it goes back to the queue, then to its dead-letter queue).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a photo-events message: {0}")]
pub struct UnreadableMessage(pub String);

/// Reads one message body.
pub fn parse(body: &str) -> Result<PhotoMessage, UnreadableMessage> {
    // Outbox events are the strict envelope; anything else must be S3's.
    if let Ok(event) = serde_json::from_str::<Event>(body) {
        return Ok(PhotoMessage::Event(event));
    }
    let notification: Notification = serde_json::from_str(body).map_err(|err| UnreadableMessage(err.to_string()))?;
    match (notification.records, notification.event) {
        (Some(records), _) => {
            let stored: Vec<StoredFile> = records
                .into_iter()
                .filter(|record| record.event_name.starts_with("ObjectCreated:"))
                .map(|record| StoredFile {
                    key: decode_key(&record.s3.object.key),
                    stored_at: record.event_time,
                })
                .collect();
            Ok(if stored.is_empty() {
                PhotoMessage::Ignored
            } else {
                PhotoMessage::Stored(stored)
            })
        }
        (None, Some(event)) if event == "s3:TestEvent" => Ok(PhotoMessage::Ignored),
        _ => Err(UnreadableMessage("neither Records nor an s3:TestEvent".to_owned())),
    }
}

/// The notification S3 sends when it stores `key` (`size` bytes) at `at`, as the local API
/// sends it for its own uploads: the same consumer reads both.
pub fn stored_notification(bucket: &str, key: &str, size: u64, at: DateTime<Utc>) -> String {
    serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "eventTime": crate::time::sortable(at),
            "eventName": "ObjectCreated:Put",
            "s3": {
                "s3SchemaVersion": "1.0",
                "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
                "object": {"key": encode_key(key), "size": size},
            },
        }],
    })
    .to_string()
}

/// The inverse of [`decode_key`] for what photo keys hold (letters, digits, `/`, `-`, `_`, `.`).
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// S3 sends keys form-encoded: `+` for a space, `%XX` for other bytes.
fn decode_key(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_notifications_name_the_decoded_keys_of_created_files() {
        let body = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2026-12-01T16:04:44.004Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":"b","arn":"arn:aws:s3:::b"},"object":{"key":"properties%2Fp%2Fphotos%2Fx+y","size":11,"eTag":"e"}}},{"eventName":"ObjectRemoved:Delete","eventTime":"2026-12-01T16:04:45Z","s3":{"object":{"key":"k"}}}]}"#;
        let PhotoMessage::Stored(files) = parse(body).unwrap() else {
            panic!("stored files expected");
        };
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].key, "properties/p/photos/x y");
        assert_eq!(files[0].stored_at.to_rfc3339(), "2026-12-01T16:04:44.004+00:00");
    }

    #[test]
    fn test_events_and_removals_are_ignored_and_garbage_is_unreadable() {
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-12-01T16:04:44.000Z","Bucket":"b"}"#;
        assert_eq!(parse(test).unwrap(), PhotoMessage::Ignored);
        let removed = r#"{"Records":[{"eventName":"ObjectRemoved:Delete","eventTime":"2026-12-01T16:04:45Z","s3":{"object":{"key":"k"}}}]}"#;
        assert_eq!(parse(removed).unwrap(), PhotoMessage::Ignored);
        for garbage in ["", "{}", "[1]", r#"{"Event":"s3:Other"}"#] {
            assert!(parse(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn the_local_notification_reads_back_as_the_file_it_names() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00.250Z")
            .unwrap()
            .with_timezone(&Utc);
        let body = stored_notification("local", "properties/p/photos/q w+%", 42, at);
        assert_eq!(
            parse(&body).unwrap(),
            PhotoMessage::Stored(vec![StoredFile {
                key: "properties/p/photos/q w+%".to_owned(),
                stored_at: at,
            }])
        );
    }

    #[test]
    fn keys_decode_like_forms() {
        assert_eq!(decode_key("a%2Fb%20c+d"), "a/b c d");
        assert_eq!(decode_key("100%"), "100%");
        assert_eq!(decode_key("%zz"), "%zz");
        assert_eq!(decode_key("%é1"), "%é1");
    }
}
