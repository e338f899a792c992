"""The official client's retry policy against the emulator's injected trouble: a 429 with
`Retry-After` and a 503 are retried (the attempt number travels in `x-stainless-retry-count`)
and surface as the documented exceptions once retries run out, and trouble switched off at run
time through the emulator's admin route takes effect at once.

Trouble is global to the server, so each test switches it off again, even when it fails."""

from __future__ import annotations

from typing import Any, Iterator

import fireworks
import httpx
import pytest

from conftest import Recorder, Settings, make_client


class TroubleSwitch:
    def __init__(self, settings: Settings) -> None:
        self._url = f"{settings.base_url}/_emulator/trouble"
        self._auth = {"Authorization": f"Bearer {settings.api_key}"}

    def set(self, **trouble: Any) -> None:
        response = httpx.put(self._url, json=trouble, headers=self._auth)
        assert response.status_code == 200, f"PUT /_emulator/trouble answered {response.status_code}: {response.text}"


@pytest.fixture
def trouble(settings: Settings) -> Iterator[TroubleSwitch]:
    switch = TroubleSwitch(settings)
    yield switch
    switch.set()


def test_429_is_retried_after_retry_after_then_raised(settings: Settings, trouble: TroubleSwitch) -> None:
    recorder = Recorder()
    trouble.set(error429=1.0, retryAfterSecs=1)
    with make_client(settings, recorder).with_options(max_retries=1) as c:
        with pytest.raises(fireworks.RateLimitError) as err:
            c.datasets.list()
    assert err.value.status_code == 429
    assert err.value.response.headers.get("retry-after") == "1"
    assert [s.headers.get("x-stainless-retry-count") for s in recorder.sent] == ["0", "1"]


def test_503_is_retried_and_recovers_when_trouble_stops(settings: Settings, trouble: TroubleSwitch) -> None:
    recorder = Recorder()
    trouble.set(error503=1.0)
    with make_client(settings, recorder).with_options(max_retries=1) as c:
        with pytest.raises(fireworks.InternalServerError) as err:
            c.deployments.list()
        assert err.value.status_code == 503
        assert len(recorder.sent) == 2, "one try and one retry"
        trouble.set()
        assert c.deployments.list(page_size=1) is not None
