//! The API key never shows: a canary key drives every error path, and everything the client
//! can print (Display and Debug of the client, its configuration, every error and its sources,
//! and all `tracing` output at TRACE level) is scanned for it.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fireform_api::Deployment;
use fireform_client::{ApiKey, Client, ClientConfig, Error, RetryPolicy, WaitOptions};
use fireform_emulator::{EmulatorConfig, FailRule, Trouble};

use crate::support::{client_config, deployment, emulator_config};

const CANARY: &str = "fw-CANARY-7f3a9c-do-not-print";
const WRONG_CANARY: &str = "fw-CANARY-wrong-key-do-not-print";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn printed(error: &Error) -> String {
    let mut text = format!("{error}\n{error:?}\n");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("{cause}\n{cause:?}\n"));
        source = cause.source();
    }
    text
}

// The subscriber is the process's global one, not a thread-local default: `tracing` caches
// per-callsite interest globally, and a test on another thread that reached `retrying request`
// under no subscriber could leave it cached as "never" for a thread-local one (seen as a flaky
// "retries were traced"). Other tests of this binary then trace into the buffer too, which only
// adds text to scan for the key.
#[tokio::test]
async fn the_key_never_appears_in_anything_the_client_prints() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .expect("only this test sets a subscriber in this binary");

    let emulator = fireform_emulator::start(EmulatorConfig {
        api_key: CANARY.to_owned(),
        ..emulator_config()
    })
    .await
    .unwrap();
    emulator.add_fail_rule(FailRule {
        collection: "deployments".to_owned(),
        pattern: "doomed".to_owned(),
        message: None,
    });
    let url = emulator.url();
    let policy = RetryPolicy { max_attempts: 2, ..crate::support::fast_retries() };
    let config = client_config(&url, CANARY).with_retry_policy(policy);
    let client = Client::connect(config.clone()).await.unwrap();
    let mut everything =
        format!("{client:?}\n{config:?}\n{:?}\n{}\n", ApiKey::new(CANARY), ApiKey::new(CANARY));
    let mut errors = Vec::new();

    // 404, 409, 400, client-side refusal, wait failure.
    errors.push(client.get_deployment("absent").await.unwrap_err());
    client.create_deployment("taken", &deployment(), &Default::default()).await.unwrap();
    errors.push(
        client.create_deployment("taken", &deployment(), &Default::default()).await.unwrap_err(),
    );
    errors.push(
        client
            .create_deployment("bad", &Deployment::default(), &Default::default())
            .await
            .unwrap_err(),
    );
    errors.push(client.update_deployment("taken", &deployment(), &[]).await.unwrap_err());
    client.create_deployment("doomed", &deployment(), &Default::default()).await.unwrap();
    errors.push(client.wait_deployment_ready("doomed", &WaitOptions::default()).await.unwrap_err());
    // 401 with a second canary.
    errors.push(Client::connect(client_config(&url, WRONG_CANARY)).await.unwrap_err());
    // 429, 503 and dropped connections after every retry.
    for trouble in [
        Trouble { error_429: 1.0, retry_after_secs: 1, ..Trouble::default() },
        Trouble { error_503: 1.0, ..Trouble::default() },
        Trouble { drop: 1.0, ..Trouble::default() },
    ] {
        emulator.set_trouble(trouble);
        errors.push(client.get_deployment("taken").await.unwrap_err());
    }
    // A timeout.
    emulator.set_trouble(Trouble { latency_ms: 300, ..Trouble::default() });
    let impatient = Client::new(
        config
            .clone()
            .with_account_id("fireform-local")
            .unwrap()
            .with_request_timeout(Duration::from_millis(50)),
    )
    .unwrap();
    errors.push(impatient.get_deployment("taken").await.unwrap_err());
    emulator.set_trouble(Trouble::default());
    // Connection refused, and configuration errors.
    drop(emulator);
    errors.push(client.get_deployment("taken").await.unwrap_err());
    errors.push(Error::from(
        ClientConfig::new(ApiKey::new(CANARY)).with_base_url("not a url").unwrap_err(),
    ));
    let insecure = Client::new(
        ClientConfig::new(ApiKey::new(CANARY))
            .with_base_url("http://example.com")
            .unwrap()
            .with_account_id("a")
            .unwrap(),
    )
    .unwrap_err();
    errors.push(insecure);
    let bad_key = Client::new(
        ClientConfig::new(ApiKey::new(format!("{CANARY}\u{7f}"))).with_account_id("a").unwrap(),
    )
    .unwrap_err();
    errors.push(bad_key);

    let kinds: Vec<_> = errors.iter().map(Error::kind).collect();
    for error in &errors {
        everything.push_str(&printed(error));
    }
    everything.push_str(&String::from_utf8_lossy(&captured.0.lock().unwrap()));
    assert!(everything.contains("retrying request"), "retries were traced");
    assert!(everything.contains("ApiKey(****)"));
    assert!(!everything.contains("CANARY"), "the key leaked:\n{everything}");
    assert!(!everything.contains("7f3a9c"), "part of the key leaked");
    assert_eq!(errors.len(), 14, "{kinds:?}");
}
