//! The checks behind the fuzz targets, one module per target. Each target is
//! `fuzz_target!(|data| <module>::check(data))`; `tests/seeds.rs` runs the same
//! `check` over `seeds/<target>/` and deterministic mutations of it, so the
//! invariants are exercised on stable Rust too (`cargo test` in this folder).

pub mod metadata;
pub mod review_log;
pub mod timestamp;
pub mod worker_log;

mod oracle;

use std::borrow::Cow;

/// Bytes the log reader keeps of one line (`MAX_LINE_BYTES` in
/// `src/io/logs/reader.rs`); the rest of a longer line is skipped unread.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// A log's bytes as the log reader feeds them to its parser: split after each
/// `\n`, which is dropped (a `\r` before it is kept: the parser drops it), no
/// empty line after a final `\n`, each line cut to [`MAX_LINE_BYTES`] and read
/// lossily (bytes that are not UTF-8 become U+FFFD).
pub fn reader_lines(data: &[u8]) -> Vec<Cow<'_, str>> {
    data.split_inclusive(|&b| b == b'\n')
        .map(|line| {
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            String::from_utf8_lossy(&line[..line.len().min(MAX_LINE_BYTES)])
        })
        .collect()
}

/// The line as the parser reads it: the first line without its byte-order mark.
pub fn without_bom(index: usize, line: &str) -> &str {
    if index == 0 {
        line.strip_prefix('\u{feff}').unwrap_or(line)
    } else {
        line
    }
}

/// A cheap deterministic hash, to pick where a line is cut without a random source.
pub fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
