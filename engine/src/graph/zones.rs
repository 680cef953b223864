//! IANA time zones (`Europe/Stockholm`) from the table in `zones_data.rs`, which
//! `scripts/gen-zones.py` generates from tzdata (version [`zones_data::VERSION`]); the same table
//! serves the Worker and native builds. A zone is its explicit UTC-offset transitions plus a
//! POSIX TZ rule (`CET-1CEST,M3.5.0,M10.5.0/3`) for every instant after the last of them.
//!
//! Local date-times resolve as Java does: in an overlap the earlier offset wins; in a gap the
//! local time moves forward by the gap's length.
use super::zones_data::{NAMES, ZONES};

/// The tzdata release the table was generated from.
pub use super::zones_data::VERSION as TZDATA_VERSION;

/// A named zone: an index into the generated name table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneId(u16);

const SECONDS_PER_DAY: i64 = 86_400;

impl ZoneId {
    /// The zone called `name` (exact IANA spelling), if the table has it.
    pub fn find(name: &str) -> Option<ZoneId> {
        let i = NAMES.binary_search_by(|(n, _)| (*n).cmp(name)).ok()?;
        u16::try_from(i).ok().map(ZoneId)
    }

    pub fn name(self) -> &'static str {
        NAMES.get(usize::from(self.0)).map_or("UTC", |(n, _)| n)
    }

    fn data(self) -> Option<&'static (&'static [u8], &'static str)> {
        let (_, z) = NAMES.get(usize::from(self.0))?;
        ZONES.get(usize::from(*z))
    }

    /// Seconds east of UTC in force at `utc` (seconds since the epoch).
    pub fn offset_at(self, utc: i64) -> i32 {
        let Some((blob, rule)) = self.data() else { return 0 };
        match Transitions::decode(blob).and_then(|t| t.offset_at(utc)) {
            Some(Found::Offset(o)) => o,
            Some(Found::AfterLast(o)) => Rule::parse(rule).map_or(o, |r| r.offset_at(utc)),
            None => 0,
        }
    }

    /// The offset for the local date-time `local` (seconds since 1970-01-01T00:00 local), and the
    /// local time itself, moved forward when it falls in a gap.
    pub fn resolve_local(self, local: i64) -> (i32, i64) {
        let early = self.offset_at(local.saturating_sub(SECONDS_PER_DAY));
        let late = self.offset_at(local.saturating_add(SECONDS_PER_DAY));
        let valid = |o: i32| self.offset_at(local - i64::from(o)) == o;
        if valid(early) {
            (early, local)
        } else if valid(late) {
            (late, local)
        } else {
            // A gap: keep the instant the earlier offset gives, shown in the later offset.
            let instant = local - i64::from(early);
            let o = self.offset_at(instant);
            (o, instant + i64::from(o))
        }
    }
}

enum Found {
    Offset(i32),
    /// At or after the last transition, whose offset this is: the rule decides.
    AfterLast(i32),
}

/// One zone's decoded table: distinct offsets, the initial one, and `(time, offset index)`.
struct Transitions<'a> {
    offsets: Vec<i32>,
    first: usize,
    rest: &'a [u8],
    count: usize,
}

fn varint(b: &mut &[u8]) -> Option<i64> {
    let mut n: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = b.split_first()?;
        *b = rest;
        n |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some((n >> 1) as i64 ^ -((n & 1) as i64));
        }
    }
    None
}

impl<'a> Transitions<'a> {
    fn decode(mut b: &'a [u8]) -> Option<Transitions<'a>> {
        let n = usize::try_from(varint(&mut b)?).ok()?;
        let offsets = (0..n).map(|_| varint(&mut b).and_then(|o| i32::try_from(o).ok())).collect::<Option<_>>()?;
        let first = usize::try_from(varint(&mut b)?).ok()?;
        let count = usize::try_from(varint(&mut b)?).ok()?;
        Some(Transitions { offsets, first, rest: b, count })
    }

    fn offset_at(self, utc: i64) -> Option<Found> {
        let mut b = self.rest;
        let mut time = 0i64;
        let mut current = *self.offsets.get(self.first)?;
        for _ in 0..self.count {
            time = time.checked_add(varint(&mut b)?)?;
            let (&idx, rest) = b.split_first()?;
            b = rest;
            if time > utc {
                return Some(Found::Offset(current));
            }
            current = *self.offsets.get(usize::from(idx))?;
        }
        Some(if self.count == 0 { Found::Offset(current) } else { Found::AfterLast(current) })
    }
}

/// A POSIX TZ rule: standard offset, and optionally a DST offset with its start and end.
#[derive(Debug, PartialEq)]
struct Rule {
    std: i32,
    dst: Option<(i32, When, When)>,
}

/// `Mm.w.d/time`: weekday `d` (0 = Sunday) of week `w` (5 = last) of month `m`, at local `time`.
#[derive(Debug, PartialEq)]
struct When {
    month: i64,
    week: i64,
    weekday: i64,
    seconds: i64,
}

struct Text<'a>(&'a [u8]);

impl Text<'_> {
    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.0 = &self.0[1..];
        }
        hit
    }

    fn name(&mut self) -> Option<()> {
        if self.eat(b'<') {
            let end = self.0.iter().position(|&c| c == b'>')?;
            self.0 = &self.0[end + 1..];
        } else {
            let n = self.0.iter().take_while(|c| c.is_ascii_alphabetic()).count();
            self.0 = &self.0[n..];
        }
        Some(())
    }

    fn number(&mut self) -> Option<i64> {
        let n = self.0.iter().take_while(|c| c.is_ascii_digit()).count();
        let v = std::str::from_utf8(&self.0[..n]).ok()?.parse().ok()?;
        self.0 = &self.0[n..];
        Some(v)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds.
    fn hms(&mut self) -> Option<i64> {
        let sign = if self.eat(b'-') {
            -1
        } else {
            self.eat(b'+');
            1
        };
        let mut total = self.number()? * 3600;
        for scale in [60, 1] {
            if !self.eat(b':') {
                break;
            }
            total += self.number()? * scale;
        }
        Some(sign * total)
    }

    fn when(&mut self) -> Option<When> {
        if !(self.eat(b',') && self.eat(b'M')) {
            return None;
        }
        let month = self.number()?;
        self.eat(b'.').then_some(())?;
        let week = self.number()?;
        self.eat(b'.').then_some(())?;
        let weekday = self.number()?;
        let seconds = if self.eat(b'/') { self.hms()? } else { 7200 };
        Some(When { month, week, weekday, seconds })
    }
}

impl Rule {
    fn parse(s: &str) -> Option<Rule> {
        let mut t = Text(s.as_bytes());
        t.name()?;
        let std = -t.hms()?;
        if t.peek().is_none() {
            return Some(Rule { std: i32::try_from(std).ok()?, dst: None });
        }
        t.name()?;
        let dst = if t.peek() == Some(b',') { std + 3600 } else { -t.hms()? };
        let (start, end) = (t.when()?, t.when()?);
        Some(Rule { std: i32::try_from(std).ok()?, dst: Some((i32::try_from(dst).ok()?, start, end)) })
    }

    fn offset_at(&self, utc: i64) -> i32 {
        let Some((dst, start, end)) = &self.dst else { return self.std };
        let year = super::temporal::civil_from_days((utc + i64::from(self.std)).div_euclid(SECONDS_PER_DAY)).0;
        let s = start.utc_in(year, self.std);
        let e = end.utc_in(year, *dst);
        let in_dst = if s < e { s <= utc && utc < e } else { !(e <= utc && utc < s) };
        if in_dst {
            *dst
        } else {
            self.std
        }
    }
}

impl When {
    /// The instant this rule fires in `year`, local time being at `offset`.
    fn utc_in(&self, year: i64, offset: i32) -> i64 {
        use super::temporal::{day_of_week, days_from_civil, days_in_month};
        let first = days_from_civil(year, self.month, 1);
        let sunday_based = day_of_week(first) % 7; // Sunday = 0
        let mut day = 1 + (self.weekday - sunday_based).rem_euclid(7) + (self.week - 1) * 7;
        while day > days_in_month(year, self.month) {
            day -= 7;
        }
        (first + day - 1) * SECONDS_PER_DAY + self.seconds - i64::from(offset)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn named_zones_follow_history_and_rules() {
        let sthlm = ZoneId::find("Europe/Stockholm").unwrap();
        assert_eq!(sthlm.name(), "Europe/Stockholm");
        assert!(ZoneId::find("Europe/Nowhere").is_none());
        // 1818: local mean time (upstream links Stockholm to Berlin).
        assert_eq!(sthlm.offset_at(-4_769_000_000), 3208);
        assert_eq!(sthlm.offset_at(469_020_674), 3600); // 1984-11-11
        assert_eq!(sthlm.offset_at(1_500_000_000), 7200); // 2017-07-14
                                                          // 2077, far beyond the explicit transitions: the rule.
        assert_eq!(sthlm.offset_at(3_392_000_000), 7200); // 2077-06
        assert_eq!(sthlm.offset_at(3_380_000_000), 3600); // 2077-02
        let eucla = ZoneId::find("Australia/Eucla").unwrap();
        assert_eq!(eucla.offset_at(1_437_000_000), 8 * 3600 + 45 * 60);
        let honolulu = ZoneId::find("Pacific/Honolulu").unwrap();
        assert_eq!(honolulu.offset_at(0), -10 * 3600);
    }

    #[test]
    fn local_times_resolve_like_java() {
        let sthlm = ZoneId::find("Europe/Stockholm").unwrap();
        // 2017-10-29T02:30 happens twice: the earlier offset (+02:00) wins.
        let overlap = 1_509_244_200; // 2017-10-29T02:30 as local seconds
        assert_eq!(sthlm.resolve_local(overlap), (7200, overlap));
        // 2017-03-26T02:30 does not exist: it moves to 03:30 (+02:00).
        let gap = 1_490_495_400;
        assert_eq!(sthlm.resolve_local(gap), (7200, gap + 3600));
    }

    #[test]
    fn posix_rules_parse() {
        let r = Rule::parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0").unwrap();
        assert_eq!(r.std, -7200);
        assert_eq!(r.dst.as_ref().map(|d| d.0), Some(-3600));
        assert_eq!(Rule::parse("IST-2IDT,M3.4.4/26,M10.5.0").unwrap().dst.unwrap().1.seconds, 26 * 3600);
        assert_eq!(Rule::parse("<+0630>-6:30").unwrap(), Rule { std: 23_400, dst: None });
    }
}
