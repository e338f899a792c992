//! Configuration and account discovery against the emulator.

use fireform_client::{ApiKey, Client, ClientConfig, ErrorKind};
use fireform_emulator::DEFAULT_ACCOUNT;

use crate::support::{client_config, setup};

#[tokio::test]
async fn discovers_the_account_when_none_is_given() {
    let setup = setup().await;
    assert_eq!(setup.client.account_id(), DEFAULT_ACCOUNT);
    let accounts = setup.client.list_accounts().await.unwrap();
    assert!(
        accounts.iter().any(|account| account.name.as_deref() == Some("accounts/fireform-local"))
    );
}

#[tokio::test]
async fn reads_the_sdk_variables_and_uses_the_given_account() {
    let setup = setup().await;
    let url = setup.emulator.url();
    let config = ClientConfig::from_lookup(|name| match name {
        "FIREWORKS_API_KEY" => Some(fireform_emulator::DEFAULT_API_KEY.to_owned()),
        "FIREWORKS_ACCOUNT_ID" => Some(DEFAULT_ACCOUNT.to_owned()),
        "FIREWORKS_BASE_URL" => Some(url.clone()),
        _ => None,
    })
    .unwrap();
    let client = Client::new(config).unwrap();
    assert_eq!(client.requests_sent(), 0, "no discovery call when the account is given");
    assert!(client.get_deployment("absent").await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_wrong_key_is_unauthenticated_without_retries() {
    let setup = setup().await;
    let error =
        Client::connect(client_config(&setup.emulator.url(), "wrong-key")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthenticated, "{error}");
    assert_eq!(error.attempts(), 1);
}

#[tokio::test]
async fn new_without_an_account_asks_for_connect() {
    let config = ClientConfig::new(ApiKey::new("k")).with_base_url("http://127.0.0.1:9").unwrap();
    assert_eq!(Client::new(config).unwrap_err().kind(), ErrorKind::Config);
}

/// A key that sees no account (a server that lists none) is a clear configuration error.
#[tokio::test]
async fn a_key_without_accounts_is_a_clear_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/v1/accounts",
        axum::routing::get(|| async { axum::Json(serde_json::json!({"accounts": []})) }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let error = Client::connect(client_config(&url, "k")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert_eq!(error.to_string(), "the API key sees no account; set `FIREWORKS_ACCOUNT_ID`");
    server.abort();
}
