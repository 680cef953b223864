//! Golden tests for temporal values: construction, canonical text, ordering, storage, params.
#![allow(clippy::unwrap_used, clippy::panic)]
use super::golden::{assert_properties_round_trip, Session};
use super::*;

#[test]
fn constructs_from_maps_in_canonical_text() {
    let mut s = Session::new();
    for (expr, want) in [
        ("date({year: 1984, month: 10, day: 11})", r#"{"$date":"1984-10-11"}"#),
        ("date({year: 1984, week: 10, dayOfWeek: 3})", r#"{"$date":"1984-03-07"}"#),
        ("date({year: 1984, ordinalDay: 202})", r#"{"$date":"1984-07-20"}"#),
        ("date({year: 1984, quarter: 3, dayOfQuarter: 45})", r#"{"$date":"1984-08-14"}"#),
        ("localtime({hour: 10, minute: 35})", r#"{"$localtime":"10:35"}"#),
        (
            "localtime({hour: 12, minute: 31, second: 14, nanosecond: 789, millisecond: 123, microsecond: 456})",
            r#"{"$localtime":"12:31:14.123456789"}"#,
        ),
        ("time({hour: 12})", r#"{"$time":"12:00Z"}"#),
        ("time({hour: 10, minute: 35, timezone: '-08:00'})", r#"{"$time":"10:35-08:00"}"#),
        ("time({hour: 12, minute: 34, second: 56, timezone: '+02:05:59'})", r#"{"$time":"12:34:56+02:05:59"}"#),
        (
            "localdatetime({year: 1, month: 1, day: 1, hour: 1, minute: 1, second: 1, nanosecond: 1})",
            r#"{"$localdatetime":"0001-01-01T01:01:01.000000001"}"#,
        ),
        ("localdatetime({year: 1984})", r#"{"$localdatetime":"1984-01-01T00:00"}"#),
        (
            "datetime({year: 1984, month: 10, day: 11, hour: 12, minute: 31, second: 14, millisecond: 645, timezone: '+01:00'})",
            r#"{"$datetime":"1984-10-11T12:31:14.645+01:00"}"#,
        ),
        ("datetime({year: 1984, month: 10, day: 11})", r#"{"$datetime":"1984-10-11T00:00Z"}"#),
        ("date(null)", "null"),
    ] {
        assert_eq!(s.rows(&format!("RETURN {expr} AS v")), format!("[[{want}]]"), "{expr}");
    }
}

#[test]
fn parses_iso_strings_and_reads_components() {
    let mut s = Session::new();
    assert_eq!(
        s.rows("RETURN date('2015-07-21') AS d, time('12:00+01:00') AS t, localtime('214032.142') AS l"),
        r#"[[{"$date":"2015-07-21"},{"$time":"12:00+01:00"},{"$localtime":"21:40:32.142"}]]"#
    );
    assert_eq!(
        s.rows("RETURN localdatetime('2015-W30-2T214032.142') AS a, datetime('2015-07-21T21:40:32.142-04:00') AS b"),
        r#"[[{"$localdatetime":"2015-07-21T21:40:32.142"},{"$datetime":"2015-07-21T21:40:32.142-04:00"}]]"#
    );
    assert_eq!(
        s.rows("WITH datetime('2015-07-21T21:40:32.142+01:00') AS d RETURN d.year, d.month, d.day, d.hour, d.millisecond, d.timezone, d.offsetSeconds, d.dayOfWeek"),
        r#"[[2015,7,21,21,142,"+01:00",3600,2]]"#
    );
    assert_eq!(s.rows("RETURN toString(date({year: 2020, month: 2, day: 29})) AS s"), r#"[["2020-02-29"]]"#);
    assert_eq!(s.rows("RETURN date(date('2020-01-01')) AS d"), r#"[[{"$date":"2020-01-01"}]]"#);
}

#[test]
fn invalid_components_and_text_are_argument_errors() {
    let mut s = Session::new();
    for q in [
        "RETURN date({year: 1983, month: 2, day: 29})",
        "RETURN date({month: 2})",
        "RETURN date({year: 2000, hour: 1})",
        "RETURN localtime({hour: 24})",
        "RETURN localtime({hour: 1, timezone: '+01:00'})",
        "RETURN time({hour: 1, timezone: '+19:00'})",
        "RETURN time({hour: 1, timezone: 'Europe/Nowhere'})",
        "RETURN date('2015-13-01')",
        "RETURN datetime('2015-07-21T21:40+01:00[Europe/Nowhere]')",
        "RETURN date.truncate('hour', date('2015-07-21'))",
        "RETURN localtime.truncate('month', localtime('12:00'))",
        "RETURN date('2015-07-21').hour",
    ] {
        assert_eq!(s.error_kind(q), ("ArgumentError", "InvalidArgumentValue"), "{q}");
    }
    assert_eq!(s.error_kind("RETURN date({year: 'x'})").0, "TypeError");
    assert_eq!(s.error_kind("RETURN date(1)").0, "TypeError");
}

#[test]
fn orders_within_and_across_types() {
    let mut s = Session::new();
    let q = "UNWIND [time({hour: 10, minute: 35, timezone: '-08:00'}),
                     time({hour: 12, minute: 31, second: 14, nanosecond: 645876123, timezone: '+01:00'}),
                     time({hour: 12, minute: 31, second: 14, nanosecond: 645876124, timezone: '+01:00'}),
                     time({hour: 12, minute: 35, second: 15, timezone: '+05:00'}),
                     time({hour: 12, minute: 30, second: 14, nanosecond: 645876123, timezone: '+01:01'})] AS t
             WITH t ORDER BY t LIMIT 3 RETURN t";
    assert_eq!(
        s.rows(q),
        r#"[[{"$time":"12:35:15+05:00"}],[{"$time":"12:30:14.645876123+01:01"}],[{"$time":"12:31:14.645876123+01:00"}]]"#
    );
    let q = "UNWIND [datetime({year: 1984, month: 10, day: 11, hour: 12, minute: 30, second: 14, nanosecond: 12, timezone: '+00:15'}),
                     datetime({year: 1984, month: 10, day: 11, hour: 12, minute: 31, second: 14, nanosecond: 645876123, timezone: '+00:17'}),
                     datetime({year: 9999, month: 9, day: 9, hour: 9, minute: 59, second: 59, nanosecond: 999999999, timezone: '+11:59'})] AS d
             WITH d ORDER BY d DESC RETURN d";
    assert_eq!(
        s.rows(q),
        r#"[[{"$datetime":"9999-09-09T09:59:59.999999999+11:59"}],[{"$datetime":"1984-10-11T12:30:14.000000012+00:15"}],[{"$datetime":"1984-10-11T12:31:14.645876123+00:17"}]]"#
    );
    let q = "UNWIND ['s', localtime('12:00'), time('12:00'), date('2000-01-01'), localdatetime('2000-01-01T00:00'),
                     datetime('2000-01-01T00:00'), [1], true] AS v RETURN v ORDER BY v";
    assert_eq!(
        s.rows(q),
        r#"[[[1]],[{"$datetime":"2000-01-01T00:00Z"}],[{"$localdatetime":"2000-01-01T00:00"}],[{"$date":"2000-01-01"}],[{"$time":"12:00Z"}],[{"$localtime":"12:00"}],["s"],[true]]"#
    );
    assert_eq!(
        s.rows("RETURN date('2000-01-01') < date('2000-01-02') AS a, date('2000-01-01') = date('2000-01-01') AS b, date('2000-01-01') < localdatetime('2000-01-01') AS c, time('12:00+01:00') < time('11:30Z') AS d"),
        "[[true,true,null,true]]"
    );
    assert_eq!(
        s.rows(
            "UNWIND [date('2000-01-01'), date('2000-01-01'), date('2000-01-02')] AS d RETURN count(DISTINCT d) AS n"
        ),
        "[[2]]"
    );
}

#[test]
fn temporal_properties_survive_storage() {
    let mut s = Session::new();
    s.run(
        "CREATE (:T {d: date('1984-10-11'), lt: localtime('12:31:14.645876123'), t: time('10:35-08:00'),
                     ldt: localdatetime('-0001-01-01T01:01'), dt: datetime('2015-07-21T21:40:32.142+02:05:59'),
                     l: [date('2000-01-01'), date('2000-01-02')]})",
        "{}",
    )
    .unwrap();
    let want = r#"[[{"$node":{"id":"1","labels":["T"],"properties":{"d":{"$date":"1984-10-11"},"dt":{"$datetime":"2015-07-21T21:40:32.142+02:05:59"},"l":[{"$date":"2000-01-01"},{"$date":"2000-01-02"}],"ldt":{"$localdatetime":"-0001-01-01T01:01"},"lt":{"$localtime":"12:31:14.645876123"},"t":{"$time":"10:35-08:00"}}}}]]"#;
    assert_eq!(s.rows("MATCH (n:T) RETURN n"), want);
    let mut again = s.reopen();
    assert_eq!(again.rows("MATCH (n:T) RETURN n"), want);
    assert_eq!(
        again.rows("MATCH (n:T) WHERE n.d = date({year: 1984, month: 10, day: 11}) RETURN n.d.year"),
        "[[1984]]"
    );
}

#[test]
fn temporal_params_are_tagged_and_plain_strings_stay_strings() {
    let mut s = Session::new();
    let params = r#"{"d": {"$date": "1984-10-11"}, "t": {"$time": "12:00+01:00"}, "lt": {"$localtime": "12:00"},
                     "ldt": {"$localdatetime": "2015-07-21T21:40"}, "dt": {"$datetime": "2015-07-21T21:40Z"},
                     "x": {"$temporal": "2015"}, "s": "1984-10-11"}"#;
    assert_eq!(
        s.rows_with("RETURN $d, $t, $lt, $ldt, $dt, $x, $s, $d = date($s) AS same", params),
        r#"[[{"$date":"1984-10-11"},{"$time":"12:00+01:00"},{"$localtime":"12:00"},{"$localdatetime":"2015-07-21T21:40"},{"$datetime":"2015-07-21T21:40Z"},"2015","1984-10-11",true]]"#
    );
    let bad = s.run("RETURN $d", r#"{"d": {"$date": "1984-13-11"}}"#).unwrap_err();
    assert_eq!(bad.code, Code::InvalidRequest);
}

#[test]
fn temporal_values_round_trip_through_apply_and_snapshot() {
    use crate::graph::temporal::{Date, DateTime, LocalDateTime, LocalTime, Time};
    let values = [
        Value::Date(Date::parse("-999999999-01-01").unwrap()),
        Value::Date(Date::parse("+999999999-12-31").unwrap()),
        Value::LocalTime(LocalTime::parse("23:59:59.999999999").unwrap()),
        Value::Time(Time::parse("00:00-18:00").unwrap()),
        Value::LocalDateTime(LocalDateTime::parse("1984-10-11T12:31").unwrap()),
        Value::DateTime(DateTime::parse("2015-07-21T21:40:32.142+02:05:59").unwrap()),
        Value::DateTime(DateTime::parse("1818-07-21T21:40:32.142[Europe/Stockholm]").unwrap()),
        Value::List(vec![Value::Time(Time::parse("12:00+01:00").unwrap())]),
    ];
    assert_properties_round_trip(&values);
}

#[test]
fn named_zones_resolve_offsets_and_survive_storage() {
    let mut s = Session::new();
    assert_eq!(
        s.rows(
            "RETURN datetime({year: 1984, month: 7, day: 20, hour: 12, timezone: 'Europe/Stockholm'}) AS a,
                       datetime('2015-07-21T21:40:32.142[Europe/London]') AS b,
                       datetime('2017-03-26T02:30[Europe/Stockholm]') AS gap"
        ),
        r#"[[{"$datetime":"1984-07-20T12:00+02:00[Europe/Stockholm]"},{"$datetime":"2015-07-21T21:40:32.142+01:00[Europe/London]"},{"$datetime":"2017-03-26T03:30+02:00[Europe/Stockholm]"}]]"#
    );
    assert_eq!(
        s.rows(
            "WITH datetime('1984-11-11T12:31:14.645876123[Europe/Stockholm]') AS d
                RETURN d.timezone, d.offset, d.offsetMinutes, d.epochSeconds"
        ),
        r#"[["Europe/Stockholm","+01:00",60,469020674]]"#
    );
    s.run("CREATE (:Z {at: datetime('2017-10-29T02:30+01:00[Europe/Stockholm]')})", "{}").unwrap();
    let want = r#"[[{"$datetime":"2017-10-29T02:30+01:00[Europe/Stockholm]"}]]"#;
    assert_eq!(s.rows("MATCH (z:Z) RETURN z.at"), want);
    assert_eq!(s.reopen().rows("MATCH (z:Z) RETURN z.at"), want);
}

#[test]
fn selects_and_overrides_components_of_other_values() {
    let mut s = Session::new();
    assert_eq!(
        s.rows(
            "WITH date('1984-11-11') AS d, datetime('1984-10-11T12:00[Europe/Stockholm]') AS t
                RETURN date({date: d, week: 1}) AS a, date({date: d, quarter: 3}) AS b,
                       localdatetime({date: d, time: t, second: 42}) AS c,
                       datetime({date: d, time: t, timezone: 'Pacific/Honolulu'}) AS e,
                       time({time: t, timezone: '+05:00'}) AS f, date(t) AS g"
        ),
        concat!(
            r#"[[{"$date":"1984-01-08"},{"$date":"1984-08-11"},{"$localdatetime":"1984-11-11T12:00:42"},"#,
            r#"{"$datetime":"1984-11-11T01:00-10:00[Pacific/Honolulu]"},{"$time":"16:00+05:00"},{"$date":"1984-10-11"}]]"#
        )
    );
}

#[test]
fn truncates_to_units_and_sets_components() {
    let mut s = Session::new();
    let dt = "datetime('2017-10-11T12:31:14.645876123-01:00')";
    assert_eq!(
        s.rows(&format!(
            "RETURN date.truncate('millennium', {dt}) AS a, date.truncate('weekYear', date('1984-01-01'), {{day: 5}}) AS b,
                    datetime.truncate('hour', {dt}, {{timezone: 'Europe/Stockholm'}}) AS c,
                    localtime.truncate('millisecond', {dt}, {{nanosecond: 2}}) AS d,
                    time.truncate('day', {dt}) AS e, date.truncate('week', null) AS f"
        )),
        concat!(
            r#"[[{"$date":"2000-01-01"},{"$date":"1983-01-05"},{"$datetime":"2017-10-11T12:00+02:00[Europe/Stockholm]"},"#,
            r#"{"$localtime":"12:31:14.645000002"},{"$time":"00:00-01:00"},null]]"#
        )
    );
    assert_eq!(s.error_kind(&format!("RETURN time.truncate('week', {dt})")).0, "ArgumentError");
    assert_eq!(s.error_kind(&format!("RETURN date.truncate('fortnight', {dt})")).0, "ArgumentError");
}

#[test]
fn durations_between_temporals() {
    let mut s = Session::new();
    assert_eq!(
        s.rows(
            "RETURN duration.between(date('1984-10-11'), date('2015-06-24')) AS a,
                       duration.inMonths(date('2018-03-11'), date('2016-06-24')) AS b,
                       duration.inDays(localdatetime('2015-07-21T21:40:32.142'), date('2015-06-24')) AS c,
                       duration.inSeconds(datetime('2017-10-29T00:00[Europe/Stockholm]'), localtime('04:00')) AS d,
                       duration.between(time('14:30'), time('16:30+01:00')) AS e,
                       duration.between(null, date()) AS f"
        ),
        r#"[[{"$duration":"P30Y8M13D"},{"$duration":"P-1Y-8M"},{"$duration":"P-27D"},{"$duration":"PT5H"},{"$duration":"PT1H"},null]]"#
    );
}

#[test]
fn current_time_comes_from_the_host_clock() {
    let mut s = Session::new();
    // The session's host clock reads n ms after the epoch on its n-th request.
    s.run("RETURN 1", "{}").unwrap();
    assert_eq!(
        s.rows(
            "RETURN datetime() AS a, datetime.transaction('Europe/Stockholm') AS b, date.statement() AS c,
                       localtime.realtime() AS d, datetime() = datetime.statement() AS same,
                       datetime.fromepoch(416779, 999999999) AS e, datetime.fromepochmillis(237821673987) AS f,
                       time({hour: 12, timezone: 'Europe/Stockholm'}) AS g, datetime({timezone: 'Asia/Tokyo'}) AS h"
        ),
        concat!(
            r#"[[{"$datetime":"1970-01-01T00:00:00.002Z"},{"$datetime":"1970-01-01T01:00:00.002+01:00[Europe/Stockholm]"},"#,
            r#"{"$date":"1970-01-01"},{"$localtime":"00:00:00.002"},true,"#,
            r#"{"$datetime":"1970-01-05T19:46:19.999999999Z"},{"$datetime":"1977-07-15T13:34:33.987Z"},"#,
            r#"{"$time":"12:00+01:00"},{"$datetime":"1970-01-01T09:00:00.002+09:00[Asia/Tokyo]"}]]"#
        )
    );
}
