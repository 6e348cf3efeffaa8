"""What moto_server loads before it answers, loaded in a third of the time moto takes alone.

moto 5.2.1 spends about three seconds starting, nearly all of it reading data that does not change
between starts: botocore's endpoint data (parsed to list the Regions of each partition), botocore's
API descriptions (EC2's is 3.8 MB of gzipped JSON), and the instance type offerings of every Region
(90 files). What changes here is how long that takes, never what moto answers
(test/moto-start.test.ts compares the two):

1. ``RegionLists``: the Region and partition lists botocore computes are kept on disk;
2. ``service_models``: the API descriptions moto serializes with are kept on disk as pickles;
3. ``offerings_on_demand``: the emulator's Region's offerings are read as moto loads; any other
   Region's the first time moto asks for them;
4. ``steady_dispatch``: what moto's dispatcher recomputed on every request is computed once.

The cache lives in ``~/.cache/instance-lifecycle`` (``LIFECYCLE_CACHE_DIR``), one directory per
moto, botocore and Python version, so an upgrade of any starts afresh. A cache file that cannot be
read is computed again and written again, and one that cannot be written is computed at each start,
exactly as moto would compute it: the cache only ever saves time.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def cache_dir(moto_version: str) -> Path:
    """``LIFECYCLE_CACHE_DIR`` (``~/.cache/instance-lifecycle`` by default), one directory per moto,
    botocore and Python version."""
    import botocore

    base = Path(os.environ.get("LIFECYCLE_CACHE_DIR") or Path.home() / ".cache" / "instance-lifecycle")
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return base / f"moto-{moto_version}-botocore-{botocore.__version__}-python-{python}"


def _read(path: Path) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)


def _write(path: Path, value: Any) -> None:
    """Atomically: two emulators starting at once each write a whole file, one of them last."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError:
        return  # a read-only home: computed again next time
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def cached(path: Path, compute: Callable[[], T]) -> T:
    """``compute()``'s answer, kept at ``path`` from one start to the next."""
    try:
        return _read(path)
    except Exception:  # absent, truncated, or from another Python: compute it again
        value = compute()
        _write(path, value)
        return value


class RegionLists:
    """One answer per question to ``boto3.session.Session``'s ``get_available_regions`` and
    ``get_available_partitions``, kept on disk.

    moto's EC2 models ask a new Session for three partitions' Regions as they load, and every
    backend asks for its service's Regions in every partition: each first question parses
    botocore's endpoint data (about 0.4 s). The answers depend on botocore's version alone.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.answers: dict[tuple[Any, ...], list[str]] = _read(path)
        except Exception:
            self.answers = {}
        self._session: Any = None

    def install(self) -> None:
        import boto3.session

        lists = self
        session_class = boto3.session.Session
        regions = session_class.get_available_regions
        partitions = session_class.get_available_partitions

        def get_available_regions(
            self: object, service_name: str, partition_name: str = "aws", allow_non_regional: bool = False
        ) -> list[str]:
            key = ("regions", service_name, partition_name, allow_non_regional)
            return lists.answer(key, lambda s: regions(s, service_name, partition_name, allow_non_regional))

        def get_available_partitions(self: object) -> list[str]:
            return lists.answer(("partitions",), partitions)

        session_class.get_available_regions = get_available_regions  # type: ignore[method-assign]
        session_class.get_available_partitions = get_available_partitions  # type: ignore[method-assign]

    def answer(self, key: tuple[Any, ...], ask: Callable[[Any], list[str]]) -> list[str]:
        if key not in self.answers:
            if self._session is None:
                import boto3.session

                self._session = boto3.session.Session()
            self.answers[key] = list(ask(self._session))
            _write(self.path, self.answers)
        return list(self.answers[key])


def service_models(directory: Path) -> None:
    """moto's ``_load_service_model`` (botocore's API descriptions, as dicts) answered from pickles."""
    import moto.core.utils as utils

    load = utils._load_service_model

    def _load_service_model(service_name: str, model_name: str) -> dict[str, Any]:
        return cached(directory / f"{service_name}.{model_name}.pickle", lambda: load(service_name, model_name))

    utils._load_service_model = _load_service_model  # type: ignore[assignment]


_REGION_NAME = re.compile(r"[a-z0-9-]+")


class _OfferingsByRegion(dict):  # type: ignore[type-arg]
    """One location type's offerings, each Region's read from moto's resources when first asked for.

    moto reads this table with ``[region]`` and ``.get(region, default)`` only.
    """

    def __init__(self, location_type: str, loaded: dict[str, Any], load: Callable[[str, str], Any]) -> None:
        super().__init__(loaded)
        self.location_type = location_type
        self.load = load

    def _fill(self, region: str) -> bool:
        if not dict.__contains__(self, region):
            if not _REGION_NAME.fullmatch(region):
                return False
            try:
                offerings = self.load(self.location_type, region)
            except (FileNotFoundError, OSError, TypeError):
                return False
            for offering in offerings:
                offering["LocationType"] = self.location_type
            dict.__setitem__(self, region, offerings)
        return True

    def __getitem__(self, region: str) -> Any:
        self._fill(region)
        return dict.__getitem__(self, region)

    def get(self, region: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.__getitem__(self, region) if self._fill(region) else default

    def __contains__(self, region: object) -> bool:
        return isinstance(region, str) and self._fill(region)


def offerings_on_demand(region: str) -> None:
    """Imports moto's EC2 instance types reading ``region``'s offerings only; the rest on demand.

    ``moto.ec2.models.instance_types`` reads every file of ``resources/instance_type_offerings``
    as it is imported (about half a second); a create asks for one Region's.
    """
    if "moto.ec2.models.instance_types" in sys.modules:
        return
    real_listdir = os.listdir

    def listdir(path: Any = ".") -> list[str]:
        names = real_listdir(path)
        if Path(path).parent.name == "instance_type_offerings":
            return [name for name in names if name.split(".")[0] == region]
        return names

    os.listdir = listdir  # the module binds ``from os import listdir`` as it is imported
    try:
        import moto.ec2.models.instance_types as instance_types
    finally:
        os.listdir = real_listdir
    instance_types.listdir = real_listdir  # type: ignore[attr-defined]

    from moto.utilities.utils import load_resource

    def load(location_type: str, name: str) -> Any:
        path = f"../resources/instance_type_offerings/{location_type}/{name}.json"
        return load_resource(instance_types.__name__, path)

    table = instance_types.INSTANCE_TYPE_OFFERINGS
    for location_type, loaded in list(table.items()):
        table[location_type] = _OfferingsByRegion(location_type, loaded, load)


def install(moto_version: str, region: str) -> None:
    """1 to 3 above, before anything imports moto's models: what moto reads as it loads comes from
    the cache, and ``region``'s offerings alone are read up front."""
    directory = cache_dir(moto_version)
    RegionLists(directory / "regions.pickle").install()
    service_models(directory)
    offerings_on_demand(region)


def steady_dispatch() -> None:
    """Two costs of every request that do not change while the server runs.

    - moto's dispatcher lists its own package directory (some 150 ``stat`` calls) on every request
      to tell a service name from a host name: the list is read once.
    - werkzeug logs a line per request to stderr, which the emulator reads only when moto fails to
      start: requests are no longer logged (errors still are).
    """
    import logging

    import moto.backends as backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
