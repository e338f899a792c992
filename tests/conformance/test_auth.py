"""Authentication and account discovery through the official client: a wrong key is a 401 that
the client does not retry, and `GET /v1/accounts` shows the key's own account."""

from __future__ import annotations

import os

import fireworks
import pytest

from conftest import Recorder, Settings, assert_status_body, make_client


def test_wrong_key_is_unauthenticated(settings: Settings) -> None:
    recorder = Recorder()
    with make_client(settings, recorder, api_key="fw-not-the-key") as wrong:
        with pytest.raises(fireworks.AuthenticationError) as err:
            wrong.deployments.list()
    assert err.value.status_code == 401
    assert_status_body(err.value, 16)
    assert len(recorder.sent) == 1, "a 401 is not retried"
    assert recorder.sent[0].headers.get("authorization") == "Bearer fw-not-the-key"


def test_missing_authorization_is_unauthenticated(settings: Settings) -> None:
    recorder = Recorder()
    with make_client(settings, recorder) as c:
        # `omit` is the client's own way to drop a default header from one request.
        with pytest.raises(fireworks.AuthenticationError) as err:
            c.datasets.list(extra_headers={"Authorization": fireworks.omit})
    assert "authorization" not in recorder.sent[0].headers
    assert_status_body(err.value, 16)


def test_the_client_sends_bearer_auth(client: fireworks.Fireworks, recorder: Recorder, settings: Settings) -> None:
    mark = recorder.mark()
    client.deployments.list(page_size=1)
    sent = recorder.since(mark)
    assert len(sent) == 1
    assert sent[0].headers.get("authorization") == f"Bearer {settings.api_key}"
    assert sent[0].path == f"/v1/accounts/{settings.account}/deployments"
    assert sent[0].status == 200


def test_account_discovery(client: fireworks.Fireworks, settings: Settings) -> None:
    accounts = list(client.accounts.list(page_size=2))
    assert f"accounts/{settings.account}" in [a.name for a in accounts], accounts
    own = client.accounts.get(account_id=settings.account)
    assert own.name == f"accounts/{settings.account}"


def test_another_account_is_off_limits(client: fireworks.Fireworks) -> None:
    # A configured second account when the runner names one, else an unknown one: either way
    # this key must not reach it (403 or 404 are both documented).
    other = os.environ.get("FIREFORM_CONFORMANCE_OTHER_ACCOUNT", "someone-else")
    with pytest.raises((fireworks.PermissionDeniedError, fireworks.NotFoundError)):
        client.deployments.list(account_id=other)
    with pytest.raises((fireworks.PermissionDeniedError, fireworks.NotFoundError)):
        client.datasets.get("anything", account_id=other)
