"""Every component id, declared once; layouts, callbacks and browser tests import them from here."""
from enum import StrEnum


class Ids(StrEnum):
    # shell: stores
    DATA = "data"                      # which dataset this browser session uses (a server-side key)
    SETTINGS = "settings"              # threshold, weights, preferences of this session
    PENDING = "pending-csv"            # one CSV uploaded, waiting for the other
    UPLOAD_PAYLOAD = "upload-payload"  # files that passed the browser's size check
    LOAD_REPORT = "load-report"        # what the last upload said
    THRESHOLD_PICK = "threshold-pick"  # a threshold chosen outside the sidebar (chart click)
    WEIGHTS_PICK = "weights-pick"      # weights applied from Optimize
    PIN_REQUEST = "pin-request"        # a pin or unpin asked for from a table, the audit or the queue
    TAB = "tab"                        # random id of this page load (leases of background jobs)
    THEME = "theme"
    URL = "url"
    # header
    NAV = "nav"
    EXPORT = "export"
    EXPORT_CSV = "export-csv"
    EXPORT_XLSX = "export-xlsx"
    DOWNLOAD = "download"
    THEME_SWITCH = "theme-switch"
    HELP_OPEN = "help-open"
    HELP = "help"
    # sidebar
    UPLOAD = "upload"
    UPLOAD_LIMIT = "upload-limit"
    DATA_LABEL = "data-label"
    SETTINGS_NOTICE = "settings-notice"
    RESET = "reset"
    THRESHOLD = "threshold"
    THRESHOLD_INPUT = "threshold-input"
    WEIGHT_ARR = "weight-arr"
    WEIGHT_ACCOUNTS = "weight-accounts"
    WEIGHT_RISK = "weight-risk"
    GEO = "geo"
    PRESERVE = "preserve"
    HIGH_RISK = "high-risk"
    WEIGHT_ARR_VALUE = "weight-arr-value"
    WEIGHT_ACCOUNTS_VALUE = "weight-accounts-value"
    WEIGHT_RISK_VALUE = "weight-risk-value"
    GEO_VALUE = "geo-value"
    PRESERVE_VALUE = "preserve-value"
    HIGH_RISK_VALUE = "high-risk-value"
    LOCK_ARR = "lock-arr"
    REVIEW_ARR = "review-arr"
    CAP_ACCOUNTS_E = "cap-accounts-enterprise"
    CAP_ARR_E = "cap-arr-enterprise"
    CAP_ACCOUNTS_M = "cap-accounts-mid-market"
    CAP_ARR_M = "cap-arr-mid-market"
    RULE_COUNTS = "rule-counts"
    REFINE = "refine"
    REFINE_OBJECTIVE = "refine-objective"
    REFINE_PREVIEW = "refine-preview"
    REFINE_PREVIEW_RUN = "refine-preview-run"
    BANNERS = "banners"
    SERVER_ALERT = "server-alert"      # a callback failed on the server
    # slicer page
    SLICER_BANNERS = "slicer-banners"
    KPI_CARDS = "kpi-cards"
    FAIRNESS_CARDS = "fairness-cards"
    DISTRIBUTION_ENTERPRISE = "distribution-enterprise"
    DISTRIBUTION_MID_MARKET = "distribution-mid-market"
    SENSITIVITY = "sensitivity"
    SENSITIVITY_CURVE = "sensitivity-curve"
    SENSITIVITY_INPUTS = "sensitivity-inputs"
    SENSITIVITY_STATUS = "sensitivity-status"
    REP_GRID = "rep-grid"
    ACCOUNT_GRID = "account-grid"
    ACCOUNT_PIN = "account-pin"        # the pin bar under the account table
    REVIEW_QUEUE = "review-queue"
    REVIEW_PICK = "review-pick"        # pattern: a held account's rep drop-down
    REVIEW_PIN = "review-pin"          # pattern: its Pin button
    # comparison page
    COMPARISON_GRAPH = "comparison-graph"
    COMPARISON_KPIS = "comparison-kpis"
    REFINE_COMPARISON = "refine-comparison"
    MOVEMENT_TOTALS = "movement-totals"
    MOVEMENT_GRID = "movement-grid"
    # audit page
    AUDIT_POSITION = "audit-position"
    AUDIT_SEGMENT = "audit-segment"
    AUDIT_REP = "audit-rep"
    AUDIT_JUMP = "audit-jump"
    AUDIT_JUMP_GO = "audit-jump-go"
    AUDIT_FEEDBACK = "audit-feedback"
    AUDIT_FIRST = "audit-first"
    AUDIT_PREV = "audit-prev"
    AUDIT_NEXT = "audit-next"
    AUDIT_LAST = "audit-last"
    AUDIT_LABEL = "audit-label"
    AUDIT_ACCOUNT = "audit-account"
    AUDIT_REASON = "audit-reason"
    AUDIT_GRID = "audit-grid"
    AUDIT_PIN = "audit-pin"            # the pin bar of the step's account
    # optimize weights (sidebar)
    OPTIMIZE_RUN = "optimize-run"
    OPTIMIZE_CANCEL = "optimize-cancel"
    OPTIMIZE_PROGRESS = "optimize-progress"
    OPTIMIZE_PROGRESS_WRAP = "optimize-progress-wrap"
    OPTIMIZE_RESULT = "optimize-result"
    OPTIMIZE_VIEW = "optimize-view"
    OPTIMIZE_STATUS = "optimize-status"
    OPTIMIZE_APPLY = "optimize-apply"
    OPTIMIZE_LEASE = "optimize-lease"
