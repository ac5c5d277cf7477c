//! What a path names right now — which file, how long, when last written —
//! the one signal every cache here uses to tell that something on disk moved:
//! a database replaced, a log grown or rewritten, a folder that gained a file.

use std::fs::Metadata;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How long a file must have been still before its state is trusted to show
/// every later write: a write within the same coarse mtime tick as an earlier
/// one leaves the mtime unchanged, so a file modified within the last couple
/// of seconds may change again without its state showing it.
pub const SETTLE: Duration = Duration::from_secs(2);

/// Which file a path names: device and inode (unix), volume and file index (Windows).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileId(u64, u64);

/// A file or folder as it is now.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileState {
    pub id: FileId,
    pub len: u64,
    pub modified: Option<SystemTime>,
    pub is_dir: bool,
}

impl FileState {
    /// The state of what `path` names (links followed); `None` if nothing is there.
    pub fn of(path: &Path) -> Option<FileState> {
        let meta = std::fs::metadata(path).ok()?;
        Some(FileState {
            id: FileId::of(path, &meta),
            len: meta.len(),
            modified: meta.modified().ok(),
            is_dir: meta.is_dir(),
        })
    }

    /// Whether it had been still for [`SETTLE`] at `now`.
    pub fn settled(&self, now: SystemTime) -> bool {
        match (self.modified, now.checked_sub(SETTLE)) {
            (Some(modified), Some(limit)) => modified < limit,
            _ => false,
        }
    }
}

impl FileId {
    #[cfg(unix)]
    fn of(_path: &Path, meta: &Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId(meta.dev(), meta.ino())
    }

    /// The volume serial number and file index, which Windows gives through a
    /// handle (opened with no access rights: it reads, locks and blocks nothing;
    /// closing it is harmless there, locks belong to their own handles).
    #[cfg(windows)]
    fn of(path: &Path, meta: &Metadata) -> FileId {
        use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
        use std::os::windows::io::AsRawHandle;
        use windows_sys::Win32::Storage::FileSystem::{
            GetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION, FILE_FLAG_BACKUP_SEMANTICS, FILE_SHARE_DELETE,
            FILE_SHARE_READ, FILE_SHARE_WRITE,
        };
        let opened = std::fs::OpenOptions::new()
            .access_mode(0)
            .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
            .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
            .open(path);
        if let Ok(file) = opened {
            // SAFETY: a live handle and a struct the call fills.
            unsafe {
                let mut info: BY_HANDLE_FILE_INFORMATION = std::mem::zeroed();
                if GetFileInformationByHandle(file.as_raw_handle() as _, &mut info) != 0 {
                    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
                    return FileId(u64::from(info.dwVolumeSerialNumber), index);
                }
            }
        }
        FileId(meta.creation_time(), u64::from(meta.file_attributes()))
    }

    #[cfg(not(any(unix, windows)))]
    fn of(_path: &Path, meta: &Metadata) -> FileId {
        let created = meta
            .created()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        FileId(created, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_file_has_another_identity_and_growth_shows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        assert_eq!(FileState::of(&path), None);
        std::fs::write(&path, "a").unwrap();
        let first = FileState::of(&path).unwrap();
        assert!(!first.is_dir && first.len == 1);
        std::fs::write(&path, "ab").unwrap();
        let grown = FileState::of(&path).unwrap();
        assert_eq!((grown.id, grown.len), (first.id, 2));
        let other = dir.path().join("g.log");
        std::fs::write(&other, "ab").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_ne!(FileState::of(&path).unwrap().id, first.id);
        assert!(FileState::of(dir.path()).unwrap().is_dir);
    }

    #[test]
    fn only_a_file_still_for_the_settle_time_is_settled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "a").unwrap();
        let state = FileState::of(&path).unwrap();
        let now = SystemTime::now();
        assert!(!state.settled(now));
        assert!(state.settled(now + SETTLE + Duration::from_millis(10)));
    }
}
