"""What Nomad's Go client tests of evaluations and deployments (hashicorp/nomad
`api/evaluations_test.go`, `api/deployments_test.go`) check on a server, through nomadpy. As
there, nothing is placed (see conftest.py): a registration leaves its evaluation complete and a
blocked one behind it, and a service job's deployment runs with no allocations."""

from nomadpy import QueryOptions
from nomadpy.jobs import Job

from test_job_endpoints import eventually
from test_jobs_api import assert_query_meta, batch_job, fails_with, group, task

UNKNOWN_ID = "8E231CF4-CA48-43FF-B694-5801E69E22FA"


def test_evaluation_list_pages_and_filter(client):
    evals, qm = client.evaluations.list()
    assert (evals, qm.last_index) == ([], 0)
    resp, _ = client.jobs.register(batch_job())
    evals, qm = eventually(client.evaluations.list, lambda r: len(r[0]) == 2)
    assert_query_meta(qm)
    # The client sorts newest first: the blocked evaluation, then the registration's.
    assert [(e.id == resp.eval_id, e.status) for e in evals] == [(False, "blocked"), (True, "complete")]
    # The server pages oldest first.
    first, qm = client.evaluations.list(QueryOptions(per_page=1))
    second, qm = client.evaluations.list(QueryOptions(per_page=1, next_token=qm.next_token))
    assert [e.id for e in first + second] == [evals[1].id, evals[0].id]
    assert qm.next_token == ""
    registered, _ = client.evaluations.list(QueryOptions(filter='TriggeredBy == "job-register"'))
    assert [e.id for e in registered] == [resp.eval_id]


def test_evaluation_prefix_list(client):
    evals, qm = client.evaluations.prefix_list("abcdef")
    assert (evals, qm.last_index) == ([], 0)
    resp, _ = client.jobs.register(batch_job())
    evals, qm = client.evaluations.prefix_list(resp.eval_id[:4])
    assert_query_meta(qm)
    assert [e.id for e in evals] == [resp.eval_id]


def test_evaluation_info_with_related(client):
    fails_with(client.evaluations.info, UNKNOWN_ID)
    resp, _ = client.jobs.register(batch_job())
    evaluation, qm = client.evaluations.info(resp.eval_id)
    assert_query_meta(qm)
    assert evaluation.id == resp.eval_id
    evaluation = eventually(lambda: client.evaluations.info(resp.eval_id)[0], lambda e: e.blocked_eval)
    related, _ = client.evaluations.info(resp.eval_id, QueryOptions(params={"related": "true"}))
    assert [e.id for e in related.related_evals] == [evaluation.blocked_eval]


def test_evaluation_allocations_of_an_unknown_evaluation(client):
    allocs, qm = client.evaluations.allocations(UNKNOWN_ID)
    assert (allocs, qm.last_index) == ([], 0)


def service_job() -> Job:
    """The Go tests' `testServiceJob()`: a service job of one exec task, without an update block
    (a service job gets the default one). It names no datacenter there, so any would do; here it
    names `dc1`, where no node is, so that it is not placed either."""
    t = task(driver="exec", resources=False)
    return Job(id="dummy-service", name="dummy-service", type="service", region="global",
               priority=5, datacenters=["dc1"], task_groups=[group("dummy-group", 1, t)])


def the_deployment(client):
    deployments, _ = eventually(lambda: client.jobs.deployments("dummy-service", True),
                                lambda r: len(r[0]) == 1)
    [deployment] = deployments
    return deployment


def test_deployment_list_prefix_info_and_allocations(client):
    deployments, _ = client.deployments.list()
    assert deployments == []
    client.jobs.register(service_job())
    deployment = the_deployment(client)
    listed, qm = client.deployments.list()
    assert_query_meta(qm)
    assert [d.id for d in listed] == [deployment.id]
    by_prefix, _ = client.deployments.prefix_list(deployment.id)
    assert [d.id for d in by_prefix] == [deployment.id]
    info, _ = client.deployments.info(deployment.id)
    assert (info.job_id, info.namespace, info.status) == ("dummy-service", "default", "running")
    allocs, _ = client.deployments.allocations(deployment.id)
    assert allocs == []


def test_deployment_fail(client):
    client.jobs.register(service_job())
    deployment = the_deployment(client)
    client.deployments.fail(deployment.id)
    info, _ = client.deployments.info(deployment.id)
    assert info.status == "failed"


def test_deployment_pause_and_resume(client):
    client.jobs.register(service_job())
    deployment = the_deployment(client)
    client.deployments.pause(deployment.id, True)
    assert client.deployments.info(deployment.id)[0].status == "paused"
    client.deployments.pause(deployment.id, False)
    assert client.deployments.info(deployment.id)[0].status == "running"
