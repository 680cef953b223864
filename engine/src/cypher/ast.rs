//! The Cypher abstract syntax tree.
//!
//! Invariants: every expression and pattern element carries the byte [`Span`] of its source
//! text, so errors can point at it and projections can name their columns with the text as
//! written; the tree can be printed back to canonical Cypher ([`super::print`]) and reparsed
//! to an equal tree (spans aside).

/// Half-open byte range `[start, end)` into the query text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// A whole request: a query, possibly behind `EXPLAIN`.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub explain: bool,
    pub query: Query,
}

/// One or more single queries joined by `UNION` / `UNION ALL`.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub first: SingleQuery,
    /// `(all, query)`: `all` is true for `UNION ALL`.
    pub unions: Vec<(bool, SingleQuery)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SingleQuery {
    pub clauses: Vec<Clause>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    Match(Match),
    Unwind(Unwind),
    With(Projection),
    Return(Projection),
    Create(Create),
    Merge(Merge),
    Set(Set),
    Remove(Remove),
    Delete(Delete),
    Call(Call),
    /// Index and constraint commands; a schema command stands alone.
    Schema(SchemaClause),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SchemaClause {
    pub command: Schema,
    pub span: Span,
}

/// `CREATE INDEX`, `CREATE CONSTRAINT … IS UNIQUE`, `DROP INDEX|CONSTRAINT`, `SHOW INDEXES|CONSTRAINTS`.
#[derive(Clone, Debug, PartialEq)]
pub enum Schema {
    /// `CREATE INDEX [name] [IF NOT EXISTS] FOR (var:Label) ON (var.property)`, or with
    /// `unique`: `CREATE CONSTRAINT [name] [IF NOT EXISTS] FOR (var:Label) REQUIRE var.property IS UNIQUE`.
    Create {
        unique: bool,
        name: Option<Ident>,
        if_not_exists: bool,
        var: Ident,
        label: Ident,
        property: Ident,
    },
    Drop {
        constraint: bool,
        name: Ident,
        if_exists: bool,
    },
    Show {
        constraints: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    pub optional: bool,
    pub pattern: Vec<PatternPart>,
    pub where_: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Unwind {
    pub expr: Expr,
    pub var: Ident,
    pub span: Span,
}

/// The body of `WITH` and `RETURN`.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    pub distinct: bool,
    /// `*` (all variables in scope), possibly followed by more items.
    pub star: bool,
    pub items: Vec<ProjectionItem>,
    pub order_by: Vec<SortItem>,
    pub skip: Option<Expr>,
    pub limit: Option<Expr>,
    /// Only for `WITH`.
    pub where_: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionItem {
    pub expr: Expr,
    pub alias: Option<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SortItem {
    pub expr: Expr,
    pub descending: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Create {
    pub pattern: Vec<PatternPart>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Merge {
    pub pattern: PatternPart,
    pub on_create: Vec<SetItem>,
    pub on_match: Vec<SetItem>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Set {
    pub items: Vec<SetItem>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SetItem {
    /// `target.key = value` where `target` is any expression that yields an entity or map.
    Property { target: Expr, key: Ident, value: Expr },
    /// `n = {map}`
    Replace { var: Ident, value: Expr },
    /// `n += {map}`
    Merge { var: Ident, value: Expr },
    /// `n:A:B`
    Labels { var: Ident, labels: Vec<Ident> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Remove {
    pub items: Vec<RemoveItem>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RemoveItem {
    Property { target: Expr, key: Ident },
    Labels { var: Ident, labels: Vec<Ident> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Delete {
    pub detach: bool,
    pub exprs: Vec<Expr>,
    pub span: Span,
}

/// `CALL ns.proc(args) YIELD a AS b, c WHERE ...` (standalone or in-query).
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Dotted name, e.g. `["test", "my", "proc"]`.
    pub name: Vec<Ident>,
    /// `None` when called without parentheses (implicit arguments from parameters).
    pub args: Option<Vec<Expr>>,
    /// `None` without `YIELD`; `Some(vec![])` never occurs (`YIELD *` sets `yield_star`).
    pub yields: Option<Vec<YieldItem>>,
    pub yield_star: bool,
    pub where_: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct YieldItem {
    pub field: Ident,
    pub alias: Option<Ident>,
}

/// A name as written (unescaped if it was back-quoted), with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `p = shortestPath((a)-[*]->(b))` or just `(a)-->(b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternPart {
    pub var: Option<Ident>,
    pub shortest: Option<ShortestKind>,
    pub element: PatternElement,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShortestKind {
    Shortest,
    AllShortest,
}

/// A node followed by zero or more (relationship, node) steps.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternElement {
    pub start: NodePattern,
    pub chain: Vec<(RelPattern, NodePattern)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodePattern {
    pub var: Option<Ident>,
    pub labels: Vec<Ident>,
    /// A map literal or a parameter.
    pub props: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `-[]->`
    Outgoing,
    /// `<-[]-`
    Incoming,
    /// `-[]-` (or `<-[]->`)
    Both,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RelPattern {
    pub var: Option<Ident>,
    /// Alternatives: `[:A|B]` is `["A", "B"]`; empty means any type.
    pub types: Vec<Ident>,
    pub direction: Direction,
    /// Variable length `*min..max`; `Some(Range { min: None, max: None })` is a bare `*`.
    pub length: Option<LengthRange>,
    pub props: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthRange {
    pub min: Option<u64>,
    pub max: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// `$name` or `$0`.
    Parameter(String),
    Variable(String),
    /// `expr.key`
    Property(Box<Expr>, Ident),
    List(Vec<Expr>),
    /// `{k: v, ...}` in source order.
    Map(Vec<(Ident, Expr)>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `a < b <= c` keeps the chain: `a < b AND b <= c` with `b` evaluated once.
    Comparison(Box<Expr>, Vec<(CompareOp, Expr)>),
    /// `expr IS NULL` (`negated`: `IS NOT NULL`).
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `expr:A:B` label predicate.
    HasLabels(Box<Expr>, Vec<Ident>),
    /// `list[index]`
    Index(Box<Expr>, Box<Expr>),
    /// `list[from..to]`
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    /// `name(args)`, `ns.name(DISTINCT args)`; the name is stored as written.
    FunctionCall {
        name: Vec<Ident>,
        distinct: bool,
        args: Vec<Expr>,
    },
    /// `count(*)`
    CountStar,
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        else_: Option<Box<Expr>>,
    },
    /// `[x IN list WHERE pred | map]`
    ListComprehension {
        var: Ident,
        list: Box<Expr>,
        filter: Option<Box<Expr>>,
        map: Option<Box<Expr>>,
    },
    /// `all(x IN list WHERE pred)` and friends.
    Quantifier {
        kind: Quantifier,
        var: Ident,
        list: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
    /// `reduce(acc = init, x IN list | expr)`
    Reduce {
        acc: Ident,
        init: Box<Expr>,
        var: Ident,
        list: Box<Expr>,
        expr: Box<Expr>,
    },
    /// `[p = (a)-->(b) WHERE pred | map]`
    PatternComprehension {
        var: Option<Ident>,
        pattern: Box<PatternElement>,
        filter: Option<Box<Expr>>,
        map: Box<Expr>,
    },
    /// A relationship pattern used as a predicate: `WHERE (a)-->(b)`.
    PatternPredicate(Box<PatternElement>),
    /// `EXISTS { MATCH ... WHERE ... }` or `EXISTS { (a)-->(b) WHERE ... }`.
    Exists(Box<ExistsSubquery>),
    /// `n {.name, .age, key: expr, var, .*}`
    MapProjection {
        var: Ident,
        items: Vec<MapProjectionItem>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExistsSubquery {
    /// A full query body (`MATCH ... [WHERE ...] [RETURN ...]`).
    Query(Query),
    /// A bare pattern list with an optional `WHERE`.
    Pattern { pattern: Vec<PatternPart>, where_: Option<Expr> },
}

#[derive(Clone, Debug, PartialEq)]
pub enum MapProjectionItem {
    /// `.key`
    Property(Ident),
    /// `key: expr`
    Literal(Ident, Expr),
    /// `var` (adds `var: var`)
    Variable(Ident),
    /// `.*`
    AllProperties,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    All,
    Any,
    None,
    Single,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Boolean(bool),
    Integer(i64),
    Float(f64),
    String(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Negate,
    Plus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    Xor,
    And,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    Power,
    In,
    StartsWith,
    EndsWith,
    Contains,
    RegexMatch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }
}
