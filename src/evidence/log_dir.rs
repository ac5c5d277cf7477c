//! Finding a task's worker logs (SPEC §4):
//! `<user-data>/PROJECTS/<project>/RESULT/<order>/LOGS/worker_<task>_<YYYYMMDD_HHMMSS>.log`.
//!
//! Ids come from callers and from the database, so none is joined into a path
//! unless it is a single plain path component, and nothing reached through a
//! link that leads outside the user-data root is read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::time::{parse_log_file_stamp, Instant, Zone};

/// One log file of one task: one attempt's run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFile {
    pub path: PathBuf,
    /// The launch time in the file name.
    pub launched_at: Instant,
}

/// An id that can be used as one path component: not empty, not `.` or `..`,
/// without separators, drive colons or NUL, and of a sane length.
pub fn is_safe_component(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 255
        && id != "."
        && id != ".."
        && !id
            .chars()
            .any(|c| matches!(c, '/' | '\\' | ':' | '\0') || c.is_control())
}

/// Where the LOGS folder of an order is, if the ids are safe path components.
pub fn expected_logs_dir(root: &Path, project_id: &str, order_id: &str) -> Option<PathBuf> {
    (is_safe_component(project_id) && is_safe_component(order_id)).then(|| {
        root.join("PROJECTS")
            .join(project_id)
            .join("RESULT")
            .join(order_id)
            .join("LOGS")
    })
}

/// The LOGS folder of an order, if the ids are safe and the folder, once links
/// are resolved, lies inside `root` (the canonical user-data root).
pub fn logs_dir(root: &Path, project_id: &str, order_id: &str) -> Option<PathBuf> {
    let dir = expected_logs_dir(root, project_id, order_id)?;
    // Most orders have no LOGS folder: one stat says so, where resolving the
    // path would look at every component first.
    std::fs::symlink_metadata(&dir).ok()?;
    let real = dir.canonicalize().ok()?;
    (real.starts_with(root) && real.is_dir()).then_some(real)
}

/// All worker logs in a LOGS folder, by task id, oldest launch first.
pub fn scan_logs(dir: &Path, root: &Path, zone: Zone) -> HashMap<String, Vec<LogFile>> {
    let mut by_task: HashMap<String, Vec<LogFile>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return by_task;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((task_id, launched_at)) = name.to_str().and_then(|n| parse_log_name(n, zone)) else {
            continue;
        };
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else { continue };
        let path = if file_type.is_symlink() {
            match path.canonicalize() {
                Ok(real) if real.starts_with(root) && real.is_file() => real,
                _ => continue,
            }
        } else if file_type.is_file() {
            path
        } else {
            continue;
        };
        by_task
            .entry(task_id.to_owned())
            .or_default()
            .push(LogFile { path, launched_at });
    }
    for logs in by_task.values_mut() {
        logs.sort_by(|a, b| a.launched_at.cmp(&b.launched_at).then_with(|| a.path.cmp(&b.path)));
    }
    by_task
}

/// `worker_<task>_<YYYYMMDD>_<HHMMSS>.log` → (task, launch time).
fn parse_log_name(name: &str, zone: Zone) -> Option<(&str, Instant)> {
    let inner = name.strip_prefix("worker_")?.strip_suffix(".log")?;
    const STAMP: usize = "_20261024_105149".len();
    if inner.len() <= STAMP || !inner.is_char_boundary(inner.len() - STAMP) {
        return None;
    }
    let (task_id, stamp) = inner.split_at(inner.len() - STAMP);
    let launched_at = parse_log_file_stamp(&stamp[1..], zone)?;
    Some((task_id, launched_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names_parse_with_underscored_task_ids() {
        let jst = Zone::japan();
        let (task, at) = parse_log_name("worker_TASK_2001_20261024_105205.log", jst).unwrap();
        assert_eq!(task, "TASK_2001");
        assert_eq!(jst.format(at), "2026-10-24T10:52:05+09:00");
        assert_eq!(parse_log_name("worker_20261024_105205.log", jst), None);
        assert_eq!(parse_log_name("worker_TASK_1_2026102x_105205.log", jst), None);
        assert_eq!(parse_log_name("other_TASK_1_20261024_105205.log", jst), None);
        assert_eq!(parse_log_name("worker_TASK_1_20261024_105205.txt", jst), None);
    }

    #[test]
    fn unsafe_ids_are_never_path_components() {
        for id in ["", ".", "..", "a/b", "a\\b", "C:", "a\0b", "../../etc", "line\nbreak"] {
            assert!(!is_safe_component(id), "{id:?}");
        }
        for id in ["ai_pm_manager", "ORDER_119", "TASK_2001", "プロジェクト", "a..b"] {
            assert!(is_safe_component(id), "{id:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_root_are_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let root_path = root.path().canonicalize().unwrap();
        let logs = root_path.join("PROJECTS/p/RESULT/O/LOGS");
        std::fs::create_dir_all(&logs).unwrap();
        let secret = outside.path().join("secret.log");
        std::fs::write(&secret, "x").unwrap();
        std::os::unix::fs::symlink(&secret, logs.join("worker_T_20261024_105205.log")).unwrap();
        std::fs::write(logs.join("worker_T_20261024_105300.log"), "x").unwrap();
        let found = scan_logs(&logs, &root_path, Zone::japan());
        assert_eq!(found["T"].len(), 1);
        assert!(found["T"][0].path.ends_with("worker_T_20261024_105300.log"));

        // a LOGS folder that is itself a link out of the root is refused
        let other = root_path.join("PROJECTS/q/RESULT/O");
        std::fs::create_dir_all(&other).unwrap();
        std::os::unix::fs::symlink(outside.path(), other.join("LOGS")).unwrap();
        assert_eq!(logs_dir(&root_path, "q", "O"), None);
        assert_eq!(logs_dir(&root_path, "p", "O"), Some(logs));
        assert_eq!(logs_dir(&root_path, "..", "O"), None);
    }
}
