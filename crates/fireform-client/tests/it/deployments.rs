//! Deployments: every operation, and the query strings they send.

use fireform_api::{Deployment, DeploymentState};
use fireform_client::{
    CreateDeploymentOptions, DeleteDeploymentOptions, ErrorKind, ListOptions, WaitOptions,
};

use crate::support::{BASE_MODEL, deployment, setup};

fn audit_paths(setup: &crate::support::Setup, method: &str) -> Vec<String> {
    setup
        .emulator
        .audit_log()
        .into_iter()
        .filter(|entry| entry.method == method)
        .map(|entry| entry.path.replace("%2C", ",").replace("%2c", ","))
        .collect()
}

#[tokio::test]
async fn create_get_update_scale_delete_undelete() {
    let setup = setup().await;
    let client = &setup.client;

    let dry_run = CreateDeploymentOptions { validate_only: true, ..Default::default() };
    let would_be = client.create_deployment("base", &deployment(), &dry_run).await.unwrap();
    assert_eq!(would_be.base_model.as_deref(), Some(BASE_MODEL));
    assert!(
        client.get_deployment("base").await.unwrap_err().is_not_found(),
        "dry run creates nothing"
    );

    let created =
        client.create_deployment("base", &deployment(), &Default::default()).await.unwrap();
    assert_eq!(created.name.as_deref(), Some("accounts/fireform-local/deployments/base"));
    let ready = client.wait_deployment_ready("base", &WaitOptions::default()).await.unwrap();
    assert_eq!(ready.state, Some(DeploymentState::Ready));

    let change = Deployment {
        display_name: Some("renamed".to_owned()),
        max_replica_count: Some(3),
        min_replica_count: Some(99), // not in the mask: must not be sent as a change
        ..deployment()
    };
    let updated = client
        .update_deployment("base", &change, &["displayName", "maxReplicaCount"])
        .await
        .unwrap();
    assert_eq!(updated.display_name.as_deref(), Some("renamed"));
    assert_eq!(updated.max_replica_count, Some(3));
    assert_eq!(updated.min_replica_count, Some(0));
    let patches = audit_paths(&setup, "PATCH");
    assert!(
        patches
            .iter()
            .any(|path| path
                .ends_with("/deployments/base?updateMask=display_name,max_replica_count")),
        "{patches:?}"
    );

    client.scale_deployment("base", 2).await.unwrap();
    assert!(
        audit_paths(&setup, "PATCH").iter().any(|path| path.ends_with("/deployments/base:scale"))
    );

    client.delete_deployment("base", DeleteDeploymentOptions::default()).await.unwrap();
    client.wait_gone::<Deployment>("base", &WaitOptions::default()).await.unwrap();
    let visible = client.list_all::<Deployment>(&ListOptions::default()).await.unwrap();
    assert!(visible.is_empty(), "soft-deleted deployments are hidden");
    let all = client
        .list_all::<Deployment>(&ListOptions::default().with_show_deleted(true))
        .await
        .unwrap();
    assert_eq!(all[0].state, Some(DeploymentState::Deleted));

    let restored = client.undelete_deployment("base").await.unwrap();
    assert_ne!(restored.state, Some(DeploymentState::Deleted));

    let hard = DeleteDeploymentOptions { hard: true, ignore_checks: true };
    client.delete_deployment("base", hard).await.unwrap();
    client.wait_gone::<Deployment>("base", &WaitOptions::default()).await.unwrap();
    assert!(client.get_deployment("base").await.unwrap_err().is_not_found());
    assert!(
        audit_paths(&setup, "DELETE")
            .iter()
            .any(|path| path.ends_with("?hard=true&ignoreChecks=true"))
    );
}

#[tokio::test]
async fn a_taken_id_is_already_exists_with_the_api_message() {
    let setup = setup().await;
    let client = &setup.client;
    client.create_deployment("taken", &deployment(), &Default::default()).await.unwrap();
    let error =
        client.create_deployment("taken", &deployment(), &Default::default()).await.unwrap_err();
    assert!(error.is_already_exists(), "{error}");
    assert_eq!(error.status(), Some(409));
    assert_eq!(error.attempts(), 1, "a 409 is not retried");
    let text = error.to_string();
    assert!(text.starts_with("`POST http://127.0.0.1:"), "{text}");
    assert!(text.contains("/v1/accounts/fireform-local/deployments?deploymentId=taken"), "{text}");
    assert!(text.contains("409 ALREADY_EXISTS"), "{text}");
}

#[tokio::test]
async fn invalid_requests_are_refused_before_or_by_the_server() {
    let setup = setup().await;
    let client = &setup.client;
    let no_base = Deployment::default();
    let error = client.create_deployment("x", &no_base, &Default::default()).await.unwrap_err();
    assert!(error.is_invalid_argument(), "{error}");
    assert!(error.api_message().unwrap().contains("baseModel"), "{error}");
    let error = client.update_deployment("x", &deployment(), &[]).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    let error = client.get_deployment("a/b").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert_eq!(client.requests_sent(), 2, "discovery and the create; the rest never left");
}
