//! sqlx errors as [`StoreError`]s that name the entity being read or written.

use lantian_store::StoreError;
use sqlx::error::ErrorKind;

/// Map a sqlx error met while handling `entity`: constraint violations are
/// [`StoreError::Conflict`], everything else [`StoreError::Backend`].
pub(crate) fn db(entity: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) => match d.kind() {
            ErrorKind::ForeignKeyViolation => StoreError::Conflict {
                entity,
                detail: format!(
                    "a row refers to something that does not exist ({})",
                    d.message()
                ),
            },
            ErrorKind::UniqueViolation
            | ErrorKind::NotNullViolation
            | ErrorKind::CheckViolation => StoreError::Conflict {
                entity,
                detail: d.message().to_owned(),
            },
            _ => StoreError::Backend(format!("{entity}: {e}")),
        },
        _ => StoreError::Backend(format!("{entity}: {e}")),
    }
}
