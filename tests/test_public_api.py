"""Every public name imports and carries a numpydoc docstring."""

from __future__ import annotations

import inspect

import pytest

import lbprun


def test_all_names_import():
    for name in lbprun.__all__:
        assert hasattr(lbprun, name), name


@pytest.mark.parametrize("name", [n for n in lbprun.__all__ if not n.startswith("__")])
def test_public_name_has_docstring(name):
    obj = getattr(lbprun, name)
    if not (inspect.isfunction(obj) or inspect.isclass(obj)):
        return  # constants such as SCHEMAS are documented in their module
    doc = inspect.getdoc(obj)
    assert doc and len(doc.splitlines()[0]) > 10, f"{name} lacks a summary line"
    if inspect.isfunction(obj) and inspect.signature(obj).parameters:
        assert "Parameters\n----------" in doc, f"{name} lacks a numpydoc Parameters section"
        assert "Returns\n-------" in doc, f"{name} lacks a numpydoc Returns section"


def test_version_is_pep440():
    from packaging.version import Version

    assert Version(lbprun.__version__) >= Version("0.1.0")


def test_every_result_prints_its_summary_and_serialises():
    from lbprun._result import Result

    results = [
        getattr(lbprun, n)
        for n in lbprun.__all__
        if inspect.isclass(getattr(lbprun, n)) and issubclass(getattr(lbprun, n), Result)
    ]
    assert len(results) >= 10
    for cls in results:
        # a dataclass subclass regenerates __repr__ unless declared with repr=False
        assert cls.__repr__ is Result.__repr__, f"{cls.__name__} must use repr=False"
    fit = lbprun.prevalence(lbprun.datasets.load_example_survey(), "lbp_12m", by="sex")
    assert repr(fit) == fit.summary()
    import json

    assert json.loads(fit.to_json())["table"][0]["n"] == len(lbprun.datasets.load_example_survey())
