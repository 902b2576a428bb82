//! The local API: every route of `template.yaml` in one process, answered by the same
//! handlers as the Lambda functions, over the embedded adapters.

pub mod admin_command;
pub mod aws_backend;
pub mod backfill;
pub mod clock_route;
pub mod dead_letters;
pub mod mail;
pub mod poller;
pub mod provisioning;
pub mod registry;
pub mod runtime;
pub mod server;
pub mod startup;
pub mod template;
pub mod uploads;

pub use startup::{Backend, LocalApi, Options, Payments, Running, StartError, run, start};
