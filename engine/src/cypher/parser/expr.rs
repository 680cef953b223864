//! Expressions: precedence climbing over [`Prec`] levels, then postfix lookups and atoms.
//!
//! Invariants: every expression's span covers exactly its source text (a parenthesized one
//! includes its parentheses); `-` applied directly to a number literal folds into a negative
//! literal, so `-9223372036854775808` is `i64::MIN`.
//!
//! Stack: the functions on the recursive path ([`expression`], [`climb`], [`prefix`],
//! [`postfix`], [`lookups`], [`atom`]) avoid closures and combinators, and the work off that path
//! is in `#[inline(never)]` functions, so that each nesting level costs as little stack as
//! possible (see [`super::MAX_DEPTH`]).

use winnow::error::ErrMode;
use winnow::prelude::*;
use winnow::stream::Stream;

use super::super::ast::*;
use super::super::lexer::{Punct, TokenKind};
use super::super::syntax::{binary_syntax, is_reserved, Prec};
use super::{
    abandon, allowing_predicates, at_keyword, at_punct, at_variable, clause, complaint, enter, expected, items_until,
    keyword, label, leave, nested, next_if, optional_keyword, optional_punct, pattern, peek_kind, pos, punct, reach,
    remember, replay, schema_name, since, start, variable, variable_name, where_clause, Error, Expected, Input,
    Measure, PResult, AN_EXPRESSION,
};

/// Any expression; one nesting level deeper than its context.
pub(in super::super) fn expression(i: &mut Input<'_>) -> PResult<Expr> {
    if let Some(replayed) = replay(i) {
        return replayed;
    }
    let from = pos(i);
    let measure = Measure::start(i);
    let result = match enter(i) {
        Ok(()) => {
            let result = climb(i, Prec::Or);
            leave(i);
            result
        }
        Err(e) => Err(e),
    };
    let result = result.map_err(|e| relabel(e, from));
    let height = measure.height(i);
    remember(i, from, &result, height);
    result
}

/// Describes a failure to parse anything at `from` as a missing expression.
#[cold]
#[inline(never)]
fn relabel(e: ErrMode<Error>, from: usize) -> ErrMode<Error> {
    e.map(|e| e.relabel(from, AN_EXPRESSION))
}

/// An infix (or, for `IS NULL`, postfix) operator at the predicate level or looser.
#[derive(Clone, Copy)]
enum Infix {
    Binary(BinaryOp),
    Compare(CompareOp),
    IsNull,
}

impl Infix {
    fn prec(self) -> Prec {
        match self {
            Infix::Binary(op) => binary_syntax(op).1,
            Infix::Compare(_) => Prec::Comparison,
            Infix::IsNull => Prec::Predicate,
        }
    }
}

/// The operator at the next token, without consuming it. `STARTS`/`ENDS` need a `WITH` after.
fn infix(i: &Input<'_>) -> Option<Infix> {
    let op = match peek_kind(i, 0)? {
        TokenKind::Punct(p) => match p {
            Punct::Plus => Infix::Binary(BinaryOp::Add),
            Punct::Minus => Infix::Binary(BinaryOp::Subtract),
            Punct::Star => Infix::Binary(BinaryOp::Multiply),
            Punct::Slash => Infix::Binary(BinaryOp::Divide),
            Punct::Percent => Infix::Binary(BinaryOp::Modulo),
            Punct::Caret => Infix::Binary(BinaryOp::Power),
            Punct::RegexEq => Infix::Binary(BinaryOp::RegexMatch),
            Punct::Eq => Infix::Compare(CompareOp::Eq),
            Punct::Ne => Infix::Compare(CompareOp::Ne),
            Punct::Lt => Infix::Compare(CompareOp::Lt),
            Punct::Le => Infix::Compare(CompareOp::Le),
            Punct::Gt => Infix::Compare(CompareOp::Gt),
            Punct::Ge => Infix::Compare(CompareOp::Ge),
            _ => return None,
        },
        TokenKind::Word(w) => {
            let ops = [
                ("OR", Infix::Binary(BinaryOp::Or)),
                ("XOR", Infix::Binary(BinaryOp::Xor)),
                ("AND", Infix::Binary(BinaryOp::And)),
                ("IN", Infix::Binary(BinaryOp::In)),
                ("STARTS", Infix::Binary(BinaryOp::StartsWith)),
                ("ENDS", Infix::Binary(BinaryOp::EndsWith)),
                ("CONTAINS", Infix::Binary(BinaryOp::Contains)),
                ("IS", Infix::IsNull),
            ];
            ops.into_iter().find(|(k, _)| w.eq_ignore_ascii_case(k))?.1
        }
        _ => return None,
    };
    Some(op)
}

/// An expression whose operators all bind at least as tightly as `min`.
fn climb(i: &mut Input<'_>, min: Prec) -> PResult<Expr> {
    let measure = Measure::start(i);
    let lhs = prefix(i, min);
    let mut height = measure.height(i);
    let mut lhs = lhs?;
    while let Some(op) = infix(i).filter(|op| op.prec() >= min) {
        (lhs, height) = apply(i, op, lhs, height)?;
    }
    Ok(lhs)
}

/// Applies the infix operator `op`, next in the input, to `lhs` of height `height`.
#[inline(never)]
fn apply(i: &mut Input<'_>, op: Infix, lhs: Expr, height: usize) -> PResult<(Expr, usize)> {
    i.next_token();
    let (node, height) = match op {
        Infix::Binary(op) => binary(i, op, lhs, height)?,
        Infix::Compare(op) => comparison(i, op, lhs, height)?,
        Infix::IsNull => is_null(i, lhs, height)?,
    };
    reach(i, height)?;
    Ok((node, height))
}

/// An operand: what binds tighter than operators of precedence `prec`.
fn operand(i: &mut Input<'_>, prec: Prec) -> PResult<(Expr, usize)> {
    let from = pos(i);
    let measure = Measure::start(i);
    let result = climb(i, prec.tighter());
    let height = measure.height(i);
    result.map(|e| (e, height)).map_err(|e| relabel(e, from))
}

fn binary(i: &mut Input<'_>, op: BinaryOp, lhs: Expr, height: usize) -> PResult<(Expr, usize)> {
    if matches!(op, BinaryOp::StartsWith | BinaryOp::EndsWith) {
        keyword("WITH").parse_next(i)?;
    }
    let (rhs, h) = operand(i, binary_syntax(op).1)?;
    let span = Span { start: lhs.span.start, end: rhs.span.end };
    Ok((Expr::new(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span), height.max(h) + 1))
}

/// `a < b <= c`: the whole chain, kept as one node.
fn comparison(i: &mut Input<'_>, first: CompareOp, lhs: Expr, height: usize) -> PResult<(Expr, usize)> {
    let mut rest = Vec::new();
    let mut op = first;
    let mut height = height;
    loop {
        let (rhs, h) = operand(i, Prec::Comparison)?;
        height = height.max(h);
        rest.push((op, rhs));
        match infix(i) {
            Some(Infix::Compare(next)) => {
                i.next_token();
                op = next;
            }
            _ => break,
        }
    }
    let span = since(i, lhs.span.start);
    Ok((Expr::new(ExprKind::Comparison(Box::new(lhs), rest), span), height + 1))
}

/// The rest of `expr IS [NOT] NULL`, after `IS`.
fn is_null(i: &mut Input<'_>, lhs: Expr, height: usize) -> PResult<(Expr, usize)> {
    let negated = optional_keyword(i, "NOT");
    keyword("NULL").parse_next(i)?;
    let span = since(i, lhs.span.start);
    Ok((Expr::new(ExprKind::IsNull { expr: Box::new(lhs), negated }, span), height + 1))
}

/// `NOT`s or unary `+`/`-`s (as level `min` allows) and their operand, or a postfix expression.
fn prefix(i: &mut Input<'_>, min: Prec) -> PResult<Expr> {
    match prefix_op(i) {
        Some(UnaryOp::Not) if min <= Prec::Not => prefixed(i, Prec::Not),
        Some(UnaryOp::Negate | UnaryOp::Plus) if min <= Prec::Unary => prefixed(i, Prec::Unary),
        _ => postfix(i),
    }
}

/// A run of prefix operators of one level, read in a loop (`NOT NOT NOT x` does not recurse),
/// and their operand.
#[inline(never)]
fn prefixed(i: &mut Input<'_>, level: Prec) -> PResult<Expr> {
    let mut ops = Vec::new();
    while let Some(op) = prefix_op(i).filter(|op| (*op == UnaryOp::Not) == (level == Prec::Not)) {
        if op == UnaryOp::Negate && negative_literal_ahead(i) {
            break;
        }
        ops.push((op, start(i)));
        i.next_token();
        reach(i, ops.len())?;
    }
    let from = pos(i);
    let measure = Measure::start(i);
    let operand = if level == Prec::Unary && at_punct(i, 0, Punct::Minus) && negative_literal_ahead(i) {
        negative_literal(i)
    } else {
        climb(i, level).map_err(|e| relabel(e, from))
    };
    let height = measure.height(i) + ops.len();
    reach(i, height)?;
    Ok(ops.into_iter().rev().fold(operand?, |operand, (op, from)| {
        let span = Span { start: from, end: operand.span.end };
        Expr::new(ExprKind::Unary(op, Box::new(operand)), span)
    }))
}

fn prefix_op(i: &Input<'_>) -> Option<UnaryOp> {
    match peek_kind(i, 0)? {
        TokenKind::Word(w) if w.eq_ignore_ascii_case("NOT") => Some(UnaryOp::Not),
        TokenKind::Punct(Punct::Minus) => Some(UnaryOp::Negate),
        TokenKind::Punct(Punct::Plus) => Some(UnaryOp::Plus),
        _ => None,
    }
}

/// `-` then a number literal that no postfix operator binds to first.
fn negative_literal_ahead(i: &Input<'_>) -> bool {
    matches!(peek_kind(i, 1), Some(TokenKind::Int(_) | TokenKind::Float(_)))
        && ![Punct::Dot, Punct::LBracket, Punct::Colon].iter().any(|&p| at_punct(i, 2, p))
}

fn negative_literal(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    i.next_token();
    let at = pos(i);
    let literal = match peek_kind(i, 0) {
        Some(TokenKind::Int(n)) => match 0i64.checked_sub_unsigned(*n) {
            Some(v) => Literal::Integer(v),
            None => return Err(integer_overflow(at)),
        },
        Some(TokenKind::Float(f)) => Literal::Float(-f),
        _ => return Err(expected(i, AN_EXPRESSION)),
    };
    i.next_token();
    Ok(Expr::new(ExprKind::Literal(literal), since(i, from)))
}

fn integer_overflow(at: usize) -> ErrMode<Error> {
    complaint(at, "integer literal is out of the 64-bit signed range", "IntegerOverflow").cut()
}

/// An atom with property lookups, index and slice suffixes, then optional labels.
fn postfix(i: &mut Input<'_>) -> PResult<Expr> {
    let (expr, height) = lookups(i)?;
    if at_punct(i, 0, Punct::Colon) {
        has_labels(i, expr, height)
    } else {
        Ok(expr)
    }
}

/// `expr:A:B`
#[inline(never)]
fn has_labels(i: &mut Input<'_>, expr: Expr, height: usize) -> PResult<Expr> {
    let labels = pattern::labels(i)?;
    reach(i, height + 1)?;
    let span = since(i, expr.span.start);
    Ok(Expr::new(ExprKind::HasLabels(Box::new(expr), labels), span))
}

/// The target of `SET`/`REMOVE` items: an atom with lookups, no labels.
pub(super) fn property_target(i: &mut Input<'_>) -> PResult<Expr> {
    lookups(i).map(|(expr, _)| expr)
}

/// An atom followed by `.key`, `[index]` and `[from..to]`, with the height of the result.
fn lookups(i: &mut Input<'_>) -> PResult<(Expr, usize)> {
    let measure = Measure::start(i);
    let expr = atom(i);
    let mut height = measure.height(i);
    let mut expr = expr?;
    while at_punct(i, 0, Punct::Dot) || at_punct(i, 0, Punct::LBracket) {
        (expr, height) = lookup(i, expr, height)?;
    }
    Ok((expr, height))
}

/// One `.key`, `[index]` or `[from..to]` applied to `base` of height `height`.
#[inline(never)]
fn lookup(i: &mut Input<'_>, base: Expr, height: usize) -> PResult<(Expr, usize)> {
    let from = base.span.start;
    let measure = Measure::start(i);
    let kind = if optional_punct(i, Punct::Dot) {
        label(Expected::Thing("a property key"), schema_name)
            .parse_next(i)
            .map(|key| ExprKind::Property(Box::new(base), key))
    } else {
        nested(i, |i| subscript(i, base))
    };
    let height = measure.height(i).max(height + 1);
    let kind = kind?;
    reach(i, height)?;
    Ok((Expr::new(kind, since(i, from)), height))
}

/// `[index]` or `[from..to]` applied to `base`.
fn subscript(i: &mut Input<'_>, base: Expr) -> PResult<ExprKind> {
    punct(Punct::LBracket).parse_next(i)?;
    let from = if at_punct(i, 0, Punct::DotDot) { None } else { Some(Box::new(expression(i)?)) };
    let kind = if optional_punct(i, Punct::DotDot) {
        let to = if at_punct(i, 0, Punct::RBracket) { None } else { Some(Box::new(expression(i)?)) };
        ExprKind::Slice(Box::new(base), from, to)
    } else {
        let index = from.ok_or_else(|| expected(i, AN_EXPRESSION))?;
        ExprKind::Index(Box::new(base), index)
    };
    punct(Punct::RBracket).parse_next(i)?;
    Ok(kind)
}

/// A leaf (literal, parameter, variable) or, one nesting level deeper, a compound atom.
fn atom(i: &mut Input<'_>) -> PResult<Expr> {
    let compound: Compound = match peek_kind(i, 0) {
        Some(TokenKind::Int(_) | TokenKind::Float(_) | TokenKind::Str(_)) => return literal(i),
        Some(TokenKind::Param(_)) => return parameter(i),
        Some(TokenKind::Punct(Punct::LParen)) => pattern_or_parenthesized,
        Some(TokenKind::Punct(Punct::LBracket)) => list_like,
        Some(TokenKind::Punct(Punct::LBrace)) => map_literal,
        Some(TokenKind::Word(_) | TokenKind::Quoted(_)) => match named_form(i) {
            Some(compound) => compound,
            None => return name(i),
        },
        _ => return Err(expected(i, AN_EXPRESSION)),
    };
    nested(i, compound)
}

/// The parser of an atom that contains other expressions.
type Compound = for<'a> fn(&mut Input<'a>) -> PResult<Expr>;

/// The compound atom that starts with the name next in the input, if any.
fn named_form(i: &Input<'_>) -> Option<Compound> {
    // Keywords are unquoted words; a back-quoted name can only call a function or project.
    let word = match peek_kind(i, 0) {
        Some(TokenKind::Word(w)) => *w,
        _ => "",
    };
    let is = |k: &str| word.eq_ignore_ascii_case(k);
    let called = at_punct(i, 1, Punct::LParen);
    let form: Compound = if is("CASE") {
        case
    } else if is("EXISTS") && at_punct(i, 1, Punct::LBrace) {
        exists
    } else if is("COUNT") && called && at_punct(i, 2, Punct::Star) {
        count_star
    } else if is("REDUCE") && called && at_variable(i, 2) && at_punct(i, 3, Punct::Eq) {
        reduce
    } else if quantifier_kind(word).is_some() && called && at_variable(i, 2) && at_keyword(i, 3, "IN") {
        quantifier
    } else if calls_function(i) {
        function_call
    } else if at_variable(i, 0) && at_punct(i, 1, Punct::LBrace) {
        map_projection
    } else {
        return None;
    };
    Some(form)
}

/// `null`, `true`, `false` or a variable.
fn name(i: &mut Input<'_>) -> PResult<Expr> {
    let (kind, span) = next_if(i, AN_EXPRESSION, |k| {
        let literal = |l| Some(ExprKind::Literal(l));
        match k {
            TokenKind::Word(w) if w.eq_ignore_ascii_case("NULL") => literal(Literal::Null),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("TRUE") => literal(Literal::Boolean(true)),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("FALSE") => literal(Literal::Boolean(false)),
            _ => variable_name(k).map(ExprKind::Variable),
        }
    })?;
    Ok(Expr::new(kind, span))
}

#[inline(never)]
fn literal(i: &mut Input<'_>) -> PResult<Expr> {
    let at = pos(i);
    let (literal, span) = next_if(i, AN_EXPRESSION, |k| match k {
        TokenKind::Int(n) => Some(i64::try_from(*n).map(Literal::Integer)),
        TokenKind::Float(f) => Some(Ok(Literal::Float(*f))),
        TokenKind::Str(s) => Some(Ok(Literal::String(s.clone()))),
        _ => None,
    })?;
    let literal = literal.map_err(|_| integer_overflow(at))?;
    Ok(Expr::new(ExprKind::Literal(literal), span))
}

#[inline(never)]
pub(super) fn parameter(i: &mut Input<'_>) -> PResult<Expr> {
    next_if(i, Expected::Thing("a parameter"), |k| match k {
        TokenKind::Param(name) => Some(ExprKind::Parameter(name.clone())),
        _ => None,
    })
    .map(|(kind, span)| Expr::new(kind, span))
}

/// `(a)-->(b)` or `(expr)`: the pattern wins where both would parse.
fn pattern_or_parenthesized(i: &mut Input<'_>) -> PResult<Expr> {
    either(i, pattern_predicate, parenthesized)
}

/// Parses with `first` or else, from the same point, with `second`: whatever `first` parsed
/// is memoized meanwhile, so `second` re-parses nothing. Errors report the furthest failure.
#[inline(never)]
fn either<'a>(
    i: &mut Input<'a>,
    first: fn(&mut Input<'a>) -> PResult<Expr>,
    second: fn(&mut Input<'a>) -> PResult<Expr>,
) -> PResult<Expr> {
    let checkpoint = i.checkpoint();
    i.state.speculating += 1;
    let found = first(i);
    i.state.speculating -= 1;
    match found {
        Err(ErrMode::Backtrack(e)) => {
            abandon(i, &e);
            i.reset(&checkpoint);
            second(i).map_err(|p| p.map(|p| p.or(e)))
        }
        found => found,
    }
}

/// `(expr)`; the span includes the parentheses.
fn parenthesized(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    punct(Punct::LParen).parse_next(i)?;
    let mut expr = expression(i)?;
    punct(Punct::RParen).parse_next(i)?;
    expr.span = since(i, from);
    Ok(expr)
}

/// `(a)-->(b)` used as a predicate, which only `WHERE` allows.
#[inline(never)]
fn pattern_predicate(i: &mut Input<'_>) -> PResult<Expr> {
    let at = pos(i);
    let element = pattern::relationships_pattern(i)?;
    if !i.state.predicates {
        let message = "a pattern can only be used as a predicate in WHERE; \
                       use a pattern comprehension [(a)-->(b) | b] or EXISTS { ... } instead";
        return Err(complaint(at, message, "UnexpectedSyntax").cut());
    }
    let span = element.span;
    Ok(Expr::new(ExprKind::PatternPredicate(Box::new(element)), span))
}

/// A list literal, a list comprehension or a pattern comprehension.
#[inline(never)]
fn list_like(i: &mut Input<'_>) -> PResult<Expr> {
    if at_variable(i, 1) && at_keyword(i, 2, "IN") {
        list_comprehension(i)
    } else if at_punct(i, 1, Punct::LParen) || (at_variable(i, 1) && at_punct(i, 2, Punct::Eq)) {
        either(i, pattern_comprehension, list_literal)
    } else {
        list_literal(i)
    }
}

fn list_literal(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    punct(Punct::LBracket).parse_next(i)?;
    let items = items_until(i, Punct::RBracket, expression)?;
    Ok(Expr::new(ExprKind::List(items), since(i, from)))
}

/// `[x IN list WHERE pred | map]`
fn list_comprehension(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    punct(Punct::LBracket).parse_next(i)?;
    let (var, list) = in_list(i)?;
    let filter = where_clause(i)?.map(Box::new);
    let map = if optional_punct(i, Punct::Pipe) { Some(Box::new(expression(i)?)) } else { None };
    punct(Punct::RBracket).parse_next(i)?;
    let kind = ExprKind::ListComprehension { var, list: Box::new(list), filter, map };
    Ok(Expr::new(kind, since(i, from)))
}

/// `x IN list`
fn in_list(i: &mut Input<'_>) -> PResult<(Ident, Expr)> {
    let var = variable(i)?;
    keyword("IN").parse_next(i)?;
    Ok((var, expression(i)?))
}

/// `[p = (a)-->(b) WHERE pred | map]`
fn pattern_comprehension(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    punct(Punct::LBracket).parse_next(i)?;
    let var = if at_variable(i, 0) {
        let var = variable(i)?;
        punct(Punct::Eq).parse_next(i)?;
        Some(var)
    } else {
        None
    };
    let pattern = Box::new(pattern::relationships_pattern(i)?);
    let filter = where_clause(i)?.map(Box::new);
    punct(Punct::Pipe).parse_next(i)?;
    let map = Box::new(expression(i)?);
    punct(Punct::RBracket).parse_next(i)?;
    Ok(Expr::new(ExprKind::PatternComprehension { var, pattern, filter, map }, since(i, from)))
}

/// `{key: value, ...}`
#[inline(never)]
pub(super) fn map_literal(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    punct(Punct::LBrace).parse_next(i)?;
    let entries = items_until(i, Punct::RBrace, map_entry)?;
    Ok(Expr::new(ExprKind::Map(entries), since(i, from)))
}

fn map_entry(i: &mut Input<'_>) -> PResult<(Ident, Expr)> {
    let key = label(Expected::Thing("a property key"), schema_name).parse_next(i)?;
    punct(Punct::Colon).parse_next(i)?;
    Ok((key, expression(i)?))
}

/// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`
fn case(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    keyword("CASE").parse_next(i)?;
    let operand = if at_keyword(i, 0, "WHEN") { None } else { Some(Box::new(expression(i)?)) };
    let mut whens = Vec::new();
    loop {
        keyword("WHEN").parse_next(i)?;
        let when = expression(i)?;
        keyword("THEN").parse_next(i)?;
        whens.push((when, expression(i)?));
        if !at_keyword(i, 0, "WHEN") {
            break;
        }
    }
    let else_ = if optional_keyword(i, "ELSE") { Some(Box::new(expression(i)?)) } else { None };
    keyword("END").parse_next(i)?;
    Ok(Expr::new(ExprKind::Case { operand, whens, else_ }, since(i, from)))
}

/// `EXISTS { query }` or `EXISTS { pattern [WHERE ..] }`
fn exists(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    keyword("EXISTS").parse_next(i)?;
    punct(Punct::LBrace).parse_next(i)?;
    let subquery = nested(i, |i| {
        if clause::starts_clause(i) {
            clause::query(i).map(ExistsSubquery::Query)
        } else {
            let pattern = allowing_predicates(i, false, pattern::pattern)?;
            Ok(ExistsSubquery::Pattern { pattern, where_: where_clause(i)? })
        }
    })?;
    punct(Punct::RBrace).parse_next(i)?;
    Ok(Expr::new(ExprKind::Exists(Box::new(subquery)), since(i, from)))
}

/// `count(*)`
fn count_star(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    (keyword("COUNT"), punct(Punct::LParen), punct(Punct::Star), punct(Punct::RParen)).parse_next(i)?;
    Ok(Expr::new(ExprKind::CountStar, since(i, from)))
}

/// `reduce(acc = init, x IN list | expr)`
fn reduce(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    (keyword("REDUCE"), punct(Punct::LParen)).parse_next(i)?;
    let acc = variable(i)?;
    punct(Punct::Eq).parse_next(i)?;
    let init = Box::new(expression(i)?);
    punct(Punct::Comma).parse_next(i)?;
    let (var, list) = in_list(i)?;
    punct(Punct::Pipe).parse_next(i)?;
    let expr = Box::new(expression(i)?);
    punct(Punct::RParen).parse_next(i)?;
    Ok(Expr::new(ExprKind::Reduce { acc, init, var, list: Box::new(list), expr }, since(i, from)))
}

fn quantifier_kind(word: &str) -> Option<Quantifier> {
    [("ALL", Quantifier::All), ("ANY", Quantifier::Any), ("NONE", Quantifier::None), ("SINGLE", Quantifier::Single)]
        .into_iter()
        .find(|(k, _)| word.eq_ignore_ascii_case(k))
        .map(|(_, q)| q)
}

/// `all(x IN list WHERE pred)`, `any(..)`, `none(..)`, `single(..)`
fn quantifier(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    let (kind, _) = next_if(i, Expected::Thing("a quantifier"), |k| match k {
        TokenKind::Word(w) => quantifier_kind(w),
        _ => None,
    })?;
    punct(Punct::LParen).parse_next(i)?;
    let (var, list) = in_list(i)?;
    let filter = where_clause(i)?.map(Box::new);
    punct(Punct::RParen).parse_next(i)?;
    Ok(Expr::new(ExprKind::Quantifier { kind, var, list: Box::new(list), filter }, since(i, from)))
}

/// Whether a (dotted) function name and `(` come next.
fn calls_function(i: &Input<'_>) -> bool {
    if peek_kind(i, 0).and_then(function_name).is_none() {
        return false;
    }
    let mut n = 1;
    while at_punct(i, n, Punct::Dot) && matches!(peek_kind(i, n + 1), Some(TokenKind::Word(_) | TokenKind::Quoted(_))) {
        n += 2;
    }
    at_punct(i, n, Punct::LParen)
}

/// The first part of a function name: a variable-like name, or `exists`.
fn function_name(kind: &TokenKind<'_>) -> Option<String> {
    match kind {
        TokenKind::Word(w) if !is_reserved(w) || w.eq_ignore_ascii_case("EXISTS") => Some((*w).to_string()),
        TokenKind::Quoted(q) => Some(q.clone()),
        _ => None,
    }
}

/// `ns.name([DISTINCT] args)`
fn function_call(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    let (first, span) = next_if(i, Expected::Thing("a function name"), function_name)?;
    let mut name = vec![Ident { name: first, span }];
    while optional_punct(i, Punct::Dot) {
        name.push(schema_name(i)?);
    }
    punct(Punct::LParen).parse_next(i)?;
    let distinct = optional_keyword(i, "DISTINCT");
    let args = items_until(i, Punct::RParen, expression)?;
    Ok(Expr::new(ExprKind::FunctionCall { name, distinct, args }, since(i, from)))
}

/// `n {.key, key: expr, var, .*}`
fn map_projection(i: &mut Input<'_>) -> PResult<Expr> {
    let from = start(i);
    let var = variable(i)?;
    punct(Punct::LBrace).parse_next(i)?;
    let items = items_until(i, Punct::RBrace, map_projection_item)?;
    Ok(Expr::new(ExprKind::MapProjection { var, items }, since(i, from)))
}

fn map_projection_item(i: &mut Input<'_>) -> PResult<MapProjectionItem> {
    if optional_punct(i, Punct::Dot) {
        if optional_punct(i, Punct::Star) {
            return Ok(MapProjectionItem::AllProperties);
        }
        let key = label(Expected::Thing("a property key or `*`"), schema_name).parse_next(i)?;
        return Ok(MapProjectionItem::Property(key));
    }
    if at_variable(i, 0) && !at_punct(i, 1, Punct::Colon) {
        return variable(i).map(MapProjectionItem::Variable);
    }
    let (key, value) = map_entry(i)?;
    Ok(MapProjectionItem::Literal(key, value))
}
