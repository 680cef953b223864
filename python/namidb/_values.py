"""Cypher values in Python, and their JSON encoding in the /cypher contract (shared/API.md).

INTEGER <-> int, FLOAT <-> float (Python's json keeps 1 and 1.0 apart; NaN and infinities travel
as {"$float": "NaN"} etc.), LIST <-> list, MAP <-> dict, NODE / RELATIONSHIP / PATH -> Node /
Relationship / Path, DATE, TIME, LOCALTIME, DATETIME, LOCALDATETIME, DURATION -> Temporal (the
kind and the canonical Cypher text, exact to the nanosecond; .to_python() converts).
Parameters also accept datetime.date, datetime.datetime, datetime.time and numpy-style numbers.
"""
from __future__ import annotations

import datetime as _dt
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Dict, List

TEMPORAL_KINDS = ("date", "time", "localtime", "datetime", "localdatetime", "duration")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Node:
    id: str
    labels: List[str]
    properties: Dict[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(("node", self.id))


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    start: str  # the start node's id
    end: str  # the end node's id
    properties: Dict[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(("relationship", self.id))


@dataclass(frozen=True)
class Path:
    """A walk: relationships[i] joins nodes[i] and nodes[i + 1] (in either direction)."""

    nodes: List[Node]
    relationships: List[Relationship]

    def __hash__(self) -> int:
        return hash(tuple(r.id for r in self.relationships) or tuple(n.id for n in self.nodes))

    @property
    def start(self) -> Node:
        return self.nodes[0]

    @property
    def end(self) -> Node:
        return self.nodes[-1]

    def __len__(self) -> int:
        return len(self.relationships)


@dataclass(frozen=True)
class Temporal:
    """A temporal value as the server writes it: kind ("date", "datetime", ...) and canonical text."""

    kind: str
    text: str

    def __str__(self) -> str:
        return self.text

    def to_python(self) -> Any:
        """datetime.date / time / datetime for the instant kinds (digits past microseconds are
        dropped; a [Zone/Name] needs zoneinfo data); a duration has no exact Python type."""
        if self.kind == "duration":
            raise TypeError("a Cypher duration (months, days, seconds) has no exact Python type")
        text, zone = self.text, None
        if text.endswith("]") and "[" in text:
            text, zone = text[: text.index("[")], text[text.index("[") + 1 : -1]
        text = _trim_fraction(text)
        if self.kind == "date":
            return _dt.date.fromisoformat(text)
        if self.kind in ("time", "localtime"):
            return _dt.time.fromisoformat(text)
        value = _dt.datetime.fromisoformat(text)
        if zone is not None:
            from zoneinfo import ZoneInfo

            value = value.astimezone(ZoneInfo(zone))
        return value


def _trim_fraction(text: str) -> str:
    """Makes the text readable by fromisoformat on Python 3.9+: the fractional second as exactly
    the 6 digits datetime holds, and "Z" as "+00:00"."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dot = text.find(".")
    if dot < 0:
        return text
    end = dot + 1
    while end < len(text) and text[end].isdigit():
        end += 1
    return text[: dot + 1] + (text[dot + 1 : end] + "000000")[:6] + text[end:]


def decode(v: Any) -> Any:
    """A value parsed by json.loads -> the Python value (tags become the classes above)."""
    if isinstance(v, list):
        return [decode(x) for x in v]
    if not isinstance(v, dict):
        return v
    if len(v) == 1:
        ((tag, inner),) = v.items()
        if tag == "$node" and isinstance(inner, dict):
            return _node(inner)
        if tag == "$rel" and isinstance(inner, dict):
            return _rel(inner)
        if tag == "$path" and isinstance(inner, list):
            items = [decode(x) for x in inner]
            return Path([x for x in items if isinstance(x, Node)], [x for x in items if isinstance(x, Relationship)])
        if tag == "$float" and isinstance(inner, str):
            return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(inner, inner))
        if tag.startswith("$") and tag[1:] in TEMPORAL_KINDS and isinstance(inner, str):
            return Temporal(tag[1:], inner)
    return {k: decode(x) for k, x in v.items()}


def _node(j: dict) -> Node:
    return Node(str(j.get("id")), [str(x) for x in j.get("labels", [])], decode(j.get("properties") or {}))


def _rel(j: dict) -> Relationship:
    return Relationship(
        str(j.get("id")), str(j.get("type")), str(j.get("start")), str(j.get("end")), decode(j.get("properties") or {})
    )


def encode(v: Any) -> Any:
    """A parameter value -> a structure json.dumps writes in the contract's encoding."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, numbers.Integral):
        i = int(v)
        if not INT64_MIN <= i <= INT64_MAX:
            raise OverflowError(f"{i} is outside the 64-bit INTEGER range")
        return i
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isnan(f):
            return {"$float": "NaN"}
        if math.isinf(f):
            return {"$float": "Infinity" if f > 0 else "-Infinity"}
        return f
    if isinstance(v, Temporal):
        return {"$" + v.kind: v.text}
    if isinstance(v, _dt.datetime):  # before date: a datetime is a date
        return {"$datetime" if v.tzinfo is not None else "$localdatetime": v.isoformat()}
    if isinstance(v, _dt.date):
        return {"$date": v.isoformat()}
    if isinstance(v, _dt.time):
        return {"$time" if v.tzinfo is not None else "$localtime": v.isoformat()}
    if isinstance(v, Node):
        return {"$node": {"id": v.id, "labels": list(v.labels), "properties": encode(v.properties)}}
    if isinstance(v, Relationship):
        return {"$rel": {"id": v.id, "type": v.type, "start": v.start, "end": v.end, "properties": encode(v.properties)}}
    if isinstance(v, Path):
        return {"$path": encode(walk(v))}
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise TypeError(f"map keys must be strings, not {type(k).__name__}")
            out[k] = encode(x)
        return out
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    raise TypeError(f"{type(v).__name__} is not a Cypher value")


def plain(v: Any) -> Any:
    """Built-in types only (for to_dicts): nodes, relationships and paths become tagged dicts,
    temporals their text."""
    if isinstance(v, Node):
        return {"_kind": "node", "id": v.id, "labels": list(v.labels), "properties": plain(v.properties)}
    if isinstance(v, Relationship):
        return {"_kind": "relationship", "id": v.id, "type": v.type, "start": v.start, "end": v.end,
                "properties": plain(v.properties)}
    if isinstance(v, Path):
        return [plain(x) for x in walk(v)]
    if isinstance(v, Temporal):
        return v.text
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def walk(p: Path) -> List[Any]:
    """A path's nodes and relationships alternating, as the contract lists them."""
    items: List[Any] = []
    for i, n in enumerate(p.nodes):
        if i > 0:
            items.append(p.relationships[i - 1])
        items.append(n)
    return items
