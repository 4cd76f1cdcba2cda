use std::sync::Arc;

use clap::Parser;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The platform's server.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    /// Log as JSON.
    #[arg(long, env = "LOG_JSON")]
    log_json: bool,
    /// Configuration file.
    #[arg(long, default_value = "/etc/platform.toml")]
    config: String,
}

#[derive(Deserialize, Default)]
struct Settings {
    #[serde(default)]
    jwt_secret: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let metrics = platform_telemetry::init(args.log_json);
    let settings: Settings = figment::Figment::new()
        .merge(Toml::file(&args.config))
        .merge(Env::prefixed("PLATFORM_"))
        .extract()
        .unwrap_or_default();
    let secret = settings.jwt_secret.unwrap_or_else(|| "development".to_string());
    let store = platform_store::Memory::default();
    tokio::spawn(store.clone().flush_every(std::time::Duration::from_secs(60)));
    let state = platform_api::AppState {
        store,
        keys: Arc::new(platform_api::Keys::new(secret.as_bytes())),
        metrics: Arc::new(move || metrics.render()),
    };
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", args.port)).await?;
    tracing::info!(port = args.port, "listening");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    platform_api::serve(listener, state, async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    })
    .await?;
    Ok(())
}
