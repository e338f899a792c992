//! Accounts: listing the accounts a key can see, and discovering the account to work in when
//! the configuration names none (`GET /v1/accounts?pageSize=2`, first result).
//!
//! Account management (users, keys, secrets) is out of scope.

use fireform_api::{API_PREFIX, Account, ListAccountsResponse, ListPage};
use reqwest::Method;

use crate::client::{Client, id_of};
use crate::config::ConfigError;
use crate::error::Error;
use crate::transport::{Call, Expect, Transport};

/// The list key of `GET /v1/accounts`.
const ACCOUNTS_LIST_KEY: &str = "accounts";

/// The account id to use when none was configured: the first account the key can see.
pub(crate) async fn discover_account(transport: &Transport) -> Result<String, Error> {
    let call = Call::new(Method::GET, format!("{API_PREFIX}/accounts"))
        .expect(Expect::Page(ACCOUNTS_LIST_KEY))
        .query("pageSize", "2");
    let reply = transport.execute(&call).await?;
    let page: ListAccountsResponse = transport.decode(&call, &reply)?;
    let first = page.items().iter().find_map(|account| account.name.as_deref().map(id_of));
    match first {
        Some(account_id) if !account_id.is_empty() => {
            if page.items().len() > 1 {
                tracing::info!(account_id, "the key sees several accounts; using the first");
            }
            Ok(account_id.to_owned())
        }
        _ => Err(Error::Config(ConfigError::NoAccount)),
    }
}

impl Client {
    /// Every account the key can see.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, Error> {
        let mut accounts = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut call = Call::new(Method::GET, format!("{API_PREFIX}/accounts"))
                .expect(Expect::Page(ACCOUNTS_LIST_KEY))
                .query("pageSize", "200");
            if let Some(token) = &token {
                call = call.query("pageToken", token.clone());
            }
            let page: ListAccountsResponse = self.send(&call).await?;
            let next = page.next_page_token().map(str::to_owned);
            let items = page.into_items();
            let done = items.is_empty() || next.is_none() || next == token;
            accounts.extend(items);
            if done {
                return Ok(accounts);
            }
            token = next;
        }
    }
}
