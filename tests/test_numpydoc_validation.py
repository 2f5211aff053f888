"""Every public name of lbprun passes numpydoc's docstring validation.

The public names are those of ``lbprun.__all__`` and of the public submodules
``lbprun.datasets``, ``lbprun.meta``, ``lbprun.workload`` and ``lbprun.clinic``; for classes,
their public methods and properties (those lbprun defines, not those of a third-party base)
are checked too. Each object is validated with :func:`numpydoc.validate.validate` and fails on
the codes of :data:`CHECKED`.

What is not checked, and why:

* ``EX01`` (no Examples) for classes, methods and properties. Result classes and warnings are
  not built by users: the function that returns or raises them carries the example, and the
  methods every result shares (``to_frame``, ``summary``, ``to_dict``, ``plot``) work the same
  on each. Functions must have examples.
* ``PR01`` for constructor fields whose names start with ``_`` (internal dataclass fields such
  as ``_private_fields``): they are not part of the API.
* ``SA01`` (See Also), ``ES01`` (extended summary), ``PR04``/``PR07``/``RT03`` (types and
  descriptions of ``**kwargs`` and of properties) and ``SS06`` (one-line summary): style, not
  content; the site shows these docstrings as they are.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

import lbprun

numpydoc_validate = pytest.importorskip("numpydoc.validate")

SUBMODULES = ("lbprun.datasets", "lbprun.meta", "lbprun.workload", "lbprun.clinic")

#: Codes that fail the test, for every function, class, method and property.
CHECKED = {
    "GL08",  # no docstring
    "SS01",  # no summary
    "SS02",  # summary does not start with a capital letter
    "SS03",  # summary does not end with a period
    "SS05",  # summary starts with a third-person verb ("Returns" for "Return")
    "PR01",  # a parameter is not documented
    "PR02",  # a documented parameter does not exist
    "PR03",  # parameters documented out of order
    "PR06",  # a type spelled "integer"/"boolean"/"string"
    "RT01",  # no Returns section for a function that returns a value
    "EX01",  # no Examples section (functions only, see above)
}

#: Codes checked for functions only.
FUNCTION_ONLY = {"EX01"}


#: Docstrings that do not pass yet (missing Parameters/Returns entries, a function without
#: Examples). Marked as expected failures, strictly: a docstring that is completed makes its
#: entry fail, so it must then be removed from this set. It only shrinks.
KNOWN_GAPS: set[str] = set()


def _public_objects() -> dict[str, object]:
    objects: dict[str, object] = {}
    for name in lbprun.__all__:
        obj = getattr(lbprun, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            objects[f"lbprun.{name}"] = obj
    for module_name in SUBMODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if name in lbprun.__all__ and getattr(lbprun, name) is obj:
                continue  # validated under its lbprun. name
            if inspect.isfunction(obj) or inspect.isclass(obj):
                objects[f"{module_name}.{name}"] = obj
    return objects


def _members(qualified: str, cls: type) -> dict[str, str]:
    """Public methods and properties lbprun defines on ``cls`` or its lbprun bases."""
    out = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next((c for c in cls.__mro__ if name in vars(c)), None)
        if owner is None or not owner.__module__.startswith("lbprun"):
            continue
        raw = inspect.getattr_static(cls, name)
        if isinstance(raw, staticmethod | classmethod | property) or inspect.isfunction(raw):
            out[f"{qualified}.{name}"] = "property" if isinstance(raw, property) else "method"
    return out


def _targets() -> dict[str, str]:
    targets: dict[str, str] = {}
    for qualified, obj in _public_objects().items():
        if inspect.isclass(obj):
            targets[qualified] = "class"
            targets.update(_members(qualified, obj))
        else:
            targets[qualified] = "function"
    return targets


TARGETS = _targets()


def _attribute_names(qualified: str) -> set[str]:
    """Names a class documents under Attributes (a result's fields are described there)."""
    from numpydoc.docscrape import NumpyDocString

    module_name, _, name = qualified.rpartition(".")
    obj = getattr(importlib.import_module(module_name), name)
    parsed = NumpyDocString(inspect.getdoc(obj) or "")
    return {item.name.split(":")[0].strip() for item in parsed["Attributes"]}


def _failures(qualified: str, kind: str) -> list[str]:
    result = numpydoc_validate.validate(qualified)
    documented = _attribute_names(qualified) if kind == "class" else set()
    codes = CHECKED if kind == "function" else CHECKED - FUNCTION_ONLY
    failures = []
    for code, message in result["errors"]:
        if code not in codes:
            continue
        if code == "PR01":
            missing = {
                part.strip(" '") for part in message.split("{", 1)[1].rsplit("}", 1)[0].split(",")
            }
            missing = {m for m in missing if not m.startswith("_")} - documented
            if not missing:
                continue  # internal fields, or fields documented under Attributes
            message = f"Parameters {sorted(missing)} not documented"
        if code == "RT01" and kind == "property":
            continue  # a property's summary says what it holds
        failures.append(f"{code}: {message}")
    return failures


def test_every_public_name_and_submodule_is_covered():
    names = {q.rpartition(".")[2] for q in TARGETS}
    callables = [
        n
        for n in lbprun.__all__
        if inspect.isfunction(getattr(lbprun, n)) or inspect.isclass(getattr(lbprun, n))
    ]
    assert set(callables) <= names
    assert "lbprun.prevalence" in TARGETS and "lbprun.PrevalenceResult.to_frame" in TARGETS
    assert "lbprun.datasets.load_example_survey" in TARGETS
    assert "lbprun.workload.clear_cache" in TARGETS
    assert len(TARGETS) > 200
    assert KNOWN_GAPS <= set(TARGETS), sorted(KNOWN_GAPS - set(TARGETS))


@pytest.mark.parametrize(
    "qualified",
    [
        pytest.param(
            q,
            marks=pytest.mark.xfail(q in KNOWN_GAPS, reason="docstring incomplete", strict=True),
        )
        for q in sorted(TARGETS)
    ],
)
def test_docstring_passes_numpydoc_validation(qualified):
    failures = _failures(qualified, TARGETS[qualified])
    assert not failures, f"{qualified}:\n" + "\n".join(failures)
