//! The daemon's log: `tracing` events on stderr, filtered by `RUST_LOG` (default: what the
//! daemon did, at info, and only warnings from the libraries). The `log` records of rustls and
//! mdns-sd are forwarded into it; quinn emits tracing events itself. Messages meant for the
//! user (errors, results) are not log lines and do not go through here.

use tracing_subscriber::EnvFilter;

const DEFAULT: &str = "warn,rapport=info,rapport_node=info,rapport_net=info";

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .finish();
    // Also installs the `log` bridge (tracing-subscriber's `tracing-log` feature). Fails only
    // if a subscriber is already set, which leaves that one in charge.
    let _ = tracing_subscriber::util::SubscriberInitExt::try_init(subscriber);
}
