//! Attempts (docs/behaviour.md, "Attempts"): a task's current attempt begins at its latest
//! transition into its current running status — IN_PROGRESS for a worker run,
//! REWORK for a rework run, DONE for a review — and only evidence from it
//! counts. This module finds the transition and says which runs (logs,
//! recorded runs, review logs) can belong to an attempt.

use chrono::{DurationRound, TimeDelta};

use crate::evidence::history::{Field, HistoryRow};
use crate::time::Instant;

/// How long before its IN_PROGRESS transition an attempt's worker log may have
/// been launched: a worker started by hand creates its log a moment before it
/// writes the transition itself (the daemon writes the transition first).
pub const HAND_START_LEAD: TimeDelta = TimeDelta::seconds(10);

/// The status an attempt runs in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// IN_PROGRESS: a worker runs the pipeline.
    Worker,
    /// REWORK: the review worker (or a worker) runs the pipeline again.
    Rework,
    /// DONE: the review worker reviews the result.
    Review,
}

impl Phase {
    pub fn status(self) -> &'static str {
        match self {
            Phase::Worker => "IN_PROGRESS",
            Phase::Rework => "REWORK",
            Phase::Review => "DONE",
        }
    }
}

/// One attempt: the transition that began it and the rows that followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt<'a> {
    pub phase: Phase,
    /// When the task entered the phase's status; `None` where history does not show it.
    pub entered_at: Option<Instant>,
    /// The attempt's rows, without the transition itself: what followed it, and
    /// for a worker attempt the launcher's assignee row of the same second.
    pub rows: Vec<&'a HistoryRow>,
    /// Where the transition is in the task's rows.
    entry: Option<usize>,
    /// When the status row before it was written: a run launched before that
    /// belongs to an earlier attempt (a crash-recovered relaunch's dead worker).
    previous_status_at: Option<Instant>,
}

impl<'a> Attempt<'a> {
    /// The latest attempt in `phase`, from the task's own rows (oldest first).
    pub fn latest(rows: &[&'a HistoryRow], phase: Phase) -> Option<Attempt<'a>> {
        let entry = rows.iter().rposition(|r| r.is_status_to(phase.status()))?;
        Some(Attempt::at(rows, phase, entry))
    }

    /// The latest run (worker or rework), whichever came last.
    pub fn latest_run(rows: &[&'a HistoryRow]) -> Option<Attempt<'a>> {
        Attempt::latest_of(rows, &[Phase::Worker, Phase::Rework])
    }

    /// The latest attempt of any phase: a worker run, a rework run or a review.
    pub fn latest_any(rows: &[&'a HistoryRow]) -> Option<Attempt<'a>> {
        Attempt::latest_of(rows, &[Phase::Worker, Phase::Rework, Phase::Review])
    }

    fn latest_of(rows: &[&'a HistoryRow], phases: &[Phase]) -> Option<Attempt<'a>> {
        let phase_of = |r: &HistoryRow| phases.iter().copied().find(|p| r.is_status_to(p.status()));
        let entry = rows.iter().rposition(|r| phase_of(r).is_some())?;
        let phase = phase_of(rows[entry])?;
        Some(Attempt::at(rows, phase, entry))
    }

    /// The run attempt that ended in this one (the run before a review), if
    /// any, with the transition that ended it among its rows.
    pub fn run_before(&self, rows: &[&'a HistoryRow]) -> Option<Attempt<'a>> {
        let before = &rows[..=self.entry?];
        Attempt::latest_run(before)
    }

    /// An attempt history does not show (a database without `change_history`,
    /// or a task whose rows are missing): every run may be its.
    pub fn unknown(phase: Phase) -> Attempt<'a> {
        Attempt {
            phase,
            entered_at: None,
            rows: Vec::new(),
            entry: None,
            previous_status_at: None,
        }
    }

    fn at(rows: &[&'a HistoryRow], phase: Phase, entry: usize) -> Attempt<'a> {
        let entered_at = rows[entry].changed_at;
        let first = match (phase, entered_at) {
            // The launcher writes its assignee row in the same second, just before.
            (Phase::Worker, Some(at)) => {
                let second = truncate(at);
                rows[..entry]
                    .iter()
                    .rposition(|r| r.changed_at.is_none_or(|t| t < second))
                    .map_or(0, |i| i + 1)
            }
            _ => entry,
        };
        let previous_status_at = rows[..first]
            .iter()
            .rev()
            .find(|r| r.field == Field::Status)
            .and_then(|r| r.changed_at);
        let attempt_rows = rows
            .iter()
            .enumerate()
            .skip(first)
            .filter(|&(i, _)| i != entry)
            .map(|(_, r)| *r)
            .collect();
        Attempt {
            phase,
            entered_at,
            rows: attempt_rows,
            entry: Some(entry),
            previous_status_at,
        }
    }

    /// The attempt with only its rows written at or after `since` (all, for `None`).
    pub fn since(&self, since: Option<Instant>) -> Attempt<'a> {
        let mut later = self.clone();
        if let Some(since) = since.map(truncate) {
            later.rows.retain(|r| r.changed_at.is_some_and(|t| t >= since));
        }
        later
    }

    /// The row that began the attempt.
    pub fn entry_row(&self, rows: &[&'a HistoryRow]) -> Option<&'a HistoryRow> {
        self.entry.map(|i| rows[i])
    }

    /// Whether the launcher daemon began it (its `→ ParallelWorker` row comes
    /// with the move to IN_PROGRESS), before the worker has said anything.
    pub fn launched_by_daemon(&self) -> bool {
        self.phase == Phase::Worker && self.rows.iter().any(|r| r.is_launchers())
    }

    /// Whether the worker of this attempt has named itself (an assignee row of
    /// its `assign_worker` step, written after its file locks).
    pub fn worker_assigned(&self) -> bool {
        self.rows.iter().any(|r| r.is_worker_assignment())
    }

    /// The earliest a run of this attempt can have begun (`None`: any time).
    pub fn runs_from(&self) -> Option<Instant> {
        let entered = truncate(self.entered_at?);
        let earliest = match self.phase {
            Phase::Worker => entered - HAND_START_LEAD,
            Phase::Rework | Phase::Review => entered,
        };
        Some(match self.previous_status_at.map(truncate) {
            Some(previous) if self.phase == Phase::Worker => earliest.max(previous),
            _ => earliest,
        })
    }

    /// Whether a run that began at `began` (and ended at `ended`, if it has)
    /// can be this attempt's. A run that ended before the status was entered
    /// never is; a run launched before a REWORK or DONE transition never is the
    /// rework run or the review; a worker run may have begun a moment before
    /// its IN_PROGRESS transition ([`HAND_START_LEAD`]), but not before the
    /// status row before that transition.
    pub fn admits(&self, began: Option<Instant>, ended: Option<Instant>) -> bool {
        let (Some(entered), Some(from)) = (self.entered_at.map(truncate), self.runs_from()) else {
            return true;
        };
        let Some(began) = began else { return false };
        began >= from && ended.is_none_or(|e| e >= entered)
    }
}

/// Logs and `CURRENT_TIMESTAMP` have whole seconds: compare at that precision.
fn truncate(t: Instant) -> Instant {
    t.duration_trunc(TimeDelta::seconds(1)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::ownership::tests::{launch, row};

    fn refs(rows: &[HistoryRow]) -> Vec<&HistoryRow> {
        rows.iter().collect()
    }

    #[test]
    fn a_worker_attempt_starts_at_the_latest_transition_with_the_launchers_rows() {
        let mut rows = launch(None, "Worker A", 0);
        rows.push(row(
            None,
            "status",
            Some("IN_PROGRESS"),
            "QUEUED",
            50,
            "System(crash_recovery)",
        ));
        rows.extend(launch(None, "Worker B", 100));
        let all = refs(&rows);
        let attempt = Attempt::latest(&all, Phase::Worker).unwrap();
        assert_eq!(attempt.entered_at, rows[4].changed_at);
        let own: Vec<&str> = attempt.rows.iter().map(|r| r.new_value.as_deref().unwrap()).collect();
        assert_eq!(own, ["ParallelWorker", "Worker B"]);
    }

    #[test]
    fn a_run_that_ended_before_the_transition_or_began_before_a_rework_is_not_the_attempts() {
        let mut rows = launch(None, "Worker A", 0);
        rows.push(row(None, "status", Some("IN_PROGRESS"), "DONE", 40, "Worker A"));
        rows.push(row(None, "status", Some("DONE"), "REWORK", 42, "ReviewWorker"));
        let all = refs(&rows);
        let t = |s: i64| rows[0].changed_at.map(|t| t + TimeDelta::seconds(s));
        let rework = Attempt::latest(&all, Phase::Rework).unwrap();
        assert!(!rework.admits(t(-1), None), "the first run's log is not the rework run");
        assert!(!rework.admits(t(0), t(41)));
        assert!(rework.admits(t(43), None));
        assert!(rework.admits(t(42), None), "same second counts");
        let worker = Attempt::latest(&all, Phase::Worker).unwrap();
        assert!(
            worker.admits(t(-5), None),
            "a hand-started worker's log comes a moment first"
        );
        assert!(!worker.admits(t(-60), None));
        assert!(!worker.admits(None, None));
        assert!(
            Attempt::unknown(Phase::Worker).admits(None, None),
            "without history every run is a candidate"
        );
        let review = Attempt::latest(&all, Phase::Review).unwrap();
        assert_eq!(review.run_before(&all).map(|a| a.phase), Some(Phase::Worker));
        assert_eq!(Attempt::latest_run(&all).map(|a| a.phase), Some(Phase::Rework));
    }
}
