//! Where evidence files are kept. On PostgreSQL, in the database by default (`file_chunks`, in
//! chunks of 1 MiB), so that every instance serving the database serves every file; with the
//! embedded SQLite default, in a directory (`storage.dir`, an `object_store` store). Either way a
//! file is written and read a chunk at a time, never whole in memory. A database store still
//! reads a key it does not hold from the directory: files stored there before the switch stay
//! available.

use std::path::Path;
use std::sync::Arc;

use actix_web::web::Bytes;
use anyhow::Context;
use futures_util::stream::{self, BoxStream, StreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

use crate::db::{self, DbPool, file_chunks};

/// Bytes of one chunk, and parts of the directory store in flight: about 2 MiB per upload
/// whatever the file's size.
const CHUNK_BYTES: usize = 1024 * 1024;
const PARTS_IN_FLIGHT: usize = 1;

#[derive(Clone)]
pub struct FileStore {
    directory: Arc<dyn ObjectStore>,
    /// Set when files are kept in the database.
    database: Option<DbPool>,
}

/// Opens the store: the directory (created if absent), and the database when `in_database`.
pub fn open(dir: &Path, in_database: Option<DbPool>) -> anyhow::Result<FileStore> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let store = LocalFileSystem::new_with_prefix(dir)
        .with_context(|| format!("cannot use {} for files", dir.display()))?;
    Ok(FileStore {
        directory: Arc::new(store),
        database: in_database,
    })
}

/// A file being written; `finish` makes it readable, `abort` drops what was written.
pub enum FileWriter {
    Directory(Box<WriteMultipart>),
    Database {
        pool: DbPool,
        key: String,
        seq: i32,
        buffer: Vec<u8>,
    },
}

impl FileStore {
    pub fn in_database(&self) -> bool {
        self.database.is_some()
    }

    pub async fn writer(&self, key: &StorePath) -> anyhow::Result<FileWriter> {
        match &self.database {
            Some(pool) => Ok(FileWriter::Database {
                pool: pool.clone(),
                key: key.to_string(),
                seq: 0,
                buffer: Vec::new(),
            }),
            None => {
                let parts = self.directory.put_multipart(key).await?;
                Ok(FileWriter::Directory(Box::new(
                    WriteMultipart::new_with_chunk_size(parts, CHUNK_BYTES),
                )))
            }
        }
    }

    /// The file's bytes, a chunk at a time.
    pub async fn read(
        &self,
        key: &StorePath,
    ) -> anyhow::Result<BoxStream<'static, anyhow::Result<Bytes>>> {
        if let Some(pool) = &self.database {
            let name = key.to_string();
            let lookup = name.clone();
            let seqs = db::run(pool, move |conn| {
                file_chunks::seqs(conn, &lookup).map_err(anyhow::Error::from)
            })
            .await?;
            if !seqs.is_empty() {
                let pool = pool.clone();
                let chunks = stream::iter(seqs).then(move |seq| {
                    let (pool, name) = (pool.clone(), name.clone());
                    async move {
                        let content = db::run(&pool, move |conn| {
                            file_chunks::content(conn, &name, seq).map_err(anyhow::Error::from)
                        })
                        .await?;
                        content
                            .map(Bytes::from)
                            .with_context(|| format!("chunk {seq} of a stored file vanished"))
                    }
                });
                return Ok(chunks.boxed());
            }
        }
        let found = self.directory.get(key).await?;
        Ok(found
            .into_stream()
            .map(|chunk| chunk.map_err(anyhow::Error::from))
            .boxed())
    }

    pub async fn delete(&self, key: &StorePath) {
        if let Some(pool) = &self.database {
            let name = key.to_string();
            let _ = db::run(pool, move |conn| {
                file_chunks::delete(conn, &name).map_err(anyhow::Error::from)
            })
            .await;
        }
        let _ = self.directory.delete(key).await;
    }
}

impl FileWriter {
    pub async fn put(&mut self, chunk: Bytes) -> anyhow::Result<()> {
        match self {
            FileWriter::Directory(writer) => {
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                writer.put(chunk);
                Ok(())
            }
            FileWriter::Database {
                pool,
                key,
                seq,
                buffer,
            } => {
                buffer.extend_from_slice(&chunk);
                while buffer.len() >= CHUNK_BYTES {
                    let rest = buffer.split_off(CHUNK_BYTES);
                    let full = std::mem::replace(buffer, rest);
                    store_chunk(pool, key, seq, full).await?;
                }
                Ok(())
            }
        }
    }

    pub async fn finish(self) -> anyhow::Result<()> {
        match self {
            FileWriter::Directory(writer) => {
                writer.finish().await?;
                Ok(())
            }
            FileWriter::Database {
                pool,
                key,
                mut seq,
                buffer,
            } => {
                if !buffer.is_empty() {
                    store_chunk(&pool, &key, &mut seq, buffer).await?;
                }
                Ok(())
            }
        }
    }

    pub async fn abort(self) {
        match self {
            FileWriter::Directory(writer) => {
                let _ = writer.abort().await;
            }
            FileWriter::Database { pool, key, .. } => {
                let _ = db::run(&pool, move |conn| {
                    file_chunks::delete(conn, &key).map_err(anyhow::Error::from)
                })
                .await;
            }
        }
    }
}

/// Writes chunk `seq` of file `key`, then counts it.
async fn store_chunk(
    pool: &DbPool,
    key: &str,
    seq: &mut i32,
    content: Vec<u8>,
) -> anyhow::Result<()> {
    let (name, number) = (key.to_owned(), *seq);
    db::run(pool, move |conn| {
        file_chunks::insert(conn, &name, number, &content).map_err(anyhow::Error::from)
    })
    .await?;
    *seq += 1;
    Ok(())
}
