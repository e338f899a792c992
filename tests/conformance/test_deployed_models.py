"""Deployed models (LoRA load/unload) through `client.lora`: load a PEFT addon trained by an SFT
job onto a deployment with `enableAddons`, get, list with a `model` filter, update, unload, and the
preconditions the service enforces."""

from __future__ import annotations

from typing import Iterator

import fireworks
import pytest

from conftest import Ids, Settings, assert_status_body, wait_gone, wait_until

SMALL = dict(accelerator_type="NVIDIA_H100_80GB", accelerator_count=1, min_replica_count=0, max_replica_count=1)


@pytest.fixture(scope="module")
def addon_deployment(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, base_model: str
) -> Iterator[str]:
    """A READY deployment of the base model with addons enabled; its full resource name."""
    deployment_id = new_id("dep-addons")
    client.deployments.create(deployment_id=deployment_id, base_model=base_model, enable_addons=True, **SMALL)
    ready = wait_until(
        f"deployment {deployment_id} to be READY",
        lambda: client.deployments.get(deployment_id),
        lambda d: d.state == "READY",
        settings.wait_secs,
    )
    assert ready.name
    yield ready.name
    client.deployments.delete(deployment_id, hard=True, ignore_checks=True)


def test_load_get_list_update_unload(
    client: fireworks.Fireworks, settings: Settings, peft_model: str, addon_deployment: str
) -> None:
    loaded = client.lora.load(model=peft_model, deployment=addon_deployment, display_name="conformance lora")
    assert loaded.name and loaded.name.startswith(f"accounts/{settings.account}/deployedModels/"), loaded.name
    deployed_model_id = loaded.name.rsplit("/", 1)[1]
    assert deployed_model_id, "the server generates the deployed model id"
    assert loaded.model == peft_model
    assert loaded.deployment == addon_deployment
    assert loaded.state in ("DEPLOYING", "DEPLOYED"), loaded.state

    deployed = wait_until(
        f"deployed model {deployed_model_id} to be DEPLOYED",
        lambda: client.lora.get(deployed_model_id),
        lambda m: m.state == "DEPLOYED",
        settings.wait_secs,
    )
    assert deployed.display_name == "conformance lora"

    found = list(client.lora.list(filter=f'model="{peft_model}"'))
    assert [m.name for m in found] == [loaded.name], [m.name for m in found]
    assert found[0].deployment == addon_deployment
    assert list(client.lora.list(filter='model="accounts/nobody/models/nothing"')) == []

    # The reverse link on the model.
    refs = client.models.get(peft_model.rsplit("/", 1)[1]).deployed_model_refs or []
    assert [r.deployment for r in refs] == [addon_deployment], refs

    updated = client.lora.update(deployed_model_id, display_name="renamed")
    assert updated.display_name == "renamed"
    assert client.lora.get(deployed_model_id).display_name == "renamed"

    assert client.lora.unload(deployed_model_id) == {}
    wait_gone(f"deployed model {deployed_model_id}", lambda: client.lora.get(deployed_model_id), settings.wait_secs)
    assert list(client.lora.list(filter=f'model="{peft_model}"')) == []


def test_load_needs_enable_addons(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, base_model: str, peft_model: str
) -> None:
    deployment_id = new_id("dep-noaddons")
    client.deployments.create(deployment_id=deployment_id, base_model=base_model, **SMALL)
    try:
        wait_until(
            f"deployment {deployment_id} to be READY",
            lambda: client.deployments.get(deployment_id),
            lambda d: d.state == "READY",
            settings.wait_secs,
        )
        with pytest.raises(fireworks.BadRequestError) as err:
            client.lora.load(model=peft_model, deployment=f"accounts/{settings.account}/deployments/{deployment_id}")
        assert_status_body(err.value, 9)
        assert list(client.lora.list(filter=f'model="{peft_model}"')) == []
    finally:
        client.deployments.delete(deployment_id, hard=True)


def test_load_of_a_missing_model_is_refused(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, addon_deployment: str
) -> None:
    missing = f"accounts/{settings.account}/models/{new_id('no-model')}"
    with pytest.raises((fireworks.NotFoundError, fireworks.BadRequestError)):
        client.lora.load(model=missing, deployment=addon_deployment)


def test_get_missing_deployed_model(client: fireworks.Fireworks, new_id: Ids) -> None:
    with pytest.raises(fireworks.NotFoundError) as err:
        client.lora.get(new_id("dm-missing"))
    assert_status_body(err.value, 5)
