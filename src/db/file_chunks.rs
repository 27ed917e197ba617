//! Evidence files kept in the database, chunk by chunk (`storage::FileStore`).

use diesel::prelude::*;

use super::DbConnection;
use super::schema::file_chunks;

pub fn insert(conn: &mut DbConnection, key: &str, seq: i32, content: &[u8]) -> QueryResult<usize> {
    diesel::insert_into(file_chunks::table)
        .values((
            file_chunks::storage_key.eq(key),
            file_chunks::seq.eq(seq),
            file_chunks::content.eq(content),
        ))
        .execute(conn)
}

/// The chunk numbers of a file, in order; empty when the database does not hold it.
pub fn seqs(conn: &mut DbConnection, key: &str) -> QueryResult<Vec<i32>> {
    file_chunks::table
        .filter(file_chunks::storage_key.eq(key))
        .select(file_chunks::seq)
        .order(file_chunks::seq)
        .load(conn)
}

pub fn content(conn: &mut DbConnection, key: &str, seq: i32) -> QueryResult<Option<Vec<u8>>> {
    file_chunks::table
        .find((key, seq))
        .select(file_chunks::content)
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(file_chunks::table.filter(file_chunks::storage_key.eq(key))).execute(conn)
}
