//! Logging (JSON or text, from `RUST_LOG`) and Prometheus metrics.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub fn init(json: bool) -> PrometheusHandle {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    if json {
        registry.with(fmt::layer().json()).init();
    } else {
        registry.with(fmt::layer()).init();
    }
    PrometheusBuilder::new()
        .install_recorder()
        .expect("one recorder per process")
}

pub fn count(name: &'static str) {
    metrics::counter!(name).increment(1);
}
