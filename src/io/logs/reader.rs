//! Reading a log into its parser, incrementally: a grown log is read from
//! where the last read stopped; a log replaced or rewritten (a review log is
//! overwritten by every review) is read from the start. Lines are read in
//! bounded pieces, so a multi-MB log or a line of megabytes never sits in
//! memory whole; bytes that are not UTF-8 are replaced, not rejected; only
//! regular files are opened, and never in a way that could block.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::evidence::LineParser;
use crate::io::file_state::FileState;

/// Step lines are short; the rest of a longer line is skipped unread.
const MAX_LINE_BYTES: usize = 16 * 1024;
/// Bytes compared to tell a grown file from a rewritten one.
const HEAD_BYTES: usize = 256;

/// Where reading one log stands.
#[derive(Clone, Debug)]
pub struct LogProgress<P> {
    /// The file as it was when read.
    pub state: FileState,
    /// Bytes consumed up to the last complete line.
    offset: u64,
    /// The file's first bytes.
    head: Vec<u8>,
    /// The parser after the last complete line.
    committed: P,
    /// The parser including a last line still being written (no line break yet).
    latest: P,
}

impl<P: LineParser> LogProgress<P> {
    /// What the log says, up to its last byte.
    pub fn parser(&self) -> &P {
        &self.latest
    }

    /// Reads the log at `path`, now in `state`, on from `previous` where that
    /// is the same file grown; from the start with `fresh()` otherwise. Returns
    /// the progress and how many bytes were read.
    pub fn read(
        path: &Path,
        state: FileState,
        previous: Option<&LogProgress<P>>,
        fresh: impl FnOnce() -> P,
    ) -> io::Result<(LogProgress<P>, u64)> {
        if state.is_dir {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a file"));
        }
        let mut file = open_regular(path)?;
        let mut head = Vec::with_capacity(HEAD_BYTES);
        (&mut file).take(HEAD_BYTES as u64).read_to_end(&mut head)?;
        // The same file, grown: same identity, no shorter, the same first bytes —
        // and not finished before (nothing follows a log's end: a finished log that
        // changed was written anew, as a review log is by each review).
        let continued = previous.filter(|p| {
            p.state.id == state.id
                && state.len >= p.offset
                && !p.committed.is_finished()
                && (head.starts_with(&p.head) || p.head.starts_with(&head))
        });
        let (offset, committed) = match continued {
            Some(p) => (p.offset, p.committed.clone()),
            None => (0, fresh()),
        };
        if committed.is_finished() {
            // Nothing after a log's end changes what it says.
            return Ok((
                LogProgress {
                    state,
                    offset,
                    head,
                    latest: committed.clone(),
                    committed,
                },
                0,
            ));
        }
        file.seek(SeekFrom::Start(offset))?;
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        let (mut committed, mut position) = (committed, offset);
        let mut line = Vec::with_capacity(256);
        loop {
            line.clear();
            let (consumed, complete) = read_capped_line(&mut reader, &mut line)?;
            let progress = |committed: P, latest: P, position: u64| LogProgress {
                state,
                offset: position,
                head: head.clone(),
                committed,
                latest,
            };
            if consumed == 0 {
                return Ok((progress(committed.clone(), committed, position), position - offset));
            }
            if !complete {
                // The writer is mid-line: count it now, read it again next time.
                let mut latest = committed.clone();
                latest.feed_partial(&String::from_utf8_lossy(&line));
                return Ok((
                    progress(committed, latest, position),
                    position - offset + consumed as u64,
                ));
            }
            position += consumed as u64;
            committed.feed(&String::from_utf8_lossy(&line));
            if committed.is_finished() {
                return Ok((progress(committed.clone(), committed, position), position - offset));
            }
        }
    }
}

/// Opens `path` for reading if it is a regular file; never blocks (a FIFO named
/// like a log is refused, not waited on).
fn open_regular(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(file)
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
    use crate::evidence::run::Outcome;
    use crate::evidence::worker_log::WorkerLogParser;
    use crate::step::Step;
    use crate::time::Zone;
    use std::io::Write;

    fn read(path: &Path, previous: Option<&LogProgress<WorkerLogParser>>) -> (LogProgress<WorkerLogParser>, u64) {
        LogProgress::read(path, FileState::of(path).unwrap(), previous, || {
            WorkerLogParser::new(Zone::japan())
        })
        .unwrap()
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
    fn growth_is_read_from_where_reading_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("worker_TASK_1_20261024_105149.log");
        let first = b"2026-10-24 10:51:49 [INFO] [assign_worker] start: mode=x\n";
        std::fs::write(&path, first).unwrap();
        let (p, bytes) = read(&path, None);
        assert_eq!(
            (p.parser().launch_run().reached(), bytes),
            (Some(Step::AssignWorker), first.len() as u64)
        );
        let more = b"2026-10-24 10:51:50 [INFO] [execute_task] start: model=opus\n";
        append(&path, more);
        let (p, bytes) = read(&path, Some(&p));
        assert_eq!(
            (p.parser().launch_run().reached(), bytes),
            (Some(Step::ExecuteTask), more.len() as u64)
        );
    }

    #[test]
    fn a_line_still_being_written_counts_now_and_is_read_again_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.log");
        std::fs::write(&path, b"2026-10-24 10:51:49 [INFO] [assign_worker] start: x\r\n2026-10-24 10:51:50 [INFO] [execute_task] start: x").unwrap();
        let (p, _) = read(&path, None);
        assert_eq!(p.parser().launch_run().reached(), Some(Step::ExecuteTask));
        append(&path, b"\r\n2026-10-24 10:51:51 [INFO] [error] failed: boom\r\n");
        let (p, _) = read(&path, Some(&p));
        assert!(
            matches!(p.parser().launch_run().outcome(), Outcome::Failed { step: Step::ExecuteTask, message, .. } if message == "boom")
        );
    }

    #[test]
    fn a_file_rewritten_in_place_or_replaced_is_read_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.log");
        std::fs::write(&path, b"2026-10-24 10:51:49 [INFO] [create_report] start: x\n").unwrap();
        let (p, _) = read(&path, None);
        // Overwritten (same inode), longer than before: the head tells.
        std::fs::write(
            &path,
            b"2026-10-24 11:00:00 [INFO] [get_task_info] start: a new run, longer than the last\n",
        )
        .unwrap();
        let (p, _) = read(&path, Some(&p));
        assert_eq!(p.parser().launch_run().reached(), Some(Step::GetTaskInfo));
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"2026-10-24 11:00:00 [INFO] [file_lock] start: x\n").unwrap();
        assert_eq!(
            read(&path, Some(&p)).0.parser().launch_run().reached(),
            Some(Step::FileLock)
        );
    }

    #[test]
    fn junk_bytes_and_huge_lines_are_survived() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.log");
        let mut text = b"\xff\xfe\x00garbage\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
        text.extend_from_slice(b"\n2026-10-24 10:51:49 [INFO] [file_lock] start: \xe3\x81\n");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(
            read(&path, None).0.parser().launch_run().reached(),
            Some(Step::FileLock)
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_named_like_a_log_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("worker_T_20261024_105149.log");
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let state = FileState::of(&path).unwrap();
        assert!(LogProgress::read(&path, state, None, || WorkerLogParser::new(Zone::japan())).is_err());
    }
}
