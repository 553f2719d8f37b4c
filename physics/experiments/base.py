"""The experiments framework: kinds of experiment in a registry, their specs, and a cache of results.

An experiment turns one ball into evidence: many runs at once (a grid of starts, a grid of
hyper-parameters, seeded repeats), one result. Each kind registers an :class:`ExperimentKind` in
:data:`EXPERIMENTS` (name -> entry) with :func:`register`:

- ``validate(raw, where) -> dict``: the settings as read from a scene file or the command line
  (untrusted JSON-like data) -> complete, normalised settings (defaults filled in). Every problem
  raises :class:`~surfaces.errors.SceneError` whose ``field`` is ``f"{where}.{key}"`` and whose
  message is one line (:class:`SettingsReader` does the usual checks).
- ``run(surface, scene, settings, seed, progress) -> result``: the computation (any thread, no Qt).
  ``progress(done, total) -> bool`` is called between chunks of work; when it returns False the
  run stops by raising :class:`Cancelled`.
- ``to_csv(result, stream)``: the result as CSV text.
- ``key(scene, settings) -> hashable`` (optional): what the result depends on beyond the surface
  (formula, parameters, domain), the settings and the seed (the default: nothing more).

:class:`ExperimentSpec` is the frozen value a scene stores (kind name, settings as sorted (name,
value) pairs, nested objects frozen as :class:`FrozenMap`); :func:`make_spec` validates one.
:func:`run_experiment` computes a spec's result or takes it from :data:`CACHE`: the same surface
text, parameters, domain, settings and seed give the same result object (an LRU of
``CACHE_SIZE`` results).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from physics.json_values import describe
from surfaces.errors import SceneError

if TYPE_CHECKING:
    from physics.scenes import Scene
    from surfaces.surface import Surface

#: progress(done, total) -> False to cancel.
Progress = Callable[[int, int], bool]
#: Results kept in the cache (each may hold a few MB: a 200 x 200 map of probabilities).
CACHE_SIZE = 12
#: The most experiments one scene holds.
MAX_EXPERIMENTS = 8
#: The most keys in one settings object (and nested object).
MAX_SETTINGS = 40


class Cancelled(Exception):  # noqa: N818 - a state, not an error
    """Raised by a run whose progress callback returned False."""


def no_progress(done: int, total: int) -> bool:
    """The progress callback of a run nobody watches: never cancels."""
    return True


def checked(progress: Progress | None, done: int, total: int) -> None:
    """Report progress; raise Cancelled when the callback says stop."""
    if progress is not None and progress(done, total) is False:
        raise Cancelled()


class FrozenMap(tuple):
    """A JSON object inside settings, frozen: sorted (name, value) pairs (a tuple, so hashable)."""

    __slots__ = ()


def freeze(value: Any) -> Any:
    """JSON-like data -> hashable: dicts become FrozenMap, lists tuples (recursively)."""
    if isinstance(value, Mapping):
        return FrozenMap(sorted((str(key), freeze(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: FrozenMap -> dict, tuples -> lists (the JSON form)."""
    if isinstance(value, FrozenMap):
        return {key: thaw(item) for key, item in value}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


@dataclass(frozen=True)
class ExperimentSpec:
    """One experiment of a scene: its kind's name and its complete settings (frozen, sorted pairs).

    Make one with :func:`make_spec` (validated); ``settings_dict()`` gives the plain settings
    (nested objects as dicts, lists as tuples for pairs).
    """

    kind: str
    settings: tuple[tuple[str, Any], ...] = ()

    def settings_dict(self) -> dict[str, Any]:
        return {key: (dict(value) if isinstance(value, FrozenMap) else value) for key, value in self.settings}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: {"kind": ..., "settings": {...}}."""
        return {"kind": self.kind, "settings": {key: thaw(value) for key, value in self.settings}}


@dataclass(frozen=True)
class ExperimentKind:
    """A registry entry (see the module docstring)."""

    name: str
    title: str
    validate: Callable[[Any, str], dict[str, Any]]
    run: Callable[[Surface, Scene | None, dict[str, Any], int, Progress], Any]
    to_csv: Callable[[Any, TextIO], None]
    key: Callable[[Scene | None, dict[str, Any]], Hashable] | None = None


#: Experiment kinds by name, in order of registration.
EXPERIMENTS: dict[str, ExperimentKind] = {}


def register(kind: ExperimentKind) -> ExperimentKind:
    """Add (or replace) a kind in EXPERIMENTS; returns it."""
    EXPERIMENTS[kind.name] = kind
    return kind


def load_kinds(wanted: str | None = None) -> dict[str, ExperimentKind]:
    """EXPERIMENTS with every built-in kind registered (importing their modules registers them), or
    only until ``wanted`` is registered."""
    import importlib

    for module in BUILT_IN:
        if wanted is not None and wanted in EXPERIMENTS:
            break
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:  # a kind still being built: absent, not broken
            if error.name != module:
                raise
    return EXPERIMENTS


#: The modules that register the built-in kinds (physics.experiments.<name>).
BUILT_IN = ("physics.experiments.basins", "physics.experiments.stability", "physics.experiments.escape",
            "physics.experiments.landscape_stats")


def get_kind(name: Any, where: str = "kind") -> ExperimentKind:
    """The registered kind ``name``; SceneError naming ``where`` otherwise. A kind already registered is
    returned without importing the others (a kind's scene reads even while another is being built)."""
    if isinstance(name, str):
        load_kinds(name)
        if name in EXPERIMENTS:
            return EXPERIMENTS[name]
    kinds = load_kinds()
    if not isinstance(name, str) or name not in kinds:
        shown = repr(name)[:40]
        raise SceneError(f"unknown experiment {shown}; choose one of {', '.join(kinds) or '(none)'}", field=where)
    return kinds[name]


def make_spec(kind: Any, settings: Any = None, where: str = "experiments[0]") -> ExperimentSpec:
    """Validate untrusted ``kind`` and ``settings`` (JSON-like) into an ExperimentSpec."""
    entry = get_kind(kind, f"{where}.kind")
    raw = {} if settings is None else settings
    if not isinstance(raw, Mapping):
        raise SceneError("the settings must be an object {...}", field=f"{where}.settings")
    values = entry.validate(raw, f"{where}.settings")
    return ExperimentSpec(kind=entry.name, settings=tuple(sorted((k, freeze(v)) for k, v in values.items())))


# ------------------------------------------------------------------------------------------- the cache


def surface_key(surface: Surface) -> tuple:
    """What a surface's results depend on: formula text, parameter values, domain."""
    return (surface.text, tuple(surface.parameters), surface.domain.as_tuple())


def cache_key(spec: ExperimentSpec, surface: Surface, scene: Scene | None, seed: int) -> tuple:
    entry = get_kind(spec.kind)
    extra = entry.key(scene, spec.settings_dict()) if entry.key is not None else None
    return (spec.kind, surface_key(surface), spec.settings, int(seed), extra)


class ResultCache:
    """A bounded, thread-safe LRU of experiment results by :func:`cache_key`."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = int(size)
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        #: Lookups answered from the cache (for tests and the benchmark).
        self.hits = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return self._items[key]

    def put(self, key: Hashable, result: Any) -> None:
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


CACHE = ResultCache()


def run_experiment(spec: ExperimentSpec, surface: Surface, scene: Scene | None = None, seed: int = 0,
                   progress: Progress | None = None, cache: ResultCache | None = CACHE) -> Any:
    """The result of ``spec`` on ``surface`` from ``seed``: from the cache, or computed (and cached).

    Raises Cancelled when ``progress`` returns False, SceneError/DownhillError for settings that
    cannot run on this surface.
    """
    key = cache_key(spec, surface, scene, seed) if cache is not None else None
    if cache is not None:
        found = cache.get(key)
        if found is not None:
            return found
    entry = get_kind(spec.kind)
    result = entry.run(surface, scene, spec.settings_dict(), int(seed), progress or no_progress)
    if cache is not None:
        cache.put(key, result)
    return result


def cached_result(spec: ExperimentSpec, surface: Surface, scene: Scene | None = None, seed: int = 0,
                  cache: ResultCache = CACHE) -> Any | None:
    """The cached result of ``spec`` or None (never computes: the UI thread may ask)."""
    return cache.get(cache_key(spec, surface, scene, seed))


# ------------------------------------------------------------------------------------------- settings


class SettingsReader:
    """Reads untrusted settings key by key; every error is a one-line SceneError naming ``where.key``.

    ``reader = SettingsReader(raw, where, allowed=(...))`` refuses unknown keys; then
    ``reader.number("lr", 0.01, low, high)``, ``integer``, ``choice``, ``boolean``, ``mapping``.
    """

    def __init__(self, raw: Any, where: str, allowed: tuple[str, ...]) -> None:
        if not isinstance(raw, Mapping):
            raise SceneError("the settings must be an object {...}", field=where)
        if len(raw) > MAX_SETTINGS:
            raise SceneError(f"{len(raw)} settings; at most {MAX_SETTINGS}", field=where)
        for key in raw:
            if key not in allowed:
                shown = repr(key)[:40]
                raise SceneError(f"unknown setting {shown}; the settings are {', '.join(allowed)}",
                                 field=f"{where}.{str(key)[:40]}")
        self.raw = raw
        self.where = where

    def field(self, key: str) -> str:
        return f"{self.where}.{key}"

    def number(self, key: str, default: float | None, low: float = -math.inf, high: float = math.inf,
               positive: bool = False) -> float | None:
        value = self.raw.get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SceneError(f"must be a number, not {describe(value)}", field=self.field(key))
        try:
            number = float(value)
        except OverflowError:
            raise SceneError("is too large a number", field=self.field(key)) from None
        if not math.isfinite(number):
            raise SceneError("must be a finite number", field=self.field(key))
        if not low <= number <= high or (positive and number <= 0.0):
            bound = f"({low:g}, {high:g}]" if positive else f"[{low:g}, {high:g}]"
            raise SceneError(f"{value!r} is out of range {bound}", field=self.field(key))
        return number

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SceneError(f"must be a whole number, not {describe(value)}", field=self.field(key))
        if not low <= value <= high:
            raise SceneError(f"{value} is out of range [{low}, {high}]", field=self.field(key))
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or value not in choices:
            raise SceneError(f"{describe(value)} is not one of {', '.join(choices)}", field=self.field(key))
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise SceneError(f"must be true or false, not {describe(value)}", field=self.field(key))
        return value

    def optimizer(self, key: str = "optimizer", hyperparameters: str = "hyperparameters",
                  default: str = "sgd") -> tuple[str, dict[str, Any]]:
        """An optimiser's registry name and its hyper-parameter overrides, checked against the registry's
        ranges (physics.balls.BallSpec.settings): (name, {hyper-parameter: normalised value})."""
        from physics.balls import BallSpec
        from surfaces.errors import DownhillError

        name = self.raw.get(key, default)
        if not isinstance(name, str) or len(name) > 60:
            raise SceneError(f"must be an optimiser's name, not {describe(name)}", field=self.field(key))
        given = self.mapping(hyperparameters)
        pairs = []
        for item, value in given.items():
            if isinstance(value, list | tuple):
                value = tuple(value)
            pairs.append((str(item), value))
        ball = BallSpec(name="experiment", color="#000000", optimizer=name, hyperparameters=tuple(pairs))
        try:
            complete = ball.settings()
        except DownhillError as error:
            where = error.field or key
            where = where if where.startswith(("optimizer", "hyperparameters")) else key
            where = where.replace("optimizer", key, 1) if where.startswith("optimizer") else \
                where.replace("hyperparameters", hyperparameters, 1)
            raise SceneError(error.message, field=self.field(where)) from None
        return name, {item: complete[item] for item, _ in pairs}

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self.raw.get(key, {})
        if not isinstance(value, Mapping):
            raise SceneError(f"must be an object {{...}}, not {describe(value)}", field=self.field(key))
        if len(value) > MAX_SETTINGS:
            raise SceneError(f"{len(value)} entries; at most {MAX_SETTINGS}", field=self.field(key))
        return value



def with_kind(experiments: tuple[ExperimentSpec, ...], kind: str,
              specs: tuple[ExperimentSpec, ...]) -> tuple[ExperimentSpec, ...]:
    """``experiments`` with those of ``kind`` replaced by ``specs`` (the other kinds kept, in order):
    how each experiment view updates the scene's list (physics.session.Session.set_experiments)."""
    return tuple(spec for spec in experiments if spec.kind != kind) + tuple(specs)
