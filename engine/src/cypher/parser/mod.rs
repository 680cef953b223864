//! Parser: tokens to AST, as winnow parsers over a [`TokenSlice`] with [`State`].
//!
//! Invariants:
//! - Never panics, whatever the input: no indexing, every depth is checked.
//! - The AST is at most [`MAX_DEPTH`] levels deep: [`enter`] counts parser recursion and
//!   [`Measure`]/[`reach`] count the height of trees built by loops (operator chains), so the
//!   parser, the printer, `Drop` and every later recursive pass stay within a small stack.
//! - Errors report the furthest position any alternative reached ([`Error::or`]), even one
//!   abandoned for another that parsed further on ([`abandon`]).
//! - Speculative parses (pattern or expression? pattern comprehension or list?) memoize every
//!   expression they parse, so backtracking re-parses nothing and stays linear.

mod clause;
mod expr;
mod pattern;

use std::collections::HashMap;

use winnow::error::{ErrMode, ParserError};
use winnow::prelude::*;
use winnow::stream::{Stateful, Stream, TokenSlice};

use super::ast::{Expr, Ident, Span, Statement};
use super::lexer::{lex, Punct, Token, TokenKind};
use super::syntax::is_reserved;
use super::SyntaxError;

/// Deepest nesting accepted. Each expression is a level, and so is each bracketed construct in it
/// (`(..)`, `[..]`, `{..}`, call arguments, `CASE`, subqueries, patterns), and each operator
/// applied to an operand, since `a + b + c` builds a tree as deep as `a + (b + c)`: in all,
/// `RETURN ((1))` nests 5 levels (three expressions, two parentheses) and `RETURN a OR a OR a` 3.
///
/// Stack use, measured natively by the `stack_use_per_level` test on an optimized build: a level
/// costs 1.3 KiB (parentheses) to 1.9 KiB (a pattern comprehension: 7.5 KiB for its 4 levels), so
/// the deepest query accepted needs at most ~190 KiB of parser stack. That fits the 256 KiB test
/// thread, and on wasm32 (smaller frames; checked with node) it fits even a 128 KiB stack, an
/// eighth of the default 1 MiB, which leaves the planner and evaluator, whose recursion follows
/// the same bounded tree, most of it. Debug builds need about 3.5 times as much. 100 allows
/// about 50 nested parentheses, lists or calls and operator chains of 100 operands.
pub const MAX_DEPTH: usize = 100;

pub(super) type Input<'a> = Stateful<TokenSlice<'a, Token<'a>>, State>;
pub(super) type PResult<T> = ModalResult<T, Error>;

pub(super) fn parse(text: &str) -> Result<Statement, SyntaxError> {
    let tokens = lex(text);
    let state = State {
        tokens: tokens.len(),
        text_len: text.len(),
        depth: 0,
        peak: 0,
        predicates: false,
        speculating: 0,
        abandoned: None,
        memo: HashMap::new(),
    };
    let mut input = Input { input: TokenSlice::new(&tokens), state };
    let result = clause::statement(&mut input);
    result.map_err(|e| {
        let e = match (e, input.state.abandoned) {
            // An abandoned alternative that got further than what was kept shows the likelier mistake.
            (ErrMode::Backtrack(e), Some(abandoned)) => e.or(abandoned),
            (ErrMode::Backtrack(e) | ErrMode::Cut(e), _) => e,
            (ErrMode::Incomplete(_), _) => Error::expected_at(tokens.len(), Expected::Thing("more input")),
        };
        e.into_syntax_error(text, &tokens)
    })
}

#[derive(Debug)]
pub(super) struct State {
    /// Total number of tokens, to turn the remaining input into a position.
    tokens: usize,
    text_len: usize,
    /// Current nesting depth.
    depth: usize,
    /// Deepest level reached since the innermost [`Measure`] began.
    peak: usize,
    /// Whether pattern predicates such as `(a)-->(b)` are allowed (in `WHERE`).
    predicates: bool,
    /// How many speculative parses are in progress.
    speculating: usize,
    /// The furthest failure of a speculative parse that another alternative replaced.
    abandoned: Option<Error>,
    /// Expression results by (token position, `predicates`), recorded while speculating.
    memo: HashMap<(usize, bool), Memo>,
}

#[derive(Debug)]
struct Memo {
    /// The expression and its height, or why it failed.
    result: Result<(Expr, usize), Error>,
    /// How many tokens the expression spans.
    tokens: usize,
}

/// What the parser was looking for when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Expected {
    /// Literal token text, shown in back-quotes.
    Token(&'static str),
    /// A description such as "an expression".
    Thing(&'static str),
}

pub(super) const AN_EXPRESSION: Expected = Expected::Thing("an expression");
const A_VARIABLE: Expected = Expected::Thing("a variable");

#[derive(Clone, Debug)]
pub(super) struct Error {
    /// Token index where parsing failed.
    pos: usize,
    kind: ErrorKind,
}

#[derive(Clone, Debug)]
enum ErrorKind {
    Expected(Vec<Expected>),
    /// A specific complaint, with its detail name (openCypher TCK names where one applies).
    Custom {
        message: String,
        detail: &'static str,
    },
}

impl Error {
    fn expected_at(pos: usize, what: Expected) -> Self {
        Error { pos, kind: ErrorKind::Expected(vec![what]) }
    }

    /// Replaces what was expected when nothing was consumed: `what` describes it better.
    fn relabel(mut self, start: usize, what: Expected) -> Self {
        if self.pos == start {
            if let ErrorKind::Expected(list) = &mut self.kind {
                *list = vec![what];
            }
        }
        self
    }

    fn into_syntax_error(self, text: &str, tokens: &[Token<'_>]) -> SyntaxError {
        let token = tokens.get(self.pos);
        let offset = token.map_or(text.len(), |t| t.span.start);
        let (message, detail) = match (self.kind, token.map(|t| &t.kind)) {
            (ErrorKind::Custom { message, detail }, _) => (message, detail),
            (ErrorKind::Expected(list), Some(TokenKind::Invalid(lex)))
                if !lex.number || list.contains(&AN_EXPRESSION) =>
            {
                (lex.message.clone(), lex.detail)
            }
            (ErrorKind::Expected(list), found) => {
                let shown = token.map_or("end of input".to_string(), |t| describe(text, t.span));
                let mut message = match list.as_slice() {
                    [] => format!("unexpected {shown}"),
                    _ => format!("expected {} but found {shown}", join_expected(&list)),
                };
                let reserved = matches!(found, Some(TokenKind::Word(w)) if is_reserved(w));
                if reserved && list.contains(&A_VARIABLE) {
                    message.push_str(", which is reserved: back-quote it to use it as a name");
                }
                (message, "UnexpectedSyntax")
            }
        };
        SyntaxError::new(text, message, detail, offset)
    }
}

/// The source text of a token, back-quoted and shortened.
fn describe(text: &str, span: Span) -> String {
    const MAX_CHARS: usize = 40;
    let source = text.get(span.start..span.end).unwrap_or_default();
    let mut shown: String = source.chars().take(MAX_CHARS).collect();
    if shown.len() < source.len() {
        shown.push('…');
    }
    format!("`{shown}`")
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`".
fn join_expected(list: &[Expected]) -> String {
    let names: Vec<String> = list
        .iter()
        .map(|e| match e {
            Expected::Token(t) => format!("`{t}`"),
            Expected::Thing(t) => (*t).to_string(),
        })
        .collect();
    match names.split_last() {
        Some((last, init)) if !init.is_empty() => format!("{} or {last}", init.join(", ")),
        _ => names.concat(),
    }
}

impl<'a> ParserError<Input<'a>> for Error {
    type Inner = Self;

    fn from_input(input: &Input<'a>) -> Self {
        Error { pos: pos(input), kind: ErrorKind::Expected(Vec::new()) }
    }

    /// Never panics, unlike the default in debug builds.
    fn assert(input: &Input<'a>, _message: &'static str) -> Self {
        Self::from_input(input)
    }

    /// Keeps the error that got furthest; merges what was expected on a tie.
    fn or(self, other: Self) -> Self {
        if self.pos != other.pos {
            return if other.pos > self.pos { other } else { self };
        }
        match (self.kind, other.kind) {
            (ErrorKind::Expected(mut list), ErrorKind::Expected(more)) => {
                for e in more {
                    if !list.contains(&e) {
                        list.push(e);
                    }
                }
                Error { pos: self.pos, kind: ErrorKind::Expected(list) }
            }
            (custom @ ErrorKind::Custom { .. }, _) | (_, custom @ ErrorKind::Custom { .. }) => {
                Error { pos: self.pos, kind: custom }
            }
        }
    }

    fn into_inner(self) -> Result<Self::Inner, Self> {
        Ok(self)
    }
}

/// Index of the next token.
pub(super) fn pos(i: &Input<'_>) -> usize {
    i.state.tokens.saturating_sub(i.input.len())
}

/// Byte offset where the next token starts (the text's end at end of input).
pub(super) fn start(i: &Input<'_>) -> usize {
    i.input.first().map_or(i.state.text_len, |t| t.span.start)
}

/// Byte offset where the last consumed token ends.
pub(super) fn end(i: &Input<'_>) -> usize {
    i.input.previous_tokens().next().map_or(0, |t| t.span.end)
}

/// The span from `from` to the end of the last consumed token.
pub(super) fn since(i: &Input<'_>, from: usize) -> Span {
    Span { start: from, end: end(i) }
}

/// The kind of the token `n` ahead, if any.
pub(super) fn peek_kind<'b>(i: &'b Input<'_>, n: usize) -> Option<&'b TokenKind<'b>> {
    i.input.get(n).map(|t| &t.kind)
}

#[cold]
#[inline(never)]
pub(super) fn expected(i: &Input<'_>, what: Expected) -> ErrMode<Error> {
    expected_one_of(i, &[what])
}

#[cold]
#[inline(never)]
pub(super) fn expected_one_of(i: &Input<'_>, what: &[Expected]) -> ErrMode<Error> {
    ErrMode::Backtrack(Error { pos: pos(i), kind: ErrorKind::Expected(what.to_vec()) })
}

/// A specific error at the next token; it stops all alternatives.
#[cold]
#[inline(never)]
pub(super) fn fatal(i: &Input<'_>, message: impl Into<String>, detail: &'static str) -> ErrMode<Error> {
    ErrMode::Cut(Error { pos: pos(i), kind: ErrorKind::Custom { message: message.into(), detail } })
}

/// A specific error at token `pos` that other alternatives may still avoid.
#[cold]
#[inline(never)]
pub(super) fn complaint(pos: usize, message: impl Into<String>, detail: &'static str) -> ErrMode<Error> {
    ErrMode::Backtrack(Error { pos, kind: ErrorKind::Custom { message: message.into(), detail } })
}

/// Consumes the next token if `f` accepts its kind.
pub(super) fn next_if<'a, T>(
    i: &mut Input<'a>,
    what: Expected,
    f: impl FnOnce(&'a TokenKind<'a>) -> Option<T>,
) -> PResult<(T, Span)> {
    match i.peek_token().and_then(|t| f(&t.kind).map(|v| (v, t.span))) {
        Some(found) => {
            i.next_token();
            Ok(found)
        }
        None => Err(expected(i, what)),
    }
}

pub(super) fn punct<'a>(p: Punct) -> impl Parser<Input<'a>, Span, ErrMode<Error>> {
    move |i: &mut Input<'a>| {
        next_if(i, Expected::Token(p.text()), |k| (*k == TokenKind::Punct(p)).then_some(())).map(|(_, s)| s)
    }
}

pub(super) fn at_punct(i: &Input<'_>, n: usize, p: Punct) -> bool {
    peek_kind(i, n) == Some(&TokenKind::Punct(p))
}

/// Consumes `p` if it comes next.
pub(super) fn optional_punct(i: &mut Input<'_>, p: Punct) -> bool {
    let found = at_punct(i, 0, p);
    if found {
        i.next_token();
    }
    found
}

/// A keyword, matched case-insensitively.
pub(super) fn keyword<'a>(word: &'static str) -> impl Parser<Input<'a>, Span, ErrMode<Error>> {
    move |i: &mut Input<'a>| next_if(i, Expected::Token(word), |k| is_word(k, word).then_some(())).map(|(_, s)| s)
}

pub(super) fn at_keyword(i: &Input<'_>, n: usize, word: &str) -> bool {
    peek_kind(i, n).is_some_and(|k| is_word(k, word))
}

/// Consumes keyword `word` if it comes next.
pub(super) fn optional_keyword(i: &mut Input<'_>, word: &str) -> bool {
    let found = at_keyword(i, 0, word);
    if found {
        i.next_token();
    }
    found
}

fn is_word(kind: &TokenKind<'_>, word: &str) -> bool {
    matches!(kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(word))
}

/// A name that may be a keyword: label, relationship type, property or map key, procedure name.
pub(super) fn schema_name(i: &mut Input<'_>) -> PResult<Ident> {
    next_if(i, Expected::Thing("a name"), |k| match k {
        TokenKind::Word(w) => Some((*w).to_string()),
        TokenKind::Quoted(q) => Some(q.clone()),
        _ => None,
    })
    .map(|(name, span)| Ident { name, span })
}

/// A variable: a name that is not a reserved word unless back-quoted.
pub(super) fn variable(i: &mut Input<'_>) -> PResult<Ident> {
    next_if(i, A_VARIABLE, variable_name).map(|(name, span)| Ident { name, span })
}

pub(super) fn variable_name(kind: &TokenKind<'_>) -> Option<String> {
    match kind {
        TokenKind::Word(w) if !is_reserved(w) => Some((*w).to_string()),
        TokenKind::Quoted(q) => Some(q.clone()),
        _ => None,
    }
}

pub(super) fn at_variable(i: &Input<'_>, n: usize) -> bool {
    peek_kind(i, n).and_then(variable_name).is_some()
}

/// Runs `p`, describing its failure as `what` if it consumed nothing.
pub(super) fn label<'a, T>(
    what: Expected,
    mut p: impl Parser<Input<'a>, T, ErrMode<Error>>,
) -> impl Parser<Input<'a>, T, ErrMode<Error>> {
    move |i: &mut Input<'a>| {
        let from = pos(i);
        p.parse_next(i).map_err(|e| e.map(|e| e.relabel(from, what)))
    }
}

/// One or more `p`, separated by commas. A comma commits to another `p` (as a backtrackable error,
/// unlike `separated`, which would drop it and blame the comma instead).
pub(super) fn comma_list<'a, T>(
    i: &mut Input<'a>,
    mut p: impl Parser<Input<'a>, T, ErrMode<Error>>,
) -> PResult<Vec<T>> {
    let mut items = vec![p.parse_next(i)?];
    while optional_punct(i, Punct::Comma) {
        items.push(p.parse_next(i)?);
    }
    Ok(items)
}

/// Zero or more `p`, separated by commas, then `close`.
pub(super) fn items_until<'a, T>(
    i: &mut Input<'a>,
    close: Punct,
    p: impl Parser<Input<'a>, T, ErrMode<Error>>,
) -> PResult<Vec<T>> {
    let items = if at_punct(i, 0, close) { Vec::new() } else { comma_list(i, p)? };
    if !optional_punct(i, close) {
        let options = [Expected::Token(","), Expected::Token(close.text())];
        return Err(expected_one_of(i, &options));
    }
    Ok(items)
}

/// `WHERE expr`, where pattern predicates are allowed.
pub(super) fn where_clause(i: &mut Input<'_>) -> PResult<Option<Expr>> {
    if !optional_keyword(i, "WHERE") {
        return Ok(None);
    }
    allowing_predicates(i, true, expr::expression).map(Some)
}

/// Runs `p` with pattern predicates allowed or not.
pub(super) fn allowing_predicates<'a, T>(
    i: &mut Input<'a>,
    allowed: bool,
    mut p: impl Parser<Input<'a>, T, ErrMode<Error>>,
) -> PResult<T> {
    let saved = std::mem::replace(&mut i.state.predicates, allowed);
    let result = p.parse_next(i);
    i.state.predicates = saved;
    result
}

/// Goes one nesting level deeper, failing beyond [`MAX_DEPTH`]; pair with [`leave`].
pub(super) fn enter(i: &mut Input<'_>) -> PResult<()> {
    #[cfg(test)]
    stack_probe::note();
    i.state.depth += 1;
    let reached = reach(i, 0);
    if reached.is_err() {
        i.state.depth -= 1;
    }
    reached
}

pub(super) fn leave(i: &mut Input<'_>) {
    i.state.depth -= 1;
}

/// Runs `f` one nesting level deeper.
pub(super) fn nested<'a, T>(i: &mut Input<'a>, f: impl FnOnce(&mut Input<'a>) -> PResult<T>) -> PResult<T> {
    enter(i)?;
    let result = f(i);
    leave(i);
    result
}

/// Notes that the tree being built extends `height` levels below the current depth.
pub(super) fn reach(i: &mut Input<'_>, height: usize) -> PResult<()> {
    let level = i.state.depth + height;
    if level > MAX_DEPTH {
        return Err(fatal(i, format!("query nested too deeply (more than {MAX_DEPTH} levels)"), "NestingTooDeep"));
    }
    i.state.peak = i.state.peak.max(level);
    Ok(())
}

/// Measures the height of the tree built between [`Measure::start`] and [`Measure::height`].
/// (Not a closure-taking helper: on the recursive path every extra frame costs stack.)
pub(super) struct Measure {
    saved_peak: usize,
}

impl Measure {
    pub(super) fn start(i: &mut Input<'_>) -> Self {
        Measure { saved_peak: std::mem::replace(&mut i.state.peak, i.state.depth) }
    }

    /// The height reached, relative to the current depth.
    pub(super) fn height(self, i: &mut Input<'_>) -> usize {
        let height = i.state.peak.saturating_sub(i.state.depth);
        i.state.peak = self.saved_peak.max(i.state.peak);
        height
    }
}

fn memo_key(i: &Input<'_>) -> (usize, bool) {
    (pos(i), i.state.predicates)
}

/// The memoized result of parsing an expression here, consuming its tokens.
#[inline(never)]
pub(super) fn replay(i: &mut Input<'_>) -> Option<PResult<Expr>> {
    let memo = i.state.memo.get(&memo_key(i))?;
    let (result, tokens) = (memo.result.clone(), memo.tokens);
    Some(match result {
        Ok((expr, height)) if tokens <= i.input.len() => reach(i, height).map(|()| {
            i.next_slice(tokens);
            expr
        }),
        Ok(_) => return None,
        Err(e) => Err(ErrMode::Backtrack(e)),
    })
}

/// Notes the failure of a speculative parse that another alternative will replace.
pub(super) fn abandon(i: &mut Input<'_>, e: &Error) {
    if i.state.abandoned.as_ref().is_none_or(|a| a.pos < e.pos) {
        i.state.abandoned = Some(e.clone());
    }
}

/// Records, while speculating, the result of parsing an expression from token `from`.
#[inline(never)]
pub(super) fn remember(i: &mut Input<'_>, from: usize, result: &PResult<Expr>, height: usize) {
    if i.state.speculating == 0 {
        return;
    }
    let result = match result {
        Ok(expr) => Ok((expr.clone(), height)),
        Err(ErrMode::Backtrack(e)) => Err(e.clone()),
        Err(_) => return,
    };
    let tokens = pos(i).saturating_sub(from);
    i.state.memo.insert((from, i.state.predicates), Memo { result, tokens });
}

/// Test instrumentation: the lowest stack address [`enter`] ran at, to measure stack use per level.
#[cfg(test)]
pub(super) mod stack_probe {
    use std::cell::Cell;

    thread_local!(static LOWEST: Cell<usize> = const { Cell::new(usize::MAX) });

    /// The address of a local in the caller's frame.
    #[inline(never)]
    pub(crate) fn here() -> usize {
        let marker = 0u8;
        std::hint::black_box(&marker) as *const u8 as usize
    }

    pub(super) fn note() {
        let at = here();
        LOWEST.with(|l| l.set(l.get().min(at)));
    }

    /// Resets the probe and returns the lowest address noted since the last call.
    pub(crate) fn take() -> usize {
        LOWEST.with(|l| l.replace(usize::MAX))
    }
}
