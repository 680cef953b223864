//! The temporal functions: `date()` … `datetime()` and `duration()` (from text, a map of
//! components, or another temporal value whose components a map selects and overrides), the
//! current-time forms (`date()`, `datetime.transaction()`, …) read from the clock the host set
//! for this query, `X.truncate`, `datetime.fromepoch[millis]` and `duration.between`/`in*`.
use super::eval::type_error;
use crate::error::{Code, Error, Result};
use crate::graph::duration::{self, Amount, Duration, Moment, Unit};
use crate::graph::temporal::{
    Components, Date, DateTime, LocalDateTime, LocalTime, Offset, TemporalError, Time, TimeZone,
};
use crate::graph::Value;
use std::cell::Cell;
use std::collections::BTreeMap;

thread_local! {
    static NOW_MS: Cell<i64> = const { Cell::new(0) };
}

/// Sets the clock the current-time functions read (the host's time, in ms since the epoch);
/// the engine reads none of its own. Called once per query execution.
pub fn set_clock(now_ms: u64) {
    NOW_MS.with(|c| c.set(i64::try_from(now_ms).unwrap_or(i64::MAX)));
}

const KINDS: [&str; 5] = ["date", "localtime", "time", "localdatetime", "datetime"];

/// A temporal function call, or `None` if `name` (lower case) is none of them.
pub(super) fn call(name: &str, args: &[Value]) -> Option<Result<Value>> {
    let (kind, op) = name.split_once('.').unwrap_or((name, ""));
    if !KINDS.contains(&kind) && kind != "duration" {
        return None;
    }
    if args.first().is_some_and(Value::is_null) || (op == "truncate" && args.iter().any(Value::is_null)) {
        return Some(Ok(Value::Null));
    }
    let result = match (kind, op, args) {
        ("duration", "", [v]) => duration(v),
        ("duration", "between" | "inmonths" | "indays" | "inseconds", [a, b]) => between(op, a, b),
        ("duration", ..) => return None,
        ("datetime", "fromepoch", [s, n]) => int(name, s).and_then(|s| from_epoch(s, int(name, n)?)),
        ("datetime", "fromepochmillis", [ms]) => {
            int(name, ms).and_then(|ms| from_epoch(ms.div_euclid(1000), ms.rem_euclid(1000) * 1_000_000))
        }
        (_, "" | "transaction" | "statement" | "realtime", []) => now(kind, TimeZone::UTC),
        (_, "transaction" | "statement" | "realtime", [Value::String(tz)]) => {
            TimeZone::parse(tz).map_err(|e| argument_error(name, &e)).and_then(|tz| now(kind, tz))
        }
        (_, "", [v]) => construct(kind, v),
        (_, "truncate", [unit, v, rest @ ..]) if rest.len() <= 1 => truncate(kind, unit, v, rest.first()),
        _ => return None,
    };
    Some(result)
}

fn int(name: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        v => Err(type_error(format!("{name}() needs an integer, got {}", v.type_name()))),
    }
}

fn argument_error(name: &str, e: &TemporalError) -> Error {
    Error::runtime(Code::ArgumentError, "InvalidArgumentValue", format!("{name}(): {e}"))
}

/// The type `kind()` builds.
fn type_of(kind: &str) -> &'static str {
    match kind {
        "date" => "DATE",
        "localtime" => "LOCAL TIME",
        "time" => "ZONED TIME",
        "localdatetime" => "LOCAL DATETIME",
        _ => "ZONED DATETIME",
    }
}

/// The canonical text of a temporal value (empty for anything else).
pub(super) fn text(v: &Value) -> String {
    match v {
        Value::Date(d) => d.to_string(),
        Value::LocalTime(t) => t.to_string(),
        Value::Time(t) => t.to_string(),
        Value::LocalDateTime(t) => t.to_string(),
        Value::DateTime(t) => t.to_string(),
        Value::Duration(d) => d.to_string(),
        _ => String::new(),
    }
}

fn now(kind: &str, tz: TimeZone) -> Result<Value> {
    let instant = i128::from(NOW_MS.with(Cell::get)) * 1_000_000;
    let dt = DateTime::from_instant(instant, tz).map_err(|e| argument_error(kind, &e))?;
    Ok(narrow(kind, dt))
}

/// A zoned date-time as the value `kind` builds.
fn narrow(kind: &str, dt: DateTime) -> Value {
    match kind {
        "date" => Value::Date(dt.local.date),
        "localtime" => Value::LocalTime(dt.local.time),
        "time" => Value::Time(Time { time: dt.local.time, offset: dt.offset }),
        "localdatetime" => Value::LocalDateTime(dt.local),
        _ => Value::DateTime(dt),
    }
}

fn from_epoch(seconds: i64, nanos: i64) -> Result<Value> {
    let instant = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
    DateTime::from_instant(instant, TimeZone::UTC)
        .map(Value::DateTime)
        .map_err(|e| argument_error("datetime.fromepoch", &e))
}

/// `duration(x)` from a map of (possibly fractional) components or an ISO 8601 string.
fn duration(v: &Value) -> Result<Value> {
    let built = match v {
        Value::Map(m) => {
            let mut parts = Vec::with_capacity(m.len());
            for (k, v) in m {
                match v {
                    Value::Int(i) => parts.push((k.as_str(), Amount::Int(*i))),
                    Value::Float(f) => parts.push((k.as_str(), Amount::Float(*f))),
                    Value::Null => {}
                    v => return Err(type_error(format!("duration(): `{k}` cannot be a {}", v.type_name()))),
                }
            }
            Duration::from_amounts(parts)
        }
        Value::String(s) => Duration::parse(s),
        Value::Duration(d) => Ok(*d),
        v => return Err(type_error(format!("duration() cannot take a {}", v.type_name()))),
    };
    built.map(Value::Duration).map_err(|e| argument_error("duration", &e))
}

/// The parts of a temporal value: date, time of day and zone, each when it has one.
#[derive(Clone, Copy)]
struct Parts {
    date: Option<Date>,
    time: Option<LocalTime>,
    zone: Option<TimeZone>,
}

impl Parts {
    /// The zone a time takes from this value: a named zone becomes the offset in force.
    fn time_zone(v: &Value) -> Option<TimeZone> {
        match v {
            Value::DateTime(t) => Some(TimeZone::Fixed(t.offset)),
            v => parts(v).and_then(|p| p.zone),
        }
    }
}

fn parts(v: &Value) -> Option<Parts> {
    Some(match v {
        Value::Date(d) => Parts { date: Some(*d), time: None, zone: None },
        Value::LocalTime(t) => Parts { date: None, time: Some(*t), zone: None },
        Value::Time(t) => Parts { date: None, time: Some(t.time), zone: Some(TimeZone::Fixed(t.offset)) },
        Value::LocalDateTime(t) => Parts { date: Some(t.date), time: Some(t.time), zone: None },
        Value::DateTime(t) => Parts { date: Some(t.local.date), time: Some(t.local.time), zone: Some(t.time_zone()) },
        _ => return None,
    })
}

fn between(op: &str, a: &Value, b: &Value) -> Result<Value> {
    if b.is_null() {
        return Ok(Value::Null);
    }
    let moment = |v: &Value| {
        parts(v)
            .map(|p| Moment { date: p.date, time: p.time.unwrap_or(LocalTime::MIDNIGHT), zone: p.zone })
            .ok_or_else(|| type_error(format!("duration.{op}() needs temporal values, got {}", v.type_name())))
    };
    let unit = match op {
        "inmonths" => Unit::Months,
        "indays" => Unit::Days,
        "inseconds" => Unit::Seconds,
        _ => Unit::All,
    };
    duration::between(moment(a)?, moment(b)?, unit)
        .map(Value::Duration)
        .map_err(|e| argument_error("duration.between", &e))
}

/// `kind(v)`: from text, a map, or another temporal value (same as `kind({<that>: v})`).
fn construct(kind: &str, v: &Value) -> Result<Value> {
    let built = match v {
        Value::String(s) => match kind {
            "date" => Date::parse(s).map(Value::Date),
            "localtime" => LocalTime::parse(s).map(Value::LocalTime),
            "time" => Time::parse(s).map(Value::Time),
            "localdatetime" => LocalDateTime::parse(s).map(Value::LocalDateTime),
            _ => DateTime::parse(s).map(Value::DateTime),
        },
        Value::Map(m) => return from_map(kind, m),
        v => match parts(v) {
            Some(p) => {
                let key = match (kind, p.date, p.time) {
                    ("date", ..) => "date",
                    ("localtime" | "time", ..) => "time",
                    (_, Some(_), Some(_)) => "datetime",
                    (_, Some(_), None) => "date",
                    _ => return Err(type_error(format!("{kind}() cannot take a {}", v.type_name()))),
                };
                return from_map(kind, &BTreeMap::from([(key.to_string(), v.clone())]));
            }
            None => return Err(type_error(format!("{kind}() cannot take a {}", v.type_name()))),
        },
    };
    built.map_err(|e| argument_error(kind, &e))
}

/// A component map, with `date`, `time` or `datetime` selecting a base temporal value whose
/// components the other keys override; `{timezone: z}` alone is the current time in `z`.
fn from_map(kind: &str, m: &BTreeMap<String, Value>) -> Result<Value> {
    // `{timezone: z}` alone: the current time in that zone.
    if let (1, Some(Value::String(tz))) = (m.len(), m.get("timezone")) {
        return TimeZone::parse(tz).map_err(|e| argument_error(kind, &e)).and_then(|tz| now(kind, tz));
    }
    let mut c = Components::default();
    let (mut date_src, mut time_src) = (None, None);
    for (k, v) in m {
        match (k.as_str(), v) {
            (_, Value::Null) => {}
            ("timezone", Value::String(s)) => c.timezone = Some(s.clone()),
            ("date" | "time" | "datetime", v) => {
                let mut p =
                    parts(v).ok_or_else(|| type_error(format!("{kind}(): `{k}` cannot be a {}", v.type_name())))?;
                if k != "time" {
                    date_src = Some(p);
                }
                if k != "date" {
                    if kind == "time" {
                        p.zone = Parts::time_zone(v);
                    }
                    time_src = Some(p);
                }
            }
            (_, Value::Int(i)) => {
                c.ints.insert(k.clone(), *i);
            }
            (k, v) => return Err(type_error(format!("{kind}(): `{k}` cannot be a {}", v.type_name()))),
        }
    }
    let wants_date = matches!(kind, "date" | "localdatetime" | "datetime");
    let wants_time = kind != "date";
    let fail = |e: TemporalError| argument_error(kind, &e);
    if wants_date {
        if let Some(p) = date_src {
            let d = p.date.ok_or_else(|| fail(TemporalError("`date` must have a date".into())))?;
            base_date(&mut c, d);
        }
    }
    let time_zone = if wants_time {
        match time_src {
            Some(Parts { time: Some(t), zone, .. }) => {
                base_time(&mut c, t, 0, false);
                zone
            }
            Some(_) => return Err(fail(TemporalError("`time` must have a time".into()))),
            None => None,
        }
    } else {
        None
    };
    let new_zone = c.timezone.take().map(|z| TimeZone::parse(&z)).transpose().map_err(fail)?;
    if !matches!(kind, "time" | "datetime") && new_zone.is_some() {
        return Err(fail(TemporalError(format!("{kind} has no time zone"))));
    }
    build(kind, &c, time_zone, new_zone, true).map_err(fail)
}

/// Builds `kind` from components; `zone` is the base value's zone; `new_zone` (the `timezone`
/// key) converts to that zone when `convert`, else replaces it.
fn build(
    kind: &str,
    c: &Components,
    zone: Option<TimeZone>,
    new_zone: Option<TimeZone>,
    convert: bool,
) -> std::result::Result<Value, TemporalError> {
    Ok(match kind {
        "date" => Value::Date(c.date()?),
        "localtime" => Value::LocalTime(c.local_time()?),
        "localdatetime" => Value::LocalDateTime(c.local_date_time()?),
        "time" => {
            let time = c.local_time()?;
            // A time has no date to resolve a named zone at: it takes the zone's current offset.
            let offset = |z: TimeZone| z.offset_at(i128::from(NOW_MS.with(Cell::get)) * 1_000_000);
            let t = Time { time, offset: zone.map_or(Offset::UTC, offset) };
            match (new_zone, convert && zone.is_some()) {
                (Some(nz), true) => {
                    let shift = i64::from(offset(nz).seconds() - t.offset.seconds());
                    let moved = t.time.plus(Duration::from_parts(0, 0, i128::from(shift) * 1_000_000_000)?)?;
                    Value::Time(Time { time: moved, offset: offset(nz) })
                }
                (Some(nz), false) => Value::Time(Time { time, offset: offset(nz) }),
                (None, _) => Value::Time(t),
            }
        }
        _ => {
            let local = c.local_date_time()?;
            let dt = DateTime::from_local(local, zone.unwrap_or(TimeZone::UTC))?;
            match (new_zone, convert && zone.is_some()) {
                (Some(nz), true) => Value::DateTime(dt.with_zone_same_instant(nz)?),
                (Some(nz), false) => Value::DateTime(DateTime::from_local(local, nz)?),
                (None, _) => Value::DateTime(dt),
            }
        }
    })
}

/// Fills in the date components the map does not give, in the form its keys use.
fn base_date(c: &mut Components, d: Date) {
    let has = |k: &str| c.ints.contains_key(k);
    let (y, m, day) = d.ymd();
    let fill: Vec<(&str, i64)> = if has("week") || has("dayOfWeek") {
        let (wy, w) = d.iso_week();
        vec![("year", wy), ("week", w), ("dayOfWeek", d.day_of_week())]
    } else if has("ordinalDay") {
        vec![("year", y), ("ordinalDay", d.ordinal_day())]
    } else if has("quarter") || has("dayOfQuarter") {
        let first = Date::from_ymd(y, (m - 1) / 3 * 3 + 1, 1).map_or(0, Date::epoch_days);
        vec![("year", y), ("quarter", (m - 1) / 3 + 1), ("dayOfQuarter", d.epoch_days() - first + 1)]
    } else {
        vec![("year", y), ("month", m), ("day", day)]
    };
    for (k, v) in fill {
        c.ints.entry(k.to_string()).or_insert(v);
    }
}

/// Fills in the time components the map does not give; `down_to` of 0 keeps all of `t`,
/// otherwise only the fields down to that many units (1 hour … 6 microsecond), the rest zero.
fn base_time(c: &mut Components, t: LocalTime, down_to: usize, truncating: bool) {
    let n = t.nanosecond();
    let fields = [
        ("hour", t.hour()),
        ("minute", t.minute()),
        ("second", t.second()),
        ("millisecond", n / 1_000_000),
        ("microsecond", n / 1000 % 1000),
        ("nanosecond", n % 1000),
    ];
    for (i, (k, v)) in fields.into_iter().enumerate() {
        let keep = !truncating || i < down_to;
        if keep || i < 3 {
            c.ints.entry(k.to_string()).or_insert(if keep { v } else { 0 });
        }
    }
}

/// Truncation units, coarsest first; the index of a time unit is its `base_time` depth.
const DATE_UNITS: [&str; 9] =
    ["millennium", "century", "decade", "year", "weekYear", "quarter", "month", "week", "day"];
const TIME_UNITS: [&str; 6] = ["hour", "minute", "second", "millisecond", "microsecond", "nanosecond"];

/// `kind.truncate(unit, v[, map])`: `v` cut down to `unit`, then the map's components set.
fn truncate(kind: &str, unit: &Value, v: &Value, map: Option<&Value>) -> Result<Value> {
    let name = format!("{kind}.truncate");
    let Value::String(unit) = unit else { return Err(type_error(format!("{name}() needs a unit string"))) };
    let mut p = parts(v).ok_or_else(|| type_error(format!("{name}() cannot truncate a {}", v.type_name())))?;
    if kind == "time" {
        p.zone = Parts::time_zone(v);
    }
    let fail = |e: TemporalError| argument_error(&name, &e);
    let bad_unit = || fail(TemporalError(format!("cannot truncate {} to `{unit}`", type_of(kind))));
    let mut c = Components::default();
    if let Some(Value::Map(m)) = map {
        for (k, v) in m {
            match (k.as_str(), v) {
                ("timezone", Value::String(s)) => c.timezone = Some(s.clone()),
                (_, Value::Int(i)) => {
                    c.ints.insert(k.clone(), *i);
                }
                (_, Value::Null) => {}
                (k, v) => return Err(type_error(format!("{name}(): `{k}` cannot be a {}", v.type_name()))),
            }
        }
    } else if map.is_some() {
        return Err(type_error(format!("{name}() needs a map of components")));
    }
    let wants_date = matches!(kind, "date" | "localdatetime" | "datetime");
    let wants_time = kind != "date";
    if DATE_UNITS.contains(&unit.as_str()) {
        if !wants_date && *unit != "day" {
            return Err(bad_unit());
        }
        if wants_date {
            let d = p.date.ok_or_else(bad_unit)?;
            let cut = truncate_date(d, unit).map_err(fail)?;
            if *unit == "week" {
                let (wy, w) = cut.iso_week();
                for (k, v) in [("year", wy), ("week", w), ("dayOfWeek", 1)] {
                    c.ints.entry(k.to_string()).or_insert(v);
                }
            } else {
                base_date(&mut c, cut);
            }
        }
        if wants_time {
            base_time(&mut c, LocalTime::MIDNIGHT, 0, true);
        }
    } else if let Some(i) = TIME_UNITS.iter().position(|u| u == unit) {
        let t = p.time.ok_or_else(bad_unit)?;
        if *unit == "nanosecond" {
            base_time(&mut c, t, 0, false);
        } else {
            base_time(&mut c, t, i + 1, true);
        }
        if wants_date {
            base_date(&mut c, p.date.ok_or_else(bad_unit)?);
        }
    } else {
        return Err(bad_unit());
    }
    let new_zone = c.timezone.take().map(|z| TimeZone::parse(&z)).transpose().map_err(fail)?;
    build(kind, &c, p.zone, new_zone, false).map_err(fail)
}

fn truncate_date(d: Date, unit: &str) -> std::result::Result<Date, TemporalError> {
    let (y, m, _) = d.ymd();
    match unit {
        "millennium" => Date::from_ymd(y - y.rem_euclid(1000), 1, 1),
        "century" => Date::from_ymd(y - y.rem_euclid(100), 1, 1),
        "decade" => Date::from_ymd(y - y.rem_euclid(10), 1, 1),
        "year" => Date::from_ymd(y, 1, 1),
        "weekYear" => Date::from_week(d.iso_week().0, 1, 1),
        "quarter" => Date::from_ymd(y, (m - 1) / 3 * 3 + 1, 1),
        "month" => Date::from_ymd(y, m, 1),
        "week" => Date::from_days(d.epoch_days() - (d.day_of_week() - 1)),
        _ => Ok(d),
    }
}
