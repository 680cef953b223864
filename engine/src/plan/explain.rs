//! `EXPLAIN`: the plan as operators in the order they run, each with what it reads or does.
//!
//! A clause is a header row; the operators it runs follow it, indented. For a `MATCH` that
//! includes how each pattern part finds its first node — from a variable already bound
//! (`Argument`), an index on a label and a property equal to a value (`NodeIndexSeek`) or
//! within the bounds of `WHERE` conjuncts (`NodeIndexSeekByRange`, see `seek.rs`), a label
//! (`NodeByLabelScan`) or every node (`AllNodesScan`) — and each hop
//! (`Expand`, `VarLengthExpand`): the executor starts every part at its first node as written.
//! Each conjunct of `WHERE` (`Filter`) follows the operator after which it is checked.
use super::{index_seek, IndexSeek, Plan, Seek, Step};
use crate::cypher::ast::{Clause, Expr, PatternPart, SchemaClause};
use crate::cypher::{print_clause, print_expr, print_hop, print_node};
use std::collections::BTreeSet;

/// One row of `EXPLAIN`: the query part (of a `UNION`), the operator and its details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    pub part: usize,
    pub operator: &'static str,
    pub details: String,
}

/// `index(label, property)` names the index a node pattern's property map can use (the
/// schema of the version the query would read).
pub fn operators(plan: &Plan, index: &dyn Fn(&str, &str) -> Option<String>) -> Vec<Operator> {
    let mut out = Vec::new();
    for (part, p) in plan.parts.iter().enumerate() {
        let mut row = |operator: &'static str, details: String| out.push(Operator { part, operator, details });
        let mut bound: BTreeSet<String> = BTreeSet::new();
        for step in &p.steps {
            match step {
                Step::Match(m) => {
                    row(if m.optional { "OptionalMatch" } else { "Match" }, print_clause(&Clause::Match((*m).clone())));
                    for (i, part) in m.parts.iter().enumerate() {
                        let checks = m.filters.at.get(i).map_or(&[][..], Vec::as_slice);
                        scan(part, m.seeks.get(i).map_or(&[], Vec::as_slice), checks, &bound, index, &mut row);
                        bind_pattern(part, &mut bound);
                    }
                    for c in &m.filters.end {
                        row("  Filter", print_expr(c));
                    }
                }
                Step::Unwind(u) => {
                    row("Unwind", format!("{} AS {}", print_expr(&u.expr), u.var.name));
                    bound.insert(u.var.name.clone());
                }
                Step::Project(pp) => {
                    let clause =
                        if pp.is_return { Clause::Return(pp.clause.clone()) } else { Clause::With(pp.clause.clone()) };
                    row(if pp.is_return { "Return" } else { "With" }, print_clause(&clause));
                    let items: Vec<String> = pp.items.iter().map(|(n, e)| item(n, e)).collect();
                    row(if pp.aggregates { "  Aggregation" } else { "  Projection" }, items.join(", "));
                    if pp.clause.distinct {
                        row("  Distinct", String::new());
                    }
                    if !pp.order_by.is_empty() {
                        let keys: Vec<String> = pp
                            .order_by
                            .iter()
                            .map(|(e, desc)| format!("{}{}", print_expr(e), if *desc { " DESC" } else { "" }))
                            .collect();
                        row("  Sort", keys.join(", "));
                    }
                    if let Some(s) = &pp.clause.skip {
                        row("  Skip", print_expr(s));
                    }
                    if let Some(l) = &pp.clause.limit {
                        row("  Limit", print_expr(l));
                    }
                    if let Some(w) = &pp.where_ {
                        row("  Filter", print_expr(w));
                    }
                    bound = pp.items.iter().map(|(n, _)| n.clone()).collect();
                }
                Step::Create(c) => {
                    row("Create", print_clause(&Clause::Create((*c).clone())));
                    c.pattern.iter().for_each(|part| bind_pattern(part, &mut bound));
                }
                Step::Merge(m) => {
                    row("Merge", print_clause(&Clause::Merge((*m).clone())));
                    scan(&m.pattern, &[], &[], &bound, index, &mut row);
                    bind_pattern(&m.pattern, &mut bound);
                }
                Step::Set(s) => row("Set", print_clause(&Clause::Set((*s).clone()))),
                Step::Remove(r) => row("Remove", print_clause(&Clause::Remove((*r).clone()))),
                Step::Delete(d) => row("Delete", print_clause(&Clause::Delete((*d).clone()))),
                Step::Schema(s) => row(
                    "Schema",
                    print_clause(&Clause::Schema(SchemaClause { command: (*s).clone(), span: Default::default() })),
                ),
                Step::Call(c) => {
                    row("ProcedureCall", print_clause(&Clause::Call(c.clause.clone())));
                    bound.extend(c.yields.iter().map(|(_, v)| v.clone()));
                }
            }
        }
    }
    out
}

/// `expr AS name`, or just `expr` when that is its name.
fn item(name: &str, e: &crate::cypher::ast::Expr) -> String {
    match print_expr(e) {
        text if text == name => text,
        text => format!("{text} AS {name}"),
    }
}

/// How a pattern part finds its first node, then each hop, each followed by the conjuncts of
/// `WHERE` checked there (`checks`, per step).
fn scan(
    part: &PatternPart,
    seeks: &[Seek],
    checks: &[Vec<&Expr>],
    bound: &BTreeSet<String>,
    index: &dyn Fn(&str, &str) -> Option<String>,
    row: &mut impl FnMut(&'static str, String),
) {
    let start = &part.element.start;
    match (&start.var, index_seek(start, seeks, index)) {
        (Some(v), _) if bound.contains(&v.name) => row("  Argument", print_node(start)),
        (_, Some(IndexSeek::Equal { index, .. })) => {
            row("  NodeIndexSeek", format!("{} using {index}", print_node(start)))
        }
        (_, Some(IndexSeek::Range { index, bounds })) => {
            let bounds: Vec<String> = bounds
                .iter()
                .map(|(op, s)| format!("{} {} {}", print_expr(s.target), op.text(), print_expr(s.value)))
                .collect();
            let details = format!("{} using {index} where {}", print_node(start), bounds.join(" AND "));
            row("  NodeIndexSeekByRange", details)
        }
        _ if !start.labels.is_empty() => row("  NodeByLabelScan", print_node(start)),
        _ => row("  AllNodesScan", print_node(start)),
    }
    let filter = |step: usize, row: &mut dyn FnMut(&'static str, String)| {
        checks.get(step).into_iter().flatten().for_each(|c| row("  Filter", print_expr(c)))
    };
    filter(0, row);
    let mut from = start;
    for (step, (rel, node)) in part.element.chain.iter().enumerate() {
        row(if rel.length.is_some() { "  VarLengthExpand" } else { "  Expand" }, print_hop(from, rel, node));
        filter(step + 1, row);
        from = node;
    }
}

fn bind_pattern(part: &PatternPart, bound: &mut BTreeSet<String>) {
    let element = &part.element;
    let nodes = std::iter::once(&element.start).chain(element.chain.iter().map(|(_, n)| n));
    bound.extend(nodes.filter_map(|n| n.var.as_ref()).map(|v| v.name.clone()));
    bound.extend(element.chain.iter().filter_map(|(r, _)| r.var.as_ref()).map(|v| v.name.clone()));
    bound.extend(part.var.as_ref().map(|v| v.name.clone()));
}
