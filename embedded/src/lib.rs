//! Embedded adapters: what the local API runs on instead of AWS.

pub mod bus;
pub mod files;
pub mod store;
