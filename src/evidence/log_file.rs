//! Reading a worker log into a [`Timeline`], incrementally and with a cache.
//!
//! Polling must stay cheap: an unchanged log (same file, size and mtime) is not
//! read again, and a grown log is read from where parsing stopped. Lines are read
//! in bounded pieces, so a multi-MB log or a line of megabytes never sits in
//! memory whole; bytes that are not UTF-8 are replaced, not rejected.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use super::log_line::parse_line;
use crate::file_id::FileId;
use crate::time::Zone;
use crate::timeline::{Timeline, Unmentioned};

/// Step lines are short; the rest of a longer line is skipped unread.
const MAX_LINE_BYTES: usize = 16 * 1024;
/// How many logs the cache remembers.
const CACHE_CAPACITY: usize = 2048;

/// Where parsing of one log stands.
#[derive(Clone, Debug)]
struct ParsedLog {
    file: FileId,
    zone: ZoneKey,
    len: u64,
    modified: Option<SystemTime>,
    /// Bytes consumed up to the last complete line.
    offset: u64,
    /// The file's first bytes: a file replaced in place (same inode, reused)
    /// must not be taken for a grown one.
    head: Vec<u8>,
    /// State after the last complete line.
    committed: Timeline,
    /// State including a final line still being written (no line break yet).
    latest: Timeline,
    last_used: u64,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum ZoneKey {
    Local,
    Fixed(i32),
}

impl From<Zone> for ZoneKey {
    fn from(zone: Zone) -> ZoneKey {
        match zone {
            Zone::Local => ZoneKey::Local,
            Zone::Fixed(offset) => ZoneKey::Fixed(offset.local_minus_utc()),
        }
    }
}

/// Parsed logs by path. Shared by every call; safe to use from several threads.
#[derive(Default)]
pub struct LogCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    logs: HashMap<PathBuf, ParsedLog>,
    clock: u64,
    /// Total bytes parsed since creation (to show that polling re-reads nothing).
    bytes_parsed: u64,
}

impl LogCache {
    pub fn new() -> LogCache {
        LogCache::default()
    }

    /// The timeline of the log at `path` as it is now.
    pub fn timeline(&self, path: &Path, zone: Zone) -> io::Result<Timeline> {
        let meta = std::fs::metadata(path)?;
        let file = FileId::of(&meta);
        let len = meta.len();
        let modified = meta.modified().ok();
        let zone_key = ZoneKey::from(zone);

        let previous = {
            let mut inner = self.lock();
            inner.clock += 1;
            let clock = inner.clock;
            match inner.logs.get_mut(path) {
                Some(p) if p.file == file && p.zone == zone_key && p.len == len && p.modified == modified => {
                    p.last_used = clock;
                    return Ok(p.latest.clone());
                }
                Some(p) if p.file == file && p.zone == zone_key && len >= p.offset => Some(p.clone()),
                _ => None,
            }
        };

        let head = read_head(path)?;
        let (offset, committed) = match previous {
            Some(p) if head.starts_with(&p.head) || p.head.starts_with(&head) => (p.offset, p.committed),
            _ => (0, Timeline::new(Unmentioned::Skipped)),
        };
        let parsed = if committed.is_terminated() {
            // Nothing after a terminal line is progress: no need to read on.
            Parsed {
                offset,
                bytes: 0,
                latest: committed.clone(),
                committed,
            }
        } else {
            parse_from(path, offset, committed, zone)?
        };

        let mut inner = self.lock();
        inner.bytes_parsed += parsed.bytes;
        let clock = inner.clock;
        if inner.logs.len() >= CACHE_CAPACITY && !inner.logs.contains_key(path) {
            if let Some(oldest) = inner
                .logs
                .iter()
                .min_by_key(|(_, p)| p.last_used)
                .map(|(k, _)| k.clone())
            {
                inner.logs.remove(&oldest);
            }
        }
        let latest = parsed.latest.clone();
        inner.logs.insert(
            path.to_path_buf(),
            ParsedLog {
                file,
                zone: zone_key,
                len,
                modified,
                offset: parsed.offset,
                head,
                committed: parsed.committed,
                latest: parsed.latest,
                last_used: clock,
            },
        );
        Ok(latest)
    }

    /// Total log bytes parsed by this cache so far.
    pub fn bytes_parsed(&self) -> u64 {
        self.lock().bytes_parsed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        // A panic while holding the lock leaves only a cache behind: keep using it.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct Parsed {
    offset: u64,
    bytes: u64,
    committed: Timeline,
    latest: Timeline,
}

fn parse_from(path: &Path, offset: u64, mut committed: Timeline, zone: Zone) -> io::Result<Parsed> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut line = Vec::with_capacity(256);
    let mut position = offset;
    loop {
        line.clear();
        let (consumed, complete) = read_capped_line(&mut reader, &mut line)?;
        if consumed == 0 {
            return Ok(Parsed {
                offset: position,
                bytes: position - offset,
                latest: committed.clone(),
                committed,
            });
        }
        if !complete {
            // The writer is mid-line: use it now, but read it again next time.
            let mut latest = committed.clone();
            apply_line(&line, &mut latest, zone);
            return Ok(Parsed {
                offset: position,
                bytes: position - offset + consumed as u64,
                committed,
                latest,
            });
        }
        position += consumed as u64;
        apply_line(&line, &mut committed, zone);
        if committed.is_terminated() {
            return Ok(Parsed {
                offset: position,
                bytes: position - offset,
                latest: committed.clone(),
                committed,
            });
        }
    }
}

/// Bytes compared to tell a grown file from a replaced one.
const HEAD_BYTES: usize = 256;

fn read_head(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    File::open(path)?.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn apply_line(line: &[u8], timeline: &mut Timeline, zone: Zone) {
    let text = String::from_utf8_lossy(line);
    if let Some(parsed) = parse_line(&text) {
        parsed.apply(timeline, zone);
    }
}

/// Reads up to and including the next `\n`, keeping at most [`MAX_LINE_BYTES`]
/// of it in `buf`. Returns the bytes consumed and whether a line break ended it.
fn read_capped_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<(usize, bool)> {
    let mut consumed = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed, false));
        }
        let (chunk, found) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        let room = MAX_LINE_BYTES.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = found.unwrap_or(available.len());
        reader.consume(used);
        consumed += used;
        if found.is_some() {
            return Ok((consumed, true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::Step;
    use crate::timeline::Outcome;
    use std::io::Write;

    fn write(path: &Path, text: &[u8]) {
        std::fs::write(path, text).unwrap();
    }

    fn append(path: &Path, text: &[u8]) {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .unwrap()
            .write_all(text)
            .unwrap();
    }

    #[test]
    fn unchanged_log_is_not_read_again_and_growth_is_read_from_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("worker_TASK_1_20261024_105149.log");
        write(&path, b"2026-10-24 10:51:49 [INFO] [assign_worker] start: mode=x\n");
        let cache = LogCache::new();
        let zone = Zone::japan();
        assert_eq!(cache.timeline(&path, zone).unwrap().current(), Some(Step::AssignWorker));
        let after_first = cache.bytes_parsed();
        assert_eq!(cache.timeline(&path, zone).unwrap().current(), Some(Step::AssignWorker));
        assert_eq!(cache.bytes_parsed(), after_first, "unchanged file parsed again");

        let more = b"2026-10-24 10:51:50 [INFO] [execute_task] start: model=opus\n";
        append(&path, more);
        assert_eq!(cache.timeline(&path, zone).unwrap().current(), Some(Step::ExecuteTask));
        assert_eq!(
            cache.bytes_parsed(),
            after_first + more.len() as u64,
            "only the new bytes"
        );
    }

    #[test]
    fn a_line_still_being_written_counts_now_and_is_reread_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.log");
        write(&path, b"2026-10-24 10:51:49 [INFO] [assign_worker] start: x\r\n2026-10-24 10:51:50 [INFO] [execute_task] start: x");
        let cache = LogCache::new();
        assert_eq!(
            cache.timeline(&path, Zone::japan()).unwrap().current(),
            Some(Step::ExecuteTask)
        );
        append(&path, b"\r\n2026-10-24 10:51:51 [INFO] [error] failed: boom\r\n");
        let t = cache.timeline(&path, Zone::japan()).unwrap();
        assert!(matches!(t.outcome(), Outcome::Failed { step: Step::ExecuteTask, message, .. } if message == "boom"));
    }

    #[test]
    fn replaced_file_is_parsed_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.log");
        write(&path, b"2026-10-24 10:51:49 [INFO] [create_report] start: x\n");
        let cache = LogCache::new();
        assert_eq!(
            cache.timeline(&path, Zone::japan()).unwrap().current(),
            Some(Step::CreateReport)
        );
        std::fs::remove_file(&path).unwrap();
        write(&path, b"2026-10-24 11:00:00 [INFO] [get_task_info] start: new file\n");
        assert_eq!(
            cache.timeline(&path, Zone::japan()).unwrap().current(),
            Some(Step::GetTaskInfo)
        );
    }

    #[test]
    fn junk_bytes_and_huge_lines_are_survived() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.log");
        let mut text = Vec::new();
        text.extend_from_slice(b"\xff\xfe\x00garbage\n");
        text.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
        text.extend_from_slice(b"\n2026-10-24 10:51:49 [INFO] [file_lock] start: \xe3\x81\n");
        write(&path, &text);
        let t = LogCache::new().timeline(&path, Zone::japan()).unwrap();
        assert_eq!(t.current(), Some(Step::FileLock));
    }
}
