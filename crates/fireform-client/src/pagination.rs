//! Lists as pages and streams: [`ListOptions`] (filter, order, `showDeleted`, page size) and
//! [`Pages`], which follows `nextPageToken` so a collection of n resources costs ceil(n/200)
//! calls.
//!
//! Pages are fetched lazily, one call per [`Pages::next_page`]; nothing is cached between
//! lists. Filtering happens on the server (AIP-160); this module only passes the string on.

use fireform_api::{
    BatchInferenceJob, Collection, Dataset, DeployedModel, Deployment, Evaluator,
    ListBatchInferenceJobsResponse, ListDatasetsResponse, ListDeployedModelsResponse,
    ListDeploymentsResponse, ListEvaluatorsResponse, ListModelsResponse, ListPage,
    ListReinforcementFineTuningJobsResponse, ListSupervisedFineTuningJobsResponse, MAX_PAGE_SIZE,
    Model, ReinforcementFineTuningJob, Resource, SupervisedFineTuningJob,
};
use futures_util::{Stream, TryStreamExt, stream};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::Error;
use crate::transport::{Call, Expect};

/// A resource that can be listed: ties it to its list response type.
pub trait Listable: Resource {
    /// The list response (`{deployments: [...], nextPageToken}`).
    type Page: ListPage<Item = Self> + DeserializeOwned;
}

macro_rules! listable {
    ($($resource:ty => $page:ty),+ $(,)?) => {
        $(impl Listable for $resource { type Page = $page; })+
    };
}

listable!(
    Deployment => ListDeploymentsResponse,
    DeployedModel => ListDeployedModelsResponse,
    Model => ListModelsResponse,
    Dataset => ListDatasetsResponse,
    SupervisedFineTuningJob => ListSupervisedFineTuningJobsResponse,
    ReinforcementFineTuningJob => ListReinforcementFineTuningJobsResponse,
    BatchInferenceJob => ListBatchInferenceJobsResponse,
    Evaluator => ListEvaluatorsResponse,
);

/// Options of a list call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOptions {
    /// AIP-160 filter, snake_case fields, quoted values: `model="accounts/a/models/m"`.
    pub filter: Option<String>,
    /// `create_time desc`, comma-separated.
    pub order_by: Option<String>,
    /// Deployments only: include soft-deleted ones.
    pub show_deleted: bool,
    /// Items per page, at most 200 (the default).
    pub page_size: u32,
}

impl Default for ListOptions {
    fn default() -> ListOptions {
        ListOptions {
            filter: None,
            order_by: None,
            show_deleted: false,
            page_size: u32::try_from(MAX_PAGE_SIZE).unwrap_or(200),
        }
    }
}

impl ListOptions {
    /// Lists only what matches this AIP-160 filter.
    pub fn with_filter(mut self, filter: impl Into<String>) -> ListOptions {
        self.filter = Some(filter.into());
        self
    }

    /// Orders by these fields.
    pub fn with_order_by(mut self, order_by: impl Into<String>) -> ListOptions {
        self.order_by = Some(order_by.into());
        self
    }

    /// Includes soft-deleted deployments.
    pub fn with_show_deleted(mut self, show_deleted: bool) -> ListOptions {
        self.show_deleted = show_deleted;
        self
    }

    /// Items per page (1 to 200).
    pub fn with_page_size(mut self, page_size: u32) -> ListOptions {
        self.page_size = page_size;
        self
    }
}

/// A list being read page by page. Get one with [`Client::list`].
#[derive(Debug)]
pub struct Pages<R: Listable> {
    client: Client,
    call: Call,
    // Invariant: `None` once the last page was read; `Some(None)` before the first.
    next_token: Option<Option<String>>,
    pages_read: u32,
    _resource: std::marker::PhantomData<fn() -> R>,
}

impl<R: Listable> Pages<R> {
    /// The next page, or `None` after the last one.
    pub async fn next_page(&mut self) -> Result<Option<Vec<R>>, Error> {
        let Some(token) = self.next_token.take() else {
            return Ok(None);
        };
        let mut call = self.call.clone();
        if let Some(token) = &token {
            call = call.query("pageToken", token.clone());
        }
        let page: R::Page = self.client.send(&call).await?;
        self.pages_read += 1;
        let next = page.next_page_token().map(str::to_owned);
        let items = page.into_items();
        // Stop on an empty page too (as the SDK does), and on a token that does not move, so a
        // confused server cannot keep us looping.
        self.next_token = match next {
            Some(next) if !items.is_empty() && Some(&next) != token.as_ref() => Some(Some(next)),
            _ => None,
        };
        Ok(Some(items))
    }

    /// Pages read so far (one list call each).
    pub fn pages_read(&self) -> u32 {
        self.pages_read
    }

    /// Every item of every remaining page, as a stream.
    pub fn into_stream(self) -> impl Stream<Item = Result<R, Error>> + Send + 'static
    where
        R: Send + 'static,
    {
        stream::try_unfold(self, |mut pages| async move {
            Ok::<_, Error>(pages.next_page().await?.map(|items| (items, pages)))
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok::<R, Error>)))
        .try_flatten()
    }

    /// Every item of every remaining page.
    pub async fn collect_all(mut self) -> Result<Vec<R>, Error> {
        let mut all = Vec::new();
        while let Some(items) = self.next_page().await? {
            all.extend(items);
        }
        Ok(all)
    }
}

impl Client {
    /// Lists a collection lazily, page by page.
    pub fn list<R: Listable>(&self, options: &ListOptions) -> Pages<R> {
        let mut call = Call::new(Method::GET, self.collection_path(R::COLLECTION))
            .expect(Expect::Page(R::COLLECTION.list_key()))
            .query("pageSize", options.page_size.clamp(1, 200).to_string());
        if let Some(filter) = &options.filter {
            call = call.query("filter", filter.clone());
        }
        if let Some(order_by) = &options.order_by {
            call = call.query("orderBy", order_by.clone());
        }
        if options.show_deleted && R::COLLECTION == Collection::Deployments {
            call = call.query("showDeleted", "true");
        }
        Pages {
            client: self.clone(),
            call,
            next_token: Some(None),
            pages_read: 0,
            _resource: std::marker::PhantomData,
        }
    }

    /// Lists a whole collection: ceil(n/200) calls.
    pub async fn list_all<R: Listable>(&self, options: &ListOptions) -> Result<Vec<R>, Error> {
        self.list::<R>(options).collect_all().await
    }
}
