"""The client: one cypher() call is one POST /cypher (one transaction) over urllib, retried
with jittered exponential backoff only when the server answers Conflict or Unavailable, the two
codes that the contract says wrote nothing."""
from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional

from ._values import decode, encode, plain

RETRYABLE = ("Conflict", "Unavailable")


class Position(NamedTuple):
    offset: int  # 0-based
    line: int  # 1-based
    column: int  # 1-based


class NamiDBError(Exception):
    """A failed request. `code` is the contract's code ("SyntaxError", "Conflict", ...), or this
    client's own "ConnectionError" (no HTTP answer: not retried, a write may have landed) or
    "BadResponse" (an answer that is not the contract's JSON)."""

    def __init__(self, code: str, message: str, status: int = 0, detail: Optional[str] = None,
                 phase: Optional[str] = None, position: Optional[Position] = None, attempts: int = 1):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status
        self.detail, self.phase, self.position, self.attempts = detail, phase, position, attempts

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE


class Result:
    """columns, rows (lists in column order), stats, meta; records() / to_dicts() / to_pandas()."""

    def __init__(self, columns: List[str], rows: List[List[Any]], stats: Dict[str, int], meta: Dict[str, Any],
                 attempts: int):
        self.columns, self.rows, self.stats, self.meta = columns, rows, stats, meta
        self.attempts = attempts  # HTTP requests this result took (1 unless Conflict/Unavailable was retried)

    def records(self) -> List[Dict[str, Any]]:
        """The rows as dicts keyed by column."""
        return [dict(zip(self.columns, row)) for row in self.rows]

    def to_dicts(self) -> List[Dict[str, Any]]:
        """The records in built-in types only: nodes/relationships as dicts with "_kind",
        paths as alternating lists, temporals as their text (ready for json.dumps)."""
        return [{c: plain(v) for c, v in zip(self.columns, row)} for row in self.rows]

    def to_pandas(self):
        """A pandas DataFrame with the result's columns (also when there are no rows)."""
        try:
            import pandas
        except ImportError as e:
            raise ImportError('to_pandas() needs pandas: pip install pandas (or "namidb[pandas]")') from e
        return pandas.DataFrame(self.rows, columns=self.columns)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return iter(self.records())

    def __repr__(self) -> str:
        return f"Result(columns={self.columns!r}, rows={len(self.rows)}, stats={self.stats!r})"


# URI schemes served by the engine in-process (namidb._native) instead of a Worker over HTTP.
NATIVE_SCHEMES = ("s3", "file", "memory")


class Client:
    """Client("http://127.0.0.1:8787?ns=prod", token="dev-token"): the namespace comes from ?ns=
    (or namespace=...). `attempts` is the number of HTTP requests per call, the first included."""

    def __init__(self, url: str, token: Optional[str] = None, *, namespace: Optional[str] = None,
                 attempts: int = 5, backoff: float = 0.05, max_backoff: float = 2.0, timeout: float = 60.0,
                 on_retry: Optional[Callable[[int, NamiDBError, float], None]] = None,
                 sleep: Callable[[float], None] = time.sleep, rand: Callable[[], float] = random.random):
        parts = urllib.parse.urlsplit(url)
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._token, self._attempts, self._timeout = token, attempts, timeout
        self._backoff, self._max_backoff = backoff, max_backoff
        self._on_retry, self._sleep, self._rand = on_retry, sleep, rand
        self._native = None
        if parts.scheme in NATIVE_SCHEMES:
            # The engine in-process on a bucket, a folder or memory: the URI names the namespace.
            if namespace is not None or token is not None:
                raise ValueError(f"{parts.scheme}:// URIs carry the namespace and need no token")
            try:
                from . import _native
            except ImportError as e:
                raise ImportError("namidb was installed without its engine extension (namidb._native); "
                                  "pip install builds it with maturin") from e
            try:
                self._native = _native.Session(url)
            except RuntimeError as e:
                raise _error(0, str(e), 1) from None
            self.namespace = parts.netloc if parts.scheme == "memory" else dict(urllib.parse.parse_qsl(parts.query)).get("ns")
            self.endpoint = url
            return
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s), s3, file or memory URL: {url!r}")
        ns = namespace or dict(urllib.parse.parse_qsl(parts.query)).get("ns")
        if not ns:
            raise ValueError(f"no namespace: add ?ns=<namespace> to {url!r} or pass namespace=")
        path = parts.path.rstrip("/")
        path = path[: -len("/cypher")] if path.endswith("/cypher") else path
        self.namespace = ns
        self.endpoint = f"{parts.scheme}://{parts.netloc}{path}/cypher?ns={urllib.parse.quote(ns, safe='')}"

    def cypher(self, query: str, params: Optional[Dict[str, Any]] = None) -> Result:
        """Runs one query as one transaction; raises NamiDBError."""
        request = {"query": query} if params is None else {"query": query, "params": encode(params)}
        body = json.dumps(request, allow_nan=False, ensure_ascii=False).encode("utf-8")
        attempt = 1
        while True:
            try:
                return self._send(body, attempt)
            except NamiDBError as e:
                if not e.retryable or attempt >= self._attempts:
                    raise
                delay = self.backoff(attempt)
                if self._on_retry is not None:
                    self._on_retry(attempt, e, delay)
                self._sleep(delay)
                attempt += 1

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based): full jitter, uniform in
        [0, min(max_backoff, backoff * 2^(attempt-1)))."""
        return self._rand() * min(self._max_backoff, self._backoff * 2 ** (attempt - 1))

    def _send(self, body: bytes, attempt: int) -> Result:
        if self._native is not None:
            ok, text = self._native.request(body)
            return _decode(200 if ok else 0, text, attempt)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        req = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise NamiDBError("ConnectionError", f"no answer from {self.endpoint}: {e}", 0, attempts=attempt) from e
        return _decode(status, raw.decode("utf-8", errors="replace"), attempt)


def _error(status: int, text: str, attempt: int) -> NamiDBError:
    """The NamiDBError an error answer (the contract's JSON error body) stands for."""
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    err = answer.get("error") if isinstance(answer, dict) and isinstance(answer.get("error"), dict) else {}
    pos = err.get("position")
    position = Position(pos.get("offset"), pos.get("line"), pos.get("column")) if isinstance(pos, dict) else None
    return NamiDBError(str(err.get("code") or "BadResponse"), str(err.get("message") or f"HTTP {status}: {text[:200]}"),
                       status, err.get("detail"), err.get("phase"), position, attempt)


def _decode(status: int, text: str, attempt: int) -> Result:
    """A Result from an answer's status and body text (status 200/0 for in-process answers);
    raises NamiDBError for an error answer."""
    try:
        answer = json.loads(text)
    except ValueError:
        raise NamiDBError("BadResponse", f"HTTP {status} with a body that is not JSON: {text[:200]}", status,
                          attempts=attempt) from None
    if not isinstance(answer, dict):
        answer = {}
    if status >= 400 or "error" in answer:
        raise _error(status, text, attempt)
    if not isinstance(answer.get("columns"), list) or not isinstance(answer.get("rows"), list):
        raise NamiDBError("BadResponse", f"HTTP {status} without columns and rows: {text[:200]}", status,
                          attempts=attempt)
    rows = [decode(row) if isinstance(row, list) else [] for row in answer["rows"]]
    return Result([str(c) for c in answer["columns"]], rows, answer.get("stats") or {}, answer.get("meta") or {},
                  attempt)
