//! The errors a query can end with, in the vocabulary of the HTTP contract (`shared/API.md`).
//! Hosts map [`Code`] to a status in exactly one place.
use std::fmt;

/// The contract's `error.code` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    SyntaxError,
    SemanticError,
    TypeError,
    ArgumentError,
    ParameterMissing,
    EntityNotFound,
    ConstraintVerificationFailed,
    ProcedureError,
    ArithmeticError,
    InvalidRequest,
    InvalidNamespace,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    LimitExceeded,
    Conflict,
    Fenced,
    Unavailable,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::SyntaxError => "SyntaxError",
            Code::SemanticError => "SemanticError",
            Code::TypeError => "TypeError",
            Code::ArgumentError => "ArgumentError",
            Code::ParameterMissing => "ParameterMissing",
            Code::EntityNotFound => "EntityNotFound",
            Code::ConstraintVerificationFailed => "ConstraintVerificationFailed",
            Code::ProcedureError => "ProcedureError",
            Code::ArithmeticError => "ArithmeticError",
            Code::InvalidRequest => "InvalidRequest",
            Code::InvalidNamespace => "InvalidNamespace",
            Code::Unauthorized => "Unauthorized",
            Code::Forbidden => "Forbidden",
            Code::NotFound => "NotFound",
            Code::MethodNotAllowed => "MethodNotAllowed",
            Code::PayloadTooLarge => "PayloadTooLarge",
            Code::LimitExceeded => "LimitExceeded",
            Code::Conflict => "Conflict",
            Code::Fenced => "Fenced",
            Code::Unavailable => "Unavailable",
            Code::Internal => "Internal",
        }
    }
}

/// Where in the query text an error is, 1-based line and character column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub fn in_text(text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Position { offset, line, column }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: Code,
    pub message: String,
    /// The TCK's detail, such as `UndefinedVariable`.
    pub detail: Option<&'static str>,
    pub compile_time: bool,
    pub position: Option<Position>,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), detail: None, compile_time: false, position: None }
    }

    /// A compile-time error with its TCK detail, pointing at `offset` in `text`.
    pub fn compile(code: Code, detail: &'static str, message: impl Into<String>, text: &str, offset: usize) -> Self {
        Error {
            code,
            message: message.into(),
            detail: Some(detail),
            compile_time: true,
            position: Some(Position::in_text(text, offset)),
        }
    }

    pub fn runtime(code: Code, detail: &'static str, message: impl Into<String>) -> Self {
        Error { detail: Some(detail), ..Error::new(code, message) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

pub type Result<T> = std::result::Result<T, Error>;
