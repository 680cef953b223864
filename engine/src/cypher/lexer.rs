//! Lexer: query text to tokens with byte spans.
//!
//! Invariants: spans lie on char boundaries, in increasing order; whitespace and comments yield
//! no tokens; keywords are plain [`TokenKind::Word`]s (the parser matches them case-insensitively,
//! since labels and keys may be keywords); text that is not a token becomes one final
//! [`TokenKind::Invalid`] token carrying the reason, reported only if the parser gets that far.

use winnow::combinator::{alt, dispatch, empty, fail, opt, peek, preceded, terminated};
use winnow::error::EmptyError;
use winnow::prelude::*;
use winnow::stream::{AsChar, LocatingSlice};
use winnow::token::{any, literal, one_of, take, take_till, take_until, take_while};

use super::ast::Span;
use super::syntax::{is_ident_part, is_ident_start};

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token<'s> {
    pub kind: TokenKind<'s>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum TokenKind<'s> {
    /// An unquoted name or keyword.
    Word(&'s str),
    /// A back-quoted name, unescaped.
    Quoted(String),
    Str(String),
    /// A non-negative integer; the parser checks its range, as `-` may precede it.
    Int(u64),
    Float(f64),
    /// `$name`, without the `$`.
    Param(String),
    Punct(Punct),
    Invalid(LexError),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct LexError {
    pub message: String,
    pub detail: &'static str,
    /// A malformed number, reported as such only where a number could stand: elsewhere, as in
    /// `{1B2: 1}`, the token is merely unexpected.
    pub number: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Punct {
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Dot,
    DotDot,
    Colon,
    Semicolon,
    Pipe,
    Eq,
    RegexEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    PlusEq,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
}

impl Punct {
    /// Every punctuation token, each before any other that its text starts with (`..` before `.`).
    pub(super) const LONGEST_FIRST: [Punct; 26] = [
        Punct::DotDot,
        Punct::RegexEq,
        Punct::Ne,
        Punct::Le,
        Punct::Ge,
        Punct::PlusEq,
        Punct::LParen,
        Punct::RParen,
        Punct::LBracket,
        Punct::RBracket,
        Punct::LBrace,
        Punct::RBrace,
        Punct::Comma,
        Punct::Dot,
        Punct::Colon,
        Punct::Semicolon,
        Punct::Pipe,
        Punct::Eq,
        Punct::Lt,
        Punct::Gt,
        Punct::Plus,
        Punct::Minus,
        Punct::Star,
        Punct::Slash,
        Punct::Percent,
        Punct::Caret,
    ];

    pub(super) fn text(self) -> &'static str {
        match self {
            Punct::LParen => "(",
            Punct::RParen => ")",
            Punct::LBracket => "[",
            Punct::RBracket => "]",
            Punct::LBrace => "{",
            Punct::RBrace => "}",
            Punct::Comma => ",",
            Punct::Dot => ".",
            Punct::DotDot => "..",
            Punct::Colon => ":",
            Punct::Semicolon => ";",
            Punct::Pipe => "|",
            Punct::Eq => "=",
            Punct::RegexEq => "=~",
            Punct::Ne => "<>",
            Punct::Lt => "<",
            Punct::Le => "<=",
            Punct::Gt => ">",
            Punct::Ge => ">=",
            Punct::Plus => "+",
            Punct::PlusEq => "+=",
            Punct::Minus => "-",
            Punct::Star => "*",
            Punct::Slash => "/",
            Punct::Percent => "%",
            Punct::Caret => "^",
        }
    }
}

type Src<'s> = LocatingSlice<&'s str>;
type LResult<T> = winnow::Result<T, EmptyError>;

/// Splits `text` into tokens, stopping after the first invalid one.
pub(super) fn lex(text: &str) -> Vec<Token<'_>> {
    let mut input = LocatingSlice::new(text);
    let mut tokens = Vec::new();
    loop {
        let next = alt((trivia.value(None), token.with_span().map(Some))).parse_next(&mut input);
        let (kind, range) = match next {
            Ok(Some(token)) => token,
            Ok(None) => continue,
            // Only end of input fails both: `token` takes any char.
            Err(_) => return tokens,
        };
        let invalid = matches!(kind, TokenKind::Invalid(_));
        tokens.push(Token { kind, span: Span { start: range.start, end: range.end } });
        if invalid {
            return tokens;
        }
    }
}

/// Whitespace or one comment; fails when there is none.
fn trivia(i: &mut Src<'_>) -> LResult<()> {
    alt((
        take_while(1.., char::is_whitespace).void(),
        preceded("//", take_till(0.., '\n')).void(),
        preceded("/*", terminated(take_until(0.., "*/"), "*/")).void(),
    ))
    .parse_next(i)
}

fn token<'s>(i: &mut Src<'s>) -> LResult<TokenKind<'s>> {
    dispatch! {peek(any);
        '0'..='9' => number,
        '.' => alt((number, punct)),
        '\'' | '"' => string,
        '`' => quoted_name.map(|q| q.map_or_else(TokenKind::Invalid, TokenKind::Quoted)),
        '$' => parameter,
        '/' => alt(("/*".map(|_| invalid("unterminated comment: `/*` without `*/`", "UnexpectedSyntax")), punct)),
        c if is_ident_start(c) => take_while(1.., is_ident_part).map(TokenKind::Word),
        _ => alt((punct, unknown_char)),
    }
    .parse_next(i)
}

fn invalid<'s>(message: impl Into<String>, detail: &'static str) -> TokenKind<'s> {
    TokenKind::Invalid(LexError { message: message.into(), detail, number: false })
}

fn invalid_number<'s>(message: impl Into<String>, detail: &'static str) -> TokenKind<'s> {
    TokenKind::Invalid(LexError { message: message.into(), detail, number: true })
}

fn unknown_char<'s>(i: &mut Src<'s>) -> LResult<TokenKind<'s>> {
    let c = any.parse_next(i)?;
    Ok(if c.is_ascii() {
        invalid(format!("unexpected character `{c}`"), "UnexpectedSyntax")
    } else {
        invalid(format!("unexpected character `{c}` (U+{:04X})", u32::from(c)), "InvalidUnicodeCharacter")
    })
}

fn punct<'s>(i: &mut Src<'s>) -> LResult<TokenKind<'s>> {
    for p in Punct::LONGEST_FIRST {
        if opt(literal(p.text())).parse_next(i)?.is_some() {
            return Ok(TokenKind::Punct(p));
        }
    }
    fail.parse_next(i)
}

/// Integer (decimal, `0x` hex, `0o` octal) or float (`1.5`, `.5`, `1e9`, `1.5E-3`).
fn number<'s>(i: &mut Src<'s>) -> LResult<TokenKind<'s>> {
    let (kind, text) = alt((
        preceded("0x", take_while(1.., AsChar::is_hex_digit)).map(|d| radix(d, 16)),
        preceded("0o", take_while(1.., AsChar::is_oct_digit)).map(|d| radix(d, 8)),
        decimal,
    ))
    .with_taken()
    .parse_next(i)?;
    // A number glued to a name, like `12h5` or `0x1G`, is one malformed literal.
    let tail = take_while(0.., is_ident_part).parse_next(i)?;
    Ok(if tail.is_empty() {
        kind
    } else {
        invalid_number(format!("invalid number literal `{text}{tail}`"), "InvalidNumberLiteral")
    })
}

fn radix<'s>(digits: &str, radix: u32) -> TokenKind<'s> {
    u64::from_str_radix(digits, radix).map_or_else(|_| integer_overflow(), TokenKind::Int)
}

fn integer_overflow<'s>() -> TokenKind<'s> {
    invalid_number("integer literal is too large for a 64-bit integer", "IntegerOverflow")
}

fn decimal<'s>(i: &mut Src<'s>) -> LResult<TokenKind<'s>> {
    let digits = || take_while(1.., AsChar::is_dec_digit);
    let text = (
        alt(((digits(), opt(('.', digits()))).void(), ('.', digits()).void())),
        opt((one_of(['e', 'E']), opt(one_of(['+', '-'])), digits())),
    )
        .take()
        .parse_next(i)?;
    Ok(if text.contains(['.', 'e', 'E']) {
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => TokenKind::Float(f),
            _ => invalid_number(format!("float literal `{text}` is too large"), "FloatingPointOverflow"),
        }
    } else if text.len() > 1 && text.starts_with('0') {
        invalid_number(format!("invalid number literal `{text}`: use `0o` for octal"), "InvalidNumberLiteral")
    } else {
        text.parse::<u64>().map_or_else(|_| integer_overflow(), TokenKind::Int)
    })
}

/// `'...'` or `"..."` with backslash escapes.
fn string<'s>(i: &mut Src<'s>) -> LResult<TokenKind<'s>> {
    let quote = any.parse_next(i)?;
    let mut value = String::new();
    loop {
        value.push_str(take_till(0.., [quote, '\\']).parse_next(i)?);
        match opt(any).parse_next(i)? {
            None => return Ok(invalid("unterminated string literal", "UnexpectedSyntax")),
            Some(c) if c == quote => return Ok(TokenKind::Str(value)),
            Some(_) => match escape(i)? {
                Ok(c) => value.push(c),
                Err(e) => return Ok(TokenKind::Invalid(e)),
            },
        }
    }
}

/// The rest of an escape sequence, after the backslash.
fn escape(i: &mut Src<'_>) -> LResult<Result<char, LexError>> {
    let bad = |message: String, detail| Err(LexError { message, detail, number: false });
    let Some(c) = opt(any).parse_next(i)? else {
        return Ok(bad("unterminated string literal".into(), "UnexpectedSyntax"));
    };
    let width = match c {
        '\\' | '\'' | '"' => return Ok(Ok(c)),
        'b' | 'B' => return Ok(Ok('\u{8}')),
        'f' | 'F' => return Ok(Ok('\u{c}')),
        'n' | 'N' => return Ok(Ok('\n')),
        'r' | 'R' => return Ok(Ok('\r')),
        't' | 'T' => return Ok(Ok('\t')),
        'u' => 4usize,
        'U' => 8,
        _ => return Ok(bad(format!("invalid escape sequence `\\{c}`"), "UnexpectedSyntax")),
    };
    let code = match hex(i, width)? {
        // A UTF-16 surrogate pair, as JSON-minded clients write astral characters.
        Some(high @ 0xD800..=0xDBFF) if width == 4 => {
            let low = opt(preceded("\\u", |i: &mut Src<'_>| hex(i, 4))).parse_next(i)?.flatten();
            low.filter(|low| (0xDC00..=0xDFFF).contains(low))
                .map(|low| 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        }
        code => code,
    };
    Ok(code.and_then(char::from_u32).map_or_else(
        || {
            bad(
                format!("invalid unicode escape: `\\{c}` needs {width} hex digits of a valid code point"),
                "InvalidUnicodeLiteral",
            )
        },
        Ok,
    ))
}

/// The value of exactly `width` hex digits, if they come next.
fn hex(i: &mut Src<'_>, width: usize) -> LResult<Option<u32>> {
    let digits = opt(take(width).verify(|d: &str| d.chars().all(|c| c.is_ascii_hexdigit()))).parse_next(i)?;
    Ok(digits.and_then(|d| u32::from_str_radix(d, 16).ok()))
}

/// `` `name` `` with ``` `` ``` for a back-quote; the error if unterminated.
fn quoted_name(i: &mut Src<'_>) -> LResult<Result<String, LexError>> {
    '`'.parse_next(i)?;
    let mut name = String::new();
    loop {
        name.push_str(take_till(0.., '`').parse_next(i)?);
        if opt('`').parse_next(i)?.is_none() {
            let message = "unterminated quoted name: missing closing back-quote".into();
            return Ok(Err(LexError { message, detail: "UnexpectedSyntax", number: false }));
        }
        if opt('`').parse_next(i)?.is_none() {
            return Ok(Ok(name));
        }
        name.push('`');
    }
}

/// `$name`, `$0` or `` $`name` ``.
fn parameter<'s>(i: &mut Src<'s>) -> LResult<TokenKind<'s>> {
    '$'.parse_next(i)?;
    alt((
        take_while(1.., is_ident_part).map(|name: &str| TokenKind::Param(name.into())),
        quoted_name.map(|q| q.map_or_else(TokenKind::Invalid, TokenKind::Param)),
        empty.map(|()| invalid("expected a parameter name after `$`", "UnexpectedSyntax")),
    ))
    .parse_next(i)
}
