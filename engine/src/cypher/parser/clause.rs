//! Statements, queries and clauses.
//!
//! Invariant: clause order is not checked here (that is semantic analysis), except that
//! `CALL ... YIELD *` must stand alone, which openCypher makes a syntax rule.

use winnow::prelude::*;

use super::super::ast::*;
use super::super::lexer::{Punct, TokenKind};
use super::expr::{expression, property_target};
use super::pattern::{labels, pattern, pattern_part};
use super::{
    allowing_predicates, at_keyword, at_punct, at_variable, comma_list, complaint, expected, expected_one_of,
    items_until, keyword, label, optional_keyword, optional_punct, peek_kind, pos, punct, schema_name, since, start,
    variable, where_clause, Expected, Input, PResult,
};

const A_CLAUSE: Expected = Expected::Thing("a clause (MATCH, RETURN, CREATE, ...)");

/// `[EXPLAIN] query [;]`, up to the end of input.
pub(super) fn statement(i: &mut Input<'_>) -> PResult<Statement> {
    let explain = optional_keyword(i, "EXPLAIN");
    let query = query(i)?;
    optional_punct(i, Punct::Semicolon);
    if !i.input.is_empty() {
        return Err(expected_one_of(i, &[A_CLAUSE, Expected::Thing("end of input")]));
    }
    Ok(Statement { explain, query })
}

/// Single queries joined by `UNION [ALL]`; pattern predicates are allowed only in its `WHERE`s.
pub(super) fn query(i: &mut Input<'_>) -> PResult<Query> {
    allowing_predicates(i, false, |i: &mut Input<'_>| {
        let first = single_query(i)?;
        let mut unions = Vec::new();
        while optional_keyword(i, "UNION") {
            let all = optional_keyword(i, "ALL");
            unions.push((all, single_query(i)?));
        }
        Ok(Query { first, unions })
    })
}

fn single_query(i: &mut Input<'_>) -> PResult<SingleQuery> {
    let mut clauses = Vec::new();
    let mut yield_star = None;
    loop {
        let at = pos(i);
        let clause = label(A_CLAUSE, clause).parse_next(i)?;
        if matches!(&clause, Clause::Call(call) if call.yield_star) {
            yield_star.get_or_insert(at);
        }
        clauses.push(clause);
        if !starts_clause(i) {
            break;
        }
    }
    if let Some(at) = yield_star.filter(|_| clauses.len() > 1) {
        let message = "`YIELD *` is only allowed in a standalone CALL; name the fields to yield instead";
        return Err(complaint(at, message, "UnexpectedSyntax").cut());
    }
    Ok(SingleQuery { clauses })
}

type ClauseParser = for<'a> fn(&mut Input<'a>) -> PResult<Clause>;

/// Each clause's first keyword and its parser.
const CLAUSES: [(&str, ClauseParser); 14] = [
    ("MATCH", match_clause),
    ("OPTIONAL", match_clause),
    ("UNWIND", unwind),
    ("WITH", with),
    ("RETURN", return_clause),
    ("CREATE", create),
    ("MERGE", merge),
    ("SET", set),
    ("REMOVE", remove),
    ("DELETE", delete),
    ("DETACH", delete),
    ("CALL", call),
    ("DROP", schema),
    ("SHOW", schema),
];

fn clause_parser(i: &Input<'_>) -> Option<ClauseParser> {
    CLAUSES.iter().find(|(word, _)| at_keyword(i, 0, word)).map(|(_, parse)| *parse)
}

pub(super) fn starts_clause(i: &Input<'_>) -> bool {
    clause_parser(i).is_some()
}

fn clause(i: &mut Input<'_>) -> PResult<Clause> {
    match clause_parser(i) {
        Some(parse) => parse(i),
        None => Err(expected(i, A_CLAUSE)),
    }
}

fn match_clause(i: &mut Input<'_>) -> PResult<Clause> {
    let from = start(i);
    let optional = optional_keyword(i, "OPTIONAL");
    keyword("MATCH").parse_next(i)?;
    let pattern = pattern(i)?;
    let where_ = where_clause(i)?;
    Ok(Clause::Match(Match { optional, pattern, where_, span: since(i, from) }))
}

fn unwind(i: &mut Input<'_>) -> PResult<Clause> {
    let from = start(i);
    keyword("UNWIND").parse_next(i)?;
    let expr = expression(i)?;
    keyword("AS").parse_next(i)?;
    let var = variable(i)?;
    Ok(Clause::Unwind(Unwind { expr, var, span: since(i, from) }))
}

fn with(i: &mut Input<'_>) -> PResult<Clause> {
    projection(i, "WITH").map(Clause::With)
}

fn return_clause(i: &mut Input<'_>) -> PResult<Clause> {
    projection(i, "RETURN").map(Clause::Return)
}

/// `WITH`/`RETURN` `[DISTINCT] (* | items) [ORDER BY ..] [SKIP ..] [LIMIT ..]`, and `[WHERE ..]` for `WITH`.
fn projection(i: &mut Input<'_>, word: &'static str) -> PResult<Projection> {
    let from = start(i);
    keyword(word).parse_next(i)?;
    let distinct = optional_keyword(i, "DISTINCT");
    let star = optional_punct(i, Punct::Star);
    let items = if !star || optional_punct(i, Punct::Comma) { comma_list(i, projection_item)? } else { Vec::new() };
    let order_by = if optional_keyword(i, "ORDER") {
        keyword("BY").parse_next(i)?;
        comma_list(i, sort_item)?
    } else {
        Vec::new()
    };
    let skip = if optional_keyword(i, "SKIP") { Some(expression(i)?) } else { None };
    let limit = if optional_keyword(i, "LIMIT") { Some(expression(i)?) } else { None };
    let where_ = if word == "WITH" { where_clause(i)? } else { None };
    Ok(Projection { distinct, star, items, order_by, skip, limit, where_, span: since(i, from) })
}

fn projection_item(i: &mut Input<'_>) -> PResult<ProjectionItem> {
    let expr = expression(i)?;
    let alias = if optional_keyword(i, "AS") { Some(variable(i)?) } else { None };
    Ok(ProjectionItem { expr, alias })
}

fn sort_item(i: &mut Input<'_>) -> PResult<SortItem> {
    let expr = expression(i)?;
    let direction = ["ASC", "ASCENDING", "DESC", "DESCENDING"].into_iter().find(|word| optional_keyword(i, word));
    let descending = direction.is_some_and(|word| word.starts_with("DESC"));
    Ok(SortItem { expr, descending })
}

fn create(i: &mut Input<'_>) -> PResult<Clause> {
    if at_keyword(i, 1, "INDEX") || at_keyword(i, 1, "CONSTRAINT") {
        return schema(i);
    }
    let from = start(i);
    keyword("CREATE").parse_next(i)?;
    let pattern = pattern(i)?;
    Ok(Clause::Create(Create { pattern, span: since(i, from) }))
}

/// Index and constraint commands ([`Schema`]).
fn schema(i: &mut Input<'_>) -> PResult<Clause> {
    let from = start(i);
    let command = schema_command(i)?;
    Ok(Clause::Schema(SchemaClause { command, span: since(i, from) }))
}

fn schema_command(i: &mut Input<'_>) -> PResult<Schema> {
    if optional_keyword(i, "SHOW") {
        let constraints = optional_keyword(i, "CONSTRAINTS") || optional_keyword(i, "CONSTRAINT");
        if !(constraints || optional_keyword(i, "INDEXES") || optional_keyword(i, "INDEX")) {
            return Err(expected_one_of(i, &[Expected::Token("INDEXES"), Expected::Token("CONSTRAINTS")]));
        }
        return Ok(Schema::Show { constraints });
    }
    if optional_keyword(i, "DROP") {
        let constraint = optional_keyword(i, "CONSTRAINT");
        if !constraint {
            keyword("INDEX").parse_next(i)?;
        }
        let name = schema_name(i)?;
        let if_exists = optional_keyword(i, "IF");
        if if_exists {
            keyword("EXISTS").parse_next(i)?;
        }
        return Ok(Schema::Drop { constraint, name, if_exists });
    }
    keyword("CREATE").parse_next(i)?;
    let unique = optional_keyword(i, "CONSTRAINT");
    if !unique {
        keyword("INDEX").parse_next(i)?;
    }
    let name = if at_keyword(i, 0, "FOR") || at_keyword(i, 0, "IF") { None } else { Some(schema_name(i)?) };
    let if_not_exists = optional_keyword(i, "IF");
    if if_not_exists {
        keyword("NOT").parse_next(i)?;
        keyword("EXISTS").parse_next(i)?;
    }
    keyword("FOR").parse_next(i)?;
    punct(Punct::LParen).parse_next(i)?;
    let var = variable(i)?;
    punct(Punct::Colon).parse_next(i)?;
    let label = schema_name(i)?;
    punct(Punct::RParen).parse_next(i)?;
    let parenthesised = !unique && optional_keyword(i, "ON");
    if unique {
        keyword("REQUIRE").parse_next(i)?;
    } else if !parenthesised {
        return Err(expected(i, Expected::Token("ON")));
    }
    if parenthesised {
        punct(Punct::LParen).parse_next(i)?;
    }
    let of = variable(i)?;
    if of.name != var.name {
        return Err(complaint(
            of.span.start,
            format!("expected `{}` here, the variable of FOR", var.name),
            "UnexpectedSyntax",
        )
        .cut());
    }
    punct(Punct::Dot).parse_next(i)?;
    let property = schema_name(i)?;
    if parenthesised {
        punct(Punct::RParen).parse_next(i)?;
    }
    if unique {
        keyword("IS").parse_next(i)?;
        keyword("UNIQUE").parse_next(i)?;
    }
    Ok(Schema::Create { unique, name, if_not_exists, var, label, property })
}

/// `MERGE part` then any number of `ON CREATE SET ..` and `ON MATCH SET ..`, in any order.
fn merge(i: &mut Input<'_>) -> PResult<Clause> {
    let from = start(i);
    keyword("MERGE").parse_next(i)?;
    let pattern = label(Expected::Thing("a pattern"), pattern_part).parse_next(i)?;
    let (mut on_create, mut on_match) = (Vec::new(), Vec::new());
    while optional_keyword(i, "ON") {
        let target = if optional_keyword(i, "CREATE") {
            &mut on_create
        } else if optional_keyword(i, "MATCH") {
            &mut on_match
        } else {
            return Err(expected_one_of(i, &[Expected::Token("CREATE"), Expected::Token("MATCH")]));
        };
        keyword("SET").parse_next(i)?;
        target.extend(comma_list(i, set_item)?);
    }
    Ok(Clause::Merge(Merge { pattern, on_create, on_match, span: since(i, from) }))
}

fn set(i: &mut Input<'_>) -> PResult<Clause> {
    let from = start(i);
    keyword("SET").parse_next(i)?;
    let items = comma_list(i, set_item)?;
    Ok(Clause::Set(Set { items, span: since(i, from) }))
}

/// `target.key = e`, `n = map`, `n += map` or `n:A:B`.
fn set_item(i: &mut Input<'_>) -> PResult<SetItem> {
    if at_variable(i, 0) {
        if let Some(TokenKind::Punct(p @ (Punct::Eq | Punct::PlusEq | Punct::Colon))) = peek_kind(i, 1) {
            let p = *p;
            let var = variable(i)?;
            if p == Punct::Colon {
                return Ok(SetItem::Labels { var, labels: labels(i)? });
            }
            i.next_token();
            let value = expression(i)?;
            return Ok(if p == Punct::Eq { SetItem::Replace { var, value } } else { SetItem::Merge { var, value } });
        }
    }
    let (target, key) = property(i)?;
    punct(Punct::Eq).parse_next(i)?;
    Ok(SetItem::Property { target, key, value: expression(i)? })
}

/// `target.key`, split into its two parts.
fn property(i: &mut Input<'_>) -> PResult<(Expr, Ident)> {
    let at = pos(i);
    let expr = label(Expected::Thing("a property such as `n.key`"), property_target).parse_next(i)?;
    match expr.kind {
        ExprKind::Property(target, key) => Ok((*target, key)),
        _ => Err(complaint(at, "expected a property such as `n.key`", "UnexpectedSyntax")),
    }
}

fn remove(i: &mut Input<'_>) -> PResult<Clause> {
    let from = start(i);
    keyword("REMOVE").parse_next(i)?;
    let items = comma_list(i, remove_item)?;
    Ok(Clause::Remove(Remove { items, span: since(i, from) }))
}

/// `n:A:B` or `target.key`.
fn remove_item(i: &mut Input<'_>) -> PResult<RemoveItem> {
    if at_variable(i, 0) && at_punct(i, 1, Punct::Colon) {
        let var = variable(i)?;
        return Ok(RemoveItem::Labels { var, labels: labels(i)? });
    }
    let (target, key) = property(i)?;
    Ok(RemoveItem::Property { target, key })
}

fn delete(i: &mut Input<'_>) -> PResult<Clause> {
    let from = start(i);
    let detach = optional_keyword(i, "DETACH");
    keyword("DELETE").parse_next(i)?;
    let exprs = comma_list(i, expression)?;
    Ok(Clause::Delete(Delete { detach, exprs, span: since(i, from) }))
}

/// `CALL ns.proc[(args)] [YIELD (* | field [AS var], ..) [WHERE ..]]`
fn call(i: &mut Input<'_>) -> PResult<Clause> {
    let from = start(i);
    keyword("CALL").parse_next(i)?;
    let procedure = |i: &mut Input<'_>| label(Expected::Thing("a procedure name"), schema_name).parse_next(i);
    let mut name = vec![procedure(i)?];
    while optional_punct(i, Punct::Dot) {
        name.push(procedure(i)?);
    }
    let args = if optional_punct(i, Punct::LParen) { Some(items_until(i, Punct::RParen, expression)?) } else { None };
    let (mut yields, mut yield_star, mut where_) = (None, false, None);
    if optional_keyword(i, "YIELD") {
        if optional_punct(i, Punct::Star) {
            yield_star = true;
        } else {
            yields = Some(comma_list(i, yield_item)?);
            where_ = where_clause(i)?;
        }
    }
    Ok(Clause::Call(Call { name, args, yields, yield_star, where_, span: since(i, from) }))
}

fn yield_item(i: &mut Input<'_>) -> PResult<YieldItem> {
    let field = label(Expected::Thing("a field name"), schema_name).parse_next(i)?;
    let alias = if optional_keyword(i, "AS") { Some(variable(i)?) } else { None };
    Ok(YieldItem { field, alias })
}
