"""Datasets through `client.datasets`: create, the signed-URL upload protocol (driven through the
raw endpoints, because the client's high-level helper insists on https URLs), the multipart
`:upload`, validation, download URLs, list, update and delete."""

from __future__ import annotations

import fireworks
import httpx
import pytest

from conftest import CHAT_LINES, Ids, Settings, assert_status_body, jsonl, wait_gone, wait_until


def put_signed(url: str, content: bytes, declared: int | None = None) -> httpx.Response:
    size = len(content) if declared is None else declared
    return httpx.put(
        url,
        content=content,
        headers={
            "Content-Type": "application/octet-stream",
            "X-Goog-Content-Length-Range": f"{size},{size}",
        },
    )


def test_signed_url_upload_to_ready(client: fireworks.Fireworks, settings: Settings, new_id: Ids) -> None:
    dataset_id = new_id("ds-up")
    content = jsonl(CHAT_LINES)
    created = client.datasets.create(
        dataset_id=dataset_id,
        dataset={"user_uploaded": {}, "example_count": str(len(CHAT_LINES)), "display_name": "upload", "format": "CHAT"},
    )
    assert created.name == f"accounts/{settings.account}/datasets/{dataset_id}"
    assert created.state == "UPLOADING", created.state
    assert created.example_count == str(len(CHAT_LINES))
    # 64-bit integers travel as JSON strings.
    raw = client.datasets.with_raw_response.get(dataset_id).http_response.json()
    assert raw["exampleCount"] == str(len(CHAT_LINES)), raw

    urls = client.datasets.get_upload_endpoint(
        dataset_id, filename_to_size={"train.jsonl": str(len(content))}
    ).filename_to_signed_urls
    assert urls is not None and set(urls) == {"train.jsonl"}, urls
    url = urls["train.jsonl"]
    assert url.startswith(("http://", "https://")), url

    # The upload URL is signed: no Fireworks credentials go with the PUT.
    put = put_signed(url, content)
    assert put.status_code == 200, f"{put.status_code}: {put.text}"
    assert client.datasets.get(dataset_id).state == "UPLOADING", "landing bytes alone does not validate"

    assert client.datasets.validate_upload(dataset_id, body={}) == {}
    ready = wait_until(
        f"dataset {dataset_id} to be READY",
        lambda: client.datasets.get(dataset_id),
        lambda d: d.state == "READY",
        settings.wait_secs,
    )
    assert ready.display_name == "upload"

    down = client.datasets.get_download_endpoint(dataset_id).filename_to_signed_urls
    assert down and len(down) == 1, down
    fetched = httpx.get(next(iter(down.values())))
    assert fetched.status_code == 200 and fetched.content == content


def test_signed_put_with_a_wrong_length_is_refused(
    client: fireworks.Fireworks, new_id: Ids
) -> None:
    dataset_id = new_id("ds-badput")
    content = jsonl(CHAT_LINES)
    client.datasets.create(dataset_id=dataset_id, dataset={"user_uploaded": {}, "example_count": "4"})
    urls = client.datasets.get_upload_endpoint(
        dataset_id, filename_to_size={"train.jsonl": str(len(content))}
    ).filename_to_signed_urls
    assert urls
    short = put_signed(urls["train.jsonl"], content[:-5])
    assert 400 <= short.status_code < 500, f"a PUT shorter than registered answered {short.status_code}"
    wrong_range = put_signed(urls["train.jsonl"], content, declared=len(content) + 1)
    assert 400 <= wrong_range.status_code < 500, f"a PUT with a wrong range answered {wrong_range.status_code}"


def test_validate_refuses_an_empty_file(client: fireworks.Fireworks, new_id: Ids) -> None:
    dataset_id = new_id("ds-empty")
    client.datasets.create(dataset_id=dataset_id, dataset={"user_uploaded": {}, "example_count": "0"})
    urls = client.datasets.get_upload_endpoint(dataset_id, filename_to_size={"empty.jsonl": "0"}).filename_to_signed_urls
    assert urls
    put_signed(urls["empty.jsonl"], b"")
    with pytest.raises(fireworks.BadRequestError) as err:
        client.datasets.validate_upload(dataset_id, body={})
    assert_status_body(err.value, 9)
    assert client.datasets.get(dataset_id).state == "UPLOADING"


def test_multipart_upload_then_validate(client: fireworks.Fireworks, settings: Settings, new_id: Ids) -> None:
    dataset_id = new_id("ds-multi")
    content = jsonl(CHAT_LINES)
    client.datasets.create(dataset_id=dataset_id, dataset={"user_uploaded": {}, "example_count": "4"})
    uploaded = client.datasets.upload(dataset_id, file=("train.jsonl", content, "application/jsonl"))
    assert uploaded.bytes == len(content), uploaded
    assert uploaded.filename == "train.jsonl", uploaded
    assert uploaded.object == "file", uploaded
    client.datasets.validate_upload(dataset_id, body={})
    wait_until(
        f"dataset {dataset_id} to be READY",
        lambda: client.datasets.get(dataset_id),
        lambda d: d.state == "READY",
        settings.wait_secs,
    )


def test_list_update_delete(client: fireworks.Fireworks, settings: Settings, new_id: Ids, run_tag: str) -> None:
    ids = [new_id("ds-list") for _ in range(3)]
    display = f"{run_tag}-dslist"
    for dataset_id in ids:
        client.datasets.create(
            dataset_id=dataset_id, dataset={"user_uploaded": {}, "example_count": "1", "display_name": display}
        )
    listed = [d.name.rsplit("/", 1)[1] for d in client.datasets.list(page_size=1, filter=f'display_name="{display}"')]
    assert sorted(listed) == sorted(ids), listed

    updated = client.datasets.update(ids[0], display_name=f"{display}-renamed")
    assert updated.display_name == f"{display}-renamed"
    assert client.datasets.get(ids[0]).display_name == f"{display}-renamed"

    for dataset_id in ids:
        assert client.datasets.delete(dataset_id) == {}
    for dataset_id in ids:
        wait_gone(f"dataset {dataset_id}", lambda: client.datasets.get(dataset_id), settings.wait_secs)


def test_duplicate_and_missing(client: fireworks.Fireworks, settings: Settings, new_id: Ids) -> None:
    dataset_id = new_id("ds-dup")
    client.datasets.create(dataset_id=dataset_id, dataset={"user_uploaded": {}, "example_count": "1"})
    with pytest.raises(fireworks.ConflictError) as err:
        client.datasets.create(dataset_id=dataset_id, dataset={"user_uploaded": {}, "example_count": "1"})
    assert err.value.response.headers.get("x-should-retry") == "false"
    with pytest.raises(fireworks.NotFoundError):
        client.datasets.get(new_id("ds-missing"))

