"""Fixtures of the conformance suite: the official `fireworks-ai` client pointed at a running
fireform emulator, a request recorder, unique ids, polling, and shared resources that take time
to build (a READY dataset, a base model, a PEFT model trained by an SFT job).

The suite talks to the server only through the official client (plus plain httpx for the signed
upload URL, which is what the client's own upload helper does). It never starts a server itself:
`crates/fireform-emulator/tests/conformance.rs` does that, or you do by hand (see README.md).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, TypeVar

import fireworks
import httpx
import pytest

T = TypeVar("T")

BASE_URL_ENV = "FIREFORM_CONFORMANCE_BASE_URL"
API_KEY_ENV = "FIREWORKS_API_KEY"
ACCOUNT_ENV = "FIREWORKS_ACCOUNT_ID"
WAIT_ENV = "FIREFORM_CONFORMANCE_WAIT_SECS"

# The emulator's documented defaults (`fireform local serve` with no flags).
DEFAULT_API_KEY = "fireform-local-key"
DEFAULT_ACCOUNT = "fireform-local"

TESTED_CLIENT_VERSION = "1.2.30"


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(BASE_URL_ENV):
        raise pytest.UsageError(
            f"{BASE_URL_ENV} is not set: point it at a running fireform emulator, e.g. "
            f"{BASE_URL_ENV}=http://127.0.0.1:8080 (see tests/conformance/README.md)"
        )
    if fireworks.__version__ != TESTED_CLIENT_VERSION:
        raise pytest.UsageError(
            f"fireworks-ai {fireworks.__version__} is installed; this suite pins "
            f"{TESTED_CLIENT_VERSION}: run `bash .ci/setup.d/python.sh`"
        )


@dataclass
class Settings:
    base_url: str
    api_key: str
    account: str
    wait_secs: float


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(
        base_url=os.environ[BASE_URL_ENV].rstrip("/"),
        api_key=os.environ.get(API_KEY_ENV, DEFAULT_API_KEY),
        account=os.environ.get(ACCOUNT_ENV, DEFAULT_ACCOUNT),
        wait_secs=float(os.environ.get(WAIT_ENV, "60")),
    )


@dataclass
class Sent:
    """One HTTP request the official client put on the wire, and the answer it got."""

    method: str
    path: str
    query: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Recorder:
    """Records every request the official client sends (retries included), through httpx event
    hooks on the client's own transport, so tests can count what really went over the wire."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[Sent] = []

    def on_request(self, request: httpx.Request) -> None:
        with self._lock:
            self.sent.append(
                Sent(
                    method=request.method,
                    path=request.url.path,
                    query=request.url.query.decode(),
                    headers={k.lower(): v for k, v in request.headers.items()},
                )
            )

    def on_response(self, response: httpx.Response) -> None:
        with self._lock:
            for sent in reversed(self.sent):
                if sent.status is None and sent.path == response.request.url.path:
                    sent.status = response.status_code
                    break

    def mark(self) -> int:
        with self._lock:
            return len(self.sent)

    def since(self, mark: int) -> list[Sent]:
        with self._lock:
            return list(self.sent[mark:])


def make_client(
    settings: Settings,
    recorder: Recorder | None = None,
    *,
    api_key: str | None = None,
    account: str | None = None,
) -> fireworks.Fireworks:
    hooks: dict[str, list[Callable[..., Any]]] = {"request": [], "response": []}
    if recorder is not None:
        hooks["request"].append(recorder.on_request)
        hooks["response"].append(recorder.on_response)
    return fireworks.Fireworks(
        api_key=api_key if api_key is not None else settings.api_key,
        account_id=account if account is not None else settings.account,
        base_url=settings.base_url,
        # The client's own defaults (timeouts, connection limits, redirects) plus our hooks.
        http_client=fireworks.DefaultHttpxClient(event_hooks=hooks),
        # Default retry policy (2 retries), as users get it: tests prove the server never makes
        # the client re-send a create.
        max_retries=fireworks.DEFAULT_MAX_RETRIES,
        # Validate every response against the client's pydantic models: a 64-bit integer sent as
        # a JSON number, or a field of the wrong type, fails the test instead of passing silently.
        _strict_response_validation=True,
    )


@pytest.fixture(scope="session")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="session")
def client(settings: Settings, recorder: Recorder) -> Iterator[fireworks.Fireworks]:
    c = make_client(settings, recorder)
    yield c
    c.close()


@pytest.fixture(scope="session")
def run_tag() -> str:
    """A short random tag making this run's ids unique, so the suite can run repeatedly against
    one long-lived server (ids must match `^[a-z0-9-]+$`)."""
    return "cf" + secrets.token_hex(3)


class Ids:
    def __init__(self, tag: str) -> None:
        self._tag = tag
        self._n = 0

    def __call__(self, what: str) -> str:
        self._n += 1
        return f"{self._tag}-{what}-{self._n}"


@pytest.fixture(scope="session")
def new_id(run_tag: str) -> Ids:
    return Ids(run_tag)


def wait_until(
    what: str,
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    timeout: float,
    interval: float = 0.05,
) -> T:
    """Polls `fetch` until `done` holds or the deadline passes; the failure names the last value."""
    deadline = time.monotonic() + timeout
    last = fetch()
    while not done(last):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last seen: {last!r}")
        time.sleep(interval)
        last = fetch()
    return last


def wait_gone(what: str, get: Callable[[], Any], timeout: float) -> None:
    """Polls `get` until it raises NotFoundError (404)."""

    def fetch() -> Any:
        try:
            return get()
        except fireworks.NotFoundError:
            return None

    wait_until(f"{what} to be gone (404)", fetch, lambda v: v is None, timeout)


def error_body(err: fireworks.APIStatusError) -> dict[str, Any]:
    """The decoded error body, which the reference fixes as `{code, message, details}`."""
    body = json.loads(err.response.text)
    assert isinstance(body, dict), f"error body is not a JSON object: {err.response.text!r}"
    return body


def assert_status_body(err: fireworks.APIStatusError, code: int) -> None:
    body = error_body(err)
    assert body.get("code") == code, f"error body code: want {code}, got {body!r}"
    assert isinstance(body.get("message"), str) and body["message"], f"error body lacks a message: {body!r}"
    assert isinstance(body.get("details", []), list), f"error body details is not a list: {body!r}"


# ---------------------------------------------------------------------------------------------
# Shared, slow-to-build resources
# ---------------------------------------------------------------------------------------------

CHAT_LINES = [
    {"messages": [{"role": "user", "content": f"say {i}"}, {"role": "assistant", "content": str(i)}]}
    for i in range(4)
]


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    return ("\n".join(json.dumps(line) for line in lines) + "\n").encode()


@pytest.fixture(scope="session")
def base_model(client: fireworks.Fireworks) -> str:
    """A LoRA-capable base model from the server's public catalog (`accounts/fireworks/models`)."""
    models = list(client.models.list(account_id="fireworks", page_size=200))
    assert models, "the public catalog (accounts/fireworks/models) is empty"
    for m in models:
        if m.kind == "HF_BASE_MODEL" and m.supports_lora and m.name:
            return m.name
    raise AssertionError(
        "no base model with kind HF_BASE_MODEL and supportsLora in the public catalog: "
        + ", ".join(f"{m.name} ({m.kind})" for m in models)
    )


def upload_dataset(
    client: fireworks.Fireworks, settings: Settings, dataset_id: str, content: bytes
) -> None:
    """Creates a dataset and lands `content` through the signed-URL protocol, then validates it."""
    client.datasets.create(
        dataset_id=dataset_id,
        dataset={"user_uploaded": {}, "example_count": str(content.count(b"\n")), "format": "CHAT"},
    )
    urls = client.datasets.get_upload_endpoint(
        dataset_id, filename_to_size={"train.jsonl": str(len(content))}
    ).filename_to_signed_urls
    assert urls and "train.jsonl" in urls, f"no signed URL for train.jsonl: {urls!r}"
    put = httpx.put(
        urls["train.jsonl"],
        content=content,
        headers={
            "Content-Type": "application/octet-stream",
            "X-Goog-Content-Length-Range": f"{len(content)},{len(content)}",
        },
    )
    assert put.status_code == 200, f"PUT to the signed URL answered {put.status_code}: {put.text}"
    client.datasets.validate_upload(dataset_id, body={})


@pytest.fixture(scope="session")
def ready_dataset(client: fireworks.Fireworks, settings: Settings, new_id: Ids) -> str:
    """The full resource name of a READY dataset holding a few chat examples."""
    dataset_id = new_id("ds")
    upload_dataset(client, settings, dataset_id, jsonl(CHAT_LINES))
    ds = wait_until(
        f"dataset {dataset_id} to be READY",
        lambda: client.datasets.get(dataset_id),
        lambda d: d.state == "READY",
        settings.wait_secs,
    )
    assert ds.name == f"accounts/{settings.account}/datasets/{dataset_id}"
    return ds.name


@pytest.fixture(scope="session")
def peft_model(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, ready_dataset: str, base_model: str
) -> str:
    """The full name of a PEFT addon produced the way users get one: an SFT job run to COMPLETED."""
    job_id = new_id("sft-peft")
    output = new_id("peft")
    client.supervised_fine_tuning_jobs.create(
        supervised_fine_tuning_job_id=job_id,
        dataset=ready_dataset,
        base_model=base_model,
        output_model=output,
        lora_rank=8,
        epochs=1,
    )
    job = wait_until(
        f"SFT job {job_id} to complete",
        lambda: client.supervised_fine_tuning_jobs.get(job_id),
        lambda j: j.state in ("JOB_STATE_COMPLETED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"),
        settings.wait_secs,
    )
    assert job.state == "JOB_STATE_COMPLETED", f"SFT job ended {job.state}: {job.status!r}"
    model = client.models.get(output)
    name = f"accounts/{settings.account}/models/{output}"
    assert model.name == name
    assert model.kind == "HF_PEFT_ADDON", f"SFT output model kind is {model.kind}"
    assert model.peft_details is not None and model.peft_details.base_model == base_model, (
        f"SFT output model's peftDetails.baseModel is not {base_model}: {model.peft_details!r}"
    )
    return name


# ---------------------------------------------------------------------------------------------
# The emulator's own view: its audit log of mutating requests
# ---------------------------------------------------------------------------------------------


class Audit:
    """Reads the emulator's audit log (`GET /_emulator/audit`, an emulator-only admin route) to
    prove from the server's side what the client's retries did."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def entries(self) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self._settings.base_url}/_emulator/audit",
            headers={"Authorization": f"Bearer {self._settings.api_key}"},
        )
        assert response.status_code == 200, (
            f"GET /_emulator/audit answered {response.status_code}: {response.text}"
        )
        body = response.json()
        entries = body.get("entries") if isinstance(body, dict) else body
        assert isinstance(entries, list), f"unexpected audit log shape: {body!r}"
        return entries

    def creates(self, collection: str, resource_id: str) -> list[dict[str, Any]]:
        """Every POST to the collection that named `resource_id` (in the query or as the
        resulting resource), oldest first."""
        prefix = f"/v1/accounts/{self._settings.account}/{collection}"
        name = f"accounts/{self._settings.account}/{collection}/{resource_id}"
        found = []
        for entry in self.entries():
            path = entry.get("path", "")
            if entry.get("method") != "POST" or path.split("?", 1)[0] != prefix:
                continue
            if entry.get("resource") == name or f"={resource_id}" in path:
                found.append(entry)
        return found


@pytest.fixture(scope="session")
def audit(settings: Settings) -> Audit:
    return Audit(settings)
