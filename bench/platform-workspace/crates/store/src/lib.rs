//! Storage: accounts and orders in memory, with a cache in front and snapshots.

use std::sync::Arc;

use dashmap::DashMap;
use moka::future::Cache;
use platform_model::{Account, Order};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("snapshot: {0}")]
    Snapshot(String),
}

#[async_trait::async_trait]
pub trait Repository: Send + Sync {
    async fn put_account(&self, account: Account);
    async fn account(&self, id: &str) -> Result<Account, StoreError>;
    async fn put_order(&self, order: Order);
    async fn orders_of(&self, account: &str) -> Vec<Order>;
}

#[derive(Clone)]
pub struct Memory {
    accounts: Arc<DashMap<String, Account>>,
    orders: Arc<parking_lot::RwLock<Vec<Order>>>,
    cache: Cache<String, Account>,
}

impl Default for Memory {
    fn default() -> Self {
        Memory {
            accounts: Arc::default(),
            orders: Arc::default(),
            cache: Cache::builder().max_capacity(10_000).build(),
        }
    }
}

#[async_trait::async_trait]
impl Repository for Memory {
    async fn put_account(&self, account: Account) {
        tracing::debug!(id = %account.id, "account stored");
        self.cache.invalidate(&account.id.to_string()).await;
        self.accounts.insert(account.id.to_string(), account);
    }
    async fn account(&self, id: &str) -> Result<Account, StoreError> {
        if let Some(a) = self.cache.get(id).await {
            return Ok(a);
        }
        let found = self.accounts.get(id).map(|a| a.clone()).ok_or(StoreError::NotFound)?;
        self.cache.insert(id.to_string(), found.clone()).await;
        Ok(found)
    }
    async fn put_order(&self, order: Order) {
        self.orders.write().push(order);
    }
    async fn orders_of(&self, account: &str) -> Vec<Order> {
        self.orders
            .read()
            .iter()
            .filter(|o| o.account.to_string() == account)
            .cloned()
            .collect()
    }
}

impl Memory {
    pub fn snapshot(&self) -> Result<bytes::Bytes, StoreError> {
        let orders = self.orders.read().clone();
        let json = serde_json::to_value(&orders).map_err(|e| StoreError::Snapshot(e.to_string()))?;
        let encoded = bincode::serde::encode_to_vec(json.to_string(), bincode::config::standard())
            .map_err(|e| StoreError::Snapshot(e.to_string()))?;
        Ok(bytes::Bytes::from(encoded))
    }

    pub async fn flush_every(self, period: std::time::Duration) {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            let _ = futures::future::ready(self.snapshot()).await;
        }
    }
}
