//! What the fuzz targets in `fuzz/` need of the private parsers (not an API):
//! thin functions over the real worker-log, review-log and metadata parsers
//! and the timeline, returning plain data to assert on. Nothing here decides
//! anything: every value is the real code's, copied out.

use crate::decision::timeline::{timeline, ReviewSpan, RunEnding};
use crate::evidence::metadata::TaskMetadata;
use crate::evidence::review_log::{ReviewLog as ParsedReviewLog, ReviewLogParser};
use crate::evidence::run::{Outcome, Run as ParsedRun};
use crate::evidence::worker_log::{self, Meaning, WorkerLogParser};
use crate::step::{Step, StepEvent, TOTAL_STEPS};
use crate::time::{Instant, Zone};

pub use crate::decision::timeline::StepSpan;

/// One line in the worker's step shape, as `parse_line` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepLine {
    pub time: String,
    pub sub_step: String,
    pub event: StepEvent,
    pub detail: String,
    pub meaning: LineMeaning,
    /// The task a `[get_task_info] start: <task>` line opens a run of.
    pub opened_task: Option<String>,
}

/// What a step line means for its run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineMeaning {
    Step(Step, StepEvent),
    RunFailed(String),
    RunCompleted,
    Unrelated,
}

/// `line` (without its line feed) read as a worker-log step line.
pub fn step_line(line: &str) -> Option<StepLine> {
    let parsed = worker_log::parse_line(line)?;
    let meaning = match parsed.meaning() {
        Meaning::Step(step, event) => LineMeaning::Step(step, event),
        Meaning::RunFailed(message) => LineMeaning::RunFailed(message.to_owned()),
        Meaning::RunCompleted => LineMeaning::RunCompleted,
        Meaning::Unrelated => LineMeaning::Unrelated,
    };
    Some(StepLine {
        time: parsed.time.to_owned(),
        sub_step: parsed.sub_step.to_owned(),
        event: parsed.event,
        detail: parsed.detail.to_owned(),
        meaning,
        opened_task: parsed.opened_task().map(str::to_owned),
    })
}

/// How a run ended, as its own evidence says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    Open,
    Completed {
        at: Option<Instant>,
    },
    Failed {
        step: Step,
        message: String,
        at: Option<Instant>,
    },
}

/// A run's folded state, and its timeline read as live, finished and stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunState {
    /// The furthest step reached: the run's current step.
    pub reached: Option<Step>,
    pub ending: Ending,
    pub rework: bool,
    pub first_at: Option<Instant>,
    pub last_at: Option<Instant>,
    /// Which steps the run mentioned, in pipeline order.
    pub mentioned: [bool; TOTAL_STEPS],
    pub live: [StepSpan; TOTAL_STEPS],
    pub finished: [StepSpan; TOTAL_STEPS],
    pub stopped: [StepSpan; TOTAL_STEPS],
}

impl RunState {
    fn of(run: &ParsedRun) -> RunState {
        let ending = match run.outcome() {
            Outcome::Open => Ending::Open,
            Outcome::Completed { at } => Ending::Completed { at: *at },
            Outcome::Failed { step, message, at } => Ending::Failed {
                step: *step,
                message: message.clone(),
                at: *at,
            },
        };
        RunState {
            reached: run.reached(),
            ending,
            rework: run.is_rework(),
            first_at: run.first_at(),
            last_at: run.last_at(),
            mentioned: Step::ALL.map(|step| run.marks(step).mentioned),
            live: timeline(Some(run), RunEnding::Live, None),
            finished: timeline(Some(run), RunEnding::Finished, None),
            stopped: timeline(Some(run), RunEnding::Stopped, None),
        }
    }
}

/// One run in a worker log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerLogRun {
    /// The task its `[get_task_info] start:` line names.
    pub task_id: Option<String>,
    pub began_at: Option<Instant>,
    pub run: RunState,
}

/// A worker log read line by line, as the log reader feeds it.
#[derive(Clone, Debug)]
pub struct WorkerLog(WorkerLogParser);

impl WorkerLog {
    pub fn new(zone: Zone) -> WorkerLog {
        WorkerLog(WorkerLogParser::new(zone))
    }

    /// Feeds one line, without its line feed.
    pub fn feed(&mut self, line: &str) {
        self.0.feed(line)
    }

    /// Feeds a last line still being written, as the log reader does.
    pub fn feed_partial(&mut self, line: &str) {
        self.0.feed_partial(line)
    }

    /// The log's runs so far, oldest first.
    pub fn runs(&self) -> Vec<WorkerLogRun> {
        self.0
            .runs()
            .iter()
            .map(|r| WorkerLogRun {
                task_id: r.task_id.clone(),
                began_at: r.began_at,
                run: RunState::of(&r.run),
            })
            .collect()
    }
}

/// The runs of a whole worker log, its lines split at line feeds.
pub fn worker_log_runs(text: &str, zone: Zone) -> Vec<WorkerLogRun> {
    let mut log = WorkerLog::new(zone);
    lines(text).for_each(|line| log.feed(line));
    log.runs()
}

/// The rework run inside a review log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReworkState {
    pub started_at: Option<Instant>,
    pub ended_at: Option<Instant>,
    pub run: RunState,
}

/// What a review log says, and the timeline its review makes of a finished run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewState {
    pub project_id: Option<String>,
    pub task_id: Option<String>,
    pub started_at: Option<Instant>,
    pub last_at: Option<Instant>,
    pub review_ended_at: Option<Instant>,
    pub verdict: Option<String>,
    pub failed: bool,
    pub message: Option<String>,
    pub rework: Option<ReworkState>,
    pub closed: bool,
    /// Whether the reader stops reading it here.
    pub finished: bool,
    /// `timeline(None, Live, Some(review))`: step 7 is the review.
    pub timeline: [StepSpan; TOTAL_STEPS],
}

/// A review log read line by line, as the log reader feeds it.
#[derive(Clone, Debug)]
pub struct ReviewLog(ReviewLogParser);

impl ReviewLog {
    pub fn new(zone: Zone) -> ReviewLog {
        ReviewLog(ReviewLogParser::new(zone))
    }

    /// Feeds one line, without its line feed.
    pub fn feed(&mut self, line: &str) {
        self.0.feed(line)
    }

    pub fn state(&self) -> ReviewState {
        let log: &ParsedReviewLog = self.0.log();
        ReviewState {
            project_id: log.project_id.clone(),
            task_id: log.task_id.clone(),
            started_at: log.started_at,
            last_at: log.last_at,
            review_ended_at: log.review.ended_at,
            verdict: log.review.verdict.clone(),
            failed: log.review.failed,
            message: log.review.message.clone(),
            rework: log.rework.as_ref().map(|r| ReworkState {
                started_at: r.started_at,
                ended_at: r.ended_at,
                run: RunState::of(&r.run),
            }),
            closed: log.closed,
            finished: self.0.is_finished(),
            timeline: timeline(None, RunEnding::Live, Some(ReviewSpan::of(log))),
        }
    }
}

/// What a whole review log says, its lines split at line feeds.
pub fn review_log(text: &str, zone: Zone) -> ReviewState {
    let mut log = ReviewLog::new(zone);
    lines(text).for_each(|line| log.feed(line));
    log.state()
}

/// `tasks.metadata` as the reader reads it.
pub fn metadata(text: &str) -> (bool, Option<Step>) {
    let read = TaskMetadata::parse(text);
    (read.file_locked, read.current_step)
}

/// The lines the log reader feeds: split after each `\n`, which is dropped (a
/// `\r` before it is the parser's to drop); no empty line after a final `\n`.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n').map(|l| l.strip_suffix('\n').unwrap_or(l))
}
