//! Lists: pagination over several pages, page-size coercion, filters, ordering, the catalog.

use serde_json::{Value, json};

use crate::support::*;

const BASE: &str = "accounts/fireworks/models/llama-v3p1-8b-instruct";

#[tokio::test]
async fn pages_through_every_item_exactly_once() {
    let emulator =
        emulator(fireform_emulator::EmulatorConfig { gpu_quota: 1000, ..instant() }).await;
    for index in 0..7 {
        let model = if index % 2 == 0 { BASE } else { "accounts/fireworks/models/qwen3-8b" };
        let (status, _) = post(
            &emulator,
            &format!("/deployments?deploymentId=d{index}"),
            json!({"baseModel": model, "displayName": format!("n{}", index % 3)}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let (status, page) =
            get(&emulator, &format!("/deployments?pageSize=3&orderBy=name&pageToken={token}"))
                .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["totalSize"], 7);
        seen.extend(
            page["deployments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_owned()),
        );
        match page["nextPageToken"].as_str() {
            Some(next) => token = next.to_owned(),
            None => break,
        }
    }
    let expected: Vec<String> =
        (0..7).map(|i| format!("accounts/fireform-local/deployments/d{i}")).collect();
    assert_eq!(seen, expected);

    let (_, page) = get(&emulator, "/deployments?orderBy=name%20desc&pageSize=1").await;
    assert_eq!(page["deployments"][0]["name"], "accounts/fireform-local/deployments/d6");
    let (status, _) =
        get(&emulator, &format!("/deployments?pageSize=3&orderBy=create_time&pageToken={token}"))
            .await;
    assert_eq!(status, 400, "a token is bound to the parameters of its list");

    let filter = format!("display_name=%22n0%22%20AND%20base_model=%22{BASE}%22");
    let (_, page) = get(&emulator, &format!("/deployments?filter={filter}")).await;
    let names: Vec<&Value> =
        page["deployments"].as_array().unwrap().iter().map(|d| &d["name"]).collect();
    assert_eq!(
        names,
        [
            &json!("accounts/fireform-local/deployments/d0"),
            &json!("accounts/fireform-local/deployments/d6")
        ]
    );
    let (status, _) = get(&emulator, "/deployments?filter=a%20OR%20b").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn page_size_is_coerced_and_the_catalog_lists_by_name() {
    let emulator = emulator(instant()).await;
    let url = format!("{}/v1/accounts/fireworks/models?pageSize=1000", emulator.url());
    let page: Value = client()
        .get(url)
        .bearer_auth(fireform_emulator::DEFAULT_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let models = page["models"].as_array().unwrap();
    assert!(models.len() > 5 && models.len() <= 200);
    assert!(page.get("nextPageToken").is_none());
    let names: Vec<&str> = models.iter().map(|m| m["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    let serverless =
        models.iter().filter(|m| m["deployedModelRefs"][0]["state"] == "DEPLOYED").count();
    assert!(serverless > 0 && serverless < models.len(), "some models are serverless, some not");
}

#[tokio::test]
async fn filters_on_any_field_and_read_masks_apply_to_list_items() {
    let emulator = emulator(instant()).await;
    for (id, format) in [("a", "CHAT"), ("b", "COMPLETION"), ("c", "CHAT")] {
        let (status, body) = post(
            &emulator,
            "/datasets",
            json!({"datasetId": id, "dataset": {"format": format, "exampleCount": "3"}}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    // `format` and `exampleCount` are read from the JSON form; `name` in place.
    let (status, page) =
        get(&emulator, "/datasets?filter=format=%22CHAT%22%20AND%20example_count=%223%22").await;
    assert_eq!(status, 200, "{page}");
    let names: Vec<&str> =
        page["datasets"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["accounts/fireform-local/datasets/a", "accounts/fireform-local/datasets/c"]);
    assert_eq!(page["totalSize"], 2);
    let (_, page) =
        get(&emulator, "/datasets?filter=name=%22accounts/fireform-local/datasets/b%22").await;
    assert_eq!(page["datasets"].as_array().unwrap().len(), 1);

    let (_, page) = get(&emulator, "/datasets?readMask=format&orderBy=name%20desc").await;
    assert_eq!(
        page,
        json!({
            "datasets": [
                {"name": "accounts/fireform-local/datasets/c", "format": "CHAT"},
                {"name": "accounts/fireform-local/datasets/b", "format": "COMPLETION"},
                {"name": "accounts/fireform-local/datasets/a", "format": "CHAT"},
            ],
            "totalSize": 3,
        })
    );
    let (_, page) = get(&emulator, "/datasets?pageSize=2&orderBy=display_name").await;
    assert_eq!(page["datasets"].as_array().unwrap().len(), 2);
    assert!(page["nextPageToken"].as_str().is_some_and(|token| !token.is_empty()));
}
