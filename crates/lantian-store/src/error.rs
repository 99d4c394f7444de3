//! The one error type of every store method.

/// Why a store method failed. Every message names the entity (and, where known, its key), so a
/// log line or an importer's report says what was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// A row refers to something the store does not have (e.g. a reading of an unknown station).
    #[error("{entity} {key:?} not found")]
    NotFound {
        /// What kind of thing (`"station"`, …).
        entity: &'static str,
        /// Its key as text.
        key: String,
    },
    /// The database refused the batch for a constraint: a reference to a missing row (a
    /// person's unit, a station's grid …), a duplicate key or a check.
    #[error("{entity}: {detail}")]
    Conflict {
        /// The entity being written (`"people"`, `"stations"`, …).
        entity: &'static str,
        /// What the database said.
        detail: String,
    },
    /// A value the store will not keep (not finite, an hour that is not a whole hour, a bad
    /// capture), refused before anything was written.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The ledger's transition function refused the action (wrong state, role or scope, a
    /// rule); nothing was written.
    #[error("refused: {0}")]
    Refused(#[from] lantian_domain::ledger::TransitionError),
    /// The database or the connection failed (I/O, a broken connection, a corrupt row).
    #[error("storage backend: {0}")]
    Backend(String),
}
