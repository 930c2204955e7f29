"""The HTTP API of API.md against a real gunicorn (issue 16): allocate, scenarios on SQLite and on
PostgreSQL, restarts, sign-in on every route, JSON errors without tracebacks, upload limits."""
import json

import pytest
import requests

from engine import Settings, Source, allocate, load_csvs
from engine.cli import summary
from engine.io.export import export_csv
from engine.rebalance import Plan, rebalance

from ..browser.servers import web_app
from ..conftest import DATA

FIXTURE = DATA / "fixture12"
ROUTES = [("post", "/api/allocate"), ("get", "/api/scenarios"), ("post", "/api/scenarios"),
          ("get", "/api/scenarios/AAAAAAAAAAAAAAAA"), ("get", "/api/scenarios/AAAAAAAAAAAAAAAA/export.csv"),
          ("post", "/api/scenarios/AAAAAAAAAAAAAAAA/approve"), ("delete", "/api/scenarios/AAAAAAAAAAAAAAAA")]


def files():
    return {"reps": ("reps.csv", (FIXTURE / "reps.csv").read_bytes(), "text/csv"),
            "accounts": ("accounts.csv", (FIXTURE / "accounts.csv").read_bytes(), "text/csv")}


def fixture12():
    return load_csvs(Source("reps.csv", (FIXTURE / "reps.csv").read_bytes()),
                     Source("accounts.csv", (FIXTURE / "accounts.csv").read_bytes())).dataset


def post(base, path, settings=None, auth=None, **form):
    data = {**form, **({"settings": json.dumps(settings)} if settings is not None else {})}
    return requests.post(base + path, files=files(), data=data, auth=auth, timeout=60)


def assert_errors(response, status, *fragments):
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["errors"] and body["errors"]
    for fragment in fragments:
        assert any(fragment in message for message in body["errors"]), body
    assert "Traceback" not in response.text


def test_allocate_answers_as_the_cli_and_the_export_and_scenarios_survive_a_restart(tmp_path):
    dataset = fixture12()
    expected = allocate(dataset, Settings(5000))
    with web_app(tmp_path / "first", workers=2) as (base, _):
        answer = post(base, "/api/allocate", {"threshold": 5000})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["summary"] == json.loads(json.dumps(summary(dataset, expected)))
        assert len(body["assignments"]) == 12
        assert set(body["assignments"][0]) == {"Account_ID", "Segment", "Assigned_Rep", "Assignment_Status"}
        csv = post(base, "/api/allocate?format=csv", {"threshold": 5000})
        assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
        assert csv.content == export_csv(dataset, expected)

        plan = post(base, "/api/allocate", {"threshold": 5000, "mode": "rebalance", "band": 20})
        assert plan.status_code == 200, plan.text
        expected_plan = rebalance(dataset, Settings(5000), Plan(band=20))
        assert len(plan.json()["transfers"]) == len(expected_plan.transfers)

        saved = post(base, "/api/scenarios", {"threshold": 5000, "refine": "balanced"}, name="Q3 plan",
                     note="Finance wants 5,000")
        assert saved.status_code == 201, saved.text
        scenario = saved.json()
        assert scenario["url"] == f"/?scenario={scenario['id']}"
    with web_app(tmp_path / "second", workers=1, CACHE_DIR=str(tmp_path / "first" / "cache")) as (base, _):
        listed = requests.get(base + "/api/scenarios", timeout=30).json()
        assert [s["name"] for s in listed] == ["Q3 plan"]
        assert set(listed[0]) == {"id", "name", "note", "author", "created", "updated", "approved_by",
                                  "approved_at", "fingerprint", "accounts", "reps"}
        one = requests.get(f"{base}/api/scenarios/{scenario['id']}", timeout=30).json()
        assert one["settings"]["refine"] == "balanced" and one["settings"]["threshold"] == 5000
        assert one["summary"]["refine"]["objective"] == "balanced"
        export = requests.get(f"{base}/api/scenarios/{scenario['id']}/export.csv", timeout=30)
        assert export.status_code == 200 and b"Assigned_Rep" in export.content
        approved = requests.post(f"{base}/api/scenarios/{scenario['id']}/approve", timeout=30).json()
        assert approved["approved_by"] == "anonymous" and approved["approved_at"]
        assert requests.delete(f"{base}/api/scenarios/{scenario['id']}", timeout=30).status_code == 204
        assert_errors(requests.get(f"{base}/api/scenarios/{scenario['id']}", timeout=30), 404, "no scenario")


def test_bad_requests_get_json_errors_that_name_the_problem(tmp_path):
    with web_app(tmp_path, workers=1, MAX_UPLOAD_MB="0.01") as (base, _):
        assert_errors(post(base, "/api/allocate", {"thresold": 5}), 400, "unknown key 'thresold'")
        assert_errors(post(base, "/api/allocate", {"threshold": -5}), 400, "threshold must be")
        assert_errors(post(base, "/api/allocate", {"refine": "fastest"}), 400, "refine must be null")
        assert_errors(post(base, "/api/allocate", {"band": 99, "mode": "rebalance"}), 400, "band must be")
        assert_errors(requests.post(base + "/api/allocate", data={"settings": "{}"}, timeout=30), 400,
                      "send two CSV files")
        assert_errors(requests.post(base + "/api/allocate", files=files(), data={"settings": "{"}, timeout=30),
                      400, "settings: not valid JSON")
        bad = files()
        bad["accounts"] = ("accounts.csv", (FIXTURE / "accounts.csv").read_bytes().replace(b"500000", b"1.2M", 1))
        assert_errors(requests.post(base + "/api/allocate", files=bad, timeout=30), 400,
                      'accounts.csv, row 2, column ARR: "1.2M"')
        renamed = files()
        renamed["accounts"] = ("accounts.csv", (FIXTURE / "accounts.csv").read_bytes().replace(b"ARR", b"Deal Size", 1))
        assert_errors(requests.post(base + "/api/allocate", files=renamed, timeout=30), 400, "column ARR: is missing")
        mapped = requests.post(base + "/api/allocate", files=renamed, timeout=30,
                               data={"settings": json.dumps({"map": {"ARR": "Deal Size"}, "threshold": 5000})})
        assert mapped.status_code == 200 and len(mapped.json()["assignments"]) == 12
        assert_errors(post(base, "/api/allocate", {"map": {"Revenue!": "x"}}), 400, "is not FIELD=Column")
        big = {"reps": ("reps.csv", b"x" * 20_000), "accounts": ("accounts.csv", b"y" * 20_000)}
        assert_errors(requests.post(base + "/api/allocate", files=big, timeout=30), 413, "larger than")
        assert_errors(post(base, "/api/scenarios", {}, name=""), 400, "Give the scenario a name")
        assert_errors(requests.get(base + "/api/scenarios/' OR 1=1 --", timeout=30), 404, "no scenario")
        cross_site = requests.post(base + "/api/scenarios/AAAAAAAAAAAAAAAA/approve",
                                   headers={"Origin": "https://evil.example"}, timeout=30)
        assert_errors(cross_site, 403, "another site")


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_route_needs_sign_in(signed_in_server, method, path):
    base, _ = signed_in_server
    answer = getattr(requests, method)(base + path, timeout=30)
    assert_errors(answer, 401, "authentication required")
    assert answer.json() == {"errors": ["authentication required"]}


@pytest.fixture(scope="module")
def signed_in_server(tmp_path_factory, postgres_server):
    """gunicorn with Basic auth, scenarios in PostgreSQL."""
    with web_app(tmp_path_factory.mktemp("auth"), workers=2, BASIC_AUTH_USERS="ann:pw1,bo:pw2",
                 DATABASE_URL=postgres_server.url) as server:
        yield server


def test_on_postgresql_the_author_and_approver_are_the_signed_in_users(signed_in_server):
    base, _ = signed_in_server
    saved = post(base, "/api/scenarios", {"threshold": 5000}, auth=("ann", "pw1"), name="Ann's", note="")
    assert saved.status_code == 201, saved.text
    scenario_id = saved.json()["id"]
    approved = requests.post(f"{base}/api/scenarios/{scenario_id}/approve", auth=("bo", "pw2"), timeout=30).json()
    assert (approved["author"], approved["approved_by"]) == ("ann", "bo")
    listed = requests.get(base + "/api/scenarios", auth=("bo", "pw2"), timeout=30).json()
    assert scenario_id in [s["id"] for s in listed]
