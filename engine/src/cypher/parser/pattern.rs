//! Patterns: `p = shortestPath((a:A {k: 1})-[r:T*1..3]->(b))` and their parts.
//!
//! Invariant: pattern syntax itself never commits (no cut), so an expression that merely starts
//! like a pattern, such as `(a) - 1`, can still be parsed as an expression.

use winnow::combinator::delimited;
use winnow::prelude::*;

use super::super::ast::*;
use super::super::lexer::{Punct, TokenKind};
use super::expr::{map_literal, parameter};
use super::{
    at_keyword, at_punct, at_variable, comma_list, complaint, label, nested, optional_punct, peek_kind, pos, punct,
    schema_name, since, start, variable, Expected, Input, PResult,
};

/// A comma-separated list of pattern parts.
pub(super) fn pattern(i: &mut Input<'_>) -> PResult<Vec<PatternPart>> {
    label(Expected::Thing("a pattern"), |i: &mut Input<'_>| comma_list(i, pattern_part)).parse_next(i)
}

/// `[p =] element`, where the element may be wrapped in `shortestPath(..)` or `allShortestPaths(..)`.
pub(super) fn pattern_part(i: &mut Input<'_>) -> PResult<PatternPart> {
    let from = start(i);
    let var = if at_variable(i, 0) && at_punct(i, 1, Punct::Eq) {
        let var = variable(i)?;
        i.next_token();
        Some(var)
    } else {
        None
    };
    let shortest = if at_keyword(i, 0, "shortestPath") {
        Some(ShortestKind::Shortest)
    } else if at_keyword(i, 0, "allShortestPaths") {
        Some(ShortestKind::AllShortest)
    } else {
        None
    };
    let element = if shortest.is_some() {
        i.next_token();
        delimited(punct(Punct::LParen), pattern_element, punct(Punct::RParen)).parse_next(i)?
    } else {
        pattern_element(i)?
    };
    Ok(PatternPart { var, shortest, element, span: since(i, from) })
}

/// A node and its relationship chain, possibly in parentheses.
fn pattern_element(i: &mut Input<'_>) -> PResult<PatternElement> {
    nested(i, |i| {
        if at_punct(i, 0, Punct::LParen) && at_punct(i, 1, Punct::LParen) {
            delimited(punct(Punct::LParen), pattern_element, punct(Punct::RParen)).parse_next(i)
        } else {
            chain(i, 0)
        }
    })
}

/// A node with at least one relationship, as in pattern predicates and comprehensions.
pub(super) fn relationships_pattern(i: &mut Input<'_>) -> PResult<PatternElement> {
    nested(i, |i| chain(i, 1))
}

/// A node followed by at least `min` (relationship, node) steps.
fn chain(i: &mut Input<'_>, min: usize) -> PResult<PatternElement> {
    let from = start(i);
    let start_node = node(i)?;
    let chain = steps(i, min)?;
    Ok(PatternElement { start: start_node, chain, span: since(i, from) })
}

#[inline(never)]
fn steps(i: &mut Input<'_>, min: usize) -> PResult<Vec<(RelPattern, NodePattern)>> {
    let mut steps = Vec::new();
    while steps.len() < min || at_punct(i, 0, Punct::Minus) || at_punct(i, 0, Punct::Lt) {
        let rel = relationship(i)?;
        steps.push((rel, node(i)?));
    }
    Ok(steps)
}

/// `(var:Label {props})`
fn node(i: &mut Input<'_>) -> PResult<NodePattern> {
    let from = start(i);
    punct(Punct::LParen).parse_next(i)?;
    let var = optional_variable(i)?;
    let labels = if at_punct(i, 0, Punct::Colon) { labels(i)? } else { Vec::new() };
    let props = properties(i)?;
    punct(Punct::RParen).parse_next(i)?;
    Ok(NodePattern { var, labels, props, span: since(i, from) })
}

/// The variable of a node or relationship: any name there is meant as one.
fn optional_variable(i: &mut Input<'_>) -> PResult<Option<Ident>> {
    match peek_kind(i, 0) {
        Some(TokenKind::Word(_) | TokenKind::Quoted(_)) => variable(i).map(Some),
        _ => Ok(None),
    }
}

/// `:A:B`
pub(super) fn labels(i: &mut Input<'_>) -> PResult<Vec<Ident>> {
    let mut labels = Vec::new();
    while optional_punct(i, Punct::Colon) {
        labels.push(label(Expected::Thing("a label"), schema_name).parse_next(i)?);
    }
    Ok(labels)
}

/// An optional map literal or parameter.
fn properties(i: &mut Input<'_>) -> PResult<Option<Expr>> {
    match peek_kind(i, 0) {
        Some(TokenKind::Punct(Punct::LBrace)) => nested(i, map_literal).map(Some),
        Some(TokenKind::Param(_)) => parameter(i).map(Some),
        _ => Ok(None),
    }
}

/// `-[..]->`, `<-[..]-`, `-[..]-`, `<-[..]->`, or the same without brackets.
#[inline(never)]
fn relationship(i: &mut Input<'_>) -> PResult<RelPattern> {
    let from = start(i);
    let incoming = optional_punct(i, Punct::Lt);
    punct(Punct::Minus).parse_next(i)?;
    let mut rel = if at_punct(i, 0, Punct::LBracket) {
        detail(i)?
    } else {
        RelPattern {
            var: None,
            types: Vec::new(),
            direction: Direction::Both,
            length: None,
            props: None,
            span: Span::default(),
        }
    };
    punct(Punct::Minus).parse_next(i)?;
    let outgoing = optional_punct(i, Punct::Gt);
    rel.direction = match (incoming, outgoing) {
        (true, false) => Direction::Incoming,
        (false, true) => Direction::Outgoing,
        _ => Direction::Both,
    };
    rel.span = since(i, from);
    Ok(rel)
}

/// `[var:T|U *1..3 {props}]`
fn detail(i: &mut Input<'_>) -> PResult<RelPattern> {
    punct(Punct::LBracket).parse_next(i)?;
    let var = optional_variable(i)?;
    let mut types = Vec::new();
    if optional_punct(i, Punct::Colon) {
        types.push(rel_type(i)?);
        while optional_punct(i, Punct::Pipe) {
            optional_punct(i, Punct::Colon);
            types.push(rel_type(i)?);
        }
    }
    let length = if at_punct(i, 0, Punct::Star) { Some(length(i)?) } else { None };
    if at_punct(i, 0, Punct::DotDot) {
        let message = "a variable-length relationship needs `*` before its range, as in `[:T*1..3]`";
        return Err(complaint(pos(i), message, "InvalidRelationshipPattern"));
    }
    let props = properties(i)?;
    punct(Punct::RBracket).parse_next(i)?;
    Ok(RelPattern { var, types, direction: Direction::Both, length, props, span: Span::default() })
}

fn rel_type(i: &mut Input<'_>) -> PResult<Ident> {
    label(Expected::Thing("a relationship type"), schema_name).parse_next(i)
}

/// `*`, `*2`, `*2..`, `*..5`, `*2..5`
fn length(i: &mut Input<'_>) -> PResult<LengthRange> {
    punct(Punct::Star).parse_next(i)?;
    if at_punct(i, 0, Punct::Minus) {
        return Err(complaint(pos(i), "a relationship length cannot be negative", "InvalidRelationshipPattern"));
    }
    let min = bound(i);
    let max = if optional_punct(i, Punct::DotDot) { bound(i) } else { min };
    Ok(LengthRange { min, max })
}

/// An optional integer.
fn bound(i: &mut Input<'_>) -> Option<u64> {
    let n = match peek_kind(i, 0) {
        Some(TokenKind::Int(n)) => *n,
        _ => return None,
    };
    i.next_token();
    Some(n)
}
