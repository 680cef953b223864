//! JSON in the contract's value encoding (`shared/API.md`), hand-written because the contract
//! needs what a generic JSON library hides: integers and floats kept apart by their text
//! (`1` vs `1.0`), the full 64-bit integer range, `$`-tagged values, and entities resolved
//! against the graph of the transaction that returned them.
use crate::error::{Code, Error, Result};
use crate::exec::format_float;
use crate::graph::duration::Duration;
use crate::graph::temporal::{Date, DateTime, LocalDateTime, LocalTime, Time};
use crate::graph::{Graph, Properties, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Deepest JSON nesting accepted in a request.
const MAX_DEPTH: usize = 64;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidRequest, message)
}

/// A parsed JSON document; objects keep their keys in a sorted map.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

pub fn parse(text: &str) -> Result<Json> {
    let mut p = Parser { s: text.as_bytes(), pos: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.err("unexpected text after the JSON value"));
    }
    Ok(v)
}

/// A request body: [`parse`] of it, except that a top-level object's `params` member, when
/// an object other than a `$`-tagged value, is taken out of the object already converted by
/// [`to_value`] (a bulk load's rows are most of a body; reading them into [`Json`] first cost
/// as much again).
pub fn parse_request_body(text: &str) -> Result<(Json, Option<Properties>)> {
    let mut p = Parser { s: text.as_bytes(), pos: 0 };
    let mut params = None;
    let v = if p.open(0)? == b'{' {
        let mut map = BTreeMap::new();
        p.members(|p, key| {
            if key != "params" {
                map.insert(key, p.value(1)?);
                return Ok(());
            }
            // A repeated member replaces the one before, as in an object that `parse` reads.
            map.remove("params");
            params = None;
            match p.params()? {
                Ok(m) => params = Some(m),
                Err(json) => drop(map.insert(key, json)),
            }
            Ok(())
        })?;
        Json::Object(map)
    } else {
        p.pos = 0;
        p.value(0)?
    };
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.err("unexpected text after the JSON value"));
    }
    Ok((v, params))
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> Error {
        invalid(format!("malformed JSON at byte {}: {what}", self.pos))
    }

    fn ws(&mut self) {
        while self.s.get(self.pos).is_some_and(|b| b" \t\r\n".contains(b)) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        let ok = self.s[self.pos..].starts_with(lit.as_bytes());
        if ok {
            self.pos += lit.len();
        }
        ok
    }

    fn value(&mut self, depth: usize) -> Result<Json> {
        match self.open(depth)? {
            b'[' => {
                let mut items = Vec::new();
                self.items(|p| p.value(depth + 1).map(|v| items.push(v)))?;
                Ok(Json::Array(items))
            }
            b'{' => {
                let mut map = BTreeMap::new();
                self.members(|p, key| p.value(depth + 1).map(|v| drop(map.insert(key, v))))?;
                Ok(Json::Object(map))
            }
            _ => self.scalar(),
        }
    }

    /// Checks the depth and skips whitespace; the next byte, which `[` and `{` are consumed.
    fn open(&mut self, depth: usize) -> Result<u8> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.ws();
        let next = *self.s.get(self.pos).ok_or_else(|| self.err("unexpected end of input"))?;
        if next == b'[' || next == b'{' {
            self.pos += 1;
        }
        Ok(next)
    }

    /// An array's items after its `[`, each read by `item`.
    fn items(&mut self, mut item: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.ws();
        if self.eat("]") {
            return Ok(());
        }
        loop {
            item(self)?;
            self.ws();
            if self.eat("]") {
                return Ok(());
            }
            if !self.eat(",") {
                return Err(self.err("expected `,` or `]`"));
            }
        }
    }

    /// An object's members after its `{`, each value read by `member` given its key.
    fn members(&mut self, mut member: impl FnMut(&mut Self, String) -> Result<()>) -> Result<()> {
        self.ws();
        if self.eat("}") {
            return Ok(());
        }
        loop {
            self.ws();
            if self.s.get(self.pos) != Some(&b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = self.string()?;
            self.ws();
            if !self.eat(":") {
                return Err(self.err("expected `:`"));
            }
            member(self, key)?;
            self.ws();
            if self.eat("}") {
                return Ok(());
            }
            if !self.eat(",") {
                return Err(self.err("expected `,` or `}`"));
            }
        }
    }

    /// A value that is neither an array nor an object.
    fn scalar(&mut self) -> Result<Json> {
        match self.s.get(self.pos) {
            None => Err(self.err("unexpected end of input")),
            Some(b'n') if self.eat("null") => Ok(Json::Null),
            Some(b't') if self.eat("true") => Ok(Json::Bool(true)),
            Some(b'f') if self.eat("false") => Ok(Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    /// A `params` member: its members converted by [`to_value`], if it is an object other
    /// than a `$`-tagged value and they convert; else its JSON (read again from its start, so
    /// that what `parse` and `to_value` of it would report is reported, in the same order).
    fn params(&mut self) -> Result<std::result::Result<Properties, Json>> {
        let start = self.pos;
        if self.open(1)? == b'{' {
            let mut map = Properties::new();
            let read = self.members(|p, key| p.param(2).map(|v| drop(map.insert(key, v))));
            if read.is_ok() && !(map.len() == 1 && map.keys().all(|k| k.starts_with('$'))) {
                return Ok(Ok(map));
            }
        }
        self.pos = start;
        self.value(1).map(Err)
    }

    /// A parameter value, as [`to_value`] of the JSON there: arrays straight into lists (a
    /// bulk load's rows), objects through [`Json`] (they may be `$`-tagged values).
    fn param(&mut self, depth: usize) -> Result<Value> {
        let start = self.pos;
        match self.open(depth)? {
            b'[' => {
                let mut items = Vec::new();
                self.items(|p| p.param(depth + 1).map(|v| items.push(v)))?;
                Ok(Value::List(items))
            }
            b'{' => {
                self.pos = start;
                to_value(self.value(depth)?)
            }
            _ => to_value(self.scalar()?),
        }
    }

    fn number(&mut self) -> Result<Json> {
        let start = self.pos;
        let mut float = false;
        while let Some(&b) = self.s.get(self.pos) {
            match b {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => float = true,
                _ => break,
            }
            self.pos += 1;
        }
        if let Some(i) = (!float).then(|| integer(&self.s[start..self.pos])).flatten() {
            return Ok(Json::Int(i));
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).map_err(|_| self.err("bad number"))?;
        let valid = {
            let t = text.strip_prefix('-').unwrap_or(text);
            let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
            digits_end > 0 && !(t.starts_with('0') && digits_end > 1)
        };
        if !valid {
            return Err(self.err("invalid number"));
        }
        if float {
            text.parse::<f64>().map(Json::Float).map_err(|_| self.err("invalid number"))
        } else {
            text.parse::<i64>().map(Json::Int).map_err(|_| self.err("integer out of the 64-bit range"))
        }
    }

    fn string(&mut self) -> Result<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while self.s.get(self.pos).is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.pos]).map_err(|_| self.err("invalid UTF-8"))?);
            match self.s.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.s.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.eat("\\u") {
                                    return Err(self.err("lone surrogate"));
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("lone surrogate"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(code).ok_or_else(|| self.err("invalid escape"))?);
                            continue;
                        }
                        _ => return Err(self.err("invalid escape")),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                _ => return Err(self.err("unterminated string")),
            }
        }
    }

    /// Reads the four hex digits at the current position.
    fn hex4(&mut self) -> Result<u32> {
        let start = self.pos;
        let digits = self.s.get(start..start + 4).ok_or_else(|| self.err("short \\u escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.err("bad \\u escape"))?;
        let v = u32::from_str_radix(text, 16).map_err(|_| self.err("bad \\u escape"))?;
        self.pos = start + 4;
        Ok(v)
    }
}

/// The value of a JSON integer (an optional `-`, then digits without a leading zero) within
/// the 64-bit range, read digit by digit (a bulk load's rows are mostly integers); `None` for
/// any other text, which the general path reads or reports.
fn integer(text: &[u8]) -> Option<i64> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.is_empty() || (digits.len() > 1 && digits.first() == Some(&b'0')) {
        return None;
    }
    // Accumulated below zero, where the range reaches one further (i64::MIN).
    let mut below = 0i64;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        below = below.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if digits.len() < text.len() {
        Some(below)
    } else {
        below.checked_neg()
    }
}

/// A parameter value from JSON, reading the contract's `$` tags.
pub fn to_value(j: Json) -> Result<Value> {
    Ok(match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Int(i) => Value::Int(i),
        Json::Float(f) => Value::Float(f),
        Json::String(s) => Value::String(s),
        Json::Array(items) => Value::List(items.into_iter().map(to_value).collect::<Result<_>>()?),
        Json::Object(map) => {
            if map.len() == 1 {
                if let Some((tag, inner)) = map.iter().next() {
                    if let Some(v) = temporal_param(tag, inner) {
                        return v;
                    }
                    match (tag.as_str(), inner) {
                        ("$float", Json::String(s)) => {
                            return match s.as_str() {
                                "NaN" => Ok(Value::Float(f64::NAN)),
                                "Infinity" => Ok(Value::Float(f64::INFINITY)),
                                "-Infinity" => Ok(Value::Float(f64::NEG_INFINITY)),
                                _ => Err(invalid(format!("bad $float value {s:?}"))),
                            }
                        }
                        ("$float", Json::Float(f)) => return Ok(Value::Float(*f)),
                        ("$float", Json::Int(i)) => return Ok(Value::Float(*i as f64)),
                        ("$int", Json::Int(i)) => return Ok(Value::Int(*i)),
                        ("$temporal", Json::String(s)) => return Ok(Value::String(s.clone())),
                        (t, _) if t.starts_with('$') => {
                            return Err(invalid(format!("the tagged value `{t}` is not accepted as a parameter")))
                        }
                        _ => {}
                    }
                }
            }
            Value::Map(map.into_iter().map(|(k, v)| Ok((k, to_value(v)?))).collect::<Result<_>>()?)
        }
    })
}

/// A `$date`/`$time`/`$localtime`/`$datetime`/`$localdatetime`/`$duration` parameter; `None` for other tags.
fn temporal_param(tag: &str, inner: &Json) -> Option<Result<Value>> {
    let Json::String(text) = inner else { return None };
    let bad = |e: crate::graph::temporal::TemporalError| invalid(format!("bad {tag} value: {e}"));
    Some(match tag {
        "$date" => Date::parse(text).map(Value::Date).map_err(bad),
        "$localtime" => LocalTime::parse(text).map(Value::LocalTime).map_err(bad),
        "$time" => Time::parse(text).map(Value::Time).map_err(bad),
        "$localdatetime" => LocalDateTime::parse(text).map(Value::LocalDateTime).map_err(bad),
        "$datetime" => DateTime::parse(text).map(Value::DateTime).map_err(bad),
        "$duration" => Duration::parse(text).map(Value::Duration).map_err(bad),
        _ => return None,
    })
}

/// `{"$tag":"text"}`.
fn write_tagged(out: &mut String, tag: &str, text: &str) {
    out.push_str("{\"");
    out.push_str(tag);
    out.push_str("\":");
    write_str(out, text);
    out.push('}');
}

pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a result value; entities are read from `graph` (a deleted one keeps only its id).
pub fn write_value(out: &mut String, v: &Value, graph: &Graph) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_finite() => out.push_str(&format_float(*f)),
        Value::Float(f) => {
            out.push_str("{\"$float\":");
            write_str(out, &format_float(*f));
            out.push('}');
        }
        Value::String(s) => write_str(out, s),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, graph);
            }
            out.push(']');
        }
        Value::Map(m) => write_map(out, m, graph),
        Value::Date(d) => write_tagged(out, "$date", &d.to_string()),
        Value::LocalTime(t) => write_tagged(out, "$localtime", &t.to_string()),
        Value::Time(t) => write_tagged(out, "$time", &t.to_string()),
        Value::LocalDateTime(t) => write_tagged(out, "$localdatetime", &t.to_string()),
        Value::DateTime(t) => write_tagged(out, "$datetime", &t.to_string()),
        Value::Duration(d) => write_tagged(out, "$duration", &d.to_string()),
        Value::Node(id) => write_node(out, *id, graph),
        Value::Rel(id) => write_rel(out, *id, graph),
        Value::Path(p) => {
            out.push_str("{\"$path\":[");
            for (i, n) in p.nodes.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    if let Some(r) = p.rels.get(i - 1) {
                        write_rel(out, *r, graph);
                        out.push(',');
                    }
                }
                write_node(out, *n, graph);
            }
            out.push_str("]}");
        }
    }
}

fn write_map(out: &mut String, m: &Properties, graph: &Graph) {
    out.push('{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, k);
        out.push(':');
        write_value(out, v, graph);
    }
    out.push('}');
}

fn write_node(out: &mut String, id: u64, graph: &Graph) {
    let _ = write!(out, "{{\"$node\":{{\"id\":\"{id}\",\"labels\":[");
    let data = graph.node(id);
    for (i, l) in data.iter().flat_map(|n| n.labels.iter()).enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, l);
    }
    out.push_str("],\"properties\":");
    write_map(out, &data.map(|n| n.props.clone()).unwrap_or_default(), graph);
    out.push_str("}}");
}

fn write_rel(out: &mut String, id: u64, graph: &Graph) {
    let _ = write!(out, "{{\"$rel\":{{\"id\":\"{id}\",\"type\":");
    let data = graph.rel(id);
    write_str(out, data.as_ref().map_or("", |r| r.rel_type.as_str()));
    let (start, end) = data.as_ref().map_or((0, 0), |r| (r.start, r.end));
    let _ = write!(out, ",\"start\":\"{start}\",\"end\":\"{end}\",\"properties\":");
    write_map(out, &data.map(|r| r.props.clone()).unwrap_or_default(), graph);
    out.push_str("}}");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keeps_integers_and_floats_apart() {
        assert_eq!(parse("1").unwrap(), Json::Int(1));
        assert_eq!(parse("1.0").unwrap(), Json::Float(1.0));
        assert_eq!(parse("1e2").unwrap(), Json::Float(100.0));
        assert_eq!(parse("-9223372036854775808").unwrap(), Json::Int(i64::MIN));
        assert!(parse("9223372036854775808").is_err());
        let mut out = String::new();
        let (state, reads, schema) =
            (crate::storage::State::default(), crate::storage::Reads::unbounded(), Default::default());
        for v in [Value::Float(1.0), Value::Float(-0.0), Value::Float(1e308), Value::Int(i64::MIN)] {
            write_value(&mut out, &v, &Graph::new(&state, &reads, None, &schema));
            out.push(' ');
        }
        assert_eq!(out, "1.0 -0.0 1e308 -9223372036854775808 ");
    }

    /// Integers read digit by digit are those `str::parse` gives; any other text is left to
    /// the general path.
    #[test]
    fn integers_are_read_as_parse_reads_them() {
        let valid = ["0", "-0", "7", "-7", "10", "123456789", "9223372036854775807", "-9223372036854775808"];
        for t in valid {
            assert_eq!(integer(t.as_bytes()), Some(t.parse::<i64>().unwrap()), "{t}");
            assert_eq!(parse(t).unwrap(), Json::Int(t.parse().unwrap()), "{t}");
        }
        for t in [
            "",
            "-",
            "01",
            "-01",
            "+1",
            "1-2",
            "1+",
            "9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999",
        ] {
            assert_eq!(integer(t.as_bytes()), None, "{t}");
        }
        assert!(parse("9223372036854775808").is_err() && parse("01").is_err() && parse("1-2").is_err());
    }

    #[test]
    fn rejects_malformed_documents() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "\"a", "nul", "{} x", "\"\\ud800\""] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn strings_round_trip_with_escapes() {
        let j = parse(r#""a\"b\\c\n\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(j, Json::String("a\"b\\c\né😀".into()));
        let mut out = String::new();
        write_str(&mut out, "a\"b\\c\n\u{1}");
        assert_eq!(out, r#""a\"b\\c\n\u0001""#);
    }

    /// `parse_request_body` is `parse` with the params taken out as `to_value` converts them,
    /// and fails where `parse` does, with the same message.
    #[test]
    fn request_bodies_read_params_as_parse_then_to_value_would() {
        let deep = format!(r#"{{"params": {{"a": {}1{}}}}}"#, "[".repeat(70), "]".repeat(70));
        let bodies = [
            r#"{"query": "q", "params": {"rows": [[1, "a", 2.5], [null, true, {"$int": 3}]], "d": {"$date": "2020-01-02"}}}"#,
            r#"{"params": {"a": 1}, "query": "q", "params": null}"#,
            r#"{"params": null, "params": {"a": [1]}, "query": "q"}"#,
            r#"{"params": {"a": 1}, "params": {"b": 2}}"#,
            r#"{"params": {"$date": "2020-01-02"}}"#,
            r#"{"params": {"$x": 1}}"#,
            r#"{"params": {"a": {"$node": {}}}}"#,
            r#"{"params": {"a": {"$float": "x"}}, "query": 1}"#,
            r#"{"params": [1]}"#,
            r#"{"params": {}}"#,
            r#"[1, {"params": {}}]"#,
            r#" { "params" : { "a" : [ [ [ ] ] , { } ] } , "x" : 1 } "#,
            r#"{"params": {"a": [1,]}}"#,
            r#"{"params": {"a": 1} x"#,
            r#"{"params": {"a": {"$node": {}}}, "b": [1,]}"#,
            r#"{"params": {"a": [1"#,
            &deep,
            "",
            "7",
        ];
        // Taken out where they convert (else every body would pass by keeping its params).
        for (i, taken) in [(0, true), (1, false), (2, true), (3, true), (4, false)] {
            assert_eq!(parse_request_body(bodies[i]).unwrap().1.is_some(), taken, "{}", bodies[i]);
        }
        for body in bodies {
            let (read, expected) = (parse_request_body(body), parse(body));
            if let (Err(a), Err(b)) = (&read, &expected) {
                assert_eq!(a.message, b.message, "{body}");
                continue;
            }
            let ((json, params), expected) = (read.unwrap(), expected.unwrap());
            let (Json::Object(mut fields), Some(params)) = (json.clone(), params) else {
                assert_eq!(json, expected, "{body}");
                continue;
            };
            let Json::Object(mut all) = expected else { continue };
            let whole = all.remove("params").map(to_value);
            assert_eq!(whole.and_then(Result::ok), Some(Value::Map(params)), "{body}");
            assert!(fields.remove("params").is_none(), "{body}");
            assert_eq!(fields, all, "{body}");
        }
    }

    #[test]
    fn reads_tagged_parameters() {
        let v = to_value(parse(r#"{"x": {"$float": "NaN"}, "y": {"$int": 3}, "z": {"a": 1}}"#).unwrap()).unwrap();
        let Value::Map(m) = v else { unreachable!() };
        assert!(matches!(m["x"], Value::Float(f) if f.is_nan()));
        assert_eq!(m["y"], Value::Int(3));
        assert!(to_value(parse(r#"{"$node": {}}"#).unwrap()).is_err());
    }
}
