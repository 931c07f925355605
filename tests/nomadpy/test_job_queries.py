"""The query options of `GET /v1/jobs` as the Jobs API documents them (prefix, paging, filter,
`namespace=*`, `meta`, blocking queries), through nomadpy's `QueryOptions` as the Go client
sends them."""

import threading
from datetime import timedelta

from nomadpy import QueryOptions, WriteOptions
from nomadpy.namespace import Namespace

from test_jobs_api import batch_job, fails_with


def register(client, *job_ids, namespace="", meta=None):
    for job_id in job_ids:
        job = batch_job(job_id)
        job.meta = meta
        client.jobs.register(job, WriteOptions(namespace=namespace))


def ids(jobs):
    return [j.id for j in jobs]


def test_pages_follow_next_token(client):
    register(client, "a1", "a2", "a3", "a4", "a5", "b1")
    pages, token = [], ""
    while True:
        jobs, qm = client.jobs.list(QueryOptions(prefix="a", per_page=2, next_token=token))
        pages.append(ids(jobs))
        token = qm.next_token
        if not token:
            break
    assert pages == [["a1", "a2"], ["a3", "a4"], ["a5"]]


def test_filter_applies_before_paging(client):
    register(client, "a1", "a2", "a3")
    register(client, "b1", "b2", meta={"team": "b"})
    jobs, qm = client.jobs.list(QueryOptions(filter='Meta.team == "b"', per_page=1), meta=True)
    assert (ids(jobs), qm.next_token) == (["b1"], "default.b2")
    assert jobs[0].meta == {"team": "b"}


def test_a_bad_filter_is_a_bad_request(client):
    err = fails_with(client.jobs.list, QueryOptions(filter="Name ==="))
    assert err.status_code == 400


def test_all_namespaces(client):
    client.namespaces.register(Namespace(name="apps"))
    register(client, "web")
    register(client, "api", namespace="apps")
    jobs, _ = client.jobs.list(QueryOptions(namespace="*"))
    assert sorted((j.namespace, j.id) for j in jobs) == [("apps", "api"), ("default", "web")]
    jobs, _ = client.jobs.list(QueryOptions(namespace="apps"))
    assert ids(jobs) == ["api"]


def test_a_blocking_list_returns_once_a_job_is_registered(client):
    register(client, "first")
    _, qm = client.jobs.list()
    answered = {}

    def blocked_list():
        answered["jobs"], answered["meta"] = client.jobs.list(
            QueryOptions(wait_index=qm.last_index, wait_time=timedelta(seconds=30)))

    waiter = threading.Thread(target=blocked_list)
    waiter.start()
    register(client, "second")
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    assert ids(answered["jobs"]) == ["first", "second"]
    assert answered["meta"].last_index > qm.last_index


def test_a_blocking_read_without_changes_answers_at_its_deadline(client):
    register(client, "first")
    job, qm = client.jobs.info("first")
    again, qm2 = client.jobs.info(
        "first", QueryOptions(wait_index=qm.last_index, wait_time=timedelta(milliseconds=200)))
    assert (again.job_modify_index, qm2.last_index) == (job.job_modify_index, qm.last_index)
