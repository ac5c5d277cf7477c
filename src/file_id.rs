//! Which file a path names right now, so a database or log replaced on disk
//! (same path, new file) is noticed.

use std::fs::Metadata;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileId(u64, u64);

impl FileId {
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId(meta.dev(), meta.ino())
    }

    #[cfg(windows)]
    pub fn of(meta: &Metadata) -> FileId {
        use std::os::windows::fs::MetadataExt;
        FileId(meta.creation_time(), u64::from(meta.file_attributes()))
    }

    #[cfg(not(any(unix, windows)))]
    pub fn of(meta: &Metadata) -> FileId {
        let created = meta
            .created()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        FileId(created, 0)
    }
}
