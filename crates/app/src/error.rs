//! `AppError`: why a request failed, typed for every front end. Each variant's message is one
//! sentence that says what to do; `kind()` classifies it for exit codes and the JSON form.

use rapport_model::{EditError, ResolveError};
use rapport_store::{StoreError, StoreErrorKind};
use serde::{Deserialize, Serialize};

/// Why a request failed. Nothing was written when any of these is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// A value the user gave that rapport will not use; the message says what to write.
    #[error("{0}")]
    BadInput(String),
    /// A reference that matched nothing.
    #[error("{0}")]
    NotFound(String),
    /// A reference that matched several records: the message, then one line per candidate.
    #[error("{}", ambiguous_message(message, candidates))]
    Ambiguous {
        message: String,
        candidates: Vec<Candidate>,
    },
    /// The store refused: locked, damaged, a full disk, no vault yet...
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The vault refused a change.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// The vault could not be read as the schema says.
    #[error(transparent)]
    Read(#[from] rapport_model::ReadError),
    /// Anything else, as one sentence (no device here, an identity that cannot be made...).
    #[error("{0}")]
    Failed(String),
    /// A file the user named could not be read or written: what to check, then why.
    #[error("{context}")]
    File {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// What failed, said in the user's terms, over the error that made it fail (whose kind
    /// it keeps: a full disk under it is still a full disk).
    #[error("{context}")]
    Context {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// A record that an ambiguous reference could mean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: String,
    pub name: String,
}

fn ambiguous_message(message: &str, candidates: &[Candidate]) -> String {
    let mut out = message.to_owned();
    for c in candidates {
        out.push_str(&format!("\n  {}  {}", c.id, c.name));
    }
    out
}

/// What kind of failure an `AppError` is: stable, for exit codes and scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    BadInput,
    NotFound,
    Ambiguous,
    Locked,
    Damaged,
    Disk,
    Other,
}

impl ErrorKind {
    /// The process exit code the README promises for this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Other => 1,
            ErrorKind::BadInput => 2,
            ErrorKind::NotFound | ErrorKind::Ambiguous => 3,
            ErrorKind::Locked => 4,
            ErrorKind::Damaged => 5,
            ErrorKind::Disk => 6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadInput => "bad_input",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Ambiguous => "ambiguous",
            ErrorKind::Locked => "locked",
            ErrorKind::Damaged => "damaged",
            ErrorKind::Disk => "disk",
            ErrorKind::Other => "other",
        }
    }
}

impl AppError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::BadInput(_) => ErrorKind::BadInput,
            AppError::NotFound(_) => ErrorKind::NotFound,
            AppError::Ambiguous { .. } => ErrorKind::Ambiguous,
            AppError::Store(e) => store_kind(e),
            AppError::Edit(e) => match e {
                EditError::NoSuchContact(_)
                | EditError::NoSuchGroup(_)
                | EditError::NoSuchInteraction(_) => ErrorKind::NotFound,
                _ => ErrorKind::BadInput,
            },
            AppError::Read(_) | AppError::Failed(_) | AppError::File { .. } => ErrorKind::Other,
            AppError::Context { source, .. } => source
                .downcast_ref::<AppError>()
                .map_or(ErrorKind::Other, AppError::kind),
        }
    }

    /// The README's exit code for this error.
    pub fn exit_code(&self) -> u8 {
        self.kind().exit_code()
    }

    /// The JSON form: `{"error": {"kind", "message", "exit_code", "candidates"?}}`.
    pub fn to_json(&self) -> ErrorJson {
        let candidates = match self {
            AppError::Ambiguous { candidates, .. } => Some(candidates.clone()),
            _ => None,
        };
        ErrorJson {
            error: ErrorBody {
                kind: self.kind(),
                message: self.to_string(),
                exit_code: self.exit_code(),
                candidates,
            },
        }
    }

    /// This error, under a sentence that says what failed.
    pub fn context(self, context: impl Into<String>) -> AppError {
        AppError::wrap(context)(self)
    }

    /// Any error under a sentence that says what failed (its kind is `Other`, unless it is
    /// an `AppError`).
    pub fn wrap<E: std::error::Error + Send + Sync + 'static>(
        context: impl Into<String>,
    ) -> impl FnOnce(E) -> AppError {
        let context = context.into();
        move |source| AppError::Context {
            context,
            source: Box::new(source),
        }
    }

    /// An I/O error on a file the user named, under a sentence that says what to check.
    pub fn file(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> AppError {
        let context = context.into();
        move |source| AppError::File { context, source }
    }

    /// A contact reference that matched nothing (`hint` ends the sentence, such as " in the
    /// trash") or several contacts (at most 20 are listed).
    pub fn unresolved(e: ResolveError, hint: &str) -> AppError {
        match &e {
            ResolveError::Ambiguous { candidates, .. } => AppError::Ambiguous {
                message: e.to_string(),
                candidates: candidates
                    .iter()
                    .take(20)
                    .map(|(id, name)| Candidate {
                        id: id.to_string(),
                        name: name.clone(),
                    })
                    .collect(),
            },
            _ => AppError::NotFound(format!("{e}{hint}")),
        }
    }
}

/// `AppError` as JSON (see `AppError::to_json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorJson {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub kind: ErrorKind,
    pub message: String,
    pub exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub candidates: Option<Vec<Candidate>>,
}

pub(crate) fn store_kind(e: &StoreError) -> ErrorKind {
    match e.kind() {
        StoreErrorKind::Locked => ErrorKind::Locked,
        StoreErrorKind::Corrupt => ErrorKind::Damaged,
        StoreErrorKind::Io => ErrorKind::Disk,
        _ => ErrorKind::Other,
    }
}
