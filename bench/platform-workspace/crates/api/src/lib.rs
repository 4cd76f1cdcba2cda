//! The HTTP API: accounts, orders, health and metrics.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
pub use platform_auth::Keys;
use platform_model::{Account, NewAccount, NewOrder, Order};
use platform_store::{Memory, Repository};
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
pub struct AppState {
    pub store: Memory,
    pub keys: Arc<Keys>,
    pub metrics: metrics_handle::Handle,
}

pub mod metrics_handle {
    /// Renders the metrics page.
    pub type Handle = std::sync::Arc<dyn Fn() -> String + Send + Sync>;
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(get_account))]
pub struct ApiDoc;

async fn create_account(
    State(state): State<AppState>,
    Json(new): Json<NewAccount>,
) -> Result<Json<serde_json::Value>, (StatusCode, String)> {
    let account = new.accept().map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let token = state.keys.issue(&account).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    state.store.put_account(account.clone()).await;
    platform_telemetry::count("accounts_created");
    Ok(Json(serde_json::json!({ "account": account, "token": token })))
}

#[utoipa::path(get, path = "/accounts/{id}")]
async fn get_account(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Account>, StatusCode> {
    state.store.account(&id).await.map(Json).map_err(|_| StatusCode::NOT_FOUND)
}

async fn create_order(
    State(state): State<AppState>,
    Json(new): Json<NewOrder>,
) -> Result<Json<Order>, (StatusCode, String)> {
    let order = new.accept().map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    state.store.put_order(order.clone()).await;
    tracing::info!(order = %order.id, total = %order.total, "order accepted");
    Ok(Json(order))
}

async fn orders_of(State(state): State<AppState>, Path(id): Path<String>) -> Json<Vec<Order>> {
    Json(state.store.orders_of(&id).await)
}

/// Serves the router until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(|State(s): State<AppState>| async move { (s.metrics)() }))
        .route("/openapi.json", get(|| async { Json(<ApiDoc as utoipa::OpenApi>::openapi()) }))
        .route("/accounts", post(create_account))
        .route("/accounts/{id}", get(get_account))
        .route("/accounts/{id}/orders", get(orders_of))
        .route("/orders", post(create_order))
        .layer(TraceLayer::new_for_http())
        .layer(CompressionLayer::new())
        .layer(CorsLayer::permissive())
        .layer(tower::limit::ConcurrencyLimitLayer::new(1024))
        .with_state(state)
}
