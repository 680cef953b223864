//! Index and constraint commands: `CREATE INDEX`, `CREATE CONSTRAINT … IS UNIQUE`, `DROP …`,
//! `SHOW INDEXES|CONSTRAINTS`. An index covers one property of the nodes with one label and
//! is kept in the same commit as the data; a uniqueness constraint is a unique index, checked
//! at the end of every transaction ([`Tx::check`]).
use super::Row;
use crate::cypher::ast::Schema;
use crate::error::{Code, Error, Result};
use crate::graph::{IndexDef, Tx, Value};
use crate::plan::SHOW_COLUMNS;

pub(super) fn run(cmd: &Schema, tx: &mut Tx) -> Result<Vec<Row>> {
    let fail = |detail: &'static str, message: String| Err(Error::runtime(Code::SemanticError, detail, message));
    match cmd {
        Schema::Show { constraints } => Ok(tx
            .graph()
            .schema()
            .iter()
            .filter(|(_, d)| d.unique || !constraints)
            .map(|(name, d)| {
                let kind = if d.unique { "UNIQUENESS" } else { "RANGE" };
                let values = [name.as_str(), kind, d.label.as_str(), d.property.as_str()];
                SHOW_COLUMNS.iter().zip(values).map(|(c, v)| (c.to_string(), Value::String(v.to_string()))).collect()
            })
            .collect()),
        Schema::Drop { constraint, name, if_exists } => {
            let what = if *constraint { "constraint" } else { "index" };
            match tx.graph().schema().get(&name.name) {
                Some(d) if d.unique == *constraint => tx.set_index(&name.name, None),
                Some(_) => {
                    let other =
                        if *constraint { "an index; use DROP INDEX" } else { "a constraint; use DROP CONSTRAINT" };
                    return fail("SchemaKindMismatch", format!("`{}` is {other}", name.name));
                }
                None if *if_exists => {}
                None => return fail("SchemaRuleNotFound", format!("there is no {what} named `{}`", name.name)),
            }
            Ok(vec![Row::new()])
        }
        Schema::Create { unique, name, if_not_exists, label, property, .. } => {
            let kind = if *unique { "constraint" } else { "index" };
            let name =
                name.as_ref().map_or_else(|| format!("{kind}_{}_{}", label.name, property.name), |n| n.name.clone());
            let def = IndexDef { label: label.name.clone(), property: property.name.clone(), unique: *unique };
            let schema = tx.graph().schema();
            if schema.get(&name) == Some(&def) && *if_not_exists {
                return Ok(vec![Row::new()]);
            }
            if schema.contains_key(&name) {
                return fail(
                    "SchemaRuleAlreadyExists",
                    format!("an index or constraint named `{name}` already exists"),
                );
            }
            if let Some((other, _)) = tx.graph().index_on(&def.label, &def.property) {
                if *if_not_exists {
                    return Ok(vec![Row::new()]);
                }
                return fail(
                    "EquivalentSchemaRuleAlreadyExists",
                    format!("`{other}` already covers :{}({}); drop it first", def.label, def.property),
                );
            }
            tx.set_index(&name, Some(def));
            Ok(vec![Row::new()])
        }
    }
}
