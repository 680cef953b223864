#!/usr/bin/env python3
"""Generates engine/src/graph/zones_data.rs, the IANA time zone table, from the system tzdata.

Usage: python3 scripts/gen-zones.py [/usr/share/zoneinfo] > engine/src/graph/zones_data.rs

Each zone keeps its explicit UTC-offset transitions only up to where its POSIX TZ footer rule
(e.g. `CET-1CEST,M3.5.0,M10.5.0/3`) predicts the rest; the engine evaluates that rule for any
later instant. Identical zones share one entry. Debian builds tzdata with `backzone`; upstream's
default build instead links a zone of `zone.tab` that is absent from `zone1970.tab` to the
`zone1970.tab` zone of its country with the same data since 1970 (Europe/Stockholm ->
Europe/Berlin), and so does this table, so results match the default IANA build (and Java).
"""
import os
import struct
import sys
import zoneinfo
from datetime import datetime, timedelta, timezone

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/zoneinfo"


def tzif(path):
    """(times, offset per transition, offset before the first, footer) from a TZif v2+ file."""
    b = open(path, "rb").read()
    assert b[:4] == b"TZif" and b[4] >= ord("2"), path

    def header(o):
        return struct.unpack(">6l", b[o + 20 : o + 44])

    isutc, isstd, leap, timecnt, typecnt, charcnt = header(0)
    o = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isutc
    isutc, isstd, leap, timecnt, typecnt, charcnt = header(o)
    p = o + 44
    times = list(struct.unpack(">%dq" % timecnt, b[p : p + 8 * timecnt]))
    p += 8 * timecnt
    idx = b[p : p + timecnt]
    p += timecnt
    types = [struct.unpack(">lBB", b[p + 6 * i : p + 6 * i + 6])[0] for i in range(typecnt)]
    p += 6 * typecnt + charcnt + leap * 12 + isstd + isutc
    footer = b[p:].strip(b"\n").decode()
    return times, [types[i] for i in idx], types[0], footer


# --- POSIX TZ rules (the same algorithm as engine/src/graph/zones.rs) ---------------------------

def parse_rule(s):
    """(std, dst, start, end) offsets east of UTC in seconds; start/end (month, week, wday, secs)."""
    pos = 0

    def name():
        nonlocal pos
        if s[pos] == "<":
            pos = s.index(">", pos) + 1
        else:
            while pos < len(s) and s[pos].isalpha():
                pos += 1

    def num():
        nonlocal pos
        sign = 1
        if s[pos] in "+-":
            sign = -1 if s[pos] == "-" else 1
            pos += 1
        parts = [0, 0, 0]
        for i in range(3):
            j = pos
            while pos < len(s) and s[pos].isdigit():
                pos += 1
            parts[i] = int(s[j:pos])
            if pos < len(s) and s[pos] == ":" and i < 2:
                pos += 1
            else:
                break
        return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])

    name()
    std = -num()
    if pos == len(s):
        return (std, None, None, None)
    name()
    dst = std + 3600
    if s[pos] != ",":
        dst = -num()
    rules = []
    for part in s[pos + 1 :].split(","):
        date, _, time = part.partition("/")
        assert date[0] == "M", s
        m, w, d = map(int, date[1:].split("."))
        secs = parse_time(time or "2")
        rules.append((m, w, d, secs))
    return (std, dst, rules[0], rules[1])


def parse_time(t):
    sign = -1 if t.startswith("-") else 1
    parts = [int(x) for x in t.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def rule_day(year, m, w, d):
    """Day of month of weekday d (0 = Sunday) in week w (5 = last) of month m."""
    first = datetime(year, m, 1)
    wd = (first.weekday() + 1) % 7  # Sunday = 0
    day = 1 + (d - wd) % 7 + (w - 1) * 7
    nxt = datetime(year + (m == 12), m % 12 + 1, 1)
    while day > (nxt - first).days:
        day -= 7
    return day


def rule_offset(rule, t):
    std, dst, start, end = rule
    if dst is None:
        return std
    year = datetime(1970, 1, 1) + timedelta(seconds=t + std)
    year = year.year

    def at(r, off):
        m, w, d, secs = r
        local = datetime(year, m, rule_day(year, m, w, d)) - datetime(1970, 1, 1)
        return int(local.total_seconds()) + secs - off

    s, e = at(start, std), at(end, dst)
    if s < e:
        return dst if s <= t < e else std
    return std if e <= t < s else dst


# --- Build ------------------------------------------------------------------------------------

def zone_entry(name):
    times, offsets, first, footer = tzif(os.path.join(ROOT, name))
    rule = parse_rule(footer) if footer else None
    # Drop the tail of transitions the rule reproduces.
    k = len(times)
    if rule:
        while k > 1:
            t, o = times[k - 1], offsets[k - 1]
            prev = offsets[k - 2] if k >= 2 else first
            gap = times[k] - t if k < len(times) else 0
            if rule_offset(rule, t) == o and rule_offset(rule, t - 1) == prev and gap < 250 * 86400:
                k -= 1
            else:
                break
        # The last kept transition must already agree with the rule from then on.
        if 0 < k < len(times) and (
            rule_offset(rule, times[k - 1]) != offsets[k - 1] or times[k] - times[k - 1] >= 250 * 86400
        ):
            k += 1
    return (first, tuple(times[:k]), tuple(offsets[:k]), footer)


def offset(entry, t):
    first, times, offsets, footer = entry
    i = 0
    lo, hi = 0, len(times)
    while lo < hi:
        mid = (lo + hi) // 2
        if times[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    if lo == 0:
        return first
    if lo == len(times) and footer:
        return rule_offset(parse_rule(footer), t)
    return offsets[lo - 1]


def verify(name, entry):
    z = zoneinfo.ZoneInfo(name)
    times, _, _, _ = tzif(os.path.join(ROOT, name))
    points = [t + d for t in times for d in (-1, 0, 3600 * 24 * 30)] + [
        int(datetime(y, m, 15, tzinfo=timezone.utc).timestamp()) for y in range(1800, 2100, 7) for m in (1, 4, 7, 10)
    ]
    for t in points:
        if t < -(2**40) or t > 2**36:
            continue
        want = datetime.fromtimestamp(t, timezone.utc).astimezone(z).utcoffset()
        got = offset(entry, t)
        assert int(want.total_seconds()) == got, (name, t, want, got)


def tab(path):
    rows = []
    for line in open(os.path.join(ROOT, path)):
        if line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        rows.append((cols[0].split(","), cols[2]))
    return rows


def main():
    names = sorted(n for n in zoneinfo.available_timezones() if os.path.isfile(os.path.join(ROOT, n)))
    entries = {n: zone_entry(n) for n in names}
    for n, e in entries.items():
        verify(n, e)
    z1970 = tab("zone1970.tab")
    canonical = {z for _, z in z1970}
    since1970 = lambda e: (offset(e, 0), tuple(x for x in zip(e[1], e[2]) if x[0] >= 0), e[3])
    for countries, z in tab("zone.tab"):
        if z in canonical or z not in entries:
            continue
        for cs, target in z1970:
            if countries[0] in cs and since1970(entries[target]) == since1970(entries[z]):
                entries[z] = entries[target]
                break
    blobs, index = [], {}
    table = []
    for n in names:
        e = entries[n]
        if e not in index:
            index[e] = len(blobs)
            blobs.append(encode(e))
        table.append((n, index[e]))
    version = open(os.path.join(ROOT, "tzdata.zi")).readline().split()[-1]
    out = sys.stdout
    out.write("// @generated by scripts/gen-zones.py from tzdata %s; do not edit.\n" % version)
    out.write("//! IANA time zones: %d names, %d distinct zones.\n\n" % (len(table), len(blobs)))
    out.write("pub const VERSION: &str = \"%s\";\n\n" % version)
    out.write("/// Zone names, sorted, with their index into [`ZONES`].\n")
    out.write("pub static NAMES: &[(&str, u16)] = &[\n")
    for n, i in table:
        out.write('    ("%s", %d),\n' % (n, i))
    out.write("];\n\n")
    out.write("/// Per zone: the offset before the first transition, the transitions (zigzag varints:\n")
    out.write("/// offset count and offsets, then count and per transition the time delta and offset index),\n")
    out.write("/// then the POSIX TZ rule for later instants.\n")
    out.write("pub static ZONES: &[(&[u8], &str)] = &[\n")
    for blob, footer in blobs:
        out.write('    (b"%s", "%s"),\n' % ("".join("\\x%02x" % c for c in blob), footer))
    out.write("];\n")


def varint(n, out):
    n = (n << 1) ^ (n >> 63)  # zigzag
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def encode(e):
    first, times, offsets, footer = e
    distinct = sorted(set(offsets) | {first})
    out = bytearray()
    varint(len(distinct), out)
    for o in distinct:
        varint(o, out)
    varint(distinct.index(first), out)
    varint(len(times), out)
    prev = 0
    for t, o in zip(times, offsets):
        varint(t - prev, out)
        prev = t
        out.append(distinct.index(o))
    return (bytes(out), footer)


if __name__ == "__main__":
    main()
