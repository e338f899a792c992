"""Deployments through `client.deployments`: create with a client id, get, list with pagination,
update, scale, soft and hard delete, undelete, and the error cases the client maps to exceptions."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import fireworks
import pytest

from conftest import Ids, Recorder, Settings, assert_status_body, wait_gone, wait_until

# One GPU at most per deployment, so the suite stays far below the per-type quota (16).
SMALL = dict(
    accelerator_type="NVIDIA_A100_80GB",
    accelerator_count=1,
    min_replica_count=0,
    max_replica_count=1,
)


@pytest.fixture
def deployments(client: fireworks.Fireworks, settings: Settings) -> Iterator[Callable[..., Any]]:
    """Creates deployments and hard-deletes whatever is left of them when the test ends."""
    created: list[str] = []

    def create(deployment_id: str, base_model: str, **fields: Any) -> Any:
        d = client.deployments.create(deployment_id=deployment_id, base_model=base_model, **{**SMALL, **fields})
        created.append(deployment_id)
        return d

    yield create
    for deployment_id in created:
        try:
            client.deployments.delete(deployment_id, hard=True)
        except fireworks.NotFoundError:
            pass


def test_create_get_and_become_ready(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, base_model: str, deployments: Any
) -> None:
    deployment_id = new_id("dep")
    created = deployments(deployment_id, base_model, display_name="conformance", enable_addons=True)
    name = f"accounts/{settings.account}/deployments/{deployment_id}"
    assert created.name == name
    assert created.base_model == base_model
    assert created.display_name == "conformance"
    assert created.enable_addons is True
    assert created.state in ("CREATING", "READY"), created.state
    assert created.create_time is not None

    got = client.deployments.get(deployment_id)
    assert got.name == name and got.base_model == base_model
    ready = wait_until(
        f"deployment {deployment_id} to be READY",
        lambda: client.deployments.get(deployment_id),
        lambda d: d.state == "READY",
        settings.wait_secs,
    )
    assert ready.accelerator_type == "NVIDIA_A100_80GB"
    assert ready.update_time is not None and ready.update_time >= ready.create_time


def test_create_without_id_gets_a_server_id(
    client: fireworks.Fireworks, settings: Settings, base_model: str, deployments: Any
) -> None:
    d = client.deployments.create(base_model=base_model, **SMALL)
    assert d.name and d.name.startswith(f"accounts/{settings.account}/deployments/"), d.name
    generated = d.name.rsplit("/", 1)[1]
    assert generated, d.name
    client.deployments.delete(generated, hard=True)
    wait_gone(f"deployment {generated}", lambda: client.deployments.get(generated), settings.wait_secs)


def test_validate_only_creates_nothing(
    client: fireworks.Fireworks, new_id: Ids, base_model: str
) -> None:
    deployment_id = new_id("dep-dry")
    d = client.deployments.create(deployment_id=deployment_id, base_model=base_model, validate_only=True, **SMALL)
    assert d.base_model == base_model
    with pytest.raises(fireworks.NotFoundError):
        client.deployments.get(deployment_id)


def test_list_paginates_with_a_small_page_size(
    client: fireworks.Fireworks, recorder: Recorder, new_id: Ids, run_tag: str, base_model: str, deployments: Any
) -> None:
    display = f"{run_tag}-paged"
    ids = [new_id("dep-page") for _ in range(5)]
    for deployment_id in ids:
        deployments(deployment_id, base_model, display_name=display)

    mark = recorder.mark()
    page = client.deployments.list(page_size=2, filter=f'display_name="{display}"')
    first = [d.name.rsplit("/", 1)[1] for d in page.deployments]
    assert len(first) == 2, first
    assert page.next_page_token, "a first page of 2 out of 5 carries a nextPageToken"
    assert page.has_next_page()

    # The client's auto-pager walks every page: 2 + 2 + 1.
    seen = [d.name.rsplit("/", 1)[1] for d in page]
    assert sorted(seen) == sorted(ids), seen
    assert len(seen) == len(set(seen)), f"a deployment was listed twice: {seen}"
    lists = [s for s in recorder.since(mark) if s.method == "GET" and s.path.endswith("/deployments")]
    assert len(lists) == 3, [s.query for s in lists]
    assert all("pageSize=2" in s.query for s in lists), [s.query for s in lists]
    assert all("filter=" in s.query for s in lists), "the pager repeats the filter on every page"

    # Default order is create time: the pages come back in creation order; `desc` reverses it.
    assert seen == ids, seen
    newest_first = [d.name.rsplit("/", 1)[1] for d in client.deployments.list(
        page_size=2, filter=f'display_name="{display}"', order_by="create_time desc"
    )]
    assert newest_first == ids[::-1], newest_first

    # The raw body: list key, nextPageToken, totalSize (int32, a JSON number).
    raw = client.deployments.with_raw_response.list(page_size=2, filter=f'display_name="{display}"').http_response
    body = raw.json()
    assert isinstance(body.get("deployments"), list) and len(body["deployments"]) == 2, body
    assert body.get("totalSize") == 5, body


def test_list_page_size_over_200_is_coerced(client: fireworks.Fireworks) -> None:
    # Accepted, not refused: values above 200 are coerced to 200.
    page = client.deployments.list(page_size=1000)
    assert len(page.deployments) <= 200


def test_update_patches_fields(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, base_model: str, deployments: Any
) -> None:
    deployment_id = new_id("dep-upd")
    deployments(deployment_id, base_model, display_name="before", description="kept")
    wait_until(
        f"deployment {deployment_id} to be READY",
        lambda: client.deployments.get(deployment_id),
        lambda d: d.state == "READY",
        settings.wait_secs,
    )
    # The client requires baseModel in the PATCH body even though it is immutable.
    updated = client.deployments.update(
        deployment_id, base_model=base_model, display_name="after", max_replica_count=1
    )
    assert updated.display_name == "after"
    assert updated.state in ("UPDATING", "READY"), updated.state
    got = wait_until(
        f"deployment {deployment_id} to settle after update",
        lambda: client.deployments.get(deployment_id),
        lambda d: d.state == "READY",
        settings.wait_secs,
    )
    assert got.display_name == "after"
    assert got.base_model == base_model


def test_update_of_an_immutable_field_is_refused(
    client: fireworks.Fireworks, new_id: Ids, base_model: str, deployments: Any
) -> None:
    deployment_id = new_id("dep-imm")
    deployments(deployment_id, base_model)
    other = "accounts/fireworks/models/some-other-base-model"
    with pytest.raises(fireworks.BadRequestError) as err:
        client.deployments.update(deployment_id, base_model=other)
    assert_status_body(err.value, 3)
    assert client.deployments.get(deployment_id).base_model == base_model


def test_scale(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, base_model: str, deployments: Any
) -> None:
    deployment_id = new_id("dep-scale")
    deployments(deployment_id, base_model)
    wait_until(
        f"deployment {deployment_id} to be READY",
        lambda: client.deployments.get(deployment_id),
        lambda d: d.state == "READY",
        settings.wait_secs,
    )
    assert client.deployments.scale(deployment_id, replica_count=1) == {}
    scaled = wait_until(
        f"deployment {deployment_id} to run 1 replica",
        lambda: client.deployments.get(deployment_id),
        lambda d: d.state == "READY" and d.replica_count == 1,
        settings.wait_secs,
    )
    assert scaled.replica_count == 1


def test_soft_delete_show_deleted_and_undelete(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, run_tag: str, base_model: str, deployments: Any
) -> None:
    deployment_id = new_id("dep-soft")
    display = f"{run_tag}-soft"
    deployments(deployment_id, base_model, display_name=display)
    assert client.deployments.delete(deployment_id) == {}
    deleted = wait_until(
        f"deployment {deployment_id} to be DELETED",
        lambda: client.deployments.get(deployment_id),
        lambda d: d.state == "DELETED",
        settings.wait_secs,
    )
    assert deleted.delete_time is not None

    flt = f'display_name="{display}"'
    assert [d.name for d in client.deployments.list(filter=flt)] == []
    shown = [d.name for d in client.deployments.list(filter=flt, show_deleted=True)]
    assert shown == [f"accounts/{settings.account}/deployments/{deployment_id}"], shown

    restored = client.deployments.undelete(deployment_id, body={})
    assert restored.name == f"accounts/{settings.account}/deployments/{deployment_id}"
    wait_until(
        f"deployment {deployment_id} to come back",
        lambda: client.deployments.get(deployment_id),
        lambda d: d.state in ("CREATING", "UPDATING", "READY"),
        settings.wait_secs,
    )
    assert [d.name for d in client.deployments.list(filter=flt)] == shown


def test_hard_delete_removes_it(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, base_model: str, deployments: Any
) -> None:
    deployment_id = new_id("dep-hard")
    deployments(deployment_id, base_model)
    assert client.deployments.delete(deployment_id, hard=True) == {}
    wait_gone(f"deployment {deployment_id}", lambda: client.deployments.get(deployment_id), settings.wait_secs)
    # And the id is free again.
    deployments(deployment_id, base_model)
    assert client.deployments.get(deployment_id).base_model == base_model


def test_get_missing_is_not_found(client: fireworks.Fireworks, recorder: Recorder, new_id: Ids) -> None:
    missing = new_id("dep-missing")
    mark = recorder.mark()
    with pytest.raises(fireworks.NotFoundError) as err:
        client.deployments.get(missing)
    assert err.value.status_code == 404
    assert_status_body(err.value, 5)
    assert len(recorder.since(mark)) == 1, "a 404 is not retried"


def test_duplicate_create_is_a_conflict_sent_once(
    client: fireworks.Fireworks, recorder: Recorder, new_id: Ids, base_model: str, deployments: Any, audit: Any
) -> None:
    deployment_id = new_id("dep-dup")
    deployments(deployment_id, base_model)
    mark = recorder.mark()
    with pytest.raises(fireworks.ConflictError) as err:
        client.deployments.create(deployment_id=deployment_id, base_model=base_model, **SMALL)
    assert err.value.status_code == 409
    assert_status_body(err.value, 6)
    assert err.value.response.headers.get("x-should-retry") == "false", (
        "a 409 ALREADY_EXISTS must carry `x-should-retry: false`, or the client re-POSTs the create"
    )
    posts = [s for s in recorder.since(mark) if s.method == "POST"]
    assert len(posts) == 1, f"the client sent the duplicate create {len(posts)} times"
    assert posts[0].query == f"deploymentId={deployment_id}" or f"deploymentId={deployment_id}" in posts[0].query

    creates = audit.creates("deployments", deployment_id)
    assert [c["status"] for c in creates] == [200, 409], creates


def test_create_with_an_unknown_base_model_is_refused(
    client: fireworks.Fireworks, new_id: Ids
) -> None:
    deployment_id = new_id("dep-nomodel")
    with pytest.raises((fireworks.BadRequestError, fireworks.NotFoundError)):
        client.deployments.create(
            deployment_id=deployment_id, base_model="accounts/fireworks/models/no-such-model", **SMALL
        )
    with pytest.raises(fireworks.NotFoundError):
        client.deployments.get(deployment_id)


def test_update_mask_from_extra_query_touches_only_listed_fields(
    client: fireworks.Fireworks, new_id: Ids, base_model: str, deployments: Any
) -> None:
    # The official client never sends `updateMask`, but Fireworks' training SDK does (as a query
    # parameter, snake_case paths); users of this client reach it through `extra_query`.
    deployment_id = new_id("dep-mask")
    deployments(deployment_id, base_model, display_name="before", description="before")
    updated = client.deployments.update(
        deployment_id,
        base_model=base_model,
        display_name="after",
        description="ignored: not in the mask",
        extra_query={"updateMask": "display_name"},
    )
    assert updated.display_name == "after"
    assert updated.description == "before"


def test_gpu_quota_is_refused_once(
    client: fireworks.Fireworks, recorder: Recorder, new_id: Ids, base_model: str
) -> None:
    deployment_id = new_id("dep-quota")
    mark = recorder.mark()
    with pytest.raises((fireworks.RateLimitError, fireworks.BadRequestError)) as err:
        client.deployments.create(
            deployment_id=deployment_id,
            base_model=base_model,
            accelerator_type="NVIDIA_B200_180GB",
            accelerator_count=8,
            min_replica_count=3,
            max_replica_count=3,
        )
    assert "quota" in err.value.message.lower(), err.value.message
    posts = [s for s in recorder.since(mark) if s.method == "POST"]
    assert len(posts) == 1, "a quota refusal is final: it must carry `x-should-retry: false`"
    with pytest.raises(fireworks.NotFoundError):
        client.deployments.get(deployment_id)
