//! Index seeks: which conjuncts of a `MATCH`'s `WHERE` an index could use to find a pattern
//! part's start node, and which index a start node seeks. The executor and `EXPLAIN` both ask
//! [`index_seek`], so the plan shown is the plan run.
//!
//! Invariant: a seek only narrows the start node's candidates to a superset of the answer.
//! Every conjunct a seek is built from must be true for a row to pass `WHERE` (it is one side
//! of an `AND`, or one link of a comparison chain), and `WHERE` and the pattern still check
//! every candidate, so a seek never changes a result.
use super::filter::conjuncts;
use super::Scope;
use crate::cypher::ast::*;

/// A conjunct `property op value` on a part's start node, the property on the left (`5 < n.p`
/// is `n.p > 5`), where the start node is new in the `MATCH` and the value reads only literals,
/// parameters and variables bound before it (so it is evaluated once per input row).
#[derive(Debug)]
pub struct Seek<'a> {
    /// `n.p` as written.
    pub target: &'a Expr,
    pub property: &'a str,
    pub op: SeekOp,
    pub value: &'a Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeekOp {
    Eq,
    Range(RangeOp),
}

/// One side of a range: `<`, `<=`, `>`, `>=`, or `STARTS WITH` (the strings from the prefix up
/// to the next string that does not start with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeOp {
    Lt,
    Le,
    Gt,
    Ge,
    StartsWith,
}

impl RangeOp {
    pub fn text(self) -> &'static str {
        match self {
            RangeOp::Lt => "<",
            RangeOp::Le => "<=",
            RangeOp::Gt => ">",
            RangeOp::Ge => ">=",
            RangeOp::StartsWith => "STARTS WITH",
        }
    }
}

/// How a start node is found through the index `N` names.
#[derive(Debug)]
pub enum IndexSeek<'e, N> {
    /// The property equals `value` (from the node's property map or a `WHERE` equality).
    Equal { index: N, value: &'e Expr },
    /// Every range conjunct on the indexed property: a candidate must satisfy them all.
    Range { index: N, bounds: Vec<(RangeOp, &'e Seek<'e>)> },
}

/// The index `node` seeks, where `index(label, property)` names the index on a label and a
/// property: an equality on any of its labels first (from its property map, then `seeks`),
/// else the range conjuncts of `seeks` on the first indexed property.
pub fn index_seek<'e, N>(
    node: &'e NodePattern,
    seeks: &'e [Seek<'e>],
    index: impl Fn(&str, &str) -> Option<N>,
) -> Option<IndexSeek<'e, N>> {
    let map = match &node.props {
        Some(Expr { kind: ExprKind::Map(entries), .. }) => entries.as_slice(),
        _ => &[],
    };
    // A key given twice keeps its last value, as the map does.
    let last = |(i, (k, _)): &(usize, &(Ident, Expr))| map.iter().skip(i + 1).all(|(l, _)| l.name != k.name);
    let equalities = map
        .iter()
        .enumerate()
        .filter(last)
        .map(|(_, (k, e))| (k.name.as_str(), e))
        .chain(seeks.iter().filter(|s| s.op == SeekOp::Eq).map(|s| (s.property, s.value)));
    for label in &node.labels {
        for (property, value) in equalities.clone() {
            if let Some(index) = index(&label.name, property) {
                return Some(IndexSeek::Equal { index, value });
            }
        }
    }
    let ranges = || {
        seeks.iter().filter_map(|s| match s.op {
            SeekOp::Range(op) => Some((op, s)),
            SeekOp::Eq => None,
        })
    };
    for label in &node.labels {
        for (_, s) in ranges() {
            if let Some(index) = index(&label.name, s.property) {
                let bounds = ranges().filter(|(_, b)| b.property == s.property).collect();
                return Some(IndexSeek::Range { index, bounds });
            }
        }
    }
    None
}

/// Per pattern part, the conjuncts of `where_` an index could seek for the part's start node
/// (see [`Seek`]); `before` is the scope before the `MATCH`.
pub(super) fn seeks<'a>(parts: &[PatternPart], where_: Option<&'a Expr>, before: &Scope) -> Vec<Vec<Seek<'a>>> {
    let all = where_.map(conjuncts).unwrap_or_default();
    parts
        .iter()
        .map(|part| {
            let mut out = Vec::new();
            if let Some(var) = part.element.start.var.as_ref().filter(|v| !before.contains_key(&v.name)) {
                all.iter().for_each(|c| conjunct_seeks(c, &var.name, before, &mut out));
            }
            out
        })
        .collect()
}

/// Whether a conjunct of `where_` could seek an index for variable `var`, with `bound` the
/// variables bound before it is matched.
pub(super) fn has_seek(where_: &Expr, var: &str, bound: &std::collections::BTreeSet<String>) -> bool {
    let scope: Scope = bound.iter().map(|v| (v.clone(), super::Ty::Any)).collect();
    let mut out = Vec::new();
    conjuncts(where_).iter().for_each(|c| conjunct_seeks(c, var, &scope, &mut out));
    !out.is_empty()
}

/// The seeks one conjunct gives on `var`: each link of a comparison chain (`1 <= n.p < 10` is
/// `1 <= n.p AND n.p < 10`) and `n.p STARTS WITH value`.
fn conjunct_seeks<'a>(c: &'a Expr, var: &str, before: &Scope, out: &mut Vec<Seek<'a>>) {
    let property_of_var = |e: &'a Expr| match &e.kind {
        ExprKind::Property(t, key) if matches!(&t.kind, ExprKind::Variable(v) if v == var) => Some(key.name.as_str()),
        _ => None,
    };
    // `lhs op rhs`, which reads `rhs flipped lhs` the other way round.
    let mut seek = |lhs: &'a Expr, op: SeekOp, flipped: Option<SeekOp>, rhs: &'a Expr| {
        let (target, property, op, value) = match (property_of_var(lhs), property_of_var(rhs), flipped) {
            (Some(property), None, _) if row_constant(rhs, before) => (lhs, property, op, rhs),
            (None, Some(property), Some(op)) if row_constant(lhs, before) => (rhs, property, op, lhs),
            _ => return,
        };
        out.push(Seek { target, property, op, value });
    };
    match &c.kind {
        ExprKind::Comparison(first, links) => {
            let mut lhs = &**first;
            for (op, rhs) in links {
                let (lt, le, gt, ge) = (RangeOp::Lt, RangeOp::Le, RangeOp::Gt, RangeOp::Ge);
                let ops = match op {
                    CompareOp::Eq => Some((SeekOp::Eq, SeekOp::Eq)),
                    CompareOp::Ne => None,
                    CompareOp::Lt => Some((SeekOp::Range(lt), SeekOp::Range(gt))),
                    CompareOp::Le => Some((SeekOp::Range(le), SeekOp::Range(ge))),
                    CompareOp::Gt => Some((SeekOp::Range(gt), SeekOp::Range(lt))),
                    CompareOp::Ge => Some((SeekOp::Range(ge), SeekOp::Range(le))),
                };
                if let Some((op, flipped)) = ops {
                    seek(lhs, op, Some(flipped), rhs);
                }
                lhs = rhs;
            }
        }
        ExprKind::Binary(BinaryOp::StartsWith, lhs, rhs) => seek(lhs, SeekOp::Range(RangeOp::StartsWith), None, rhs),
        _ => {}
    }
}

/// Whether `e` is the same for every candidate and every run: it reads only literals,
/// parameters and variables in `before` (no functions, so no chance either).
fn row_constant(e: &Expr, before: &Scope) -> bool {
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Parameter(_) => true,
        ExprKind::Variable(v) => before.contains_key(v),
        ExprKind::Property(target, _) => row_constant(target, before),
        ExprKind::List(items) => items.iter().all(|i| row_constant(i, before)),
        ExprKind::Map(entries) => entries.iter().all(|(_, v)| row_constant(v, before)),
        _ => false,
    }
}
