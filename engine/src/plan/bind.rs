//! Binding pattern variables: each name keeps one kind (node, relationship, path) for the whole
//! query, a path name is always new, and writes may not redeclare what is already bound.
use super::semantics::{Scope, Ty};
use super::Planner;
use crate::cypher::ast::*;
use crate::error::Result;

/// How a pattern is used: read (`MATCH`, pattern expressions), `CREATE`, or `MERGE`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Use {
    Read,
    Create,
    Merge,
}

impl Planner<'_> {
    pub(super) fn bind_match(&self, parts: &[PatternPart], scope: &mut Scope) -> Result<()> {
        let mut local_rels = Vec::new();
        parts.iter().try_for_each(|p| self.bind_part(p, scope, Use::Read, &mut local_rels))
    }

    pub(super) fn bind_create(&self, parts: &[PatternPart], scope: &mut Scope) -> Result<()> {
        let mut local_rels = Vec::new();
        parts.iter().try_for_each(|p| self.bind_part(p, scope, Use::Create, &mut local_rels))
    }

    pub(super) fn bind_merge(&self, m: &Merge, scope: &mut Scope) -> Result<()> {
        let mut local_rels = Vec::new();
        self.bind_part(&m.pattern, scope, Use::Merge, &mut local_rels)?;
        m.on_create.iter().chain(&m.on_match).try_for_each(|item| self.check_set_item(item, scope))
    }

    fn bind_part(&self, part: &PatternPart, scope: &mut Scope, how: Use, local_rels: &mut Vec<String>) -> Result<()> {
        let element = &part.element;
        let single = element.chain.is_empty();
        self.bind_node(&element.start, scope, how, single)?;
        for (rel, node) in &element.chain {
            self.bind_rel(rel, scope, how, local_rels)?;
            self.bind_node(node, scope, how, false)?;
        }
        if let Some(v) = &part.var {
            if scope.contains_key(&v.name) {
                return Err(self.fail(
                    "VariableAlreadyBound",
                    format!("variable `{}` already declared", v.name),
                    v.span,
                ));
            }
            scope.insert(v.name.clone(), Ty::Path);
        }
        Ok(())
    }

    fn check_props(&self, props: Option<&Expr>, scope: &Scope, how: Use) -> Result<()> {
        let Some(p) = props else { return Ok(()) };
        if how != Use::Create && matches!(p.kind, ExprKind::Parameter(_)) {
            return Err(self.fail(
                "InvalidParameterUse",
                "a parameter cannot stand for pattern properties here",
                p.span,
            ));
        }
        self.check_expr(p, scope, false)
    }

    fn bind_node(&self, node: &NodePattern, scope: &mut Scope, how: Use, single: bool) -> Result<()> {
        self.check_props(node.props.as_ref(), scope, how)?;
        let Some(v) = &node.var else { return Ok(()) };
        match scope.get(&v.name) {
            None => {
                scope.insert(v.name.clone(), Ty::Node);
                Ok(())
            }
            Some(Ty::Node | Ty::Any) => {
                let redeclared = !node.labels.is_empty() || node.props.is_some() || single;
                if how != Use::Read && redeclared {
                    return Err(self.already_bound(v));
                }
                Ok(())
            }
            Some(t) => Err(self.type_conflict(v, "a node", *t)),
        }
    }

    fn bind_rel(&self, rel: &RelPattern, scope: &mut Scope, how: Use, local_rels: &mut Vec<String>) -> Result<()> {
        self.check_props(rel.props.as_ref(), scope, how)?;
        if how != Use::Read {
            self.check_creatable(rel, how)?;
        }
        let Some(v) = &rel.var else { return Ok(()) };
        let bound = scope.get(&v.name).copied();
        if how != Use::Read && bound.is_some() {
            return Err(self.already_bound(v));
        }
        match (bound, rel.length.is_some()) {
            (None, true) => {
                scope.insert(v.name.clone(), Ty::List);
            }
            (None, false) => {
                scope.insert(v.name.clone(), Ty::Rel);
                local_rels.push(v.name.clone());
            }
            (Some(Ty::Any), _) | (Some(Ty::List), true) => {}
            (Some(Ty::Rel), false) if local_rels.contains(&v.name) => {
                return Err(self.fail(
                    "RelationshipUniquenessViolation",
                    format!("relationship `{}` is used twice in one pattern", v.name),
                    v.span,
                ))
            }
            (Some(Ty::Rel), false) => {}
            (Some(t), _) => return Err(self.type_conflict(v, "a relationship", t)),
        }
        Ok(())
    }

    fn already_bound(&self, v: &Ident) -> crate::error::Error {
        self.fail("VariableAlreadyBound", format!("variable `{}` already declared", v.name), v.span)
    }

    fn type_conflict(&self, v: &Ident, wanted: &str, t: Ty) -> crate::error::Error {
        self.fail(
            "VariableTypeConflict",
            format!("variable `{}` is used as {wanted} but is a {}", v.name, t.name()),
            v.span,
        )
    }

    fn check_creatable(&self, rel: &RelPattern, how: Use) -> Result<()> {
        if rel.types.len() != 1 {
            return Err(self.fail(
                "NoSingleRelationshipType",
                "a relationship to create needs exactly one type",
                rel.span,
            ));
        }
        if rel.direction == Direction::Both && how == Use::Create {
            return Err(self.fail(
                "RequiresDirectedRelationship",
                "only directed relationships can be created",
                rel.span,
            ));
        }
        if rel.length.is_some() {
            return Err(self.fail("CreatingVarLength", "variable length relationships cannot be created", rel.span));
        }
        Ok(())
    }

    /// Pattern predicates, `EXISTS { ... }` and pattern comprehensions: their patterns may
    /// introduce variables that are visible only inside them.
    pub(super) fn check_pattern_expr(&self, e: &Expr, scope: &Scope) -> Result<()> {
        match &e.kind {
            ExprKind::PatternPredicate(element) => {
                let mut inner = scope.clone();
                let part = PatternPart { var: None, shortest: None, element: (**element).clone(), span: element.span };
                self.bind_match(std::slice::from_ref(&part), &mut inner)?;
                // A pattern predicate may only mention variables that are already bound.
                match inner.keys().find(|k| !scope.contains_key(*k)) {
                    Some(v) => Err(self.fail(
                        "UndefinedVariable",
                        format!("variable `{v}` not defined (a pattern predicate cannot introduce it)"),
                        element.span,
                    )),
                    None => Ok(()),
                }
            }
            ExprKind::PatternComprehension { var, pattern, filter, map } => {
                let mut inner = scope.clone();
                let part =
                    PatternPart { var: var.clone(), shortest: None, element: (**pattern).clone(), span: pattern.span };
                self.bind_match(std::slice::from_ref(&part), &mut inner)?;
                filter.iter().try_for_each(|f| self.check_expr(f, &inner, false))?;
                self.check_expr(map, &inner, false)
            }
            ExprKind::Exists(sub) => match &**sub {
                ExistsSubquery::Pattern { pattern, where_ } => {
                    let mut inner = scope.clone();
                    self.bind_match(pattern, &mut inner)?;
                    where_.iter().try_for_each(|w| self.check_expr(w, &inner, false))
                }
                ExistsSubquery::Query(q) => super::subquery(self.text, q, scope).map(|_| ()),
            },
            _ => Ok(()),
        }
    }
}
