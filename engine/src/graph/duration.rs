//! The Cypher `DURATION` type and temporal arithmetic.
//!
//! Representation (every constructor normalises to it, so every value in the engine holds it):
//! - `months`, `days`, `seconds`: independent signed counts (a month is not a fixed number of
//!   days, nor a day a fixed number of seconds, so Cypher never folds one into another);
//! - `nanos`: `0..NANOS_PER_SECOND`, the non-negative sub-second part of `seconds` (so
//!   `PT-0.3S` is `seconds = -1, nanos = 700_000_000`). Equality is field-wise (`P1M <> P30D`).
//!
//! Fractions cascade down as Cypher does: a fraction of a year becomes months, a fraction of a
//! month becomes days and seconds at the average month length (2 629 746 s), a fraction of a
//! week or day becomes seconds (a week first becomes 7 days). Sub-nanosecond remainders are
//! truncated.
//!
//! Arithmetic never wraps: every overflow is a [`TemporalError`]. Adding a duration to a
//! temporal value adds months first (clamping the day of month: Jan 31 + 1 month is Feb 28/29),
//! then days, then seconds. A date takes only the whole days of the seconds part; times take
//! only the seconds part, wrapping around midnight.
//!
//! Text is `P[nY][nM][nD][T[nH][nM][n.fffS]]`, each part signed, hours/minutes/seconds split
//! from the seconds part truncating toward zero; `PT0S` for the zero duration.
use super::temporal::{days_in_month, Date, DateTime, LocalDateTime, LocalTime, TemporalError, Time, TimeZone};
use std::cmp::Ordering;
use std::fmt;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const SECONDS_PER_DAY: i128 = 86_400;
const NANOS_PER_DAY: i128 = SECONDS_PER_DAY * NANOS_PER_SECOND;
/// The average Gregorian month (365.2425 days / 12), which fractional months cascade through.
const SECONDS_PER_MONTH: i128 = 2_629_746;

type Res<T> = Result<T, TemporalError>;

fn err<T>(message: impl Into<String>) -> Res<T> {
    Err(TemporalError(message.into()))
}

fn too_big<T>() -> Res<T> {
    err("duration out of range")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Duration {
    months: i64,
    days: i64,
    seconds: i64,
    nanos: i64,
}

/// A component value of a duration map or ISO string: exact integer or a float to cascade.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Amount {
    Int(i64),
    Float(f64),
}

/// Wide accumulator used while building a duration; narrowed (checked) by [`Acc::finish`].
#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    months: i128,
    days: i128,
    nanos: i128,
}

/// `x` as an integer if it is finite and fits comfortably in `i128` arithmetic.
fn whole(x: f64) -> Res<i128> {
    if x.is_finite() && x.abs() < 1e30 {
        Ok(x.trunc() as i128)
    } else {
        too_big()
    }
}

impl Acc {
    fn add(&mut self, unit: &str, amount: Amount) -> Res<()> {
        match unit {
            "years" => self.months_scaled(amount, 12),
            "quarters" => self.months_scaled(amount, 3),
            "months" => self.months_scaled(amount, 1),
            "weeks" => self.days_scaled(amount, 7),
            "days" => self.days_scaled(amount, 1),
            "hours" => self.nanos_scaled(amount, 3600 * NANOS_PER_SECOND),
            "minutes" => self.nanos_scaled(amount, 60 * NANOS_PER_SECOND),
            "seconds" => self.nanos_scaled(amount, NANOS_PER_SECOND),
            "milliseconds" => self.nanos_scaled(amount, 1_000_000),
            "microseconds" => self.nanos_scaled(amount, 1000),
            "nanoseconds" => self.nanos_scaled(amount, 1),
            _ => err(format!("`{unit}` is not a component of a duration")),
        }
    }

    fn months_scaled(&mut self, amount: Amount, per: i128) -> Res<()> {
        match amount {
            Amount::Int(i) => self.months += i128::from(i) * per,
            Amount::Float(x) => {
                let m = x * per as f64;
                let w = whole(m)?;
                self.months += w;
                // The fraction of a month: days and seconds at the average month length.
                let frac_nanos = whole((m - w as f64) * (SECONDS_PER_MONTH * NANOS_PER_SECOND) as f64)?;
                self.days += frac_nanos / NANOS_PER_DAY;
                self.nanos += frac_nanos % NANOS_PER_DAY;
            }
        }
        self.bounded()
    }

    fn days_scaled(&mut self, amount: Amount, per: i128) -> Res<()> {
        match amount {
            Amount::Int(i) => self.days += i128::from(i) * per,
            Amount::Float(x) => {
                let d = x * per as f64;
                let w = whole(d)?;
                self.days += w;
                self.nanos += whole((d - w as f64) * NANOS_PER_DAY as f64)?;
            }
        }
        self.bounded()
    }

    fn nanos_scaled(&mut self, amount: Amount, per: i128) -> Res<()> {
        match amount {
            Amount::Int(i) => self.nanos += i128::from(i) * per,
            Amount::Float(x) => {
                let w = whole(x)?;
                let n = w.checked_mul(per).and_then(|n| n.checked_add(whole((x - w as f64) * per as f64).ok()?));
                self.nanos = n.and_then(|n| self.nanos.checked_add(n)).map_or_else(too_big, Ok)?;
            }
        }
        self.bounded()
    }

    /// Keeps every field far from `i128` overflow between steps (each step adds < 2^110).
    fn bounded(&self) -> Res<()> {
        let limit = 1i128 << 100;
        if self.months.abs() < limit && self.days.abs() < limit && self.nanos.abs() < limit {
            Ok(())
        } else {
            too_big()
        }
    }

    fn finish(self) -> Res<Duration> {
        Duration::from_parts(self.months, self.days, self.nanos)
    }
}

impl Duration {
    pub const ZERO: Duration = Duration { months: 0, days: 0, seconds: 0, nanos: 0 };

    /// From wide totals; errors unless each part fits in `i64` (seconds for the nanos).
    pub fn from_parts(months: i128, days: i128, nanos: i128) -> Res<Duration> {
        let narrow = |x: i128| i64::try_from(x).or_else(|_| too_big());
        Ok(Duration {
            months: narrow(months)?,
            days: narrow(days)?,
            seconds: narrow(nanos.div_euclid(NANOS_PER_SECOND))?,
            nanos: narrow(nanos.rem_euclid(NANOS_PER_SECOND))?,
        })
    }

    /// From `(unit, amount)` pairs, units as in a `duration({...})` map (plural names).
    pub fn from_amounts<'a>(parts: impl IntoIterator<Item = (&'a str, Amount)>) -> Res<Duration> {
        let mut acc = Acc::default();
        for (unit, amount) in parts {
            acc.add(unit, amount)?;
        }
        acc.finish()
    }

    pub fn months(self) -> i64 {
        self.months
    }

    pub fn days(self) -> i64 {
        self.days
    }

    pub fn seconds(self) -> i64 {
        self.seconds
    }

    /// The sub-second part, `0..1_000_000_000`.
    pub fn nanos(self) -> i64 {
        self.nanos
    }

    /// The seconds part in nanoseconds.
    pub fn total_nanos(self) -> i128 {
        i128::from(self.seconds) * NANOS_PER_SECOND + i128::from(self.nanos)
    }

    fn wide(self) -> (i128, i128, i128) {
        (i128::from(self.months), i128::from(self.days), self.total_nanos())
    }

    pub fn checked_add(self, other: Duration) -> Res<Duration> {
        let (a, b) = (self.wide(), other.wide());
        Duration::from_parts(a.0 + b.0, a.1 + b.1, a.2 + b.2)
    }

    pub fn checked_neg(self) -> Res<Duration> {
        let a = self.wide();
        Duration::from_parts(-a.0, -a.1, -a.2)
    }

    pub fn checked_sub(self, other: Duration) -> Res<Duration> {
        self.checked_add(other.checked_neg()?)
    }

    /// `self * factor`: exact for an integer factor, cascading fractions for a float.
    pub fn checked_mul(self, factor: Amount) -> Res<Duration> {
        let (m, d, n) = self.wide();
        match factor {
            Amount::Int(k) => {
                let k = i128::from(k);
                let mul = |x: i128| x.checked_mul(k).map_or_else(too_big, Ok);
                Duration::from_parts(mul(m)?, mul(d)?, mul(n)?)
            }
            Amount::Float(k) => {
                let mut acc = Acc::default();
                acc.months_scaled(Amount::Float(m as f64 * k), 1)?;
                acc.days_scaled(Amount::Float(d as f64 * k), 1)?;
                acc.nanos += whole(n as f64 * k)?;
                acc.bounded()?;
                acc.finish()
            }
        }
    }

    /// `self / divisor`; a zero divisor is an error.
    pub fn checked_div(self, divisor: Amount) -> Res<Duration> {
        let d = match divisor {
            Amount::Int(i) => i as f64,
            Amount::Float(x) => x,
        };
        if d == 0.0 {
            return err("division of a duration by zero");
        }
        self.checked_mul(Amount::Float(1.0 / d))
    }

    /// An approximate length in nanoseconds (months at their average length), for ordering.
    fn approx_nanos(self) -> i128 {
        (i128::from(self.months) * SECONDS_PER_MONTH + i128::from(self.days) * SECONDS_PER_DAY) * NANOS_PER_SECOND
            + self.total_nanos()
    }
}

/// The `ORDER BY` order: by approximate length, ties broken field-wise so the order is total and
/// agrees with `==`. (Cypher's `<` does not compare durations; only sorting uses this.)
impl Ord for Duration {
    fn cmp(&self, other: &Self) -> Ordering {
        self.approx_nanos().cmp(&other.approx_nanos()).then_with(|| {
            (self.months, self.days, self.seconds, self.nanos).cmp(&(
                other.months,
                other.days,
                other.seconds,
                other.nanos,
            ))
        })
    }
}

impl PartialOrd for Duration {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

// ---------------------------------------------------------------------------------------------
// Temporal ± duration
// ---------------------------------------------------------------------------------------------

/// `date` moved by `months`, the day of month clamped to the target month's length.
fn plus_months(date: Date, months: i64) -> Res<Date> {
    if months == 0 {
        return Ok(date);
    }
    let (y, m, d) = date.ymd();
    let total = i128::from(y) * 12 + i128::from(m - 1) + i128::from(months);
    let year = i64::try_from(total.div_euclid(12)).or_else(|_| too_big())?;
    let month = i64::try_from(total.rem_euclid(12)).or_else(|_| too_big())? + 1;
    Date::from_ymd(year, month, d.min(days_in_month(year, month)))
}

fn plus_days(date: Date, days: i128) -> Res<Date> {
    let target = i128::from(date.epoch_days()) + days;
    Date::from_days(i64::try_from(target).or_else(|_| too_big())?)
}

/// `time` moved by `nanos`, wrapping around midnight.
fn plus_time(time: LocalTime, nanos: i128) -> Res<LocalTime> {
    let n = (i128::from(time.nanos_of_day()) + nanos).rem_euclid(NANOS_PER_DAY);
    LocalTime::from_nanos(u64::try_from(n).or_else(|_| too_big())?)
}

fn plus_local(t: LocalDateTime, dur: Duration) -> Res<LocalDateTime> {
    let date = plus_days(plus_months(t.date, dur.months)?, i128::from(dur.days))?;
    let n = i128::from(t.time.nanos_of_day()) + dur.total_nanos();
    let date = plus_days(date, n.div_euclid(NANOS_PER_DAY))?;
    let time = LocalTime::from_nanos(u64::try_from(n.rem_euclid(NANOS_PER_DAY)).or_else(|_| too_big())?)?;
    Ok(LocalDateTime { date, time })
}

impl Date {
    /// `self + dur`: months, then days, then the whole days of the seconds part.
    pub fn plus(self, dur: Duration) -> Res<Date> {
        let days = i128::from(dur.days) + dur.total_nanos() / NANOS_PER_DAY;
        plus_days(plus_months(self, dur.months)?, days)
    }
}

impl LocalTime {
    pub fn plus(self, dur: Duration) -> Res<LocalTime> {
        plus_time(self, dur.total_nanos())
    }
}

impl Time {
    pub fn plus(self, dur: Duration) -> Res<Time> {
        Ok(Time { time: self.time.plus(dur)?, offset: self.offset })
    }
}

impl LocalDateTime {
    pub fn plus(self, dur: Duration) -> Res<LocalDateTime> {
        plus_local(self, dur)
    }
}

impl DateTime {
    pub fn plus(&self, dur: Duration) -> Res<DateTime> {
        DateTime::from_local(plus_local(self.local, dur)?, self.time_zone())
    }
}

// ---------------------------------------------------------------------------------------------
// `duration.between` and friends
// ---------------------------------------------------------------------------------------------

/// A temporal value's parts, as `duration.between` sees them: a date only when it has one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moment {
    pub date: Option<Date>,
    pub time: LocalTime,
    pub zone: Option<TimeZone>,
}

/// Which of `duration.between`, `inMonths`, `inDays`, `inSeconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    All,
    Months,
    Days,
    Seconds,
}

/// Days (or months) from `a` to `b` as Java's `LocalDateTime.until` counts them: only whole
/// units, so the end date steps back a day when its time of day has not yet been reached.
fn end_date(a: LocalDateTime, b: LocalDateTime) -> Date {
    let step = if b.date > a.date && b.time < a.time {
        -1
    } else if b.date < a.date && b.time > a.time {
        1
    } else {
        0
    };
    Date::from_days(b.date.epoch_days() + step).unwrap_or(b.date)
}

fn months_until(a: LocalDateTime, b: LocalDateTime) -> i64 {
    let packed = |d: Date| {
        let (y, m, day) = d.ymd();
        (i128::from(y) * 12 + i128::from(m) - 1) * 32 + i128::from(day)
    };
    i64::try_from((packed(end_date(a, b)) - packed(a.date)) / 32).unwrap_or(0)
}

fn days_until(a: LocalDateTime, b: LocalDateTime) -> i64 {
    end_date(a, b).epoch_days() - a.date.epoch_days()
}

/// `duration.between(a, b)` (or one unit of it). A value without a date borrows the other's
/// date, and one without a zone the other's zone; months and days count only when both have a
/// date, on local date-times with `b` moved into `a`'s zone; the rest is the elapsed time.
pub fn between(a: Moment, b: Moment, unit: Unit) -> Res<Duration> {
    let both_dates = a.date.is_some() && b.date.is_some();
    let epoch = Date::from_days(0)?;
    let (da, db) = (a.date.or(b.date).unwrap_or(epoch), b.date.or(a.date).unwrap_or(epoch));
    let (za, zb) = (a.zone.or(b.zone), b.zone.or(a.zone));
    let local_a = LocalDateTime { date: da, time: a.time };
    let local_b = LocalDateTime { date: db, time: b.time };
    let b_local = match (za, zb) {
        (Some(za), Some(zb)) => DateTime::from_instant(DateTime::from_local(local_b, zb)?.instant_nanos(), za)?.local,
        _ => local_b,
    };
    let instant = |l: LocalDateTime, z: Option<TimeZone>| -> Res<i128> {
        Ok(match z {
            Some(z) => DateTime::from_local(l, z)?.instant_nanos(),
            None => l.epoch_nanos(),
        })
    };
    let end = instant(local_b, zb)?;
    let (months, days) = match unit {
        _ if !both_dates => (0, 0),
        Unit::Seconds => (0, 0),
        Unit::Months => return Duration::from_parts(i128::from(months_until(local_a, b_local)), 0, 0),
        Unit::Days => return Duration::from_parts(0, i128::from(days_until(local_a, b_local)), 0),
        Unit::All => {
            let months = months_until(local_a, b_local);
            let moved = plus_local(local_a, Duration { months, ..Duration::ZERO })?;
            (months, days_until(moved, b_local))
        }
    };
    if matches!(unit, Unit::Months | Unit::Days) {
        return Ok(Duration::ZERO);
    }
    let start = plus_local(local_a, Duration { months, days, ..Duration::ZERO })?;
    Duration::from_parts(i128::from(months), i128::from(days), end - instant(start, za)?)
}

// ---------------------------------------------------------------------------------------------
// Component access (`d.months`, `d.hours`, …)
// ---------------------------------------------------------------------------------------------

impl Duration {
    /// A component by its Cypher name; `None` for an unknown name.
    pub fn component(self, key: &str) -> Option<i64> {
        let (m, d, s, n) = (self.months, self.days, self.seconds, self.nanos);
        Some(match key {
            "years" => m / 12,
            "quarters" => m / 3,
            "months" => m,
            "weeks" => d / 7,
            "days" => d,
            "hours" => s / 3600,
            "minutes" => s / 60,
            "seconds" => s,
            "milliseconds" => s.checked_mul(1000)?.checked_add(n / 1_000_000)?,
            "microseconds" => s.checked_mul(1_000_000)?.checked_add(n / 1000)?,
            "nanoseconds" => s.checked_mul(1_000_000_000)?.checked_add(n)?,
            "quartersOfYear" => m % 12 / 3,
            "monthsOfQuarter" => m % 3,
            "monthsOfYear" => m % 12,
            "daysOfWeek" => d % 7,
            "minutesOfHour" => s / 60 % 60,
            "secondsOfMinute" => s % 60,
            "millisecondsOfSecond" => n / 1_000_000,
            "microsecondsOfSecond" => n / 1000,
            "nanosecondsOfSecond" => n,
            _ => return None,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Canonical text
// ---------------------------------------------------------------------------------------------

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total_nanos();
        if self.months == 0 && self.days == 0 && total == 0 {
            return f.write_str("PT0S");
        }
        f.write_str("P")?;
        let (years, months) = (self.months / 12, self.months % 12);
        for (v, unit) in [(i128::from(years), 'Y'), (i128::from(months), 'M'), (i128::from(self.days), 'D')] {
            if v != 0 {
                write!(f, "{v}{unit}")?;
            }
        }
        if total == 0 {
            return Ok(());
        }
        f.write_str("T")?;
        let hours = total / (3600 * NANOS_PER_SECOND);
        let minutes = total % (3600 * NANOS_PER_SECOND) / (60 * NANOS_PER_SECOND);
        let secs = total % (60 * NANOS_PER_SECOND);
        for (v, unit) in [(hours, 'H'), (minutes, 'M')] {
            if v != 0 {
                write!(f, "{v}{unit}")?;
            }
        }
        if secs != 0 {
            let sign = if secs < 0 { "-" } else { "" };
            let abs = secs.abs();
            write!(f, "{sign}{}", abs / NANOS_PER_SECOND)?;
            let frac = abs % NANOS_PER_SECOND;
            if frac != 0 {
                let digits = format!("{frac:09}");
                write!(f, ".{}", digits.trim_end_matches('0'))?;
            }
            f.write_str("S")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing: `P1Y2M10DT12H45M30.25S`, `P2.5W`, `PT-0.5S`, `P2012-02-02T14:37:21.545`
// ---------------------------------------------------------------------------------------------

impl Duration {
    pub fn parse(text: &str) -> Res<Duration> {
        let bad = || TemporalError(format!("{text:?} is not a duration"));
        let (sign, rest) = match text.strip_prefix('-') {
            Some(r) => (-1, r),
            None => (1, text.strip_prefix('+').unwrap_or(text)),
        };
        let body = rest.strip_prefix(['P', 'p']).ok_or_else(bad)?;
        let designated = body.contains(|c: char| "YMWDHS".contains(c.to_ascii_uppercase()));
        let d = if !designated && body.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            parse_alternative(body).ok_or_else(bad)?
        } else {
            parse_designators(body).ok_or_else(bad)??
        };
        if sign < 0 {
            d.checked_neg()
        } else {
            Ok(d)
        }
    }
}

/// A signed decimal: its exact value in units of 10^-9 (for seconds) and as a float.
fn parse_number(s: &str) -> Option<(i128, Amount)> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once(['.', ',']).unwrap_or((digits, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 9 || int.len() > 20 {
        return None;
    }
    let int_v: i128 = int.parse().ok()?;
    let frac_v: i128 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().ok()? };
    let exact = (int_v * NANOS_PER_SECOND + frac_v) * if neg { -1 } else { 1 };
    let amount = if frac.is_empty() {
        Amount::Int(i64::try_from(int_v).ok()? * if neg { -1 } else { 1 })
    } else {
        Amount::Float(s.replace(',', ".").parse().ok()?)
    };
    Some((exact, amount))
}

/// `nYnMnWnDTnHnMnS`; `None` when malformed, `Some(Err)` when out of range.
fn parse_designators(body: &str) -> Option<Res<Duration>> {
    let (date, time) = match body.split_once(['T', 't']) {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (body, None),
    };
    let mut acc = Acc::default();
    let mut any = false;
    let sections: [(&str, &[(char, &str)]); 2] = [
        (date, &[('Y', "years"), ('M', "months"), ('W', "weeks"), ('D', "days")]),
        (time.unwrap_or(""), &[('H', "hours"), ('M', "minutes"), ('S', "seconds")]),
    ];
    for (section, units) in sections {
        let mut rest = section;
        let mut next_unit = 0;
        while !rest.is_empty() {
            let end = rest.find(|c: char| c.is_ascii_alphabetic())?;
            let designator = rest[end..].chars().next()?.to_ascii_uppercase();
            let offset = units[next_unit..].iter().position(|(c, _)| *c == designator)?;
            let (_, unit) = units[next_unit + offset];
            next_unit += offset + 1;
            let (exact, amount) = parse_number(&rest[..end])?;
            let step = if unit == "seconds" {
                acc.nanos += exact;
                acc.bounded()
            } else {
                acc.add(unit, amount)
            };
            if let Err(e) = step {
                return Some(Err(e));
            }
            any = true;
            rest = &rest[end + 1..];
        }
    }
    any.then(|| acc.finish())
}

/// The alternative form `YYYY-MM-DDThh:mm:ss[.fff]` (each field as a count, not a date).
fn parse_alternative(body: &str) -> Option<Duration> {
    let (date, time) = body.split_once(['T', 't']).unwrap_or((body, "00:00:00"));
    let mut date_parts = date.split('-');
    let mut time_parts = time.split(':');
    let field = |it: &mut std::str::Split<'_, char>| it.next().and_then(|s| s.parse::<i64>().ok()).map(i128::from);
    let (y, mo, d) = (field(&mut date_parts)?, field(&mut date_parts)?, field(&mut date_parts)?);
    let (h, mi) = (field(&mut time_parts)?, field(&mut time_parts)?);
    let (s_exact, _) = match time_parts.next() {
        Some(s) => parse_number(s)?,
        None => (0, Amount::Int(0)),
    };
    if date_parts.next().is_some() || time_parts.next().is_some() || mo > 12 || d > 31 || h > 23 || mi > 59 {
        return None;
    }
    let nanos = (h * 3600 + mi * 60) * NANOS_PER_SECOND + s_exact;
    Duration::from_parts(y * 12 + mo, d, nanos).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn map(parts: &[(&str, Amount)]) -> String {
        Duration::from_amounts(parts.iter().copied()).unwrap().to_string()
    }

    fn parsed(s: &str) -> String {
        Duration::parse(s).unwrap().to_string()
    }

    #[test]
    fn fractions_cascade() {
        assert_eq!(map(&[("months", Amount::Int(5)), ("days", Amount::Float(1.5))]), "P5M1DT12H");
        assert_eq!(map(&[("months", Amount::Float(0.75))]), "P22DT19H51M49.5S");
        assert_eq!(map(&[("weeks", Amount::Float(2.5))]), "P17DT12H");
        assert_eq!(map(&[("seconds", Amount::Float(-0.3))]), "PT-0.3S");
        assert_eq!(map(&[]), "PT0S");
    }

    #[test]
    fn parses_iso_text() {
        assert_eq!(parsed("P1Y2M10DT12H45M30.25S"), "P1Y2M10DT12H45M30.25S");
        assert_eq!(parsed("PT0.75M"), "PT45S");
        assert_eq!(parsed("P2.5W"), "P17DT12H");
        assert_eq!(parsed("P0.75M"), "P22DT19H51M49.5S");
        assert_eq!(parsed("PT-0.5S"), "PT-0.5S");
        assert_eq!(parsed("P12Y5M14DT16H12M70S"), "P12Y5M14DT16H13M10S");
        assert_eq!(parsed("P2012-02-02T14:37:21.545"), "P2012Y2M2DT14H37M21.545S");
        assert_eq!(parsed("P12Y5M-14DT16H"), "P12Y5M-14DT16H");
        assert_eq!(parsed("P1DT-0.001S"), "P1DT-0.001S");
        let huge = "9".repeat(40);
        for bad in
            [&format!("P{huge}Y"), &format!("PT{huge}S"), &format!("P{huge}-01-01T00:00:00"), "P9223372036854775807Y"]
        {
            assert!(Duration::parse(bad).is_err(), "{bad}");
        }
        let max_hours = Amount::Float(9.9e29);
        assert!(Duration::from_amounts([("hours", max_hours)]).is_err());
        for bad in ["", "P", "PT", "P1S", "PT1D", "P1M1Y", "1Y", "P1.0000000001S", "PxY"] {
            assert!(Duration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn month_arithmetic_clamps() {
        let jan31 = Date::from_ymd(2020, 1, 31).unwrap();
        let one_month = Duration::from_parts(1, 0, 0).unwrap();
        assert_eq!(jan31.plus(one_month).unwrap().to_string(), "2020-02-29");
        let back = one_month.checked_neg().unwrap();
        assert_eq!(Date::from_ymd(2020, 3, 31).unwrap().plus(back).unwrap().to_string(), "2020-02-29");
    }

    #[test]
    fn overflow_is_an_error() {
        let big = Duration::from_parts(i128::from(i64::MAX), 0, 0).unwrap();
        assert!(big.checked_add(big).is_err());
        assert!(big.checked_mul(Amount::Int(2)).is_err());
        assert!(big.checked_mul(Amount::Float(f64::INFINITY)).is_err());
        assert!(big.checked_div(Amount::Int(0)).is_err());
        assert!(Date::from_ymd(2020, 1, 1).unwrap().plus(big).is_err());
        let min = Duration::from_parts(i128::from(i64::MIN), 0, 0).unwrap();
        assert!(min.checked_neg().is_err());
    }

    #[test]
    fn multiplies_and_divides() {
        let d = Duration::parse("P12Y5M14DT16H13M10.000000001S").unwrap();
        assert_eq!(d.checked_mul(Amount::Int(2)).unwrap().to_string(), "P24Y10M28DT32H26M20.000000002S");
        assert_eq!(d.checked_mul(Amount::Float(0.5)).unwrap().to_string(), "P6Y2M22DT13H21M8S");
        assert_eq!(d.checked_div(Amount::Int(2)).unwrap().to_string(), "P6Y2M22DT13H21M8S");
        assert_eq!(d.checked_div(Amount::Float(0.5)).unwrap().to_string(), "P24Y10M28DT32H26M20.000000002S");
    }
}
