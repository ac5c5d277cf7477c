//! The task's current (or, when it is not running, latest) attempt (SPEC §5):
//! it begins at the latest transition into the status the worker runs in —
//! IN_PROGRESS, or REWORK for a rework run — and only evidence from it counts.

use chrono::{DurationRound, TimeDelta};

use crate::evidence::history::HistoryRow;
use crate::status::RUN_STATUSES;
use crate::time::Instant;

/// How far before the IN_PROGRESS transition the attempt's log may start: the
/// launcher creates the log just before the worker flips the status.
pub const LOG_LEAD: TimeDelta = TimeDelta::seconds(120);

/// Which running status the attempt entered.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Entered {
    InProgress,
    Rework,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attempt {
    /// Which status the attempt entered, when history shows the transition.
    pub entered: Option<Entered>,
    /// When it entered it.
    pub entered_at: Option<Instant>,
    entry: Option<usize>,
    first_row: usize,
}

impl Attempt {
    /// The attempt for a task in `status`, from its scoped, time-ordered history.
    pub fn find(rows: &[HistoryRow], status: &str) -> Attempt {
        let targets: &[&str] = match status {
            "IN_PROGRESS" | "REWORK" => std::slice::from_ref(&status),
            _ => &RUN_STATUSES,
        };
        let Some(entry) = rows.iter().rposition(|r| targets.iter().any(|t| r.is_status_to(t))) else {
            return Attempt::default();
        };
        let entry_row = &rows[entry];
        let entered = match entry_row.new_value.as_deref() {
            Some("REWORK") => Entered::Rework,
            _ => Entered::InProgress,
        };
        let entered_at = entry_row.changed_at;
        let first_row = match (entered, entered_at) {
            // The worker writes the assignee change in the same second, just before.
            (Entered::InProgress, Some(at)) => {
                let second = at.duration_trunc(TimeDelta::seconds(1)).unwrap_or(at);
                rows[..entry]
                    .iter()
                    .rposition(|r| r.changed_at.is_none_or(|t| t < second))
                    .map_or(0, |i| i + 1)
            }
            (Entered::InProgress, None) => entry,
            (Entered::Rework, _) => entry + 1,
        };
        Attempt {
            entered: Some(entered),
            entered_at,
            entry: Some(entry),
            first_row,
        }
    }

    /// The attempt's rows, without the transition that began it. Without any
    /// transition in the history, every row.
    pub fn rows<'a>(&self, rows: &'a [HistoryRow]) -> impl Iterator<Item = &'a HistoryRow> + 'a {
        let entry = self.entry;
        rows.iter()
            .enumerate()
            .skip(self.first_row)
            .filter(move |(i, _)| Some(*i) != entry)
            .map(|(_, r)| r)
    }

    /// Whether a run (a log, a recorded run) that began at `began_at` belongs to this attempt.
    pub fn admits(&self, began_at: Option<Instant>) -> bool {
        match (self.entered, self.entered_at, began_at) {
            (_, None, _) => true,
            (_, Some(_), None) => false,
            (Some(Entered::Rework), Some(entered), Some(began)) => began >= entered - TimeDelta::seconds(1),
            (_, Some(entered), Some(began)) => began >= entered - LOG_LEAD,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::history::tests::row;

    #[test]
    fn in_progress_attempt_starts_at_the_latest_transition_with_its_assignee_row() {
        let rows = vec![
            row(None, "assignee", "", "Worker A", 0),
            row(None, "status", "QUEUED", "IN_PROGRESS", 0),
            row(None, "status", "IN_PROGRESS", "INTERRUPTED", 50),
            row(None, "status", "INTERRUPTED", "QUEUED", 60),
            row(None, "assignee", "Worker A", "Worker B", 100),
            row(None, "status", "QUEUED", "IN_PROGRESS", 100),
        ];
        let attempt = Attempt::find(&rows, "IN_PROGRESS");
        assert_eq!(attempt.entered, Some(Entered::InProgress));
        assert_eq!(attempt.entered_at, rows[5].changed_at);
        let own: Vec<_> = attempt.rows(&rows).map(|r| r.new_value.as_deref().unwrap()).collect();
        assert_eq!(own, ["Worker B"]);
    }

    #[test]
    fn rework_attempt_counts_only_what_follows_the_rework_transition() {
        let rows = vec![
            row(None, "status", "QUEUED", "IN_PROGRESS", 0),
            row(None, "status", "IN_PROGRESS", "DONE", 40),
            row(None, "status", "DONE", "REWORK", 80),
        ];
        let attempt = Attempt::find(&rows, "REWORK");
        assert_eq!(attempt.entered, Some(Entered::Rework));
        assert_eq!(attempt.rows(&rows).count(), 0);
        let t = |s: i64| rows[0].changed_at.map(|t| t + TimeDelta::seconds(s));
        assert!(!attempt.admits(t(0)), "the first run's log is not the rework run");
        assert!(attempt.admits(t(90)));
        // a finished task's latest attempt is its rework run
        let done = Attempt::find(&rows, "DONE");
        assert_eq!(done.entered, Some(Entered::Rework));
    }

    #[test]
    fn logs_may_start_a_little_before_the_in_progress_transition() {
        let rows = vec![row(None, "status", "QUEUED", "IN_PROGRESS", 600)];
        let attempt = Attempt::find(&rows, "IN_PROGRESS");
        let t = |s: i64| rows[0].changed_at.map(|t| t + TimeDelta::seconds(s));
        assert!(attempt.admits(t(-5)));
        assert!(!attempt.admits(t(-600)));
        assert!(!attempt.admits(None));
        assert!(
            Attempt::default().admits(None),
            "without history every run is a candidate"
        );
    }
}
