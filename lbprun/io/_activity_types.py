"""Activity types: recorded labels (Strava, GPX, FIT, TCX, CSV exports) onto lbprun's labels.

:func:`normalise_type` maps a recorded type onto ``run``, ``trail_run``, ``virtual_run``,
``treadmill_run``, ``walk``, ``hike``, ``ride``, ``swim`` (or the label itself, lower-cased);
:func:`kept_types` expands the ``activity_types=`` option of the readers.

Examples
--------
>>> normalise_type("Treadmill Running"), normalise_type("Trail Running"), normalise_type("Hike")
('treadmill_run', 'trail_run', 'hike')
>>> sorted(kept_types(["run"]))
['run', 'trail_run', 'treadmill_run', 'virtual_run']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from lbprun._checks import ArgumentError

__all__ = ["RUN_TYPES", "fold", "kept_types", "normalise_type"]


def fold(text: str) -> str:
    """Case-fold, strip accents and keep letters and digits only (``"Vélo"`` -> ``"velo"``)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]", "", plain.casefold())


#: Normalised activity types that count as running (``activity_types=("run",)`` keeps them all).
RUN_TYPES = ("run", "trail_run", "virtual_run", "treadmill_run")

_TYPE_WORDS = {
    "run": "run running lauf laufen course courseapied corsa carrera correr runningstreet "
    "runningroad runningtrack runninggeneric streetrunning roadrunning trackrunning "
    "ultrarun ultrarunning trackfieldrunning obstaclerun",
    "trail_run": "trailrun trail traillauf traillaufen trailrunning coursetrail "
    "corsasusentiero corsainmontagna carreraporsendero carrerademontana runningtrail",
    "virtual_run": "virtualrun virtuellerlauf coursevirtuelle corsavirtuale carreravirtual "
    "runningvirtualactivity virtualrunning",
    "treadmill_run": "treadmill treadmillrun laufband tapisdecourse tapisroulant cintadecorrer "
    "runningtreadmill runningindoorrunning indoorrun indoorrunning treadmillrunning "
    "laufbandlaufen",
    "walk": "walk walking spaziergang gehen marche camminata caminata caminar",
    "hike": "hike hiking wandern wanderung randonnee escursionismo senderismo",
    "ride": "ride cycling biking radfahrt radfahren velo sortieavelo giroinbici ciclismo "
    "bicicleta virtualride",
    "swim": "swim swimming schwimmen natation nuoto natacion",
}
_TYPES = {word: kind for kind, words in _TYPE_WORDS.items() for word in words.split()}
_TYPES.update({"9": "run", "1": "ride"})  # the numeric <type> of older Strava GPX files
#: Words that mark a running type not listed above (``Indoor Run``, ``Track & Field Running``).
_RUN_WORD = re.compile(r"run|lauf|jog")
#: Words that mark the other sports of watch exports (``Pool Swim``, ``Road Cycling``).
_OTHER_WORDS = (
    ("swim", re.compile(r"swim|schwimm|natation|nuoto|natacion")),
    ("ride", re.compile(r"cycl|bik|ride|radfahr|velo|cicli")),
    ("hike", re.compile(r"hik|wander|randonn|senderis|escursion")),
    ("walk", re.compile(r"walk|spazier|camminat|caminat|marche")),
)


def normalise_type(raw: str | None) -> str:
    """Map a recorded activity type (Strava, GPX ``<type>``, FIT sport) onto lbprun's label.

    Parameters
    ----------
    raw : str or None
        The type as recorded: a Strava label in EN/DE/FR/IT/ES, a GPX ``<type>``, a FIT
        ``"sport:sub_sport"`` pair or a TCX ``Sport``.

    Returns
    -------
    str
        ``run``, ``trail_run``, ``virtual_run``, ``treadmill_run``, ``walk``, ``hike``,
        ``ride``, ``swim``; another label lower-cased with ``_``; ``unknown`` when empty.

    Examples
    --------
    >>> [normalise_type(t) for t in ("Run", "TrailRun", "Virtual Run", "running:treadmill")]
    ['run', 'trail_run', 'virtual_run', 'treadmill_run']
    >>> normalise_type("Lauf"), normalise_type("Weight Training"), normalise_type(None)
    ('run', 'weight_training', 'unknown')
    >>> normalise_type("9")  # older Strava GPX files
    'run'
    >>> normalise_type("cycling:commuting"), normalise_type("running:ultra")  # FIT sub_sports
    ('ride', 'run')
    >>> normalise_type("Indoor Running"), normalise_type("Jogging")  # Garmin, Polar exports
    ('treadmill_run', 'run')
    >>> normalise_type("Pool Swim"), normalise_type("Road Cycling"), normalise_type("Yoga")
    ('swim', 'ride', 'yoga')

    """
    if raw is None or not str(raw).strip():
        return "unknown"
    found = _TYPES.get(fold(raw))
    if found is None and ":" in str(raw):  # a FIT sub_sport lbprun does not list
        found = _TYPES.get(fold(str(raw).split(":", 1)[0]))
    if found is not None:
        return found
    folded = fold(raw)
    if _RUN_WORD.search(folded):  # e.g. "Indoor Running", "Track Run", "Jogging"
        if "trail" in folded:
            return "trail_run"
        if any(word in folded for word in ("treadmill", "indoor", "laufband")):
            return "treadmill_run"
        return "virtual_run" if "virtual" in folded else "run"
    for kind, words in _OTHER_WORDS:
        if words.search(folded):
            return kind
    return re.sub(r"[\W_]+", "_", str(raw).strip().casefold()).strip("_") or "unknown"


def kept_types(activity_types: Any) -> set[str]:
    """The normalised types an ``activity_types=`` option keeps (``"run"``: all of RUN_TYPES).

    Raises :class:`~lbprun._checks.ArgumentError` for anything but a string or strings.
    """
    if isinstance(activity_types, str):
        activity_types = (activity_types,)
    if not isinstance(activity_types, Iterable):
        raise ArgumentError(f"activity_types must be strings or None; got {activity_types!r}.")
    activity_types = list(activity_types)
    if not all(isinstance(t, str) for t in activity_types):
        raise ArgumentError(f"activity_types must be strings or None; got {activity_types!r}.")
    types = {normalise_type(t) for t in activity_types}
    if "run" in types:
        types |= set(RUN_TYPES)
    return types
