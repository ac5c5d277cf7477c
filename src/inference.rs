//! Where a step is inferred: from a task's status and its evidence to whether
//! it is running, which source speaks for it, and the run's timeline
//! (SPEC §5: `recorded` > `log` > `history`, then `status`).

use crate::db::read::TaskRecord;
use crate::evidence::attempt::{Attempt, Entered};
use crate::evidence::history::history_timeline;
use crate::evidence::metadata::TaskMetadata;
use crate::status::{StatusClass, TaskStatus};
use crate::steps::{Step, StepEvent};
use crate::time::{parse_db_timestamp, Instant, Zone};
use crate::timeline::{RunEnding, Timeline, Unmentioned};

/// Which evidence the result rests on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Recorded,
    Log,
    History,
    Status,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Recorded => "recorded",
            Source::Log => "log",
            Source::History => "history",
            Source::Status => "status",
        }
    }
}

/// Runs found for the task's attempt, from the sources read outside the database.
#[derive(Clone, Debug, Default)]
pub struct Runs {
    /// The attempt's latest recorded run.
    pub recorded: Option<Timeline>,
    /// The attempt's worker log.
    pub log: Option<Timeline>,
}

/// What is known about a task.
#[derive(Clone, Debug)]
pub struct Inference {
    pub class: StatusClass,
    pub running: bool,
    pub source: Source,
    /// The attempt's run, as the chosen source tells it.
    pub run: Option<Timeline>,
    /// How to read the run where it has no terminal event.
    pub ending: RunEnding,
    pub started_at: Option<Instant>,
    pub last_updated: Option<Instant>,
}

/// Infers a task's state from its record, its attempt and its runs.
pub fn infer(record: &TaskRecord, attempt: &Attempt, runs: Runs, zone: Zone) -> Inference {
    let task = &record.task;
    let class = TaskStatus::parse(&task.status).class();
    let metadata = task.metadata.as_deref().map(TaskMetadata::parse).unwrap_or_default();
    let locks_held = record.locks.as_ref().is_some_and(|l| l.count > 0);
    let history = history_timeline(&record.history, attempt, record.locks.as_ref(), metadata.file_locked);
    let usable = |t: Option<Timeline>| t.filter(|t| t.current().is_some());
    let recorded = usable(runs.recorded);
    let log = usable(runs.log);

    let running = match class {
        StatusClass::Running => true,
        StatusClass::Rework => match attempt.entered {
            Some(Entered::Rework) => locks_held || recorded.is_some() || log.is_some() || history.is_some(),
            // Without the REWORK transition in history, only a run still going shows a rework run.
            _ => {
                locks_held
                    || metadata.file_locked
                    || recorded.as_ref().or(log.as_ref()).is_some_and(|t| !t.is_terminated())
            }
        },
        _ => false,
    };

    let from_metadata = metadata.current_step.filter(|_| running).map(|step| {
        let mut t = Timeline::new(Unmentioned::Completed);
        t.step_event(None, step, StepEvent::Start);
        t
    });
    let (source, run) = [
        (Source::Recorded, recorded),
        (Source::Recorded, from_metadata),
        (Source::Log, log),
        (Source::History, history),
    ]
    .into_iter()
    .find_map(|(source, run)| run.map(|r| (source, Some(r))))
    .unwrap_or_else(|| status_only(running, !record.history.is_empty()));

    let ending = match class {
        _ if running => RunEnding::Live,
        StatusClass::Finished => RunEnding::Finished,
        _ => RunEnding::Stopped,
    };
    let run_began = run.as_ref().and_then(Timeline::first_at);
    let task_started = task.started_at.as_deref().and_then(|t| parse_db_timestamp(t, zone));
    let started_at = match attempt.entered {
        Some(Entered::InProgress) => attempt.entered_at,
        Some(Entered::Rework) if running => run_began.or(attempt.entered_at),
        Some(Entered::Rework) => None,
        None => run_began,
    }
    .or(task_started);
    let last_updated = [
        task.updated_at.as_deref().and_then(|t| parse_db_timestamp(t, zone)),
        record.history.iter().filter_map(|r| r.changed_at).max(),
        run.as_ref().and_then(Timeline::last_at),
        record.locks.as_ref().and_then(|l| l.first_locked_at),
    ]
    .into_iter()
    .flatten()
    .max();

    Inference {
        class,
        running,
        source,
        run,
        ending,
        started_at,
        last_updated,
    }
}

/// No source had anything to say. A running task with history but no step
/// evidence is being assigned; with no history at all it is fetching its info.
fn status_only(running: bool, has_history: bool) -> (Source, Option<Timeline>) {
    if !running {
        return (Source::Status, None);
    }
    let (source, step) = if has_history {
        (Source::History, Step::AssignWorker)
    } else {
        (Source::Status, Step::GetTaskInfo)
    };
    let mut t = Timeline::new(Unmentioned::Completed);
    t.step_event(None, step, StepEvent::Start);
    (source, Some(t))
}
