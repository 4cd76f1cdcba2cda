//! The orders HTTP service.
use axum::{extract::State, routing::{get, post}, Json, Router};
use clap::Parser;
use orders_core::{validate, Order};
use std::sync::{Arc, Mutex};

#[derive(Parser)]
#[command(version, about)]
struct Args {
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
}

type Orders = Arc<Mutex<Vec<Order>>>;

async fn list(State(orders): State<Orders>) -> Json<Vec<Order>> {
    Json(orders.lock().unwrap().clone())
}

async fn create(State(orders): State<Orders>, Json(order): Json<Order>) -> Result<Json<Order>, String> {
    validate(&order).map_err(|e| e.to_string())?;
    orders.lock().unwrap().push(order.clone());
    Ok(Json(order))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let app = Router::new()
        .route("/orders", get(list).post(create))
        .route("/healthz", get(|| async { "ok" }))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(Orders::default());
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", args.port)).await.expect("bind");
    tracing::info!(port = args.port, "listening");
    axum::serve(listener, app).await.expect("serve");
}
