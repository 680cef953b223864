//! `MERGE`: per input row, match the whole pattern or else create it, then run the
//! `ON MATCH` / `ON CREATE` items. Rows are merged one after the other, so a later row sees
//! what an earlier one created.
use super::{create_part, evaluator, pattern, row_bytes, set_item, Budget, Row};
use crate::cypher::ast::*;
use crate::error::{Code, Error, Result};
use crate::graph::{Tx, Value};
use std::collections::BTreeMap;

pub fn run(
    m: &Merge,
    rows: Vec<Row>,
    tx: &mut Tx,
    params: &BTreeMap<String, Value>,
    budget: &Budget,
) -> Result<Vec<Row>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        budget.tick(1)?;
        check_null_props(m, &row, tx, params, budget)?;
        // The matches are charged as they are found, then again as output rows.
        let mark = budget.held();
        let found = pattern::match_patterns(&evaluator(tx, params, budget), std::slice::from_ref(&m.pattern), &row)?;
        budget.release_to(mark);
        if found.is_empty() {
            let mut r = row;
            create_part(&m.pattern, &mut r, tx, params, budget)?;
            m.on_create.iter().try_for_each(|item| set_item(item, &r, tx, params, budget))?;
            out.push(r);
        } else {
            for r in found {
                m.on_match.iter().try_for_each(|item| set_item(item, &r, tx, params, budget))?;
                budget.charge(row_bytes(&r))?;
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// A property that would be merged on null can never match and cannot be stored.
fn check_null_props(
    m: &Merge,
    row: &Row,
    tx: &mut Tx,
    params: &BTreeMap<String, Value>,
    budget: &Budget,
) -> Result<()> {
    let ev = evaluator(tx, params, budget);
    let element = &m.pattern.element;
    let props = std::iter::once(element.start.props.as_ref())
        .chain(element.chain.iter().flat_map(|(r, n)| [r.props.as_ref(), n.props.as_ref()]))
        .flatten();
    for p in props {
        if let Value::Map(map) = ev.eval(p, row)? {
            if let Some((k, _)) = map.iter().find(|(_, v)| v.is_null()) {
                return Err(Error::runtime(
                    Code::SemanticError,
                    "MergeReadOwnWrites",
                    format!("cannot merge using null property value for `{k}`"),
                ));
            }
        }
    }
    Ok(())
}
