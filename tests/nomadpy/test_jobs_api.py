"""The behaviours Nomad's Go client tests check on a real server (hashicorp/nomad
`api/jobs_test.go`), observed here through nomadpy, a Python port of that client: PUT verbs,
path-escaped job IDs, `X-Nomad-Index` and `X-Nomad-KnownLeader` on every answer, and job
payloads with every field present, null where unset."""

import re

import pytest

from nomadpy import QueryOptions, WriteOptions
from nomadpy.error_unexpected_response import UnexpectedResponseError
from nomadpy.jobs import Job, JobSubmission, PeriodicConfig
from nomadpy.namespace import Namespace
from nomadpy.resources import Resources
from nomadpy.scaling import ScalingPolicy
from nomadpy.tasks import EphemeralDisk, LogConfig, Task, TaskGroup

# A job ID that needs escaping in a URL path: a slash, a backslash, a colon, a newline, a query
# string and a non-ASCII character.
TROUBLESOME_ID = "job-id/with\\troublesome:characters\n?&字"


def task(driver="raw_exec", command="/bin/sleep", resources=True) -> Task:
    return Task(
        name="task1",
        driver=driver,
        config={"command": command},
        resources=Resources(cpu=100, memory_mb=256) if resources else None,
        log_config=LogConfig(max_files=1, max_file_size_mb=2),
    )


def group(name="group1", count=1, t=None) -> TaskGroup:
    return TaskGroup(name=name, count=count, tasks=[t or task()],
                     ephemeral_disk=EphemeralDisk(size_mb=25))


def batch_job(job_id="job1", groups=None) -> Job:
    """The Go tests' `testJob()`: a batch job of one group with one raw_exec task."""
    return Job(id=job_id, name="redis", type="batch", region="global", priority=1,
               datacenters=["dc1"], task_groups=groups or [group()])


def is_uuid(value: str) -> bool:
    """The shape Nomad's IDs have: 16 random bytes as 8-4-4-4-12 hex digits (no version bits)."""
    return re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value) is not None


def assert_write_meta(wm):
    assert wm.last_index > 0


def assert_query_meta(qm):
    assert qm.last_index != 0
    assert qm.known_leader


def fails_with(call, *args, **kwargs) -> UnexpectedResponseError:
    with pytest.raises(UnexpectedResponseError) as err:
        call(*args, **kwargs)
    return err.value


def test_register(client):
    jobs, _ = client.jobs.list()
    assert jobs == []
    job = batch_job()
    resp, wm = client.jobs.register(job)
    assert is_uuid(resp.eval_id)
    assert_write_meta(wm)
    jobs, qm = client.jobs.list()
    assert_query_meta(qm)
    assert [j.id for j in jobs] == ["job1"]


def scaled_job_counts(client, job_id="job1"):
    status, _ = client.jobs.scale_status(job_id)
    return {name: g.desired for name, g in status.task_groups.items()}


def test_register_preserve_counts(client):
    job = batch_job(groups=[group("group1", 1), group("group2", 2)])
    resp, wm = client.jobs.register(job)
    assert is_uuid(resp.eval_id)
    assert_write_meta(wm)
    job.task_groups[0].count = None
    job.task_groups[1].count = 0
    job.task_groups.append(group("group3", 3))
    client.jobs.register(job, preserve_counts=True)
    # Existing groups keep their counts; a new group takes the count of its spec.
    assert scaled_job_counts(client) == {"group1": 1, "group2": 2, "group3": 3}


def test_register_without_preserve_counts(client):
    job = batch_job(groups=[group("group1", 1), group("group2", 2)])
    client.jobs.register(job)
    job.task_groups[0].count = 0
    job.task_groups[1].count = None
    job.task_groups.append(group("group3", 3))
    client.jobs.register(job)
    status, _ = client.jobs.scale_status("job1")
    assert status.namespace == "default"
    # An explicit count is taken as given, a missing one defaults to 1.
    assert scaled_job_counts(client) == {"group1": 0, "group2": 1, "group3": 3}


@pytest.mark.parametrize("preserve, expected", [(True, (100, 300)), (False, (50, 128))])
def test_register_preserve_resources(client, preserve, expected):
    t = task(command="/bin/echo", resources=False)
    job = batch_job(groups=[group(t=t)])
    resp, wm = client.jobs.register(job)
    assert is_uuid(resp.eval_id)
    t.resources = Resources(cpu=50, memory_mb=128)
    client.jobs.register(job, preserve_resources=preserve)
    registered, _ = client.jobs.info("job1")
    resources = registered.task_groups[0].tasks[0].resources
    # Preserved: the defaults the first version got (100 MHz, 300 MB); else the new values.
    assert (resources.cpu, resources.memory_mb) == expected


@pytest.mark.parametrize("priority, expected", [(99, 99), (0, 1)])
def test_register_eval_priority(client, priority, expected):
    resp, _ = client.jobs.register(batch_job(), eval_priority=priority)
    evaluation, _ = client.evaluations.info(resp.eval_id)
    # Without an eval priority the evaluation takes the job's priority (1 here).
    assert evaluation.priority == expected


def test_validate(client):
    resp, _ = client.jobs.validate(batch_job())
    assert not resp.validation_errors
    resp, _ = client.jobs.validate(batch_job(job_id=None))
    assert resp.validation_errors


def test_enforce_register(client):
    job = batch_job()
    err = fails_with(client.jobs.register, job, enforce_index=True, modify_index=10)
    assert "Enforcing job modify index" in err.body
    # Index 0 means "register only if the job does not exist yet".
    resp, wm = client.jobs.register(job, enforce_index=True, modify_index=0)
    assert is_uuid(resp.eval_id)
    assert_write_meta(wm)
    jobs, qm = client.jobs.list()
    assert_query_meta(qm)
    assert [j.id for j in jobs] == ["job1"]
    current = jobs[0].job_modify_index
    err = fails_with(client.jobs.register, job, enforce_index=True, modify_index=123456)
    assert "Enforcing job modify index" in err.body
    resp, wm = client.jobs.register(job, enforce_index=True, modify_index=current)
    assert is_uuid(resp.eval_id)
    assert_write_meta(wm)


def test_revert(client):
    job = batch_job()
    client.jobs.register(job)
    job.meta = {"foo": "new"}
    client.jobs.register(job)
    err = fails_with(client.jobs.revert, "job1", 0, enforce_prior_version=10)
    assert "enforcing version" in err.body
    resp, wm = client.jobs.revert("job1", 0, enforce_prior_version=1)
    assert is_uuid(resp.eval_id)
    assert resp.eval_create_index > 0
    assert resp.job_modify_index > 0
    assert_write_meta(wm)


def test_info_with_an_id_that_needs_escaping(client):
    err = fails_with(client.jobs.info, TROUBLESOME_ID)
    assert "not found" in err.body
    _, wm = client.jobs.register(batch_job(TROUBLESOME_ID))
    assert_write_meta(wm)
    job, qm = client.jobs.info(TROUBLESOME_ID)
    assert_query_meta(qm)
    assert job.id == TROUBLESOME_ID


@pytest.mark.parametrize("job_id, group_name, status", [
    ("", "", 400),
    ("i-dont-exist", "", 400),
    ("i-dont-exist", "me-neither", 404),
])
def test_scale_refuses_a_bad_target(client, job_id, group_name, status):
    err = fails_with(client.jobs.scale, job_id, group_name, 1, "reason")
    assert err.status_code == status


def test_scale_unknown_group(client):
    client.jobs.register(batch_job("TestJobs_Scale"))
    err = fails_with(client.jobs.scale, "TestJobs_Scale", "incorrect-group-name", 2, "because")
    assert "does not exist" in err.body


def test_versions(client):
    err = fails_with(client.jobs.versions, "job1")
    assert "not found" in err.body
    client.jobs.register(batch_job())
    versions, diffs, qm = client.jobs.versions("job1")
    assert_query_meta(qm)
    assert [v.id for v in versions] == ["job1"]
    assert diffs == []


def submission(source, variables="", flags=None) -> JobSubmission:
    return JobSubmission(source=source, format="hcl2", variables=variables, variable_flags=flags)


def test_submission_versions(client):
    job = batch_job()
    job.task_groups[0].count = 0
    err = fails_with(client.jobs.submission, "job1", 0)
    assert "job source not found" in err.body
    flags = {"X": "x", "Y": "42", "Z": "true"}
    job.meta = {"v": "0"}
    client.jobs.register(job, submission=submission("the job source v0", "var file content", flags))
    job.meta = {"v": "1"}
    client.jobs.register(job, submission=submission("the job source v1", "different var content"))

    def check(version, source, variables, variable_flags):
        sub, _ = client.jobs.submission("job1", version)
        assert (sub.format, sub.source, sub.variables) == ("hcl2", source, variables)
        assert (sub.variable_flags or {}) == variable_flags

    check(1, "the job source v1", "different var content", {})
    check(0, "the job source v0", "var file content", flags)
    client.jobs.deregister("job1", purge=True, w=WriteOptions(namespace="default"))
    for version in (0, 1):
        err = fails_with(client.jobs.submission, "job1", version)
        assert "job source not found" in err.body


def in_namespace(name):
    return QueryOptions(namespace=name)


def test_submission_namespaces(client):
    for name in ("first", "second"):
        client.namespaces.register(Namespace(name=name, description=f"{name} namespace"))
    job = batch_job("common")
    job.task_groups[0].count = 0
    client.jobs.register(job, WriteOptions(namespace="first"), submission=submission("the job source"))

    def source(namespace, version=0):
        try:
            sub, _ = client.jobs.submission("common", version, in_namespace(namespace))
            return sub.source
        except UnexpectedResponseError as err:
            assert "not found" in err.body
            return None

    assert [source(ns) for ns in ("default", "first", "second")] == [None, "the job source", None]
    client.jobs.register(batch_job("common"), WriteOptions(namespace="second"),
                         submission=submission("second job source"))
    assert [source(ns) for ns in ("default", "first", "second")] == \
        [None, "the job source", "second job source"]
    assert [source(ns, 1) for ns in ("first", "second")] == [None, None]


def test_submission_purged_with_the_job(client):
    client.namespaces.register(Namespace(name="first", description="first namespace"))
    job = batch_job()
    job.task_groups[0].count = 0
    first = WriteOptions(namespace="first")
    for version in ("0", "1"):
        job.meta = {"version": version}
        client.jobs.register(job, first, submission=submission(f"the job source v{version}"))
    for version in (0, 1):
        sub, _ = client.jobs.submission("job1", version, in_namespace("first"))
        assert sub.source == f"the job source v{version}"
    client.jobs.deregister("job1", purge=True, w=first)
    for version in (0, 1):
        err = fails_with(client.jobs.submission, "job1", version, in_namespace("first"))
        assert "job source not found" in err.body


def test_prefix_list(client):
    jobs, _ = client.jobs.prefix_list("dummy")
    assert jobs == []
    client.jobs.register(batch_job())
    jobs, _ = client.jobs.prefix_list("j")
    assert [j.id for j in jobs] == ["job1"]


def test_allocations_and_evaluations_of_an_unknown_job(client):
    allocs, qm = client.jobs.allocations("job1", all_allocs=True)
    assert (allocs, qm.last_index) == ([], 0)
    evals, qm = client.jobs.evaluations("job1")
    assert (evals, qm.last_index) == ([], 0)


def test_evaluations(client):
    resp, _ = client.jobs.register(batch_job())
    evals, qm = client.jobs.evaluations("job1")
    assert_query_meta(qm)
    # Newest first: the registration's evaluation is the last one.
    assert evals[-1].id == resp.eval_id


def test_deregister(client):
    client.jobs.register(batch_job())
    # Stopping a job that does not exist is not an error.
    client.jobs.deregister("nope")
    eval_id, wm = client.jobs.deregister("job1")
    assert_write_meta(wm)
    assert is_uuid(eval_id)
    job, qm = client.jobs.info("job1")
    assert_query_meta(qm)
    assert job.stop
    eval_id, wm = client.jobs.deregister("job1", purge=True)
    assert_write_meta(wm)
    assert is_uuid(eval_id)
    jobs, qm = client.jobs.list()
    assert_query_meta(qm)
    assert jobs == []


@pytest.mark.parametrize("priority, expected", [(97, 97), (0, 1)])
def test_deregister_eval_priority(client, priority, expected):
    client.jobs.register(batch_job())
    eval_id, _ = client.jobs.deregister("job1", eval_priority=priority)
    assert is_uuid(eval_id)
    evaluation, _ = client.evaluations.info(eval_id)
    assert evaluation.priority == expected


def test_force_evaluate(client):
    err = fails_with(client.jobs.force_evaluate, "job1")
    assert "not found" in err.body
    client.jobs.register(batch_job())
    eval_id, wm = client.jobs.force_evaluate("job1")
    assert_write_meta(wm)
    evals, qm = client.jobs.evaluations("job1")
    assert_query_meta(qm)
    assert eval_id in [e.id for e in evals]


def test_periodic_force(client):
    err = fails_with(client.jobs.periodic_force, "job1")
    assert "not found" in err.body
    job = batch_job()
    job.periodic = PeriodicConfig(enabled=True, spec="*/30 * * * *", spec_type="cron")
    client.jobs.register(job)
    eval_id, wm = client.jobs.periodic_force("job1")
    assert_write_meta(wm)
    evaluation, qm = client.evaluations.info(eval_id)
    assert_query_meta(qm)
    assert evaluation.id == eval_id


def test_plan(client):
    job = batch_job()
    resp, _ = client.jobs.register(job)
    assert is_uuid(resp.eval_id)
    for diff in (True, False):
        plan, wm = client.jobs.plan(job, diff=diff)
        assert_write_meta(wm)
        assert plan.job_modify_index > 0
        assert (plan.diff is not None) == diff
        assert plan.annotations is not None
        assert plan.created_evals


def test_plan_without_a_job_id(client):
    body = batch_job().to_json()
    body["ID"] = None
    err = fails_with(client.put, "/v1/job/job1/plan", {"Job": body, "Diff": True})
    assert err.status_code == 400


def test_summary(client):
    err = fails_with(client.jobs.summary, "job1")
    assert "not found" in err.body
    client.jobs.register(batch_job())
    summary, qm = client.jobs.summary("job1")
    assert_query_meta(qm)
    assert summary.job_id == "job1"
    assert "group1" in summary.summary


def scalable_job() -> Job:
    job = batch_job(TROUBLESOME_ID)
    job.task_groups[0].scaling = ScalingPolicy(policy={}, min=1, max=5, enabled=True)
    return job


def test_scale(client):
    err = fails_with(client.jobs.scale, TROUBLESOME_ID, "missing", 2, "this won't work")
    assert "not found" in err.body
    registered, _ = client.jobs.register(scalable_job())
    resp, wm = client.jobs.scale(TROUBLESOME_ID, "group1", 2, "need more instances",
                                 meta={"meta": "data"})
    assert_write_meta(wm)
    assert is_uuid(resp.eval_id)
    assert resp.eval_create_index > 0
    assert resp.job_modify_index > registered.job_modify_index
    job, _ = client.jobs.info(TROUBLESOME_ID)
    assert job.task_groups[0].count == 2
    status, _ = client.jobs.scale_status(TROUBLESOME_ID)
    [event] = status.task_groups["group1"].events
    assert (event.error, event.message, event.meta) == (False, "need more instances", {"meta": "data"})
    assert event.time > 0
    assert (event.eval_id, event.previous_count) == (resp.eval_id, 1)


@pytest.mark.parametrize("error, message", [
    (True, "something bad happened"),
    (False, "no count, just informative"),
])
def test_scale_without_a_count_only_records_an_event(client, error, message):
    registered, _ = client.jobs.register(scalable_job())
    resp, wm = client.jobs.scale(TROUBLESOME_ID, "group1", None, message, error=error,
                                 meta={"meta": "data"})
    assert_write_meta(wm)
    assert (resp.eval_id, resp.eval_create_index) == ("", 0)
    assert resp.job_modify_index == registered.job_modify_index
    job, _ = client.jobs.info(TROUBLESOME_ID)
    assert job.task_groups[0].count == 1
    status, _ = client.jobs.scale_status(TROUBLESOME_ID)
    [event] = status.task_groups["group1"].events
    assert (event.error, event.message, event.meta) == (error, message, {"meta": "data"})
    assert event.time > 0
    assert event.eval_id is None


def test_scale_status(client):
    err = fails_with(client.jobs.scale_status, TROUBLESOME_ID)
    assert "not found" in err.body
    client.jobs.register(batch_job(TROUBLESOME_ID))
    status, qm = client.jobs.scale_status(TROUBLESOME_ID)
    assert_query_meta(qm)
    assert status.task_groups["group1"].desired == 1


def test_parse(client):
    spec = 'job "example" {}'
    job = client.jobs.parse_hcl(spec)
    assert (job.name, job.namespace) == ("example", None)
    canonical = client.jobs.parse_hcl(spec, canonicalize=True)
    assert (canonical.name, canonical.namespace) == ("example", "default")
    assert canonical != job
