//! Helpers shared by the integration tests: emulator endpoints, fresh stores, the app.

pub mod app;
pub mod moto;
pub mod sqs;
