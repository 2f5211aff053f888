"""The clinic model file: round trip, schema, checksum, versions and refusal of bad files."""

from __future__ import annotations

import builtins
import importlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from lbprun.clinic import load_demo_model, load_model
from lbprun.clinic import model_file as mf
from lbprun.clinic._safe_json import checksum
from lbprun.clinic._schema_check import jsonschema_errors, model_schema, schema_errors
from lbprun.clinic.demo import DEMO_MODEL_FILE
from lbprun.datasets import load_example_survey
from lbprun.exceptions import ModelFileError


@pytest.fixture(scope="module")
def model():
    return load_demo_model()


@pytest.fixture(scope="module")
def survey():
    return load_example_survey()


@pytest.fixture()
def saved(model, tmp_path) -> Path:
    return model.save(tmp_path / "model.json")


def _doc(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, doc: dict, *, fix_checksum: bool) -> Path:
    if fix_checksum:
        doc["checksum"]["value"] = checksum(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_save_load_score_gives_bitwise_identical_probabilities(model, survey, saved):
    loaded = load_model(saved, jsonschema=True)
    before, after = model.score(survey).to_frame(), loaded.score(survey).to_frame()
    for column in ("probability", "ci_low", "ci_high"):
        assert np.array_equal(before[column].to_numpy(), after[column].to_numpy())
    assert before["band"].tolist() == after["band"].tolist()
    assert np.array_equal(model.coef, loaded.coef) and np.array_equal(model.cov, loaded.cov)
    assert loaded.features == model.features and loaded.development == model.development
    # and a second save writes the same bytes
    again = loaded.save(saved.parent / "again.json")
    assert again.read_bytes() == saved.read_bytes()


def test_document_header_and_checksum(saved):
    doc = _doc(saved)
    assert doc["format"] == "lbprun-risk-model"
    assert doc["format_version"] == mf.FORMAT_VERSION == "1.0"
    assert doc["lbprun_version"] == "0.1.0"
    assert doc["checksum"]["algorithm"] == "sha256"
    assert doc["checksum"]["value"] == checksum(doc)
    assert len(doc["checksum"]["value"]) == 64


def test_saved_file_follows_the_published_schema(saved):
    doc = _doc(saved)
    assert model_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema_errors(doc) == []
    assert jsonschema_errors(doc) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["model"].pop("covariance"),
        lambda d: d["model"].update(extra=1),
        lambda d: d["model"]["features"][0].update(kind="polynomial"),
        lambda d: d["model"]["development"].update(n=0),
        lambda d: d["model"]["bands"][1].update(lower=1.5),
        lambda d: d["model"].update(coefficients="0.5"),
    ],
)
def test_hand_validator_agrees_with_jsonschema(saved, change):
    doc = _doc(saved)
    change(doc)
    assert schema_errors(doc), "hand validator missed the problem"
    assert jsonschema_errors(doc), "jsonschema missed the problem"


def test_recalibrated_model_keeps_its_shift(model, tmp_path):
    recal = model.recalibrate(0.3)
    loaded = load_model(recal.save(tmp_path / "recal.json"))
    assert loaded.intercept_shift == recal.intercept_shift != 0.0
    assert loaded.recalibrated_to == 0.3


def test_older_known_version_loads(saved, monkeypatch):
    doc = _doc(saved)
    doc["format_version"] = "0.9"
    _write(saved, doc, fix_checksum=True)
    with pytest.raises(ModelFileError, match="unknown format version 0.9"):
        load_model(saved)
    upgraded = []

    def upgrade(content):
        upgraded.append(True)
        return content

    monkeypatch.setitem(mf.READABLE_VERSIONS, "0.9", upgrade)
    assert load_model(saved).outcome == "lbp_12m"
    assert upgraded == [True]


def test_newer_major_version_names_the_writer(saved):
    doc = _doc(saved)
    doc["format_version"], doc["lbprun_version"] = "2.0", "9.1.0"
    _write(saved, doc, fix_checksum=True)
    with pytest.raises(ModelFileError, match=r"written by lbprun '9.1.0' in format 2.0"):
        load_model(saved)


def _tamper_coefficient(d):
    d["model"]["coefficients"][1] += 0.01


def _tamper_checksum(d):
    d["checksum"]["value"] = "0" * 64


def _unknown_minor(d):
    d["format_version"] = "1.7"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_tamper_coefficient, "fails its checksum"),
        (_tamper_checksum, "fails its checksum"),
        (_unknown_minor, "unknown format version 1.7"),
    ],
)
def test_tampering_without_fixing_the_checksum_is_refused(saved, change, message):
    doc = _doc(saved)
    change(doc)
    _write(saved, doc, fix_checksum=False)
    with pytest.raises(ModelFileError, match=message) as info:
        load_model(saved)
    assert str(saved) in str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["model"]["validation"].update(__reduce__=["os.system", ["ls"]]),
            "plain data",
        ),
        (lambda d: d["model"]["validation"].update(note="!!python/object:os.system"), "plain"),
        (lambda d: d["model"]["validation"].update({"py/object": "os.system"}), "plain data"),
        (lambda d: d["model"].update(__class__="lbprun.clinic.RiskModel"), "plain data"),
        (lambda d: d["model"]["features"][0].update(kind="os.system"), "schema"),
        (lambda d: d["model"]["coefficients"].append(0.0), "coefficients must have 7"),
        (lambda d: d["model"]["covariance"][0].__setitem__(1, 99.0), "symmetric"),
        (lambda d: d["model"]["features"][4].update(knots=[30.0, 20.0, 60.0]), "knots"),
        (lambda d: d["model"]["features"][1].update(levels=["F", "M", "M"]), "unique levels"),
        (lambda d: d["model"]["features"][1].update(reference="X"), "reference level"),
        (lambda d: d["model"].update(design_names=["a"] * 7), "design_names must match"),
        (lambda d: d["model"]["development"].update(events=9999), "events must not exceed"),
        (lambda d: d.update(format="pickle"), "must be an 'lbprun-risk-model' document"),
    ],
)
def test_bad_content_with_a_valid_checksum_is_refused(saved, change, message):
    doc = _doc(saved)
    change(doc)
    _write(saved, doc, fix_checksum=True)
    with pytest.raises(ModelFileError, match=message) as info:
        load_model(saved, jsonschema=True)
    assert str(saved) in str(info.value)


def test_truncated_file(saved):
    saved.write_bytes(saved.read_bytes()[:-200])
    with pytest.raises(ModelFileError, match="must be valid JSON"):
        load_model(saved)


def test_pickle_file(model, tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"coef": model.coef.tolist()}))
    with pytest.raises(ModelFileError, match="UTF-8 JSON text"):
        load_model(path)


def test_yaml_python_tag(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("!!python/object/apply:os.system ['echo hacked']\n", encoding="utf-8")
    with pytest.raises(ModelFileError, match="must be valid JSON"):
        load_model(path)


def test_sparse_1gb_file_is_refused_unread(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(2**30)
    with pytest.raises(ModelFileError, match=r"at most 5,000,000 bytes; got 1,073,741,824"):
        load_model(path)


def test_max_bytes_is_respected(saved):
    with pytest.raises(ModelFileError, match="at most 1,000 bytes"):
        load_model(saved, max_bytes=1000)


def test_deep_nesting(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"a":' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(ModelFileError, match="must nest at most 32 levels; got 100001"):
        load_model(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NaN", "without NaN or Infinity; got NaN"),
        ("Infinity", "without NaN or Infinity; got Infinity"),
        ("-Infinity", "without NaN or Infinity; got -Infinity"),
        ("1e999", "overflows a double"),
    ],
)
def test_non_finite_numbers(saved, text, message):
    raw = saved.read_text(encoding="utf-8")
    first = json.dumps(_doc(saved)["model"]["coefficients"][0])
    saved.write_text(raw.replace(first, text, 1), encoding="utf-8")
    with pytest.raises(ModelFileError, match=message):
        load_model(saved)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b'{"format": 1, "format": 2}', "duplicate key 'format'"),
        (b"\xef\xbb\xbf{}", "without a byte-order mark"),
        (b"[1, 2]", "must hold a JSON object; got list"),
        (b'{"format": "lbprun-risk-model", "format_version": "one"}', "'MAJOR.MINOR'"),
    ],
)
def test_other_malformed_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ModelFileError, match="must exist"):
        load_model(tmp_path / "nope.json")
    with pytest.raises(ModelFileError, match="regular file"):
        load_model(tmp_path)


def test_loading_never_unpickles_evaluates_or_imports(saved, monkeypatch):
    import lbprun.clinic.model_file  # noqa: F401  (imported before the guard)

    def forbidden(*args, **kwargs):
        raise AssertionError("loading a model file must not execute code")

    for module, name in [
        (pickle, "load"),
        (pickle, "loads"),
        (builtins, "eval"),
        (builtins, "exec"),
        (importlib, "import_module"),
    ]:
        monkeypatch.setattr(module, name, forbidden)
    assert load_model(saved).outcome == "lbp_12m"


def test_shipped_demo_file_is_valid():
    doc = json.loads(DEMO_MODEL_FILE.read_text(encoding="utf-8"))
    assert schema_errors(doc) == [] and jsonschema_errors(doc) == []
    assert doc["model"]["label"] == "demonstration only — not validated for clinical use"
