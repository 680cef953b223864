//! Cypher front end: parse openCypher 9 text into an [`ast::Statement`] and print ASTs back as
//! canonical Cypher.
//!
//! Invariants:
//! - [`parse`] never panics and never overflows the stack, whatever the input: trees deeper
//!   than [`MAX_DEPTH`] are rejected with a [`SyntaxError`], so any recursion over a parsed
//!   tree (printing, planning, dropping) is bounded too.
//! - Every expression's span covers exactly its source text, so a projection without an alias
//!   is named `&text[expr.span.start..expr.span.end]`.
//! - `parse(&print(&parse(q)?))` equals `parse(q)`, spans aside.
//! - Syntax only: clause order, variable scopes and types are checked later, by the planner.

pub mod ast;
mod lexer;
mod parser;
mod printer;
mod syntax;

#[cfg(test)]
mod tck;
#[cfg(test)]
mod tests;

use std::fmt;

pub use parser::MAX_DEPTH;

/// Parses one statement (an optional `EXPLAIN`, a query, an optional trailing `;`).
pub fn parse(text: &str) -> Result<ast::Statement, SyntaxError> {
    parser::parse(text)
}

/// Prints a statement as canonical Cypher.
pub fn print(stmt: &ast::Statement) -> String {
    printer::statement(stmt)
}

/// Prints an expression as canonical Cypher.
pub fn print_expr(e: &ast::Expr) -> String {
    printer::expression(e)
}

/// Prints one clause as canonical Cypher.
pub fn print_clause(c: &ast::Clause) -> String {
    printer::clause(c)
}

/// Prints a node pattern, `(a:Label {k: v})`.
pub fn print_node(n: &ast::NodePattern) -> String {
    printer::node(n)
}

/// Prints one hop of a pattern, `(a)-[r:T]->(b)`.
pub fn print_hop(from: &ast::NodePattern, rel: &ast::RelPattern, to: &ast::NodePattern) -> String {
    printer::hop(from, rel, to)
}

/// Why a query failed to parse, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// What was expected and what was found, e.g. "expected `)` but found end of input".
    pub message: String,
    /// The openCypher TCK detail name where one applies (`UnexpectedSyntax`, `IntegerOverflow`,
    /// `InvalidUnicodeLiteral`, ...), else `NestingTooDeep` for queries beyond [`MAX_DEPTH`].
    pub detail: &'static str,
    /// Byte offset into the query text.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl SyntaxError {
    fn new(text: &str, message: String, detail: &'static str, offset: usize) -> Self {
        let before = text.get(..offset).unwrap_or(text);
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        let line = before.matches('\n').count() + 1;
        let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
        SyntaxError { message, detail, offset, line, column }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (line {}, column {})", self.message, self.line, self.column)
    }
}

impl std::error::Error for SyntaxError {}
