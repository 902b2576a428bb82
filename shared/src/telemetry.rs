//! Structured logs, set up once per process: JSON when Lambda asks for it
//! (`AWS_LAMBDA_LOG_FORMAT=JSON`), plain text otherwise.

use tracing::level_filters::LevelFilter;

/// Installs the global subscriber. Level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`
/// (a bare level such as `debug`), `info` by default. Safe to call twice.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|raw| raw.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_max_level(level).with_target(false);
    // `try_init` fails only when a subscriber is already installed, which is fine.
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}
