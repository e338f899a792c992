//! Models, deployed models (LoRA loads) and evaluators: the fine-tune → model → load flow.

use fireform_api::{
    DeployedModel, DeployedModelState, Deployment, Evaluator, JobState, Model,
    SupervisedFineTuningJob,
};
use fireform_client::{Goal, ListOptions, LoadOptions, WaitOptions};

use crate::support::{BASE_MODEL, Setup, deployment, ready_dataset, setup};

/// A finished SFT job's output model `addon` and a READY deployment `base` with addons on.
async fn addon_and_base(setup: &Setup) -> (String, String) {
    let client = &setup.client;
    ready_dataset(client, "train").await;
    let job = SupervisedFineTuningJob {
        dataset: Some("train".to_owned()),
        base_model: Some(BASE_MODEL.to_owned()),
        output_model: Some("addon".to_owned()),
        ..SupervisedFineTuningJob::default()
    };
    client.create_sft_job("tune", &job).await.unwrap();
    let done: SupervisedFineTuningJob =
        client.wait_ready("tune", &WaitOptions::default()).await.unwrap();
    assert_eq!(done.state, Some(JobState::Completed));
    let base = Deployment { enable_addons: Some(true), ..deployment() };
    client.create_deployment("base", &base, &Default::default()).await.unwrap();
    client.wait_deployment_ready("base", &WaitOptions::default()).await.unwrap();
    (
        "accounts/fireform-local/models/addon".to_owned(),
        "accounts/fireform-local/deployments/base".to_owned(),
    )
}

#[tokio::test]
async fn models_load_update_and_unload() {
    let setup = setup().await;
    let client = &setup.client;
    let (model, deployment_name) = addon_and_base(&setup).await;

    let addon = client.get_model("addon").await.unwrap();
    assert_eq!(addon.name.as_deref(), Some(model.as_str()));
    let models = client.list_all::<Model>(&ListOptions::default()).await.unwrap();
    assert!(models.iter().any(|listed| listed.name.as_deref() == Some(model.as_str())));
    let described = Model { description: Some("tuned".to_owned()), ..Model::default() };
    let updated = client.update_model("addon", &described, &["description"]).await.unwrap();
    assert_eq!(updated.description.as_deref(), Some("tuned"));

    let load = DeployedModel {
        model: Some(model.clone()),
        deployment: Some(deployment_name.clone()),
        ..DeployedModel::default()
    };
    let loaded = client.load_model(&load, LoadOptions::default()).await.unwrap();
    let id = fireform_client::id_of(loaded.name.as_deref().unwrap()).to_owned();
    let deployed: DeployedModel = client.wait_ready(&id, &WaitOptions::default()).await.unwrap();
    assert_eq!(deployed.state, Some(DeployedModelState::Deployed));
    assert_eq!(
        client.get_deployed_model(&id).await.unwrap().model.as_deref(),
        Some(model.as_str())
    );

    let filter = ListOptions::default().with_filter(format!("model=\"{model}\""));
    let listed = client.list_all::<DeployedModel>(&filter).await.unwrap();
    assert_eq!(listed.len(), 1);
    let found = client.find_load(&model, Some(&deployment_name)).await.unwrap().unwrap();
    assert_eq!(found.name, loaded.name);
    assert_eq!(client.find_load(&model, None).await.unwrap(), None, "serverless is another load");

    let described =
        DeployedModel { description: Some("serving".to_owned()), ..DeployedModel::default() };
    let updated = client.update_deployed_model(&id, &described, &["description"]).await.unwrap();
    assert_eq!(updated.description.as_deref(), Some("serving"));

    client.unload_model(&id).await.unwrap();
    client.wait_gone::<DeployedModel>(&id, &WaitOptions::default()).await.unwrap();
    client.delete_model("addon").await.unwrap();
    assert!(client.get_model("addon").await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn evaluators_create_get_list_delete() {
    let setup = setup().await;
    let client = &setup.client;
    let evaluator = Evaluator {
        display_name: Some("exact match".to_owned()),
        requirements: Some("numpy".to_owned()),
        ..Evaluator::default()
    };
    let created = client.create_evaluator("exact", &evaluator).await.unwrap();
    assert_eq!(created.name.as_deref(), Some("accounts/fireform-local/evaluators/exact"));
    let active =
        client.wait_until::<Evaluator>("exact", Goal::Ready, &WaitOptions::default()).await;
    assert!(active.unwrap().is_some());
    assert_eq!(client.get_evaluator("exact").await.unwrap().requirements.as_deref(), Some("numpy"));
    assert_eq!(client.list_all::<Evaluator>(&ListOptions::default()).await.unwrap().len(), 1);
    client.delete_evaluator("exact").await.unwrap();
    assert!(client.get_evaluator("exact").await.unwrap_err().is_not_found());
}
