//! Task statuses (docs/behaviour.md, "Task statuses") and what each means for
//! step tracking ("Status table").

/// A `tasks.status` value. Unknown strings are kept, never rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskStatus {
    Queued,
    Blocked,
    InProgress,
    Done,
    InReview,
    Rework,
    Completed,
    Cancelled,
    Skipped,
    Rejected,
    Interrupted,
    Escalated,
    WaitingInput,
    Unknown(String),
}

/// How a status shapes the result, before any evidence is read.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StatusClass {
    /// IN_PROGRESS: a worker is running the task.
    Running,
    /// REWORK: running only if there is evidence of a run after entering REWORK.
    Rework,
    /// QUEUED, BLOCKED: waiting, 0 %.
    Waiting,
    /// DONE, IN_REVIEW, COMPLETED: the pipeline finished, 100 % (DONE runs its review).
    Finished,
    /// INTERRUPTED, ESCALATED, WAITING_INPUT: stopped part-way; progress of the last step reached.
    Stopped,
    /// CANCELLED, SKIPPED, REJECTED and unknown strings: 0 %.
    Inactive,
}

impl TaskStatus {
    pub fn parse(s: &str) -> TaskStatus {
        match s {
            "QUEUED" => TaskStatus::Queued,
            "BLOCKED" => TaskStatus::Blocked,
            "IN_PROGRESS" => TaskStatus::InProgress,
            "DONE" => TaskStatus::Done,
            "IN_REVIEW" => TaskStatus::InReview,
            "REWORK" => TaskStatus::Rework,
            "COMPLETED" => TaskStatus::Completed,
            "CANCELLED" => TaskStatus::Cancelled,
            "SKIPPED" => TaskStatus::Skipped,
            "REJECTED" => TaskStatus::Rejected,
            "INTERRUPTED" => TaskStatus::Interrupted,
            "ESCALATED" => TaskStatus::Escalated,
            "WAITING_INPUT" => TaskStatus::WaitingInput,
            other => TaskStatus::Unknown(other.to_owned()),
        }
    }

    pub fn class(&self) -> StatusClass {
        match self {
            TaskStatus::InProgress => StatusClass::Running,
            TaskStatus::Rework => StatusClass::Rework,
            TaskStatus::Queued | TaskStatus::Blocked => StatusClass::Waiting,
            TaskStatus::Done | TaskStatus::InReview | TaskStatus::Completed => StatusClass::Finished,
            TaskStatus::Interrupted | TaskStatus::Escalated | TaskStatus::WaitingInput => StatusClass::Stopped,
            TaskStatus::Cancelled | TaskStatus::Skipped | TaskStatus::Rejected | TaskStatus::Unknown(_) => {
                StatusClass::Inactive
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_class() {
        let cases = [
            ("IN_PROGRESS", StatusClass::Running),
            ("REWORK", StatusClass::Rework),
            ("QUEUED", StatusClass::Waiting),
            ("BLOCKED", StatusClass::Waiting),
            ("DONE", StatusClass::Finished),
            ("IN_REVIEW", StatusClass::Finished),
            ("COMPLETED", StatusClass::Finished),
            ("INTERRUPTED", StatusClass::Stopped),
            ("ESCALATED", StatusClass::Stopped),
            ("WAITING_INPUT", StatusClass::Stopped),
            ("CANCELLED", StatusClass::Inactive),
            ("SKIPPED", StatusClass::Inactive),
            ("REJECTED", StatusClass::Inactive),
            ("in_progress", StatusClass::Inactive),
            ("", StatusClass::Inactive),
        ];
        for (s, class) in cases {
            assert_eq!(TaskStatus::parse(s).class(), class, "{s}");
        }
    }
}
