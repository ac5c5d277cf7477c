//! Where a task's logs are (docs/behaviour.md, "Worker logs", "Review logs"):
//!
//! * worker logs: `<user-data>/PROJECTS/<project>/RESULT/<order>/LOGS/worker_<task>_<YYYYMMDD_HHMMSS>.log`,
//!   one per launch;
//! * the review log: `<user-data>/logs/review_workers/<task>_review.log`, one per task id.
//!
//! Ids come from callers and from the database, so none is joined into a path
//! unless it is a single plain path component (docs/behaviour.md, "What it never does"), and nothing reached
//! through a link that leads out of its folder is read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::time::{parse_log_file_stamp, Instant, Zone};

/// One worker log file: one launch of the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerLogFile {
    pub path: PathBuf,
    /// The task the log was launched for (its name's).
    pub task_id: String,
    /// The launch time in the file name.
    pub launched_at: Instant,
}

/// An id that can be used as one path component: not empty, not `.` or `..`,
/// without separators, drive colons, NUL or control characters, of a sane length.
pub fn is_safe_component(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 255
        && id != "."
        && id != ".."
        && !id
            .chars()
            .any(|c| matches!(c, '/' | '\\' | ':' | '\0') || c.is_control())
}

/// Where the LOGS folder of an order is (whether or not it exists), if the ids are safe.
pub fn logs_dir(root: &Path, project_id: &str, order_id: &str) -> Option<PathBuf> {
    (is_safe_component(project_id) && is_safe_component(order_id)).then(|| {
        root.join("PROJECTS")
            .join(project_id)
            .join("RESULT")
            .join(order_id)
            .join("LOGS")
    })
}

/// The folder review logs are written to.
pub fn review_dir(root: &Path) -> PathBuf {
    root.join("logs").join("review_workers")
}

/// Where the review log of `task_id` is (whether or not it exists), if the id is safe.
pub fn review_log(root: &Path, task_id: &str) -> Option<PathBuf> {
    is_safe_component(task_id).then(|| review_dir(root).join(format!("{task_id}_review.log")))
}

/// `path` if, once links are resolved, it is a regular file inside `folder`
/// (whose own links resolve inside `root`).
pub fn inside(path: &Path, folder: &Path, root: &Path) -> Option<PathBuf> {
    let folder = folder.canonicalize().ok().filter(|f| f.starts_with(root))?;
    let real = path.canonicalize().ok()?;
    (real.starts_with(&folder) && real.is_file()).then_some(real)
}

/// The worker logs in a LOGS folder, by task id, oldest launch first. The
/// folder must lie inside `root` (canonical) once links are resolved, and so
/// must any log reached through a link.
pub fn scan_worker_logs(dir: &Path, root: &Path, zone: Zone) -> HashMap<String, Vec<WorkerLogFile>> {
    let mut by_task: HashMap<String, Vec<WorkerLogFile>> = HashMap::new();
    let Some(real_dir) = dir.canonicalize().ok().filter(|d| d.starts_with(root)) else {
        return by_task;
    };
    let Ok(entries) = std::fs::read_dir(&real_dir) else {
        return by_task;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((task_id, launched_at)) = name.to_str().and_then(|n| parse_worker_log_name(n, zone)) else {
            continue;
        };
        let Ok(file_type) = entry.file_type() else { continue };
        let path = if file_type.is_symlink() {
            match entry.path().canonicalize() {
                Ok(real) if real.starts_with(root) && real.is_file() => real,
                _ => continue,
            }
        } else if file_type.is_file() {
            entry.path()
        } else {
            continue;
        };
        by_task.entry(task_id.to_owned()).or_default().push(WorkerLogFile {
            path,
            task_id: task_id.to_owned(),
            launched_at,
        });
    }
    for logs in by_task.values_mut() {
        logs.sort_by(|a, b| a.launched_at.cmp(&b.launched_at).then_with(|| a.path.cmp(&b.path)));
    }
    by_task
}

/// Where the daemon would write a worker log of `task_id` launched at `launched`
/// (wall-clock time in the writers' zone), if the ids are safe.
pub fn worker_log(
    root: &Path,
    project_id: &str,
    order_id: &str,
    task_id: &str,
    launched: chrono::NaiveDateTime,
) -> Option<PathBuf> {
    let dir = logs_dir(root, project_id, order_id).filter(|_| is_safe_component(task_id))?;
    Some(dir.join(format!("worker_{task_id}_{}.log", launched.format("%Y%m%d_%H%M%S"))))
}

/// `worker_<task>_<YYYYMMDD>_<HHMMSS>.log` → (task, launch time).
fn parse_worker_log_name(name: &str, zone: Zone) -> Option<(&str, Instant)> {
    let inner = name.strip_prefix("worker_")?.strip_suffix(".log")?;
    const STAMP: usize = "_20261024_105149".len();
    if inner.len() <= STAMP || !inner.is_char_boundary(inner.len() - STAMP) {
        return None;
    }
    let (task_id, stamp) = inner.split_at(inner.len() - STAMP);
    Some((task_id, parse_log_file_stamp(&stamp[1..], zone)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_log_names_parse_with_underscored_task_ids() {
        let jst = Zone::japan();
        let (task, at) = parse_worker_log_name("worker_TASK_2001_20261024_105205.log", jst).unwrap();
        assert_eq!(task, "TASK_2001");
        assert_eq!(jst.format(at), "2026-10-24T10:52:05+09:00");
        for name in [
            "worker_20261024_105205.log",
            "worker_TASK_1_2026102x_105205.log",
            "other_TASK_1_20261024_105205.log",
            "worker_TASK_1_20261024_105205.txt",
        ] {
            assert_eq!(parse_worker_log_name(name, jst), None, "{name}");
        }
    }

    #[test]
    fn a_worker_log_path_is_named_as_the_daemon_names_it_and_parses_back() {
        let jst = Zone::japan();
        let launched = chrono::NaiveDate::from_ymd_opt(2026, 10, 24)
            .unwrap()
            .and_hms_opt(10, 52, 5)
            .unwrap();
        let path = worker_log(Path::new("/u"), "ai_pm_manager", "ORDER_119", "TASK_2001", launched).unwrap();
        assert_eq!(
            path,
            PathBuf::from("/u/PROJECTS/ai_pm_manager/RESULT/ORDER_119/LOGS/worker_TASK_2001_20261024_105205.log")
        );
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            parse_worker_log_name(name, jst).map(|(t, at)| (t.to_owned(), jst.format(at))),
            Some(("TASK_2001".to_owned(), "2026-10-24T10:52:05+09:00".to_owned()))
        );
        assert_eq!(worker_log(Path::new("/u"), "p", "O", "../x", launched), None);
        assert_eq!(worker_log(Path::new("/u"), "p", "a/b", "T", launched), None);
    }

    #[test]
    fn unsafe_ids_are_never_path_components() {
        for id in ["", ".", "..", "a/b", "a\\b", "C:", "a\0b", "../../etc", "line\nbreak"] {
            assert!(!is_safe_component(id), "{id:?}");
            assert_eq!(review_log(Path::new("/u"), id), None);
        }
        for id in ["ai_pm_manager", "ORDER_119", "TASK_2001", "プロジェクト", "a..b"] {
            assert!(is_safe_component(id), "{id:?}");
        }
        assert_eq!(
            review_log(Path::new("/u"), "TASK_1"),
            Some(PathBuf::from("/u/logs/review_workers/TASK_1_review.log"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_their_folder_are_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        let logs = root.join("PROJECTS/p/RESULT/O/LOGS");
        std::fs::create_dir_all(&logs).unwrap();
        let secret = outside.path().join("secret.log");
        std::fs::write(&secret, "x").unwrap();
        std::os::unix::fs::symlink(&secret, logs.join("worker_T_20261024_105205.log")).unwrap();
        std::fs::write(logs.join("worker_T_20261024_105300.log"), "x").unwrap();
        let found = scan_worker_logs(&logs, &root, Zone::japan());
        assert_eq!(found["T"].len(), 1);
        assert!(found["T"][0].path.ends_with("worker_T_20261024_105300.log"));

        // a LOGS folder that is itself a link out of the root is refused
        let other = root.join("PROJECTS/q/RESULT/O");
        std::fs::create_dir_all(&other).unwrap();
        std::os::unix::fs::symlink(outside.path(), other.join("LOGS")).unwrap();
        assert!(scan_worker_logs(&other.join("LOGS"), &root, Zone::japan()).is_empty());

        // a review log that is a link out of review_workers is not read
        let reviews = review_dir(&root);
        std::fs::create_dir_all(&reviews).unwrap();
        std::os::unix::fs::symlink(&secret, reviews.join("T_review.log")).unwrap();
        assert_eq!(inside(&reviews.join("T_review.log"), &reviews, &root), None);
        std::fs::write(reviews.join("U_review.log"), "x").unwrap();
        assert!(inside(&reviews.join("U_review.log"), &reviews, &root).is_some());
    }
}
