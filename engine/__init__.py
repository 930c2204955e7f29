"""Territory Slicer engine: segmentation, weighted greedy allocation, fairness, optimizer,
sensitivity, audit and export. Pure computation; never imports Dash."""
from .allocation import Allocation, SegmentAllocation, allocate, allocate_reference
from .dataset import ENTERPRISE, MID_MARKET, SEGMENTS, Dataset, default_threshold, slider_range
from .io.loading import LoadResult, load_csvs, load_files, load_workbook
from .io.reading import Limits, Source
from .io.report import Level, Message, Report
from .settings import Preferences, Settings, Weights

__all__ = [
    "Allocation", "SegmentAllocation", "allocate", "allocate_reference",
    "ENTERPRISE", "MID_MARKET", "SEGMENTS", "Dataset", "default_threshold", "slider_range",
    "Limits", "LoadResult", "Source", "load_csvs", "load_files", "load_workbook",
    "Level", "Message", "Report", "Preferences", "Settings", "Weights",
]
