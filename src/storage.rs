//! Where evidence files are kept: an `object_store` store — a directory (`storage.dir`) by default.
//! The same interface has S3-compatible stores (object_store's `aws` feature) for deployments
//! that need them.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;

pub type FileStore = Arc<dyn ObjectStore>;

/// The directory store, created if absent.
pub fn open(dir: &Path) -> anyhow::Result<FileStore> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let store = LocalFileSystem::new_with_prefix(dir)
        .with_context(|| format!("cannot use {} for files", dir.display()))?;
    Ok(Arc::new(store))
}
