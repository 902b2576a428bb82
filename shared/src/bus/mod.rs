//! Event-bus adapters.

pub mod sqs;
