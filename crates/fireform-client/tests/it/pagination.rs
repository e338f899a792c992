//! Pagination: a collection of n resources costs ceil(n/200) list calls, as pages or a stream.

use fireform_api::Deployment;
use fireform_client::{Client, ListOptions};
use futures_util::TryStreamExt;

use crate::support::{deployment, setup};

async fn create_many(client: &Client, count: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..count {
        let client = client.clone();
        tasks.spawn(async move {
            let mut spec = deployment();
            spec.display_name = Some(format!("d{index:03}"));
            client.create_deployment(&format!("d-{index:03}"), &spec, &Default::default()).await
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_hundred_fifty_deployments_take_three_list_calls() {
    let setup = setup().await;
    let client = &setup.client;
    create_many(client, 450).await;

    let before = client.requests_sent();
    let mut pages = client.list_deployments(&ListOptions::default());
    let mut sizes = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    while let Some(page) = pages.next_page().await.unwrap() {
        sizes.push(page.len());
        names.extend(page.into_iter().filter_map(|item| item.name));
    }
    assert_eq!(sizes, [200, 200, 50]);
    assert_eq!(names.len(), 450);
    assert_eq!(pages.pages_read(), 3);
    assert_eq!(client.requests_sent() - before, 3);

    let before = client.requests_sent();
    let streamed: Vec<Deployment> =
        client.list_deployments(&ListOptions::default()).into_stream().try_collect().await.unwrap();
    assert_eq!(streamed.len(), 450);
    assert_eq!(client.requests_sent() - before, 3);

    let small_pages = ListOptions::default().with_page_size(100);
    let before = client.requests_sent();
    assert_eq!(client.list_all::<Deployment>(&small_pages).await.unwrap().len(), 450);
    assert_eq!(client.requests_sent() - before, 5);
}

#[tokio::test]
async fn filter_and_order_reach_the_server() {
    let setup = setup().await;
    let client = &setup.client;
    create_many(client, 5).await;
    let newest_first = ListOptions::default().with_order_by("display_name desc");
    let ordered = client.list_all::<Deployment>(&newest_first).await.unwrap();
    let names: Vec<_> = ordered.iter().filter_map(|item| item.display_name.clone()).collect();
    assert_eq!(names, ["d004", "d003", "d002", "d001", "d000"]);
    let one = ListOptions::default().with_filter("display_name=\"d002\"");
    let filtered = client.list_all::<Deployment>(&one).await.unwrap();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].name.as_deref(), Some("accounts/fireform-local/deployments/d-002"));
}
