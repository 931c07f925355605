"""The Jobs API endpoints the Go client's job tests leave out (dispatch, stability, version tags
and diffs, deployments, services), through nomadpy as the Go client calls them: PUT verbs,
path-escaped IDs, the dispatch payload as base64."""

import base64
import time

from nomadpy.jobs import Job, ParameterizedJobConfig, UpdateStrategy
from nomadpy.services import Service

from test_jobs_api import batch_job, fails_with, group, is_uuid, task


def eventually(read, ready, timeout=20.0):
    """Reads until `ready(value)`: simulated clients run allocations a little after placement."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ready(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def parameterized_job() -> Job:
    job = batch_job("report")
    job.parameterized_job = ParameterizedJobConfig(payload="optional", meta_required=["day"])
    return job


def test_dispatch(client):
    err = fails_with(client.jobs.dispatch, "report", {"day": "mon"})
    assert (err.status_code, err.body) == (500, "parameterized job not found")
    client.jobs.register(parameterized_job())
    err = fails_with(client.jobs.dispatch, "report", {})
    assert err.body == "Dispatch did not provide required meta keys: [day]"
    resp, wm = client.jobs.dispatch("report", {"day": "mon"}, payload=b"numbers")
    assert resp.dispatched_job_id.startswith("report/dispatch-")
    assert is_uuid(resp.eval_id)
    assert wm.last_index > 0
    child, _ = client.jobs.info(resp.dispatched_job_id)
    assert (child.parent_id, child.dispatched, child.meta) == ("report", True, {"day": "mon"})
    # Nomad stores the payload compressed and reads it back as it was sent.
    assert base64.b64decode(child.payload) == b"numbers"
    summary, _ = client.jobs.summary("report")
    assert summary.children.sum() == 1


def test_stable(client):
    job = batch_job()
    client.jobs.register(job)
    job.meta = {"v": "1"}
    client.jobs.register(job)
    # Nomad answers `{Index}` only, whatever the documentation's sample shows.
    _, wm = client.jobs.stable("job1", 0, True)
    assert wm.last_index > 0
    versions, _, _ = client.jobs.versions("job1")
    assert [(v.version, v.stable) for v in versions] == [(1, False), (0, True)]


def test_version_tags_and_diffs(client):
    job = batch_job()
    client.jobs.register(job)
    job.meta = {"v": "1"}
    client.jobs.register(job)
    client.jobs.tag_version("job1", "golden", version=0, description="the first one")
    tagged, _ = client.jobs.version_by_tag("job1", "golden")
    assert (tagged.version, tagged.version_tag.description) == (0, "the first one")
    versions, diffs, _ = client.jobs.versions("job1", diffs=True, diff_tag="golden")
    # Every version is diffed against the tagged one, itself included.
    assert [v.version for v in versions] == [1, 0]
    assert [d.type for d in diffs] == ["Edited", "None"]
    assert [(f.type, f.name, f.old, f.new) for f in diffs[0].fields] == [("Added", "Meta[v]", "", "1")]
    client.jobs.untag_version("job1", "golden")
    versions, _, _ = client.jobs.versions("job1")
    assert all(v.version_tag is None for v in versions)


def placed_service_job() -> Job:
    """A service job the simulated node (in datacenter `elsewhere`) can run, with a deployment
    and a Nomad service."""
    t = task(driver="exec")
    t.services = [Service(name="web", provider="nomad", port_label="")]
    g = group(count=2, t=t)
    return Job(id="web", name="web", type="service", datacenters=["elsewhere"], task_groups=[g],
               update=UpdateStrategy(max_parallel=1))


def test_allocations_deployments_and_services(client):
    resp, _ = client.jobs.register(placed_service_job())
    allocs, qm = eventually(lambda: client.jobs.allocations("web"),
                            lambda r: len(r[0]) == 2 and all(a.client_status == "running" for a in r[0]))
    assert qm.last_index > 0
    assert sorted(a.name for a in allocs) == ["web.group1[0]", "web.group1[1]"]
    assert {a.eval_id for a in allocs} == {resp.eval_id}
    deployments, _ = client.jobs.deployments("web")
    latest, _ = client.jobs.latest_deployment("web")
    assert [d.id for d in deployments] == [latest.id]
    assert latest.task_groups["group1"].desired_total == 2
    services, _ = eventually(lambda: client.jobs.services("web"), lambda r: len(r[0]) == 2)
    assert sorted(s.alloc_id for s in services) == sorted(a.id for a in allocs)
    assert {(s.service_name, s.job_id, s.datacenter) for s in services} == {("web", "web", "elsewhere")}
