//! Temporal values: `DATE`, `LOCAL TIME`, `ZONED TIME`, `LOCAL DATETIME`, `ZONED DATETIME`.
//!
//! Representation (each constructor validates it, so every value in the engine holds it):
//! - [`Date`]: days since 1970-01-01 in the proleptic Gregorian calendar, for years
//!   [`MIN_YEAR`]..=[`MAX_YEAR`]. With years bounded so, every day count and every
//!   intermediate of the calendar math below stays far inside `i64`.
//! - [`LocalTime`]: nanoseconds since midnight, `< NANOS_PER_DAY`.
//! - [`Offset`]: seconds east of UTC, `|s| <= 18h` (the range Cypher allows).
//! - [`Time`], [`DateTime`]: a local value plus the offset in force. Ordering is by the instant
//!   (UTC-normalised), ties broken by the offset so the order is total and agrees with `==`.
//!   A [`DateTime`] may also carry a named zone ([`ZoneId`]); its offset is then the one that
//!   zone has in force at that instant (resolved on construction), so ordering is unchanged.
//!
//! Text is the canonical Cypher form: `1984-10-11`, `12:31`, `12:31:14.645876123+01:00`,
//! `Z` for a zero offset; seconds appear only when non-zero or with a fraction, and the
//! fraction in groups of three digits. Parsers accept the common ISO 8601 forms.
use super::zones::ZoneId;
use std::cmp::Ordering;
use std::fmt;

pub const MIN_YEAR: i64 = -999_999_999;
pub const MAX_YEAR: i64 = 999_999_999;
const NANOS_PER_SECOND: u64 = 1_000_000_000;
const NANOS_PER_DAY: u64 = 86_400 * NANOS_PER_SECOND;
const MAX_OFFSET_SECONDS: i32 = 18 * 3600;

/// A value out of range or text that is not a temporal value (an `ArgumentError` in Cypher).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporalError(pub String);

impl fmt::Display for TemporalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Res<T> = Result<T, TemporalError>;

fn err<T>(message: impl Into<String>) -> Res<T> {
    Err(TemporalError(message.into()))
}

/// `value` if it is within `lo..=hi`, else an error naming `field`.
fn check(field: &str, value: i64, lo: i64, hi: i64) -> Res<i64> {
    if (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        err(format!("{field} must be in {lo}..={hi}, got {value}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar math (Howard Hinnant's civil-day algorithms); inputs are range-checked years.
// ---------------------------------------------------------------------------------------------

fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_in_year(year: i64) -> i64 {
    if is_leap(year) {
        366
    } else {
        365
    }
}

/// Days since 1970-01-01 of a valid `year-month-day`.
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of a day count produced by [`days_from_civil`].
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// ISO day of week, Monday = 1 … Sunday = 7 (1970-01-01 was a Thursday).
pub(crate) fn day_of_week(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

/// The Monday of ISO week 1 of `year` (the week holding January 4th).
fn week_one_monday(year: i64) -> i64 {
    let jan4 = days_from_civil(year, 1, 4);
    jan4 - (day_of_week(jan4) - 1)
}

fn weeks_in_year(year: i64) -> i64 {
    (week_one_monday(year + 1) - week_one_monday(year)) / 7
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    nanos: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Offset {
    seconds: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Time {
    pub time: LocalTime,
    pub offset: Offset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDateTime {
    pub date: Date,
    pub time: LocalTime,
}

/// A date-time at an offset, which a named zone (if any) has in force at that instant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    pub local: LocalDateTime,
    pub offset: Offset,
    pub zone: Option<ZoneId>,
}

/// A time zone as written: a fixed offset or a named IANA zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeZone {
    Fixed(Offset),
    Named(ZoneId),
}

impl TimeZone {
    pub const UTC: TimeZone = TimeZone::Fixed(Offset::UTC);

    /// `+01:00`, `Z`, or an IANA name such as `Europe/Stockholm`.
    pub fn parse(text: &str) -> Res<TimeZone> {
        match text.chars().next() {
            Some('+' | '-' | 'Z' | 'z') => Offset::parse(text).map(TimeZone::Fixed),
            _ => ZoneId::find(text)
                .map(TimeZone::Named)
                .ok_or_else(|| TemporalError(format!("unknown time zone {text:?}"))),
        }
    }

    /// The offset in force at `instant` (nanoseconds since the epoch).
    pub fn offset_at(self, instant: i128) -> Offset {
        match self {
            TimeZone::Fixed(o) => o,
            TimeZone::Named(z) => {
                let secs = instant.div_euclid(i128::from(NANOS_PER_SECOND));
                let secs = i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX });
                Offset { seconds: z.offset_at(secs) }
            }
        }
    }
}

impl Date {
    pub const MIN: i64 = -365_243_219_162; // days_from_civil(MIN_YEAR, 1, 1)
    pub const MAX: i64 = 365_241_780_471; // days_from_civil(MAX_YEAR, 12, 31)

    pub fn from_days(days: i64) -> Res<Date> {
        check("epoch day", days, Date::MIN, Date::MAX).map(|days| Date { days })
    }

    pub fn from_ymd(year: i64, month: i64, day: i64) -> Res<Date> {
        check("year", year, MIN_YEAR, MAX_YEAR)?;
        check("month", month, 1, 12)?;
        check("day", day, 1, days_in_month(year, month))?;
        Ok(Date { days: days_from_civil(year, month, day) })
    }

    /// ISO week date: `week` 1..=52 or 53, `day_of_week` 1 (Monday) ..= 7.
    pub fn from_week(year: i64, week: i64, day_of_week: i64) -> Res<Date> {
        check("year", year, MIN_YEAR, MAX_YEAR)?;
        check("week", week, 1, weeks_in_year(year))?;
        check("dayOfWeek", day_of_week, 1, 7)?;
        Date::from_days(week_one_monday(year) + (week - 1) * 7 + day_of_week - 1)
    }

    pub fn from_ordinal(year: i64, ordinal_day: i64) -> Res<Date> {
        check("year", year, MIN_YEAR, MAX_YEAR)?;
        check("ordinalDay", ordinal_day, 1, days_in_year(year))?;
        Ok(Date { days: days_from_civil(year, 1, 1) + ordinal_day - 1 })
    }

    pub fn from_quarter(year: i64, quarter: i64, day_of_quarter: i64) -> Res<Date> {
        check("year", year, MIN_YEAR, MAX_YEAR)?;
        check("quarter", quarter, 1, 4)?;
        let first = quarter * 3 - 2;
        let length: i64 = (first..first + 3).map(|m| days_in_month(year, m)).sum();
        check("dayOfQuarter", day_of_quarter, 1, length)?;
        Ok(Date { days: days_from_civil(year, first, 1) + day_of_quarter - 1 })
    }

    pub fn epoch_days(self) -> i64 {
        self.days
    }

    pub fn ymd(self) -> (i64, i64, i64) {
        civil_from_days(self.days)
    }

    pub fn year(self) -> i64 {
        self.ymd().0
    }

    pub fn day_of_week(self) -> i64 {
        day_of_week(self.days)
    }

    pub fn ordinal_day(self) -> i64 {
        self.days - days_from_civil(self.year(), 1, 1) + 1
    }

    /// `(week-based year, ISO week)`.
    pub fn iso_week(self) -> (i64, i64) {
        let year = self.year();
        let wy = if self.days >= week_one_monday(year + 1) {
            year + 1
        } else if self.days < week_one_monday(year) {
            year - 1
        } else {
            year
        };
        (wy, (self.days - week_one_monday(wy)) / 7 + 1)
    }
}

impl LocalTime {
    pub const MIDNIGHT: LocalTime = LocalTime { nanos: 0 };

    pub fn from_nanos(nanos: u64) -> Res<LocalTime> {
        if nanos < NANOS_PER_DAY {
            Ok(LocalTime { nanos })
        } else {
            err(format!("{nanos} is not a nanosecond of a day"))
        }
    }

    pub fn from_hms_nano(hour: i64, minute: i64, second: i64, nano: i64) -> Res<LocalTime> {
        let h = check("hour", hour, 0, 23)?;
        let m = check("minute", minute, 0, 59)?;
        let s = check("second", second, 0, 59)?;
        let n = check("nanosecond", nano, 0, 999_999_999)?;
        let secs = u64::try_from(h * 3600 + m * 60 + s).map_err(|_| TemporalError("negative time".into()))?;
        let n = u64::try_from(n).map_err(|_| TemporalError("negative time".into()))?;
        LocalTime::from_nanos(secs * NANOS_PER_SECOND + n)
    }

    pub fn nanos_of_day(self) -> u64 {
        self.nanos
    }

    pub fn hour(self) -> i64 {
        (self.nanos / (3600 * NANOS_PER_SECOND)) as i64
    }

    pub fn minute(self) -> i64 {
        (self.nanos / (60 * NANOS_PER_SECOND) % 60) as i64
    }

    pub fn second(self) -> i64 {
        (self.nanos / NANOS_PER_SECOND % 60) as i64
    }

    /// The fraction of the second, in nanoseconds.
    pub fn nanosecond(self) -> i64 {
        (self.nanos % NANOS_PER_SECOND) as i64
    }
}

impl Offset {
    pub const UTC: Offset = Offset { seconds: 0 };

    pub fn from_seconds(seconds: i64) -> Res<Offset> {
        let s = check("offset seconds", seconds, -i64::from(MAX_OFFSET_SECONDS), i64::from(MAX_OFFSET_SECONDS))?;
        i32::try_from(s).map(|seconds| Offset { seconds }).map_err(|_| TemporalError("offset out of range".into()))
    }

    pub fn seconds(self) -> i32 {
        self.seconds
    }

    fn nanos(self) -> i128 {
        i128::from(self.seconds) * i128::from(NANOS_PER_SECOND)
    }

    /// `Z`, `+01:00`, `-02:05:07`, `+0100`, `+01`.
    pub fn parse(text: &str) -> Res<Offset> {
        let mut c = Cursor::new(text);
        let o = c.offset()?;
        c.end()?;
        Ok(o)
    }
}

impl Time {
    /// Nanoseconds of the UTC-normalised time of day (may fall outside one day).
    fn utc_nanos(self) -> i128 {
        i128::from(self.time.nanos) - i128::from(self.offset.seconds) * i128::from(NANOS_PER_SECOND)
    }
}

impl Ord for Time {
    fn cmp(&self, other: &Self) -> Ordering {
        self.utc_nanos().cmp(&other.utc_nanos()).then(self.offset.cmp(&other.offset))
    }
}

impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl LocalDateTime {
    /// Nanoseconds since 1970-01-01T00:00 (fits: |days| < 4e11, so < 4e25 ns).
    pub fn epoch_nanos(self) -> i128 {
        i128::from(self.date.days) * i128::from(NANOS_PER_DAY) + i128::from(self.time.nanos)
    }

    pub fn from_epoch_nanos(nanos: i128) -> Res<LocalDateTime> {
        let days = i64::try_from(nanos.div_euclid(i128::from(NANOS_PER_DAY)))
            .map_err(|_| TemporalError("date-time out of range".into()))?;
        let time = u64::try_from(nanos.rem_euclid(i128::from(NANOS_PER_DAY))).unwrap_or(0);
        Ok(LocalDateTime { date: Date::from_days(days)?, time: LocalTime::from_nanos(time)? })
    }
}

impl DateTime {
    /// Nanoseconds since the Unix epoch of the instant.
    pub fn instant_nanos(&self) -> i128 {
        self.local.epoch_nanos() - i128::from(self.offset.seconds) * i128::from(NANOS_PER_SECOND)
    }

    pub fn time_zone(&self) -> TimeZone {
        self.zone.map_or(TimeZone::Fixed(self.offset), TimeZone::Named)
    }

    /// `local` in `tz`; a named zone resolves its offset (a local time in a gap moves forward).
    pub fn from_local(local: LocalDateTime, tz: TimeZone) -> Res<DateTime> {
        match tz {
            TimeZone::Fixed(offset) => Ok(DateTime { local, offset, zone: None }),
            TimeZone::Named(z) => {
                let secs = local.epoch_nanos().div_euclid(i128::from(NANOS_PER_SECOND));
                let frac = local.epoch_nanos().rem_euclid(i128::from(NANOS_PER_SECOND));
                let secs = i64::try_from(secs).map_err(|_| TemporalError("date-time out of range".into()))?;
                let (offset, moved) = z.resolve_local(secs);
                let local = LocalDateTime::from_epoch_nanos(i128::from(moved) * i128::from(NANOS_PER_SECOND) + frac)?;
                Ok(DateTime { local, offset: Offset { seconds: offset }, zone: Some(z) })
            }
        }
    }

    /// The instant `instant` (nanoseconds since the epoch) as seen in `tz`.
    pub fn from_instant(instant: i128, tz: TimeZone) -> Res<DateTime> {
        let offset = tz.offset_at(instant);
        let local =
            LocalDateTime::from_epoch_nanos(instant + i128::from(offset.seconds) * i128::from(NANOS_PER_SECOND))?;
        let zone = match tz {
            TimeZone::Named(z) => Some(z),
            TimeZone::Fixed(_) => None,
        };
        Ok(DateTime { local, offset, zone })
    }

    /// The same instant in another zone.
    pub fn with_zone_same_instant(&self, tz: TimeZone) -> Res<DateTime> {
        DateTime::from_instant(self.instant_nanos(), tz)
    }
}

impl Ord for DateTime {
    fn cmp(&self, other: &Self) -> Ordering {
        self.instant_nanos()
            .cmp(&other.instant_nanos())
            .then(self.offset.cmp(&other.offset))
            .then_with(|| self.zone.map(ZoneId::name).cmp(&other.zone.map(ZoneId::name)))
    }
}

impl PartialOrd for DateTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

// ---------------------------------------------------------------------------------------------
// Construction from components (the map forms of `date({...})` and friends)
// ---------------------------------------------------------------------------------------------

/// The named components of a temporal map, already checked to be integers (and the time zone
/// a string). Absent components are `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Components {
    pub ints: std::collections::BTreeMap<String, i64>,
    pub timezone: Option<String>,
}

const DATE_KEYS: [&str; 8] = ["year", "month", "day", "week", "dayOfWeek", "ordinalDay", "quarter", "dayOfQuarter"];
const TIME_KEYS: [&str; 7] = ["hour", "minute", "second", "millisecond", "microsecond", "nanosecond", "timezone"];

impl Components {
    fn get(&self, key: &str) -> Option<i64> {
        self.ints.get(key).copied()
    }

    /// Errors on a key that is none of `allowed`.
    fn only(&self, allowed: &[&[&str]]) -> Res<()> {
        let known = |k: &str| allowed.iter().any(|group| group.contains(&k));
        match self.ints.keys().find(|k| !known(k)) {
            Some(k) => err(format!("`{k}` is not a component of this temporal type")),
            None if self.timezone.is_some() && !known("timezone") => err("this temporal type has no time zone"),
            None => Ok(()),
        }
    }

    /// `key`'s value, or `default` when absent; `needs` must then be present too.
    fn field(&self, key: &str, needs: Option<&str>, default: i64) -> Res<i64> {
        match (self.get(key), needs) {
            (Some(_), Some(n)) if self.get(n).is_none() => err(format!("`{key}` needs `{n}`")),
            (Some(v), _) => Ok(v),
            (None, _) => Ok(default),
        }
    }

    pub fn date(&self) -> Res<Date> {
        self.only(&[&DATE_KEYS])?;
        self.date_part()
    }

    fn date_part(&self) -> Res<Date> {
        let Some(year) = self.get("year") else { return err("a date needs `year`") };
        let has = |k: &str| self.get(k).is_some();
        let groups = [
            has("month") || has("day"),
            has("week") || has("dayOfWeek"),
            has("ordinalDay"),
            has("quarter") || has("dayOfQuarter"),
        ];
        if groups.iter().filter(|g| **g).count() > 1 {
            return err("a date is given by one of month/day, week/dayOfWeek, ordinalDay or quarter/dayOfQuarter");
        }
        if has("week") || has("dayOfWeek") {
            Date::from_week(year, self.field("week", None, 1)?, self.field("dayOfWeek", Some("week"), 1)?)
        } else if has("ordinalDay") {
            Date::from_ordinal(year, self.field("ordinalDay", None, 1)?)
        } else if has("quarter") || has("dayOfQuarter") {
            Date::from_quarter(year, self.field("quarter", None, 1)?, self.field("dayOfQuarter", Some("quarter"), 1)?)
        } else {
            Date::from_ymd(year, self.field("month", None, 1)?, self.field("day", Some("month"), 1)?)
        }
    }

    pub fn local_time(&self) -> Res<LocalTime> {
        self.only(&[&TIME_KEYS[..6]])?;
        self.time_part()
    }

    fn time_part(&self) -> Res<LocalTime> {
        let hour = self.field("hour", None, 0)?;
        let minute = self.field("minute", Some("hour"), 0)?;
        let second = self.field("second", Some("minute"), 0)?;
        let sub = ["millisecond", "microsecond", "nanosecond"];
        if let Some(k) = sub.iter().find(|k| self.get(k).is_some()) {
            if self.get("second").is_none() {
                return err(format!("`{k}` needs `second`"));
            }
        }
        // A finer field is additive; alone it may span the whole second.
        let (ms, us, ns) = (self.get("millisecond"), self.get("microsecond"), self.get("nanosecond"));
        let ms = check("millisecond", ms.unwrap_or(0), 0, 999)?;
        let us_max = if self.get("millisecond").is_some() { 999 } else { 999_999 };
        let us = check("microsecond", us.unwrap_or(0), 0, us_max)?;
        let coarser = self.get("millisecond").is_some() || self.get("microsecond").is_some();
        let ns = check("nanosecond", ns.unwrap_or(0), 0, if coarser { 999 } else { 999_999_999 })?;
        LocalTime::from_hms_nano(hour, minute, second, ms * 1_000_000 + us * 1000 + ns)
    }

    fn zone(&self) -> Res<TimeZone> {
        self.timezone.as_deref().map_or(Ok(TimeZone::UTC), TimeZone::parse)
    }

    /// The offset of a time: a time has no date, so a named zone is an error.
    fn offset(&self) -> Res<Offset> {
        match self.zone()? {
            TimeZone::Fixed(o) => Ok(o),
            TimeZone::Named(z) => err(format!("a time needs an offset, not the zone {}", z.name())),
        }
    }

    pub fn time(&self) -> Res<Time> {
        self.only(&[&TIME_KEYS])?;
        Ok(Time { time: self.time_part()?, offset: self.offset()? })
    }

    pub fn local_date_time(&self) -> Res<LocalDateTime> {
        self.only(&[&DATE_KEYS, &TIME_KEYS[..6]])?;
        Ok(LocalDateTime { date: self.date_part()?, time: self.time_part()? })
    }

    pub fn date_time(&self) -> Res<DateTime> {
        self.only(&[&DATE_KEYS, &TIME_KEYS])?;
        let local = LocalDateTime { date: self.date_part()?, time: self.time_part()? };
        DateTime::from_local(local, self.zone()?)
    }
}

// ---------------------------------------------------------------------------------------------
// Canonical text
// ---------------------------------------------------------------------------------------------

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        match y {
            0..=9999 => write!(f, "{y:04}")?,
            y if y < 0 => write!(f, "-{:04}", y.unsigned_abs())?,
            y => write!(f, "+{y}")?,
        }
        write!(f, "-{m:02}-{d:02}")
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())?;
        let (s, n) = (self.second(), self.nanosecond());
        if s != 0 || n != 0 {
            write!(f, ":{s:02}")?;
        }
        match n {
            0 => Ok(()),
            n if n % 1_000_000 == 0 => write!(f, ".{:03}", n / 1_000_000),
            n if n % 1000 == 0 => write!(f, ".{:06}", n / 1000),
            n => write!(f, ".{n:09}"),
        }
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seconds == 0 {
            return f.write_str("Z");
        }
        let sign = if self.seconds < 0 { '-' } else { '+' };
        let a = self.seconds.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60)?;
        if !a.is_multiple_of(60) {
            write!(f, ":{:02}", a % 60)?;
        }
        Ok(())
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.time, self.offset)
    }
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T{}", self.date, self.time)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.local, self.offset)?;
        match self.zone {
            Some(z) => write!(f, "[{}]", z.name()),
            None => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing ISO 8601 text
// ---------------------------------------------------------------------------------------------

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
    text: &'a str,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor { s: text.as_bytes(), pos: 0, text }
    }

    fn bad<T>(&self) -> Res<T> {
        err(format!("{:?} is not a valid temporal value", self.text))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn digit_run(&self) -> usize {
        self.s.get(self.pos..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit()).count()
    }

    /// Exactly `n` digits as a number.
    fn digits(&mut self, n: usize) -> Res<i64> {
        if self.digit_run() < n || n > 18 {
            return self.bad();
        }
        let mut v: i64 = 0;
        for _ in 0..n {
            let d = self.peek().map_or(0, |b| i64::from(b - b'0'));
            v = v * 10 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    fn end(&self) -> Res<()> {
        if self.pos == self.s.len() {
            Ok(())
        } else {
            self.bad()
        }
    }

    /// `YYYY`, `+YYYYY…`, `-YYYY…`, then `-MM-DD`, `-MM`, `-Www[-D]`, `-DDD`, or the basic forms
    /// `MMDD`, `MM`, `Www[D]`, `DDD`.
    fn date(&mut self) -> Res<Date> {
        let year = self.year()?;
        let dash = self.eat(b'-');
        if self.eat(b'W') {
            let week = self.digits(2)?;
            let dow = if (dash && self.eat(b'-')) || (!dash && self.digit_run() == 1) { self.digits(1)? } else { 1 };
            return Date::from_week(year, week, dow);
        }
        match (dash, self.digit_run()) {
            (false, 0) => Date::from_ymd(year, 1, 1),
            (_, 3) => Date::from_ordinal(year, self.digits(3)?),
            (false, 4) => {
                let m = self.digits(2)?;
                Date::from_ymd(year, m, self.digits(2)?)
            }
            (false, 2) => Date::from_ymd(year, self.digits(2)?, 1),
            (true, 2) => {
                let m = self.digits(2)?;
                let d = if self.eat(b'-') { self.digits(2)? } else { 1 };
                Date::from_ymd(year, m, d)
            }
            _ => self.bad(),
        }
    }

    fn year(&mut self) -> Res<i64> {
        let sign = match self.peek() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return self.digits(4),
        };
        self.pos += 1;
        let n = self.digit_run();
        if !(4..=9).contains(&n) {
            return self.bad();
        }
        Ok(sign * self.digits(n)?)
    }

    /// `HH[:MM[:SS[.fffffffff]]]` or the basic `HH[MM[SS[.fff]]]`.
    fn local_time(&mut self) -> Res<LocalTime> {
        let hour = self.digits(2)?;
        let colon = self.eat(b':');
        let (mut minute, mut second, mut nano) = (0, 0, 0);
        if colon || self.digit_run() >= 2 {
            minute = self.digits(2)?;
            if (colon && self.eat(b':')) || (!colon && self.digit_run() >= 2) {
                second = self.digits(2)?;
                if self.eat(b'.') || self.eat(b',') {
                    let n = self.digit_run();
                    if !(1..=9).contains(&n) {
                        return self.bad();
                    }
                    nano = self.digits(n)? * 10i64.pow(9 - n as u32);
                }
            }
        }
        LocalTime::from_hms_nano(hour, minute, second, nano)
    }

    /// `Z` or `±HH[[:]MM[[:]SS]]`.
    fn offset(&mut self) -> Res<Offset> {
        if self.eat(b'Z') || self.eat(b'z') {
            return Ok(Offset::UTC);
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return self.bad();
        };
        let h = check("offset hours", self.digits(2)?, 0, 18)?;
        let colon = self.eat(b':');
        let mut m = 0;
        let mut s = 0;
        if colon || self.digit_run() >= 2 {
            m = check("offset minutes", self.digits(2)?, 0, 59)?;
            if (colon && self.eat(b':')) || (!colon && self.digit_run() >= 2) {
                s = check("offset seconds", self.digits(2)?, 0, 59)?;
            }
        }
        Offset::from_seconds(sign * (h * 3600 + m * 60 + s))
    }

    /// An optional offset (default `Z`).
    fn offset_or_utc(&mut self) -> Res<Offset> {
        if self.peek().is_none() {
            Ok(Offset::UTC)
        } else {
            self.offset()
        }
    }

    /// An optional offset, then an optional `[Zone/Name]`.
    fn zone(&mut self) -> Res<(Option<Offset>, Option<ZoneId>)> {
        let offset = if matches!(self.peek(), None | Some(b'[')) { None } else { Some(self.offset()?) };
        if !self.eat(b'[') {
            return Ok((offset, None));
        }
        let rest = self.s.get(self.pos..).unwrap_or_default();
        let Some(len) = rest.iter().position(|&b| b == b']') else { return self.bad() };
        let name = std::str::from_utf8(rest.get(..len).unwrap_or_default()).unwrap_or("");
        let zone = ZoneId::find(name).ok_or_else(|| TemporalError(format!("unknown time zone {name:?}")))?;
        self.pos += len + 1;
        Ok((offset, Some(zone)))
    }

    fn local_date_time(&mut self) -> Res<LocalDateTime> {
        let date = self.date()?;
        let time = if self.eat(b'T') || self.eat(b't') { self.local_time()? } else { LocalTime::MIDNIGHT };
        Ok(LocalDateTime { date, time })
    }
}

/// Runs `f` over the whole of `text`.
fn parse_all<'a, T>(text: &'a str, f: impl FnOnce(&mut Cursor<'a>) -> Res<T>) -> Res<T> {
    let mut c = Cursor::new(text.trim());
    let v = f(&mut c)?;
    c.end()?;
    Ok(v)
}

impl Date {
    pub fn parse(text: &str) -> Res<Date> {
        parse_all(text, Cursor::date)
    }
}

impl LocalTime {
    pub fn parse(text: &str) -> Res<LocalTime> {
        parse_all(text, Cursor::local_time)
    }
}

impl Time {
    /// A time with an optional offset (default `Z`).
    pub fn parse(text: &str) -> Res<Time> {
        parse_all(text, |c| Ok(Time { time: c.local_time()?, offset: c.offset_or_utc()? }))
    }
}

impl LocalDateTime {
    pub fn parse(text: &str) -> Res<LocalDateTime> {
        parse_all(text, Cursor::local_date_time)
    }
}

impl DateTime {
    /// A date-time with an optional offset (default `Z`).
    pub fn parse(text: &str) -> Res<DateTime> {
        parse_all(text, |c| {
            let local = c.local_date_time()?;
            match c.zone()? {
                (offset, None) => Ok(DateTime { local, offset: offset.unwrap_or(Offset::UTC), zone: None }),
                (Some(o), Some(z))
                    if DateTime::from_instant(local.epoch_nanos() - o.nanos(), TimeZone::Named(z))?.local == local =>
                {
                    Ok(DateTime { local, offset: o, zone: Some(z) })
                }
                (_, Some(z)) => DateTime::from_local(local, TimeZone::Named(z)),
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Component access (`d.year`, `t.hour`, …)
// ---------------------------------------------------------------------------------------------

/// A component's value: most are integers; `timezone`/`offset` are text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Component {
    Int(i64),
    Text(String),
}

fn date_component(d: Date, key: &str) -> Option<Component> {
    let (y, m, day) = d.ymd();
    Some(Component::Int(match key {
        "year" => y,
        "month" => m,
        "day" => day,
        "quarter" => (m - 1) / 3 + 1,
        "week" => d.iso_week().1,
        "weekYear" => d.iso_week().0,
        "dayOfWeek" | "weekDay" => d.day_of_week(),
        "ordinalDay" => d.ordinal_day(),
        "dayOfQuarter" => d.epoch_days() - days_from_civil(y, (m - 1) / 3 * 3 + 1, 1) + 1,
        _ => return None,
    }))
}

fn time_component(t: LocalTime, key: &str) -> Option<Component> {
    Some(Component::Int(match key {
        "hour" => t.hour(),
        "minute" => t.minute(),
        "second" => t.second(),
        "millisecond" => t.nanosecond() / 1_000_000,
        "microsecond" => t.nanosecond() / 1000,
        "nanosecond" => t.nanosecond(),
        _ => return None,
    }))
}

fn offset_component(o: Offset, key: &str) -> Option<Component> {
    match key {
        "timezone" | "offset" => Some(Component::Text(if o.seconds == 0 { "Z".into() } else { o.to_string() })),
        "offsetMinutes" => Some(Component::Int(i64::from(o.seconds / 60))),
        "offsetSeconds" => Some(Component::Int(i64::from(o.seconds))),
        _ => None,
    }
}

impl Date {
    pub fn component(self, key: &str) -> Option<Component> {
        date_component(self, key)
    }
}

impl LocalTime {
    pub fn component(self, key: &str) -> Option<Component> {
        time_component(self, key)
    }
}

impl Time {
    pub fn component(self, key: &str) -> Option<Component> {
        time_component(self.time, key).or_else(|| offset_component(self.offset, key))
    }
}

impl LocalDateTime {
    pub fn component(self, key: &str) -> Option<Component> {
        date_component(self.date, key).or_else(|| time_component(self.time, key))
    }
}

impl DateTime {
    pub fn component(&self, key: &str) -> Option<Component> {
        // `None` (an error to the caller) when the count overflows an integer.
        let epoch = |div: i128| i64::try_from(self.instant_nanos().div_euclid(div)).ok().map(Component::Int);
        match key {
            "epochSeconds" => epoch(i128::from(NANOS_PER_SECOND)),
            "epochMillis" => epoch(1_000_000),
            "timezone" if self.zone.is_some() => {
                Some(Component::Text(self.zone.map(ZoneId::name).unwrap_or_default().into()))
            }
            _ => self.local.component(key).or_else(|| offset_component(self.offset, key)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn comps(ints: &[(&str, i64)], tz: Option<&str>) -> Components {
        Components { ints: ints.iter().map(|(k, v)| (k.to_string(), *v)).collect(), timezone: tz.map(str::to_string) }
    }

    #[test]
    fn calendar_round_trips_and_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(MIN_YEAR, 1, 1), Date::MIN);
        assert_eq!(days_from_civil(MAX_YEAR, 12, 31), Date::MAX);
        for days in (-800_000..800_000).step_by(97).chain([Date::MIN, Date::MAX]) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            let date = Date::from_days(days).unwrap();
            assert_eq!(Date::parse(&date.to_string()).unwrap(), date, "{date}");
        }
        assert!(Date::from_days(Date::MAX + 1).is_err());
    }

    #[test]
    fn dates_from_components() {
        let d = |ints: &[(&str, i64)]| comps(ints, None).date().map(|d| d.to_string());
        assert_eq!(d(&[("year", 1984), ("month", 10), ("day", 11)]).unwrap(), "1984-10-11");
        assert_eq!(d(&[("year", 1984), ("month", 10)]).unwrap(), "1984-10-01");
        assert_eq!(d(&[("year", 1984)]).unwrap(), "1984-01-01");
        assert_eq!(d(&[("year", 1984), ("week", 10), ("dayOfWeek", 3)]).unwrap(), "1984-03-07");
        assert_eq!(d(&[("year", 1817), ("week", 1)]).unwrap(), "1816-12-30");
        assert_eq!(d(&[("year", 1818), ("week", 53)]).unwrap(), "1818-12-28");
        assert_eq!(d(&[("year", 1984), ("ordinalDay", 202)]).unwrap(), "1984-07-20");
        assert_eq!(d(&[("year", 1984), ("quarter", 3), ("dayOfQuarter", 45)]).unwrap(), "1984-08-14");
        assert_eq!(d(&[("year", 1), ("month", 1), ("day", 1)]).unwrap(), "0001-01-01");
        assert_eq!(d(&[("year", -1), ("month", 1), ("day", 1)]).unwrap(), "-0001-01-01");
        assert_eq!(d(&[("year", 12345), ("month", 1), ("day", 1)]).unwrap(), "+12345-01-01");
        for bad in [
            &[("year", 1983), ("month", 2), ("day", 29)][..],
            &[("year", 1984), ("month", 13)],
            &[("year", 1984), ("day", 3)],
            &[("month", 1)],
            &[("year", 1_000_000_000)],
            &[("year", 1819), ("week", 53)],
            &[("year", 1984), ("month", 1), ("week", 2)],
            &[("year", 1984), ("hour", 2)],
            &[("year", i64::MAX), ("month", 1)],
        ] {
            assert!(d(bad).is_err(), "{bad:?}");
        }
        assert_eq!(d(&[("year", 2000), ("month", 2), ("day", 29)]).unwrap(), "2000-02-29");
    }

    #[test]
    fn times_print_canonically() {
        let t = |ints: &[(&str, i64)]| comps(ints, None).local_time().unwrap().to_string();
        assert_eq!(t(&[("hour", 12)]), "12:00");
        assert_eq!(t(&[("hour", 10), ("minute", 35)]), "10:35");
        assert_eq!(t(&[("hour", 12), ("minute", 31), ("second", 14)]), "12:31:14");
        let all = [("hour", 12), ("minute", 31), ("second", 14), ("millisecond", 123), ("microsecond", 456)];
        assert_eq!(t(&[&all[..], &[("nanosecond", 789)]].concat()), "12:31:14.123456789");
        assert_eq!(t(&[("hour", 12), ("minute", 31), ("second", 14), ("millisecond", 645)]), "12:31:14.645");
        assert_eq!(t(&[("hour", 12), ("minute", 31), ("second", 14), ("microsecond", 645_876)]), "12:31:14.645876");
        assert_eq!(t(&[("hour", 1), ("minute", 0), ("second", 0), ("nanosecond", 12)]), "01:00:00.000000012");
        let tz = |z: &str| comps(&[("hour", 10), ("minute", 35)], Some(z)).time().map(|t| t.to_string());
        assert_eq!(tz("-08:00").unwrap(), "10:35-08:00");
        assert_eq!(tz("+00:00").unwrap(), "10:35Z");
        assert_eq!(tz("Z").unwrap(), "10:35Z");
        assert_eq!(tz("+02:05:59").unwrap(), "10:35+02:05:59");
        assert_eq!(tz("+02:05:00").unwrap(), "10:35+02:05");
        assert!(tz("+19:00").is_err());
        assert!(tz("Europe/Stockholm").is_err());
        for bad in [
            &[("hour", 24)][..],
            &[("minute", 3)],
            &[("hour", 1), ("second", 3)],
            &[("hour", 1), ("minute", 1), ("nanosecond", 3)],
            &[("hour", 1), ("minute", 1), ("second", 1), ("millisecond", 1), ("microsecond", 1000)],
            &[("hour", 1), ("minute", 1), ("second", 60)],
            &[("hour", i64::MIN)],
        ] {
            assert!(comps(bad, None).local_time().is_err(), "{bad:?}");
        }
        assert!(comps(&[("hour", 1)], Some("+01:00")).local_time().is_err(), "local times have no zone");
    }

    #[test]
    fn zoned_values_order_by_instant() {
        let t = |s: &str| Time::parse(s).unwrap();
        let mut v = [t("10:35-08:00"), t("12:31:14.645876123+01:00"), t("12:35:15+05:00"), t("12:30:14+01:01")];
        v.sort();
        let text: Vec<String> = v.iter().map(Time::to_string).collect();
        assert_eq!(text, ["12:35:15+05:00", "12:30:14+01:01", "12:31:14.645876123+01:00", "10:35-08:00"]);
        assert_ne!(t("12:00+01:00"), t("11:00Z"));
        assert_eq!(t("12:00+01:00").cmp(&t("11:00Z")), Ordering::Greater, "same instant: offset breaks the tie");
        let dt = |s: &str| DateTime::parse(s).unwrap();
        assert!(dt("1984-10-11T12:30:14.000000012+00:15") > dt("1984-10-11T12:31:14.645876123+00:17"));
        assert!(dt("0001-01-01T01:01:01.000000001-11:59") < dt("1980-12-11T12:31:14-11:59"));
    }

    #[test]
    fn parses_common_iso_forms() {
        let ok = |s: &str, f: fn(&str) -> Res<String>| f(s).unwrap();
        let date = |s: &str| Date::parse(s).map(|d| d.to_string());
        let time = |s: &str| Time::parse(s).map(|d| d.to_string());
        let ldt = |s: &str| LocalDateTime::parse(s).map(|d| d.to_string());
        let dt = |s: &str| DateTime::parse(s).map(|d| d.to_string());
        let lt = |s: &str| LocalTime::parse(s).map(|d| d.to_string());
        assert_eq!(ok("2015-07-21", date), "2015-07-21");
        assert_eq!(ok("20150721", date), "2015-07-21");
        assert_eq!(ok("2015-07", date), "2015-07-01");
        assert_eq!(ok("201507", date), "2015-07-01");
        assert_eq!(ok("2015-W30-2", date), "2015-07-21");
        assert_eq!(ok("2015W302", date), "2015-07-21");
        assert_eq!(ok("2015-202", date), "2015-07-21");
        assert_eq!(ok("2015", date), "2015-01-01");
        assert_eq!(ok("-0001-01-01", date), "-0001-01-01");
        assert_eq!(ok("+12345-01-01", date), "+12345-01-01");
        assert_eq!(ok("12:00+01:00", time), "12:00+01:00");
        assert_eq!(ok("214032.142Z", time), "21:40:32.142Z");
        assert_eq!(ok("21:40", time), "21:40Z");
        assert_eq!(ok("21:40:32,5-0130", time), "21:40:32.500-01:30");
        assert_eq!(ok("21", lt), "21:00");
        assert_eq!(ok("2015-07-21T21:40:32.142", ldt), "2015-07-21T21:40:32.142");
        assert_eq!(ok("2015-07-21", ldt), "2015-07-21T00:00");
        assert_eq!(ok("2015-07-21T21:40:32.142+01:00", dt), "2015-07-21T21:40:32.142+01:00");
        assert_eq!(ok("2015-07-21T21:40", dt), "2015-07-21T21:40Z");
        for bad in ["", "2015-13-01", "2015-02-30", "15-07-21", "2015-07-21T", "2015-07-21x", "20150", "+123-01-01"] {
            assert!(date(bad).is_err() || ldt(bad).is_err(), "{bad:?}");
        }
        for bad in ["25:00", "12:60", "12:00:00.", "12:00:00.1234567891", "12:00+25:00", "12:00+01:00[Europe/Berlin]"] {
            assert!(time(bad).is_err(), "{bad:?}");
        }
        assert_eq!(ok("2015-07-21T21:40+02:00[Europe/Berlin]", dt), "2015-07-21T21:40+02:00[Europe/Berlin]");
        assert_eq!(ok("2015-07-21T21:40[Europe/London]", dt), "2015-07-21T21:40+01:00[Europe/London]");
        assert_eq!(
            ok("1818-07-21T21:40:32.142[Europe/Stockholm]", dt),
            "1818-07-21T21:40:32.142+00:53:28[Europe/Stockholm]"
        );
        assert_eq!(
            ok("2015-07-21T21:40:32.142+0845[Australia/Eucla]", dt),
            "2015-07-21T21:40:32.142+08:45[Australia/Eucla]"
        );
        assert!(dt("2015-07-21T21:40[Europe/Nowhere]").is_err());
        assert!(dt("2015-07-21T21:40[Europe/Berlin").is_err());
    }

    #[test]
    fn components_read_back() {
        let d = Date::parse("1984-10-11").unwrap();
        assert_eq!(d.component("year"), Some(Component::Int(1984)));
        assert_eq!(d.component("dayOfWeek"), Some(Component::Int(4)));
        assert_eq!(d.component("ordinalDay"), Some(Component::Int(285)));
        assert_eq!(d.component("quarter"), Some(Component::Int(4)));
        assert_eq!(d.component("dayOfQuarter"), Some(Component::Int(11)));
        assert_eq!(d.component("week"), Some(Component::Int(41)));
        assert_eq!(d.component("hour"), None);
        let t = DateTime::parse("1984-10-11T12:31:14.645876123+01:00").unwrap();
        assert_eq!(t.component("millisecond"), Some(Component::Int(645)));
        assert_eq!(t.component("microsecond"), Some(Component::Int(645_876)));
        assert_eq!(t.component("timezone"), Some(Component::Text("+01:00".into())));
        assert_eq!(t.component("offsetSeconds"), Some(Component::Int(3600)));
        assert_eq!(t.component("epochSeconds"), Some(Component::Int(466_342_274)));
        let far = DateTime::parse("+999999999-12-31T23:59:59.999999999Z").unwrap();
        assert_eq!(far.component("epochMillis"), None, "overflows an integer");
        assert!(far.component("epochSeconds").is_some());
    }
}
