//! Golden tests for durations: construction, canonical text, arithmetic with every temporal
//! type, equality and ORDER BY position, storage (tag 12) and `$duration` parameters.
#![allow(clippy::unwrap_used, clippy::panic)]
use super::golden::{assert_properties_round_trip, Session};
use super::*;

#[test]
fn constructs_from_maps_and_strings_in_canonical_text() {
    let mut s = Session::new();
    for (expr, want) in [
        ("duration({days: 14, hours: 16, minutes: 12})", "P14DT16H12M"),
        ("duration({months: 5, days: 1.5})", "P5M1DT12H"),
        ("duration({months: 0.75})", "P22DT19H51M49.5S"),
        ("duration({weeks: 2.5})", "P17DT12H"),
        (
            "duration({years: 12, months: 5, days: 14, hours: 16, minutes: 12, seconds: 70, nanoseconds: 1})",
            "P12Y5M14DT16H13M10.000000001S",
        ),
        ("duration({seconds: 1, milliseconds: -1001})", "PT-0.001S"),
        ("duration({minutes: 1.5, seconds: 1})", "PT1M31S"),
        ("duration({})", "PT0S"),
        ("duration('P1Y2M10DT12H45M30.25S')", "P1Y2M10DT12H45M30.25S"),
        ("duration('PT0.5S')", "PT0.5S"),
        ("duration('P5M1.5D')", "P5M1DT12H"),
        ("duration('PT0.75M')", "PT45S"),
        ("duration('P-1Y-2MT-0.5S')", "P-1Y-2MT-0.5S"),
        ("duration('P2012-02-02T14:37:21.545')", "P2012Y2M2DT14H37M21.545S"),
        ("duration(duration('P1D'))", "P1D"),
    ] {
        let want = format!(r#"[[{{"$duration":"{want}"}}]]"#);
        assert_eq!(s.rows(&format!("RETURN {expr} AS v")), want, "{expr}");
    }
    assert_eq!(s.rows("RETURN duration(null) AS v, toString(duration('P1M')) AS t"), r#"[[null,"P1M"]]"#);
}

#[test]
fn bad_durations_are_errors() {
    let mut s = Session::new();
    for q in [
        "RETURN duration('P')",
        "RETURN duration('1Y')",
        "RETURN duration('PT1D')",
        "RETURN duration({years: 1, fortnights: 2})",
        "RETURN duration({years: 9223372036854775807})",
        "RETURN duration({seconds: 1.0e300})",
        "RETURN duration('P1D').fortnights",
    ] {
        assert_eq!(s.error_kind(q), ("ArgumentError", "InvalidArgumentValue"), "{q}");
    }
    assert_eq!(s.error_kind("RETURN duration({days: 'x'})").0, "TypeError");
    assert_eq!(s.error_kind("RETURN duration(1)").0, "TypeError");
    assert_eq!(s.error_kind("RETURN duration('P1D') + 1").0, "TypeError");
    assert_eq!(s.error_kind("RETURN duration('P1D') / 0"), ("ArithmeticError", "DivisionByZero"));
    assert_eq!(s.error_kind("RETURN duration({months: 9223372036854775807}) * 2").0, "ArithmeticError");
    assert_eq!(
        s.error_kind("RETURN -duration({months: -9223372036854775807}) + duration({months: 2})").0,
        "ArithmeticError"
    );
    assert_eq!(s.error_kind("RETURN date('2000-01-01') + duration({years: 999999999})").0, "ArithmeticError");
}

#[test]
fn adds_durations_to_every_temporal_type() {
    let mut s = Session::new();
    let d = "duration({years: 12, months: 5, days: 14, hours: 16, minutes: 12, seconds: 70, nanoseconds: 2})";
    for (x, sum, diff) in [
        ("date({year: 1984, month: 10, day: 11})", r#"{"$date":"1997-03-25"}"#, r#"{"$date":"1972-04-27"}"#),
        (
            "localtime({hour: 12, minute: 31, second: 14, nanosecond: 1})",
            r#"{"$localtime":"04:44:24.000000003"}"#,
            r#"{"$localtime":"20:18:03.999999999"}"#,
        ),
        (
            "time({hour: 12, minute: 31, second: 14, nanosecond: 1, timezone: '+01:00'})",
            r#"{"$time":"04:44:24.000000003+01:00"}"#,
            r#"{"$time":"20:18:03.999999999+01:00"}"#,
        ),
        (
            "localdatetime({year: 1984, month: 10, day: 11, hour: 12, minute: 31, second: 14, nanosecond: 1})",
            r#"{"$localdatetime":"1997-03-26T04:44:24.000000003"}"#,
            r#"{"$localdatetime":"1972-04-26T20:18:03.999999999"}"#,
        ),
        (
            "datetime({year: 1984, month: 10, day: 11, hour: 12, minute: 31, second: 14, nanosecond: 1, timezone: '+01:00'})",
            r#"{"$datetime":"1997-03-26T04:44:24.000000003+01:00"}"#,
            r#"{"$datetime":"1972-04-26T20:18:03.999999999+01:00"}"#,
        ),
    ] {
        let q = format!("WITH {x} AS x, {d} AS d RETURN x + d, d + x, x - d");
        assert_eq!(s.rows(&q), format!("[[{sum},{sum},{diff}]]"), "{x}");
    }
    // Month arithmetic clamps the day of month; `duration - temporal` is not defined.
    assert_eq!(
        s.rows("RETURN date('2020-01-31') + duration('P1M') AS a, date('2019-01-31') + duration('P1M') AS b, date('2020-03-31') - duration('P1M') AS c"),
        r#"[[{"$date":"2020-02-29"},{"$date":"2019-02-28"},{"$date":"2020-02-29"}]]"#
    );
    assert_eq!(s.error_kind("RETURN duration('P1D') - date('2000-01-01')").0, "TypeError");
}

#[test]
fn combines_scales_and_negates_durations() {
    let mut s = Session::new();
    let a = "duration({years: 12, months: 5, days: 14, hours: 16, minutes: 12, seconds: 70, nanoseconds: 1})";
    let b =
        "duration({years: 12.5, months: 5.5, days: 14.5, hours: 16.5, minutes: 12.5, seconds: 70.5, nanoseconds: 3})";
    assert_eq!(
        s.rows(&format!("WITH {a} AS a, {b} AS b RETURN toString(a + b), toString(a - b), toString(a - a)")),
        r#"[["P25Y4M43DT50H11M23.500000004S","P-6M-15DT-17H-45M-3.500000002S","PT0S"]]"#
    );
    assert_eq!(
        s.rows(&format!("WITH {a} AS a RETURN toString(a * 2), toString(2 * a), toString(a * 0.5), toString(a / 2), toString(a / 0.5), toString(-a)")),
        r#"[["P24Y10M28DT32H26M20.000000002S","P24Y10M28DT32H26M20.000000002S","P6Y2M22DT13H21M8S","P6Y2M22DT13H21M8S","P24Y10M28DT32H26M20.000000002S","P-12Y-5M-14DT-16H-13M-10.000000001S"]]"#
    );
}

#[test]
fn compares_for_equality_and_sorts_after_times() {
    let mut s = Session::new();
    assert_eq!(
        s.rows("RETURN duration('P1M') = duration('P1M') AS a, duration('P1M') = duration('P30D') AS b, duration('P1D') < duration('P2D') AS c, duration('PT1H') = duration({minutes: 60}) AS d"),
        "[[true,false,null,true]]"
    );
    let q = "UNWIND [duration('P1M'), 's', duration('P29D'), localtime('12:00'), duration('P31D'), duration('PT-1S')] AS v RETURN v ORDER BY v";
    assert_eq!(
        s.rows(q),
        r#"[[{"$localtime":"12:00"}],[{"$duration":"PT-1S"}],[{"$duration":"P29D"}],[{"$duration":"P1M"}],[{"$duration":"P31D"}],["s"]]"#
    );
    assert_eq!(
        s.rows("UNWIND [duration('P1D'), duration({hours: 24}), duration('P1D')] AS d RETURN count(DISTINCT d) AS n"),
        "[[2]]"
    );
}

#[test]
fn sorts_by_temporal_plus_duration_expressions() {
    let mut s = Session::new();
    s.run(
        "CREATE (:A {date: date({year: 1910, month: 5, day: 6})}), (:B {date: date({year: 1980, month: 12, day: 24})}),
                (:E {date: date({year: 1980, month: 10, day: 24})})",
        "{}",
    )
    .unwrap();
    assert_eq!(
        s.rows("MATCH (a) WITH a ORDER BY a.date + duration({months: 1, days: 2}) DESC LIMIT 2 RETURN a.date"),
        r#"[[{"$date":"1980-12-24"}],[{"$date":"1980-10-24"}]]"#
    );
}

#[test]
fn reads_components() {
    let mut s = Session::new();
    assert_eq!(
        s.rows("WITH duration({years: 1, months: 4, days: 10, hours: 1, minutes: 2, seconds: 3, nanoseconds: 4}) AS d
                RETURN d.years, d.months, d.monthsOfYear, d.quarters, d.days, d.weeks, d.daysOfWeek, d.hours, d.minutes,
                       d.minutesOfHour, d.seconds, d.secondsOfMinute, d.milliseconds, d.nanosecondsOfSecond, d.nanoseconds"),
        "[[1,16,4,5,10,1,3,1,62,2,3723,3,3723000,4,3723000000004]]"
    );
    assert_eq!(
        s.rows("RETURN duration('PT-0.3S').seconds, duration('PT-0.3S').nanosecondsOfSecond"),
        "[[-1,700000000]]"
    );
}

#[test]
fn duration_properties_and_params_survive() {
    let mut s = Session::new();
    s.run("CREATE (:T {d: duration('P1Y2M3DT4H5M6.7S'), l: [duration('PT-0.5S')]})", "{}").unwrap();
    let want = r#"[[{"$duration":"P1Y2M3DT4H5M6.7S"},[{"$duration":"PT-0.5S"}]]]"#;
    assert_eq!(s.rows("MATCH (n:T) RETURN n.d, n.l"), want);
    let mut again = s.reopen();
    assert_eq!(again.rows("MATCH (n:T) RETURN n.d, n.l"), want);
    assert_eq!(
        again.rows_with("MATCH (n:T) RETURN n.d = $d AS same, $d AS d", r#"{"d": {"$duration": "P14M3DT14706.7S"}}"#),
        r#"[[true,{"$duration":"P1Y2M3DT4H5M6.7S"}]]"#
    );
    let bad = s.run("RETURN $d", r#"{"d": {"$duration": "P1X"}}"#).unwrap_err();
    assert_eq!(bad.code, Code::InvalidRequest);
}

#[test]
fn durations_round_trip_through_apply_and_snapshot() {
    use crate::graph::duration::Duration;
    let values = [
        Value::Duration(Duration::parse("P1Y2M3DT4H5M6.000000007S").unwrap()),
        Value::Duration(Duration::parse("PT-0.3S").unwrap()),
        Value::Duration(Duration::from_parts(i128::from(i64::MIN), i128::from(i64::MAX), -1).unwrap()),
        Value::List(vec![Value::Duration(Duration::ZERO)]),
    ];
    assert_properties_round_trip(&values);
}
