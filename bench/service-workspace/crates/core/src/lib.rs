//! Domain types of the orders service.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Order {
    pub id: u64,
    pub item: String,
    pub quantity: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("quantity must be positive")]
    EmptyQuantity,
}

pub fn validate(order: &Order) -> Result<(), OrderError> {
    if order.quantity == 0 { Err(OrderError::EmptyQuantity) } else { Ok(()) }
}
