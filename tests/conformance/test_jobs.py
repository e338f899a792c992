"""Supervised fine-tuning jobs and batch inference jobs through `client.supervised_fine_tuning_jobs`
and `client.batch_inference_jobs`: create with a client id, get, list, cancel, delete, and the
rules the service enforces on their inputs."""

from __future__ import annotations

import fireworks
import pytest

from conftest import Ids, Recorder, Settings, assert_status_body, wait_gone, wait_until

DONE = ("JOB_STATE_COMPLETED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED")


def test_sft_create_get_list_delete(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, ready_dataset: str, base_model: str
) -> None:
    job_id = new_id("sft")
    output = new_id("sft-out")
    job = client.supervised_fine_tuning_jobs.create(
        supervised_fine_tuning_job_id=job_id,
        dataset=ready_dataset,
        base_model=base_model,
        output_model=output,
        display_name="conformance sft",
        epochs=2,
        learning_rate=0.0001,
        lora_rank=16,
    )
    name = f"accounts/{settings.account}/supervisedFineTuningJobs/{job_id}"
    assert job.name == name
    assert job.dataset == ready_dataset
    assert job.base_model == base_model
    assert job.epochs == 2 and job.lora_rank == 16
    assert job.state is not None and job.state not in ("JOB_STATE_FAILED", "JOB_STATE_UNSPECIFIED"), job.state
    assert job.create_time is not None

    got = client.supervised_fine_tuning_jobs.get(job_id)
    assert got.name == name and got.display_name == "conformance sft"

    names = [j.name for j in client.supervised_fine_tuning_jobs.list(page_size=1)]
    assert name in names, names
    assert len(names) == len(set(names)), f"a job was listed twice across pages: {names}"

    done = wait_until(
        f"SFT job {job_id} to finish",
        lambda: client.supervised_fine_tuning_jobs.get(job_id),
        lambda j: j.state in DONE,
        settings.wait_secs,
    )
    assert done.state == "JOB_STATE_COMPLETED", done
    assert done.completed_time is not None
    assert done.output_model in (output, f"accounts/{settings.account}/models/{output}"), done.output_model
    assert client.models.get(output).kind == "HF_PEFT_ADDON"

    assert client.supervised_fine_tuning_jobs.delete(job_id) == {}
    wait_gone(f"SFT job {job_id}", lambda: client.supervised_fine_tuning_jobs.get(job_id), settings.wait_secs)


def test_sft_cancel(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, ready_dataset: str, base_model: str
) -> None:
    job_id = new_id("sft-cancel")
    client.supervised_fine_tuning_jobs.create(
        supervised_fine_tuning_job_id=job_id, dataset=ready_dataset, base_model=base_model, output_model=job_id
    )
    try:
        client.supervised_fine_tuning_jobs.cancel(job_id, body={})
    except fireworks.BadRequestError as err:
        # With instant timings the job may already be COMPLETED: cancelling it is then refused.
        assert_status_body(err, 9)
        assert client.supervised_fine_tuning_jobs.get(job_id).state == "JOB_STATE_COMPLETED"
        return
    job = wait_until(
        f"SFT job {job_id} to be cancelled",
        lambda: client.supervised_fine_tuning_jobs.get(job_id),
        lambda j: j.state in DONE,
        settings.wait_secs,
    )
    assert job.state == "JOB_STATE_CANCELLED", job.state


def test_sft_needs_a_ready_dataset(
    client: fireworks.Fireworks, new_id: Ids, base_model: str, settings: Settings
) -> None:
    missing = f"accounts/{settings.account}/datasets/{new_id('ds-missing')}"
    job_id = new_id("sft-nods")
    with pytest.raises((fireworks.BadRequestError, fireworks.NotFoundError)):
        client.supervised_fine_tuning_jobs.create(
            supervised_fine_tuning_job_id=job_id, dataset=missing, base_model=base_model
        )
    with pytest.raises(fireworks.NotFoundError):
        client.supervised_fine_tuning_jobs.get(job_id)

    uploading = new_id("ds-uploading")
    client.datasets.create(dataset_id=uploading, dataset={"user_uploaded": {}, "example_count": "1"})
    with pytest.raises(fireworks.BadRequestError) as err:
        client.supervised_fine_tuning_jobs.create(
            supervised_fine_tuning_job_id=job_id,
            dataset=f"accounts/{settings.account}/datasets/{uploading}",
            base_model=base_model,
        )
    assert_status_body(err.value, 9)


def test_sft_refuses_an_existing_output_model(
    client: fireworks.Fireworks, new_id: Ids, ready_dataset: str, base_model: str, peft_model: str
) -> None:
    taken = peft_model.rsplit("/", 1)[1]
    with pytest.raises((fireworks.BadRequestError, fireworks.ConflictError)):
        client.supervised_fine_tuning_jobs.create(
            supervised_fine_tuning_job_id=new_id("sft-taken"),
            dataset=ready_dataset,
            base_model=base_model,
            output_model=taken,
        )


def test_sft_duplicate_id_is_a_conflict_sent_once(
    client: fireworks.Fireworks, recorder: Recorder, new_id: Ids, ready_dataset: str, base_model: str
) -> None:
    job_id = new_id("sft-dup")
    client.supervised_fine_tuning_jobs.create(
        supervised_fine_tuning_job_id=job_id, dataset=ready_dataset, base_model=base_model, output_model=job_id
    )
    mark = recorder.mark()
    with pytest.raises(fireworks.ConflictError) as err:
        client.supervised_fine_tuning_jobs.create(
            supervised_fine_tuning_job_id=job_id, dataset=ready_dataset, base_model=base_model, output_model=job_id
        )
    assert_status_body(err.value, 6)
    assert len([s for s in recorder.since(mark) if s.method == "POST"]) == 1


def test_batch_create_get_list_delete(
    client: fireworks.Fireworks, settings: Settings, new_id: Ids, ready_dataset: str, base_model: str
) -> None:
    job_id = new_id("batch")
    output = f"accounts/{settings.account}/datasets/{new_id('batch-out')}"
    job = client.batch_inference_jobs.create(
        batch_inference_job_id=job_id,
        model=base_model,
        input_dataset_id=ready_dataset,
        output_dataset_id=output,
        display_name="conformance batch",
        inference_parameters={"max_tokens": 16, "temperature": 0.0, "n": 1},
    )
    name = f"accounts/{settings.account}/batchInferenceJobs/{job_id}"
    assert job.name == name
    assert job.model == base_model
    assert job.input_dataset_id == ready_dataset
    assert job.output_dataset_id == output
    assert job.inference_parameters is not None and job.inference_parameters.max_tokens == 16

    assert client.batch_inference_jobs.get(job_id).display_name == "conformance batch"
    names = [j.name for j in client.batch_inference_jobs.list(page_size=1)]
    assert name in names, names

    done = wait_until(
        f"batch job {job_id} to finish",
        lambda: client.batch_inference_jobs.get(job_id),
        lambda j: j.state in DONE,
        settings.wait_secs,
    )
    assert done.state == "JOB_STATE_COMPLETED", done

    assert client.batch_inference_jobs.delete(job_id) == {}
    wait_gone(f"batch job {job_id}", lambda: client.batch_inference_jobs.get(job_id), settings.wait_secs)
    with pytest.raises(fireworks.NotFoundError):
        client.batch_inference_jobs.get(new_id("batch-missing"))


def test_batch_duplicate_id_is_a_conflict(
    client: fireworks.Fireworks, recorder: Recorder, settings: Settings, new_id: Ids, ready_dataset: str, base_model: str
) -> None:
    job_id = new_id("batch-dup")
    fields = dict(model=base_model, input_dataset_id=ready_dataset)
    client.batch_inference_jobs.create(batch_inference_job_id=job_id, **fields)
    mark = recorder.mark()
    with pytest.raises(fireworks.ConflictError):
        client.batch_inference_jobs.create(batch_inference_job_id=job_id, **fields)
    assert len([s for s in recorder.since(mark) if s.method == "POST"]) == 1
