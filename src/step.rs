//! The seven pipeline steps (docs/behaviour.md, "The seven steps"), the log
//! sub-steps that belong to each ("Worker logs"), and the events a worker
//! reports about them.

use crate::locale::Locale;

/// One of the seven fixed steps a task goes through, in order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    GetTaskInfo,
    AssignWorker,
    FileLock,
    ExecuteTask,
    CreateReport,
    UpdateStatusDone,
    AutoReview,
}

/// How many steps the pipeline has.
pub const TOTAL_STEPS: usize = 7;

impl Step {
    /// All steps in pipeline order.
    pub const ALL: [Step; TOTAL_STEPS] = [
        Step::GetTaskInfo,
        Step::AssignWorker,
        Step::FileLock,
        Step::ExecuteTask,
        Step::CreateReport,
        Step::UpdateStatusDone,
        Step::AutoReview,
    ];

    /// 0-based position in the pipeline.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The step's identifier, as the worker and the app spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Step::GetTaskInfo => "get_task_info",
            Step::AssignWorker => "assign_worker",
            Step::FileLock => "file_lock",
            Step::ExecuteTask => "execute_task",
            Step::CreateReport => "create_report",
            Step::UpdateStatusDone => "update_status_done",
            Step::AutoReview => "auto_review",
        }
    }

    /// The name shown to people.
    pub const fn display(self, locale: Locale) -> &'static str {
        match (locale, self) {
            (Locale::Ja, Step::GetTaskInfo) => "タスク情報取得",
            (Locale::Ja, Step::AssignWorker) => "Worker割当",
            (Locale::Ja, Step::FileLock) => "ファイルロック取得",
            (Locale::Ja, Step::ExecuteTask) => "AI実行",
            (Locale::Ja, Step::CreateReport) => "レポート作成",
            (Locale::Ja, Step::UpdateStatusDone) => "完了処理",
            (Locale::Ja, Step::AutoReview) => "自動レビュー",
            (Locale::En, Step::GetTaskInfo) => "Fetch task info",
            (Locale::En, Step::AssignWorker) => "Assign worker",
            (Locale::En, Step::FileLock) => "Acquire file locks",
            (Locale::En, Step::ExecuteTask) => "Run AI",
            (Locale::En, Step::CreateReport) => "Write report",
            (Locale::En, Step::UpdateStatusDone) => "Mark done",
            (Locale::En, Step::AutoReview) => "Auto review",
        }
    }

    /// `floor((index + 1) * 100 / 7)`: 14, 28, 42, 57, 71, 85, 100.
    pub const fn progress_percent(self) -> u32 {
        ((self.index() + 1) * 100 / TOTAL_STEPS) as u32
    }

    /// The step with exactly this name (one of the seven).
    pub fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The step a worker-log sub-step belongs to (docs/behaviour.md, "Worker
    /// logs"). The seven step names map to themselves; anything else
    /// (`claude_cli`, `self_healing`, `next_task`, `error`, …) belongs to no step.
    pub fn from_sub_step(sub_step: &str) -> Option<Step> {
        let step = match sub_step {
            "get_task_info" | "permission_profile" => Step::GetTaskInfo,
            "assign_worker" | "file_lock_cleanup" => Step::AssignWorker,
            "file_lock" | "file_lock_check" => Step::FileLock,
            "execute_task"
            | "create_checkpoint"
            | "create_snapshot"
            | "migration_safety_check"
            | "docs_selector"
            | "self_verification"
            | "model_upgrade" => Step::ExecuteTask,
            "create_report" | "static_analysis" | "destructive_sql_check" | "convert_report_to_html" => {
                Step::CreateReport
            }
            "update_status_done"
            | "file_lock_release"
            | "record_bug_fix"
            | "check_successors"
            | "auto_kick"
            | "bug_learning"
            | "verification_history" => Step::UpdateStatusDone,
            "auto_review" => Step::AutoReview,
            _ => return None,
        };
        Some(step)
    }
}

/// What a worker says happened in a step: the `<event>` of a log line, or a
/// recorded event. Events nobody listed read like `info` (docs/behaviour.md, "Worker logs").
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum StepEvent {
    Start,
    Success,
    /// The worker went through the step and had nothing to do (`[file_lock] skip`).
    Skip,
    /// The step was not run here at all (`[auto_review] skipped`: the review
    /// worker does it): marks the step, never reaches it.
    Skipped,
    Info,
    Warning,
    Error,
    Failed,
    Complete,
    /// `dry_run`, `found`, `none`, `debug` and anything else.
    Other,
}

impl StepEvent {
    /// The events `recordExecutionStep` accepts (the `task_step_events` table's CHECK).
    pub const RECORDABLE: [StepEvent; 7] = [
        StepEvent::Start,
        StepEvent::Success,
        StepEvent::Skip,
        StepEvent::Info,
        StepEvent::Warning,
        StepEvent::Failed,
        StepEvent::Complete,
    ];

    pub fn parse(name: &str) -> StepEvent {
        match name {
            "start" => StepEvent::Start,
            "success" => StepEvent::Success,
            "skip" => StepEvent::Skip,
            "skipped" => StepEvent::Skipped,
            "info" => StepEvent::Info,
            "warning" => StepEvent::Warning,
            "error" => StepEvent::Error,
            "failed" => StepEvent::Failed,
            "complete" => StepEvent::Complete,
            _ => StepEvent::Other,
        }
    }

    /// The name as logged; `None` for [`StepEvent::Other`], which has many.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            StepEvent::Start => "start",
            StepEvent::Success => "success",
            StepEvent::Skip => "skip",
            StepEvent::Skipped => "skipped",
            StepEvent::Info => "info",
            StepEvent::Warning => "warning",
            StepEvent::Error => "error",
            StepEvent::Failed => "failed",
            StepEvent::Complete => "complete",
            StepEvent::Other => return None,
        })
    }

    /// Whether a step this event names has been reached (it has, unless skipped).
    pub fn reaches(self) -> bool {
        self != StepEvent::Skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_follows_the_spec_table() {
        let got: Vec<u32> = Step::ALL.iter().map(|s| s.progress_percent()).collect();
        assert_eq!(got, [14, 28, 42, 57, 71, 85, 100]);
    }

    #[test]
    fn names_round_trip_and_indices_are_pipeline_order() {
        for (i, step) in Step::ALL.into_iter().enumerate() {
            assert_eq!(step.index(), i);
            assert_eq!(Step::from_name(step.name()), Some(step));
            assert_eq!(Step::from_sub_step(step.name()), Some(step));
        }
        assert_eq!(Step::from_name("permission_profile"), None);
    }

    #[test]
    fn sub_steps_map_per_spec() {
        let cases = [
            ("permission_profile", Some(Step::GetTaskInfo)),
            ("file_lock_cleanup", Some(Step::AssignWorker)),
            ("file_lock_check", Some(Step::FileLock)),
            ("self_verification", Some(Step::ExecuteTask)),
            ("migration_safety_check", Some(Step::ExecuteTask)),
            ("model_upgrade", Some(Step::ExecuteTask)),
            ("convert_report_to_html", Some(Step::CreateReport)),
            ("file_lock_release", Some(Step::UpdateStatusDone)),
            ("verification_history", Some(Step::UpdateStatusDone)),
            ("next_task", None),
            ("next_task_check", None),
            ("claude_cli", None),
            ("self_healing", None),
            ("error", None),
            ("complete", None),
        ];
        for (sub, want) in cases {
            assert_eq!(Step::from_sub_step(sub), want, "{sub}");
        }
    }

    #[test]
    fn events_read_leniently_and_only_skipped_does_not_reach() {
        let cases = [
            ("start", StepEvent::Start),
            ("skip", StepEvent::Skip),
            ("skipped", StepEvent::Skipped),
            ("error", StepEvent::Error),
            ("dry_run", StepEvent::Other),
            ("found", StepEvent::Other),
            ("none", StepEvent::Other),
            ("debug", StepEvent::Other),
            ("exploded", StepEvent::Other),
        ];
        for (name, want) in cases {
            assert_eq!(StepEvent::parse(name), want, "{name}");
        }
        assert!(!StepEvent::Skipped.reaches());
        assert!(StepEvent::Skip.reaches() && StepEvent::Other.reaches());
        assert_eq!(
            StepEvent::RECORDABLE.map(|e| e.name().unwrap()).join(","),
            "start,success,skip,info,warning,failed,complete"
        );
    }

    #[test]
    fn japanese_display_names_are_exact() {
        assert_eq!(Step::ExecuteTask.display(Locale::Ja), "AI実行");
        assert_eq!(Step::FileLock.display(Locale::Ja), "ファイルロック取得");
        assert_eq!(Step::AutoReview.display(Locale::En), "Auto review");
    }
}
