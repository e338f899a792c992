//! Replies that make no sense (issue 10): the emulator's `mangle` trouble garbles successful GET
//! answers the way a misbehaving proxy did. An empty body is an error after bounded retries,
//! never an empty list or a default object; objects stripped of their spec fields or carrying
//! enum values from the future still decode, with absent fields absent and unknown values kept.

use fireform_api::{AcceleratorType, Dataset, DatasetFormat, Deployment, DeploymentState};
use fireform_client::{BodyProblem, Client, Error, ErrorKind, Goal, ListOptions, WaitOptions};
use fireform_emulator::{DEFAULT_API_KEY, EmulatorHandle, Mangle, Trouble};
use serde_json::json;

use crate::support::{Setup, client_config, dataset, deployment, fast_retries, plain_http, setup};

/// Switches the trouble at run time through the admin route, as an end-to-end test would after
/// a converged apply.
async fn put_trouble(emulator: &EmulatorHandle, trouble: serde_json::Value) {
    let response = plain_http()
        .put(format!("{}/_emulator/trouble", emulator.url()))
        .bearer_auth(DEFAULT_API_KEY)
        .json(&trouble)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// A converged account: a READY deployment on H100s in FP8 and a chat dataset.
async fn converged() -> Setup {
    let setup = setup().await;
    let spec = Deployment {
        accelerator_type: Some(AcceleratorType::NvidiaH100_80Gb),
        precision: Some(fireform_api::Precision::Fp8),
        ..deployment()
    };
    let client = &setup.client;
    client.create_deployment("served", &spec, &Default::default()).await.unwrap();
    client.wait_until::<Deployment>("served", Goal::Ready, &WaitOptions::default()).await.unwrap();
    client.create_dataset("chats", &dataset()).await.unwrap();
    setup
}

fn assert_unusable_empty(error: &Error) {
    assert_eq!(error.kind(), ErrorKind::UnusableBody, "{error}");
    assert!(error.is_transient());
    assert_eq!(error.attempts(), fast_retries().max_attempts, "retried like a 5xx: {error}");
    let Error::UnusableBody(unusable) = error else { panic!("{error:?}") };
    assert_eq!(unusable.problem(), &BodyProblem::Empty);
    assert_eq!(unusable.status(), 200);
    assert!(error.to_string().ends_with("the response body was empty"), "{error}");
}

#[tokio::test]
async fn an_empty_body_is_an_error_after_bounded_retries_never_an_empty_list() {
    let setup = converged().await;
    let client = &setup.client;
    put_trouble(&setup.emulator, json!({"mangle": "emptyBody"})).await;

    let before = client.requests_sent();
    let error = client.list_all::<Deployment>(&ListOptions::default()).await.unwrap_err();
    assert_unusable_empty(&error);
    assert!(error.to_string().starts_with("`GET http://"), "{error}");
    assert!(error.to_string().contains("/v1/accounts/fireform-local/deployments"), "{error}");
    assert_eq!(client.requests_sent() - before, u64::from(fast_retries().max_attempts));

    assert_unusable_empty(&client.list_all::<Dataset>(&ListOptions::default()).await.unwrap_err());
    assert_unusable_empty(&client.get_deployment("served").await.unwrap_err());
    assert_unusable_empty(&client.get_dataset("chats").await.unwrap_err());
    let discovery =
        Client::connect(client_config(&setup.emulator.url(), DEFAULT_API_KEY)).await.unwrap_err();
    assert_unusable_empty(&discovery);

    // Writes answer through the same proxy unharmed, and the world was never touched.
    setup.emulator.set_trouble(Trouble::default());
    let listed = client.list_all::<Deployment>(&ListOptions::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn an_empty_collection_is_still_an_empty_list() {
    let setup = setup().await;
    // The emulator answers `{"deployments": []}`.
    let listed = setup.client.list_all::<Deployment>(&ListOptions::default()).await.unwrap();
    assert!(listed.is_empty());
    // Fireworks itself answers `{}` (proto3 JSON omits an empty list): a server that says only
    // that is a stand-in for it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app =
        axum::Router::new().fallback(|| async { ([("content-type", "application/json")], "{}") });
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config = client_config(&url, "k").with_account_id("a").unwrap();
    let client = Client::new(config).unwrap();
    let listed = client.list_all::<Deployment>(&ListOptions::default()).await.unwrap();
    assert!(listed.is_empty());
    assert_eq!(client.requests_sent(), 1, "no retry for a well-formed empty page");
    server.abort();
}

#[tokio::test]
async fn objects_without_their_spec_fields_decode_with_the_fields_absent() {
    let setup = converged().await;
    let client = &setup.client;
    put_trouble(&setup.emulator, json!({"mangle": "stripFields"})).await;

    let listed = client.list_all::<Deployment>(&ListOptions::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    let stripped = &listed[0];
    assert_eq!(stripped.name.as_deref(), Some("accounts/fireform-local/deployments/served"));
    assert_eq!(stripped.state, Some(DeploymentState::Ready));
    assert_eq!(
        (&stripped.base_model, &stripped.accelerator_type, &stripped.min_replica_count),
        (&None, &None, &None)
    );
    let round_trip = serde_json::to_value(stripped).unwrap();
    assert!(round_trip.get("baseModel").is_none() && round_trip.get("minReplicaCount").is_none());

    let dataset = client.get_dataset("chats").await.unwrap();
    assert_eq!((dataset.format, dataset.example_count), (None, None));
    assert!(dataset.name.is_some() && dataset.state.is_some());
}

#[tokio::test]
async fn unknown_enum_values_decode_and_are_kept_as_their_strings() {
    let setup = converged().await;
    let client = &setup.client;
    setup
        .emulator
        .set_trouble(Trouble { mangle: Some(Mangle::UnknownEnums), ..Trouble::default() });

    let served = client.get_deployment("served").await.unwrap();
    let future = AcceleratorType::Unknown("ACCELERATOR_TYPE_FROM_THE_FUTURE".to_owned());
    assert_eq!(served.accelerator_type, Some(future));
    assert_eq!(served.state, Some(DeploymentState::Ready), "states stay readable");
    assert_eq!(served.base_model.as_deref(), Some(crate::support::BASE_MODEL));
    let json = serde_json::to_value(&served).unwrap();
    assert_eq!(json["precision"], "PRECISION_FROM_THE_FUTURE");

    let datasets = client.list_all::<Dataset>(&ListOptions::default()).await.unwrap();
    assert_eq!(datasets[0].format, Some(DatasetFormat::Unknown("FORMAT_FROM_THE_FUTURE".into())));
}
