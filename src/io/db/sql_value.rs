//! Reading column values leniently: a text column holding a number, a blob, or
//! bytes that are not UTF-8 is read as text, never rejected.

use rusqlite::types::ValueRef;
use rusqlite::Row;

/// Column `idx` as text (`None` for NULL).
pub fn text(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<String>> {
    Ok(match row.get_ref(idx)? {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
    })
}

/// Column `idx` as text, with NULL read as the empty string.
pub fn text_or_empty(row: &Row<'_>, idx: usize) -> rusqlite::Result<String> {
    Ok(text(row, idx)?.unwrap_or_default())
}

/// Column `idx` as an integer (0 when not a number).
pub fn integer(row: &Row<'_>, idx: usize) -> rusqlite::Result<i64> {
    Ok(match row.get_ref(idx)? {
        ValueRef::Integer(i) => i,
        ValueRef::Real(f) => f as i64,
        _ => 0,
    })
}

/// An integer column that may be NULL, or hold text that names a number.
pub fn optional_integer(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<i64>> {
    Ok(match row.get_ref(idx)? {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(f) => Some(f as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(|t| t.trim().parse().ok()),
        _ => None,
    })
}
