//! Domain types: accounts, orders and their validation.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("invalid input: {0}")]
    Invalid(#[from] validator::ValidationErrors),
    #[error("unknown currency `{0}`")]
    Currency(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct NewAccount {
    #[validate(length(min = 3, max = 64))]
    pub name: String,
    #[validate(email)]
    pub email: String,
    pub homepage: Option<url::Url>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct NewOrder {
    pub account: Uuid,
    #[validate(length(min = 1, max = 100))]
    pub lines: Vec<Line>,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Line {
    pub sku: String,
    pub quantity: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub id: Uuid,
    pub account: Uuid,
    pub lines: Vec<Line>,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub created: DateTime<Utc>,
    pub api_version: semver::Version,
}

const CURRENCIES: &[&str] = &["EUR", "USD", "GBP", "CHF", "JPY"];

impl NewAccount {
    pub fn accept(self) -> Result<Account, ModelError> {
        self.validate()?;
        Ok(Account {
            id: Uuid::now_v7(),
            name: self.name,
            email: self.email.to_lowercase(),
            created: Utc::now(),
        })
    }
}

impl NewOrder {
    pub fn accept(self) -> Result<Order, ModelError> {
        self.validate()?;
        let sku = regex::Regex::new(r"^[A-Z]{3}-\d{4}$").expect("a valid pattern");
        if !CURRENCIES.contains(&self.currency.as_str()) {
            return Err(ModelError::Currency(self.currency));
        }
        let lines: Vec<Line> = self.lines.into_iter().filter(|l| sku.is_match(&l.sku)).collect();
        let total = lines
            .iter()
            .map(|l| l.unit_price * Decimal::from(l.quantity))
            .sum();
        Ok(Order {
            id: Uuid::new_v4(),
            account: self.account,
            lines,
            currency: self.currency,
            total,
            created: Utc::now(),
            api_version: semver::Version::new(2, 4, 0),
        })
    }
}

pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
