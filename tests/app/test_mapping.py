"""The column-mapping step: asked when a required field has no sure column, applied with the
user's pick, remembered per header set, and every value from the browser checked."""
from dash import no_update

from app.mapping import apply_mapping, chosen_columns, mapping_panel, remember, requests_of
from app.services import services
from app.uploads import receive_upload
from engine import Limits

from .conftest import run_callback
from .test_uploads import REPS, encoded

ACCOUNTS = (b"Account ID,Company,Contract Value,Headcount,Region,Owner\n"
            b"A1,Acme,1000,50,CA,Ann\nA2,Beta,2000,5000,NY,Bo\n")
ARR_PICK = {"type": "mapping-field", "kind": "accounts", "field": "ARR"}


def upload(remembered=None):
    return receive_upload([encoded(ACCOUNTS), encoded(REPS)], ["accounts.csv", "reps.csv"], None,
                          services().store, Limits(), remembered)


def apply(waiting, value, memory=None):
    return run_callback(apply_mapping, "mapping-apply.n_clicks", 1, [value], [ARR_PICK], waiting, memory)


def test_an_unrecognised_required_column_asks_instead_of_refusing():
    outcome = upload()
    assert outcome.data is None and outcome.report["level"] == "warning"
    assert outcome.report["title"].startswith("Almost there: choose the column for 1 field below")
    [request] = requests_of(outcome.mapping)
    assert (request.file, request.kind, [c.field for c in request.choices]) == ("accounts.csv", "accounts", ["ARR"])
    assert request.preview[0] == ("A1", "Acme", "1000", "50", "CA", "Ann")
    panel = str(mapping_panel([request]))
    assert "Contract Value" in panel and "Use these columns" in panel


def test_the_chosen_column_loads_the_files_and_is_remembered_for_their_headers():
    waiting = upload().mapping
    data, report, mapping, memory = apply(waiting, "Contract Value")
    dataset = services().store.get(data["key"])
    assert list(dataset.arr) == [1000, 2000] and mapping is None
    assert report["title"] == "Loaded 2 accounts and 2 reps from accounts.csv and reps.csv"
    [request] = requests_of(waiting)
    assert memory == {request.key: {"ARR": "Contract Value"}}
    again = upload(memory)
    assert again.data is not None and again.mapping is None
    assert again.report["title"].endswith("using the columns you chose before for files with these headers")


def test_a_column_the_file_does_not_have_is_never_used():
    waiting = upload().mapping
    requests = requests_of(waiting)
    assert chosen_columns([ARR_PICK], ["Nope"], requests) is None
    assert chosen_columns([{**ARR_PICK, "kind": "payroll"}], ["Contract Value"], requests) is None
    data, report, mapping, memory = apply(waiting, "Nope")
    assert report["title"].startswith("Choose a column for every field")
    assert upload({requests[0].key: {"ARR": "Nope"}}).mapping is not None


def test_a_wrong_pick_is_refused_and_the_files_wait_for_another_pick():
    waiting = upload().mapping
    data, report, mapping, _ = apply(waiting, "Company")
    assert report["level"] == "danger" and 'row 2, column ARR: "Acme" is not a number' in " ".join(report["details"])
    assert data is no_update and mapping == waiting
    assert apply(waiting, "Contract Value")[0]["accounts"] == 2


def test_junk_from_the_browser_is_ignored_not_trusted():
    request = {"file": "a", "kind": "reps", "columns": ["A"], "preview": [], "choices": [], "key": "k"}
    assert len(requests_of({"requests": [request]})) == 1
    for junk in (None, [], {"requests": "x"}, {"requests": [{"kind": "accounts"}]},
                 {"requests": [{**request, "kind": "payroll"}]}, {"requests": [{**request, "columns": [1]}]},
                 {"requests": [{**request, "key": "k" * 5000}]}, {"requests": [request] * 3}):
        assert requests_of(junk) == []
    for memory in ("x", [1], {"k": "ARR"}, {"k": {"ARR": 5}}):
        assert upload(memory).mapping is not None
    gone = {**upload().mapping, "sources": "not-a-key"}
    data, report, mapping, memory = apply(gone, "Contract Value")
    assert report["title"].startswith("The uploaded files are no longer on the server")


def test_the_memory_keeps_the_latest_fifty_header_sets():
    requests = requests_of(upload().mapping)
    memory = {f"old{i}": {"ARR": "x"} for i in range(60)}
    kept = remember(memory, requests, chosen_columns([ARR_PICK], ["Contract Value"], requests))
    assert len(kept) == 50 and list(kept)[-1] == requests[0].key and "old59" in kept and "old0" not in kept


def test_the_sidebar_links_the_templates_and_the_server_serves_them():
    from app import server
    from app.sidebar import template_links
    from engine.io.template import template_csv
    client = server.test_client()
    hrefs = [link.href for link in template_links().children if hasattr(link, "href")]
    assert hrefs == ["/template/reps.csv", "/template/accounts.csv", "/template/territory-template.xlsx"]
    reps = client.get(hrefs[0])
    assert reps.status_code == 200 and reps.data == template_csv("reps")
    assert reps.headers["Content-Disposition"] == 'attachment; filename="reps.csv"'
    assert client.get(hrefs[2]).data.startswith(b"PK")
    assert client.get("/template/secrets.csv").status_code == 404
