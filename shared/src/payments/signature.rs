//! Stripe webhook signatures, as Stripe documents them
//! (<https://docs.stripe.com/webhooks#verify-manually>).
//!
//! The `Stripe-Signature` header reads `t=<unix seconds>,v1=<hex>,v1=<hex>,...`: each `v1` is
//! hex(HMAC-SHA256(endpoint secret, "<t>.<raw body>")), several while a secret is being rolled.
//! Other schemes (`v0`, test-mode only) are ignored. The body must be the bytes received: a
//! re-serialised JSON body no longer matches.

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header Stripe signs webhooks in.
pub const HEADER: &str = "Stripe-Signature";

/// How far the signed time may be from now, either way: Stripe's libraries' default, 5 minutes.
/// It bounds how long a captured request can be replayed.
pub const TOLERANCE: TimeDelta = TimeDelta::seconds(300);

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("malformed Stripe-Signature header: {0}")]
    Malformed(&'static str),
    /// Authentic, but signed more than [`TOLERANCE`] away from now: a replay, or a skewed clock.
    #[error("Stripe-Signature timestamp is outside the tolerance")]
    Stale,
    #[error("no Stripe-Signature v1 signature matches the payload")]
    Mismatch,
}

/// Checks `header` (the `Stripe-Signature` value, `None` when absent) against `payload`, the raw
/// body, signed with the endpoint `secret` (`whsec_...`), at `now`.
///
/// The signature is checked before the time, so `Stale` is only ever said of an authentic
/// request (worth a log line: a replay, or our clock is off).
pub fn verify(secret: &str, header: Option<&str>, payload: &[u8], now: DateTime<Utc>) -> Result<(), SignatureError> {
    let header = header
        .filter(|value| !value.trim().is_empty())
        .ok_or(SignatureError::Missing)?;
    let parsed = parse(header)?;
    let mac = signed_payload_mac(secret, parsed.timestamp, payload);
    // `verify_slice` compares in constant time; a `v1` that is not hex cannot match either.
    let matches = parsed
        .signatures
        .iter()
        .filter_map(|signature| hex::decode(signature).ok())
        .any(|signature| mac.clone().verify_slice(&signature).is_ok());
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    let signed_at = DateTime::<Utc>::from_timestamp(parsed.timestamp, 0).ok_or(SignatureError::Malformed("t"))?;
    if (now - signed_at).abs() > TOLERANCE {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// A valid `Stripe-Signature` value for `payload` signed with `secret` at `at` (one `v1`), as
/// Stripe would send it: for tests and tools that play Stripe.
pub fn sign(secret: &str, payload: &[u8], at: DateTime<Utc>) -> String {
    let timestamp = at.timestamp();
    let signature = signed_payload_mac(secret, timestamp, payload).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(signature))
}

/// The header's parts this module reads.
struct Parsed<'a> {
    timestamp: i64,
    /// Every `v1` value, hex, undecoded.
    signatures: Vec<&'a str>,
}

fn parse(header: &str) -> Result<Parsed<'_>, SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let (key, value) = item
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed("an item is not key=value"))?;
        match key {
            "t" if timestamp.is_some() => return Err(SignatureError::Malformed("t given twice")),
            "t" => timestamp = Some(value.parse::<i64>().map_err(|_| SignatureError::Malformed("t"))?),
            "v1" => signatures.push(value),
            // v0 (test mode) and any scheme Stripe adds later: not ours to check.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no t"))?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed("no v1 signature"));
    }
    Ok(Parsed { timestamp, signatures })
}

/// HMAC-SHA256 over `"<timestamp>.<payload>"`, ready to finalise or verify.
fn signed_payload_mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts a key of any length (long ones are hashed), so this never takes the `Err`
    // arm; `Hmac::new` itself would need a fixed-size key.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => <Hmac<Sha256> as Mac>::new(&Default::default()),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const PAYLOAD: &[u8] = br#"{"id": "evt_1", "type": "payment_intent.succeeded"}"#;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn a_signed_payload_verifies() {
        let header = sign(SECRET, PAYLOAD, at(1_700_000_000));
        assert!(header.starts_with("t=1700000000,v1="), "{header}");
        assert_eq!(verify(SECRET, Some(&header), PAYLOAD, at(1_700_000_000)), Ok(()));
    }

    /// Python's `hmac.new(b"whsec_test_secret", b"1700000000.{...}", sha256).hexdigest()`, as
    /// localstripe signs: an independent check of the signed string's layout.
    #[test]
    fn the_signature_matches_an_independent_hmac() {
        let header = sign(SECRET, b"{}", at(1_700_000_000));
        assert_eq!(
            header,
            "t=1700000000,v1=ceb8863f7208fa249a6cd8f951e993c7563412aca65866f6272283debe143ab3"
        );
    }

    #[test]
    fn any_one_matching_v1_is_enough() {
        let valid = sign(SECRET, PAYLOAD, at(1_700_000_000));
        let v1 = valid.split_once(",v1=").unwrap().1;
        let header = format!("t=1700000000,v0=abc,v1={},v1=not-hex,v1={v1}", "00".repeat(32));
        assert_eq!(verify(SECRET, Some(&header), PAYLOAD, at(1_700_000_000)), Ok(()));
    }

    #[test]
    fn a_forged_signature_is_refused() {
        let other = sign("whsec_someone_else", PAYLOAD, at(1_700_000_000));
        assert_eq!(
            verify(SECRET, Some(&other), PAYLOAD, at(1_700_000_000)),
            Err(SignatureError::Mismatch)
        );
        // The signature of another time does not carry over to this one.
        let valid = sign(SECRET, PAYLOAD, at(1_700_000_000));
        let moved = valid.replace("t=1700000000", "t=1700000001");
        assert_eq!(
            verify(SECRET, Some(&moved), PAYLOAD, at(1_700_000_000)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn only_the_received_bytes_verify() {
        let header = sign(SECRET, PAYLOAD, at(1_700_000_000));
        let value: serde_json::Value = serde_json::from_slice(PAYLOAD).unwrap();
        let reserialised = serde_json::to_vec(&value).unwrap();
        assert_ne!(reserialised, PAYLOAD);
        assert_eq!(
            verify(SECRET, Some(&header), &reserialised, at(1_700_000_000)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_tolerance_is_300_seconds_either_way() {
        let header = sign(SECRET, PAYLOAD, at(1_700_000_000));
        for now in [1_700_000_000 - 300, 1_700_000_000 + 300] {
            assert_eq!(verify(SECRET, Some(&header), PAYLOAD, at(now)), Ok(()), "{now}");
        }
        for now in [1_700_000_000 - 301, 1_700_000_000 + 301] {
            assert_eq!(
                verify(SECRET, Some(&header), PAYLOAD, at(now)),
                Err(SignatureError::Stale),
                "{now}"
            );
        }
    }

    #[test]
    fn missing_and_malformed_headers_are_refused() {
        let now = at(1_700_000_000);
        assert_eq!(verify(SECRET, None, PAYLOAD, now), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, Some("  "), PAYLOAD, now), Err(SignatureError::Missing));
        for header in [
            "garbage",
            "v1=abcd",
            "t=1700000000",
            "t=1700000000,v0=abcd",
            "t=soon,v1=abcd",
            "t=1,t=2,v1=abcd",
            "t=1700000000,,v1=abcd",
        ] {
            assert!(
                matches!(
                    verify(SECRET, Some(header), PAYLOAD, now),
                    Err(SignatureError::Malformed(_))
                ),
                "{header}"
            );
        }
    }
}
