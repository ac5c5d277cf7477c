//! Each fuzz target's check over its seed corpus and deterministic mutations
//! of it, on stable Rust: `cargo test` here exercises the invariants the
//! targets check under libFuzzer (`cargo +nightly fuzz run <target>`).
//! `FUZZ_MUTATIONS=<n>` sets how many mutated inputs each target gets.

use std::path::{Path, PathBuf};

use aipm_execution_steps_fuzz::{metadata, review_log, timestamp, worker_log};

/// Mutated inputs per target unless `FUZZ_MUTATIONS` says otherwise.
const MUTATIONS: usize = 3000;

/// Tokens the mutator splices in: the shapes the parsers look for, and the bytes
/// that break naive readers.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\n",
    b"\r",
    "\u{feff}".as_bytes(),
    b"\xff",
    b"\xe3\x81",
    b"2026-10-24 10:51:49 [INFO] ",
    b"[get_task_info] start: TASK_1",
    b"[get_task_info] start: TASK_12",
    b"[assign_worker] start: mode=\xe3\x83\xaa\xe3\x83\xaf\xe3\x83\xbc\xe3\x82\xaf",
    b"[file_lock] skip: ",
    b"[execute_task] start: ",
    b"[auto_review] skipped: ",
    b"[error] failed: boom",
    b"[complete] success: ",
    b"[auto_rework] start: task=TASK_1",
    b"[auto_rework] success: ",
    b"[2026-12-02 05:04:30] [VALIDATE] start - p/TASK_1",
    b"[2026-12-02 05:04:30] [EXECUTE_REVIEW] error - x",
    b"[OK] ",
    b"[ERROR] ",
    b"9999-12-31 23:59:59",
    b"0001-01-01T00:00:00",
    b"23:59:60",
    b".123456789",
    b"+09:00",
    b"Z",
    br#"{"file_locked": true, "current_step": "self_verification"}"#,
    br#""current_step""#,
    b"\\u005f",
];

#[test]
fn worker_log_seeds() {
    run("worker_log", worker_log::check);
}

#[test]
fn review_log_seeds() {
    run("review_log", review_log::check);
}

#[test]
fn timestamp_seeds() {
    run("timestamp", timestamp::check);
}

#[test]
fn metadata_seeds() {
    run("metadata", metadata::check);
}

fn run(target: &str, check: fn(&[u8])) {
    let seeds = seeds(target);
    assert!(!seeds.is_empty(), "no seeds for {target}");
    for (path, data) in &seeds {
        catch(check, data, || format!("seed {}", path.display()));
    }
    let count = std::env::var("FUZZ_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(MUTATIONS);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ aipm_execution_steps_fuzz::hash(target.as_bytes()));
    for n in 0..count {
        let (path, data) = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())].1;
        let input = mutate(data, other, &mut rng);
        catch(check, &input, || {
            format!("mutation {n} of seed {} (FUZZ_MUTATIONS={count})", path.display())
        });
    }
}

/// Runs `check`, naming the input and saving it under `artifacts/` if it panics.
fn catch(check: fn(&[u8]), input: &[u8], what: impl Fn() -> String) {
    if std::panic::catch_unwind(|| check(input)).is_err() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
        let file = dir.join(format!("seeds-{:016x}", aipm_execution_steps_fuzz::hash(input)));
        let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, input));
        panic!(
            "{} failed on {:?}{}",
            what(),
            String::from_utf8_lossy(input),
            saved.map_or(String::new(), |()| format!(" (saved as {})", file.display()))
        );
    }
}

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a seed").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let data = std::fs::read(&path).expect("a seed reads");
            (path, data)
        })
        .collect()
}

/// One to four edits of `data`: a byte changed, inserted or removed, a range
/// removed, repeated or moved, a piece of `other` or a token spliced in, lines
/// cut off or shuffled.
fn mutate(data: &[u8], other: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(10) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.insert(at, rng.next() as u8),
            2 if at < out.len() => {
                let end = (at + 1 + rng.below(32)).min(out.len());
                out.drain(at..end);
            }
            3 if at < out.len() => {
                let end = (at + 1 + rng.below(64)).min(out.len());
                let piece = out[at..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, piece);
            }
            4 if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + 1 + rng.below(256)).min(other.len());
                out.splice(at..at, other[from..end].iter().copied());
            }
            5 | 6 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            7 => out.truncate(at),
            8 => {
                // Swap two lines.
                let mut lines: Vec<Vec<u8>> = out.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                if lines.len() > 1 {
                    let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                    lines.swap(a, b);
                    out = lines.concat();
                }
            }
            _ => {
                // Line feeds to CRLF, or a byte-order mark in front.
                if rng.below(2) == 0 {
                    out = out
                        .iter()
                        .flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] })
                        .collect();
                } else {
                    out.splice(0..0, "\u{feff}".bytes());
                }
            }
        }
    }
    out
}

/// xorshift64*: deterministic, so a failure here fails the same way again.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}
