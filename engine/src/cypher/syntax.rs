//! Lexical and precedence facts shared by the lexer, the parser and the printer, so that what
//! the printer writes is exactly what the parser reads back.

use super::ast::{BinaryOp, CompareOp};

/// openCypher's reserved words plus the literal words: none may be an unquoted variable name.
/// Labels, relationship types, property and map keys may still be any of them.
#[rustfmt::skip]
const RESERVED: [&str; 53] = [
    "ALL", "ASC", "ASCENDING", "BY", "CREATE", "DELETE", "DESC", "DESCENDING", "DETACH", "EXISTS",
    "LIMIT", "MATCH", "MERGE", "ON", "OPTIONAL", "ORDER", "REMOVE", "RETURN", "SET", "SKIP", "WHERE",
    "WITH", "UNION", "UNWIND", "AND", "AS", "CONTAINS", "DISTINCT", "ENDS", "IN", "IS", "NOT", "OR",
    "STARTS", "XOR", "CASE", "ELSE", "END", "THEN", "WHEN", "CONSTRAINT", "DO", "FOR", "REQUIRE",
    "UNIQUE", "MANDATORY", "SCALAR", "OF", "ADD", "DROP", "NULL", "TRUE", "FALSE",
];

pub(super) fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// Words that, followed by `(`, may start a special form (a quantifier or `reduce`) instead
/// of a function call.
pub(super) fn names_special_form(word: &str) -> bool {
    ["ALL", "ANY", "NONE", "SINGLE", "REDUCE"].iter().any(|f| f.eq_ignore_ascii_case(word))
}

pub(super) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

pub(super) fn is_ident_part(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// True when `name` lexes as a single unquoted word.
pub(super) fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_ident_start) && chars.all(is_ident_part)
}

/// Operator precedence, loosest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Prec {
    Or,
    Xor,
    And,
    Not,
    Comparison,
    /// `IN`, `STARTS WITH`, `ENDS WITH`, `CONTAINS`, `=~`, `IS [NOT] NULL`.
    Predicate,
    Additive,
    Multiplicative,
    Power,
    Unary,
    /// `expr:A:B`
    Labels,
    /// `.key`, `[index]`, `[from..to]`
    Postfix,
    Atom,
}

impl Prec {
    /// The next tighter level: the right operand of a left-associative operator binds at least this tightly.
    pub(super) fn tighter(self) -> Prec {
        match self {
            Prec::Or => Prec::Xor,
            Prec::Xor => Prec::And,
            Prec::And => Prec::Not,
            Prec::Not => Prec::Comparison,
            Prec::Comparison => Prec::Predicate,
            Prec::Predicate => Prec::Additive,
            Prec::Additive => Prec::Multiplicative,
            Prec::Multiplicative => Prec::Power,
            Prec::Power => Prec::Unary,
            Prec::Unary => Prec::Labels,
            Prec::Labels => Prec::Postfix,
            Prec::Postfix | Prec::Atom => Prec::Atom,
        }
    }
}

/// How a binary operator is written and how tightly it binds.
pub(super) fn binary_syntax(op: BinaryOp) -> (&'static str, Prec) {
    match op {
        BinaryOp::Or => ("OR", Prec::Or),
        BinaryOp::Xor => ("XOR", Prec::Xor),
        BinaryOp::And => ("AND", Prec::And),
        BinaryOp::Add => ("+", Prec::Additive),
        BinaryOp::Subtract => ("-", Prec::Additive),
        BinaryOp::Multiply => ("*", Prec::Multiplicative),
        BinaryOp::Divide => ("/", Prec::Multiplicative),
        BinaryOp::Modulo => ("%", Prec::Multiplicative),
        BinaryOp::Power => ("^", Prec::Power),
        BinaryOp::In => ("IN", Prec::Predicate),
        BinaryOp::StartsWith => ("STARTS WITH", Prec::Predicate),
        BinaryOp::EndsWith => ("ENDS WITH", Prec::Predicate),
        BinaryOp::Contains => ("CONTAINS", Prec::Predicate),
        BinaryOp::RegexMatch => ("=~", Prec::Predicate),
    }
}

pub(super) fn compare_text(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    }
}
