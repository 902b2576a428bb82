//! Roost's domain crate: models, rules, use cases, and the ports with their AWS adapters.

pub mod admin;
pub mod app;
pub mod auth;
pub mod aws_http;
pub mod bookings;
pub mod bus;
pub mod clock;
pub mod codes;
pub mod consumer;
pub mod cursor;
pub mod deadlines;
pub mod env;
pub mod error;
pub mod events;
pub mod geo;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod lambda;
pub mod mail;
pub mod messages;
pub mod metrics;
pub mod money;
pub mod notifications;
pub mod openapi;
pub mod outbox;
pub mod payments;
pub mod photos;
pub mod place;
pub mod properties;
pub mod reviews;
pub mod secrets;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod users;
pub mod zone;

pub use app::App;
/// Re-exported so consumer functions name the SQS event types without their own dependency.
pub use aws_lambda_events;
