//! How a PostgreSQL row gives its columns to the one row mapping (`store::rows`): its own
//! types (`BIGINT` or `INT`, `BOOLEAN`, `TIMESTAMPTZ`, `DATE`) read as they are.

use crate::store::rows::{Cells, RowError};
use chrono::{DateTime, NaiveDate, Utc};

fn column<'a, T: tokio_postgres::types::FromSql<'a>>(
    r: &'a tokio_postgres::Row,
    i: usize,
) -> Result<T, RowError> {
    r.try_get(i).map_err(|e| format!("column {i}: {e}"))
}

// Rows are read with `try_get`: a column of an unexpected type (a schema changed by hand) is
// the store's error for that call, never a panic in the task that asked.
impl Cells for tokio_postgres::Row {
    fn text(&self, i: usize) -> Result<String, RowError> {
        column(self, i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, RowError> {
        column(self, i)
    }
    fn int(&self, i: usize) -> Result<i64, RowError> {
        column::<i64>(self, i).or_else(|_| column::<i32>(self, i).map(i64::from))
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, RowError> {
        column::<Option<i64>>(self, i)
            .or_else(|_| column::<Option<i32>>(self, i).map(|v| v.map(i64::from)))
    }
    fn flag(&self, i: usize) -> Result<bool, RowError> {
        column(self, i)
    }
    fn instant(&self, i: usize) -> Result<DateTime<Utc>, RowError> {
        column(self, i)
    }
    fn opt_instant(&self, i: usize) -> Result<Option<DateTime<Utc>>, RowError> {
        column(self, i)
    }
    fn day(&self, i: usize) -> Result<NaiveDate, RowError> {
        column(self, i)
    }
}
