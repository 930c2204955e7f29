"""The HTTP API of API.md under /api/: allocate, and scenarios (list, get, export, approve,
delete), behind the same sign-in and upload limits as the pages. Every answer is JSON (or the
export CSV); every error is `{"errors": [...]}` without a traceback.
"""
from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, jsonify, request

from engine import Dataset, Source, default_threshold, load_files
from engine.cli import summary
from engine.io.columns import ColumnMap
from engine.io.export import export_csv, export_filename, export_table, transfer_table
from engine.rebalance import Plan
from engine.refine import DEFAULT_MIN_GAIN, OBJECTIVES
from engine.settings import Weights

from .scenario_store import DatabaseDown, ScenarioError
from .security import signed_in_user
from .services import services
from .state import REBALANCE, REDRAW, decided

log = logging.getLogger(__name__)
API = "/api/"
SETTING_KEYS = ("threshold", "weights", "geo", "preserve", "high_risk", "refine", "min_gain", "mode", "band",
                "drivers", "waves", "lock_arr_at_least", "review_arr_at_least", "max_accounts", "max_arr", "pins",
                "map")
ASSIGNMENT_COLUMNS = ["Account_ID", "Segment", "Assigned_Rep", "Assignment_Status"]


class Refused(Exception):
    """A request the API answers with `{"errors": messages}` and `status`."""

    def __init__(self, messages: list[str], status: int = 400):
        super().__init__(messages)
        self.messages = messages
        self.status = status


def register_api(server: Flask) -> None:
    blueprint = Blueprint("api", __name__, url_prefix="/api")
    blueprint.add_url_rule("/allocate", view_func=allocate_view, methods=["POST"])
    blueprint.add_url_rule("/scenarios", view_func=list_view, methods=["GET"])
    blueprint.add_url_rule("/scenarios", view_func=save_view, methods=["POST"])
    blueprint.add_url_rule("/scenarios/<scenario_id>", view_func=get_view, methods=["GET"])
    blueprint.add_url_rule("/scenarios/<scenario_id>", view_func=delete_view, methods=["DELETE"])
    blueprint.add_url_rule("/scenarios/<scenario_id>/export.csv", view_func=export_view, methods=["GET"])
    blueprint.add_url_rule("/scenarios/<scenario_id>/approve", view_func=approve_view, methods=["POST"])
    blueprint.before_request(refuse_cross_site)
    blueprint.errorhandler(Refused)(lambda error: errors(error.messages, error.status))
    blueprint.errorhandler(DatabaseDown)(lambda error: errors([str(error)], 503))
    server.register_blueprint(blueprint)
    server.after_request(json_refusals)


def errors(messages: list[str], status: int) -> Response:
    response = jsonify({"errors": messages})
    response.status_code = status
    return response


def json_refusals(response: Response) -> Response:
    """A refusal under /api/ made before the API saw the request (sign-in, size, a server error)
    is JSON too: 401 says `authentication required`."""
    if not request.path.startswith(API) or response.status_code < 400 or response.is_json:
        return response
    message = ("authentication required" if response.status_code == 401
               else response.get_data(as_text=True).strip() or response.status)
    refusal = errors([message], response.status_code)
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in response.headers:
            refusal.headers[header] = response.headers[header]
    return refusal


def refuse_cross_site():
    """A browser signed in with Basic auth would send its password along with a form another site
    posts here; a call that changes something must come from this site or from no browser."""
    origin = request.headers.get("Origin")
    if request.method != "GET" and origin and urlsplit(origin).netloc != request.host:
        raise Refused(["requests from another site are not accepted"], 403)


# --- the views ---------------------------------------------------------------------------------

def allocate_view():
    dataset, label, stored = dataset_and_settings()
    allocation, plan = decided_or_refused(dataset, stored)
    if request.args.get("format") == "csv":
        return csv_response(export_csv(dataset, allocation), export_filename(dataset, allocation, "csv", plan))
    return jsonify(result_json(dataset, allocation, plan))


def save_view():
    dataset, label, stored = dataset_and_settings()
    decided_or_refused(dataset, stored)
    try:
        scenario = services().scenarios.save(dataset, label, stored, request.form.get("name"),
                                             request.form.get("note"), signed_in_user())
    except ScenarioError as error:
        raise Refused([str(error)]) from None
    return jsonify({"id": scenario.id, "url": f"/?scenario={scenario.id}"}), 201


def list_view():
    return jsonify([scenario.listing() for scenario in services().scenarios.list()])


def get_view(scenario_id: str):
    scenario, dataset = scenario_or_404(scenario_id)
    allocation, plan = decided_or_refused(dataset, scenario.settings)
    return jsonify({**scenario.listing(), "settings": api_settings(scenario.settings),
                    "summary": summary(dataset, allocation)})


def export_view(scenario_id: str):
    scenario, dataset = scenario_or_404(scenario_id)
    allocation, plan = decided_or_refused(dataset, scenario.settings)
    return csv_response(export_csv(dataset, allocation), export_filename(dataset, allocation, "csv", plan))


def approve_view(scenario_id: str):
    approved = services().scenarios.approve(scenario_id, signed_in_user())
    if approved is None:
        raise Refused([f"no scenario {scenario_id!r}"[:120]], 404)
    return jsonify(approved.listing())


def delete_view(scenario_id: str):
    if not services().scenarios.delete(scenario_id):
        raise Refused([f"no scenario {scenario_id!r}"[:120]], 404)
    return Response(status=204)


# --- helpers -----------------------------------------------------------------------------------

def scenario_or_404(scenario_id: str):
    store = services().scenarios
    scenario = store.get(scenario_id)
    dataset = store.dataset(scenario_id) if scenario else None
    if scenario is None or dataset is None:
        raise Refused([f"no scenario {scenario_id!r}"[:120]], 404)
    return scenario, dataset


def decided_or_refused(dataset: Dataset, stored: dict):
    try:
        return decided(dataset, stored)
    except ValueError as error:
        raise Refused([f"settings: {error}"]) from None


def result_json(dataset: Dataset, allocation, plan) -> dict:
    assignments = export_table(dataset, allocation)[ASSIGNMENT_COLUMNS]
    answer = {"summary": summary(dataset, allocation), "assignments": assignments.to_dict("records")}
    if plan is not None:
        answer["transfers"] = transfer_table(dataset, plan).to_dict("records")
    return answer


def csv_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def dataset_and_settings() -> tuple[Dataset, str, dict]:
    """The uploaded files, loaded with the deployment's limits and the settings' column map, and
    the settings as the dashboard stores them."""
    fields = settings_field()
    sources = uploaded_sources()
    result = load_files(sources, services().config.limits, column_map(fields.get("map")))
    if not result.ok:
        raise Refused([str(message) for message in result.report.errors] or unmapped(result))
    dataset = result.dataset
    return dataset, " and ".join(s.name for s in sources), stored_settings(fields, dataset)


def unmapped(result) -> list[str]:
    """The dashboard asks which column is meant; the API says to name it in `map`."""
    return [f"{request.file}: choose the column for {choice.field} (one of {', '.join(request.columns)}) "
            f'with settings.map, e.g. {{"{choice.field}": "{choice.guess or request.columns[0]}"}}'
            for request in result.mapping for choice in request.choices]


def uploaded_sources() -> list[Source]:
    files = request.files
    if "workbook" in files and not ({"reps", "accounts"} & set(files)):
        names = ["workbook"]
    elif {"reps", "accounts"} <= set(files) and "workbook" not in files:
        names = ["reps", "accounts"]
    else:
        raise Refused(["send two CSV files as `reps` and `accounts`, or one .xlsx file as `workbook`"])
    limit = services().config.max_upload_bytes
    sources = []
    for name in names:
        upload = files[name]
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise Refused([f"{upload.filename or name}: larger than this server accepts "
                           f"({limit // 2**20} MB per file)"], 413)
        sources.append(Source(upload.filename or f"{name}.{'xlsx' if name == 'workbook' else 'csv'}", data))
    return sources


def settings_field() -> dict:
    text = request.form.get("settings") or "{}"
    try:
        fields = json.loads(text)
    except ValueError:
        raise Refused(["settings: not valid JSON"]) from None
    if not isinstance(fields, dict):
        raise Refused(["settings: must be a JSON object"])
    unknown = sorted(set(fields) - set(SETTING_KEYS))
    if unknown:
        raise Refused([f"settings: unknown key {', '.join(map(repr, unknown))[:200]}; the keys are "
                       f"{', '.join(SETTING_KEYS)}"])
    return fields


def column_map(fields) -> ColumnMap:
    """API.md's `map` ({"ARR": "Contract Value"}): each field goes to the file that has it."""
    if fields is None:
        return ColumnMap()
    if not isinstance(fields, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()):
        raise Refused(["settings: map must be an object of field names to column names"])
    try:
        return ColumnMap.of_pairs(fields.items())
    except ValueError as error:
        raise Refused([f"settings: map: {error}"]) from None


def pair(fields: dict, key: str) -> dict:
    """[Enterprise, Mid-Market] caps as the dashboard keeps them."""
    value = fields.get(key, [None, None])
    if not isinstance(value, list) or len(value) != 2:
        raise Refused([f"settings: {key} must be [Enterprise, Mid-Market] (null for no cap)"])
    return {"Enterprise": value[0], "Mid-Market": value[1]}


def stored_settings(fields: dict, dataset: Dataset) -> dict:
    """API.md's settings, every key optional, as the dashboard's settings store holds them."""
    refine = fields.get("refine")
    mode = fields.get("mode", REDRAW)
    if refine is not None and refine not in OBJECTIVES:
        raise Refused([f"settings: refine must be null or one of {', '.join(OBJECTIVES)}"])
    if mode not in (REDRAW, REBALANCE):
        raise Refused([f"settings: mode must be {REDRAW} or {REBALANCE}"])
    plan = Plan()
    stored = {
        "threshold": fields.get("threshold", default_threshold(dataset)),
        "weights": fields.get("weights", Weights().as_list()),
        "geo": fields.get("geo", 0.05), "preserve": fields.get("preserve", 0.05),
        "high_risk": fields.get("high_risk", 70),
        "refine": refine is not None, "objective": refine or OBJECTIVES[0],
        "min_gain": fields.get("min_gain", DEFAULT_MIN_GAIN),
        "rules": {"lock_arr_at_least": fields.get("lock_arr_at_least"),
                  "review_arr_at_least": fields.get("review_arr_at_least"),
                  "max_accounts": pair(fields, "max_accounts"), "max_arr": pair(fields, "max_arr"),
                  "pins": fields.get("pins", {})},
        "mode": mode, "band": fields.get("band", plan.band), "drivers": fields.get("drivers", list(plan.drivers)),
        "waves": fields.get("waves", plan.waves),
    }
    try:
        Plan(band=stored["band"], drivers=tuple(stored["drivers"]) if isinstance(stored["drivers"], list) else (),
             waves=stored["waves"])
    except (ValueError, TypeError) as error:
        raise Refused([f"settings: {error}"]) from None
    return stored


def api_settings(stored: dict) -> dict:
    """The settings store of a scenario in API.md's form."""
    rules = stored.get("rules") or {}
    return {
        "threshold": stored["threshold"], "weights": stored["weights"], "geo": stored["geo"],
        "preserve": stored["preserve"], "high_risk": stored["high_risk"],
        "refine": stored.get("objective") if stored.get("refine") else None,
        "min_gain": stored.get("min_gain", DEFAULT_MIN_GAIN),
        "mode": stored.get("mode", REDRAW), "band": stored.get("band"), "drivers": stored.get("drivers"),
        "waves": stored.get("waves"),
        "lock_arr_at_least": rules.get("lock_arr_at_least"), "review_arr_at_least": rules.get("review_arr_at_least"),
        "max_accounts": [(rules.get("max_accounts") or {}).get(s) for s in ("Enterprise", "Mid-Market")],
        "max_arr": [(rules.get("max_arr") or {}).get(s) for s in ("Enterprise", "Mid-Market")],
        "pins": rules.get("pins") or {},
    }
