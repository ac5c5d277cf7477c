//! The seed's proposed `tasks.metadata` JSON (`file_locked`, `current_step`).
//! The real schema has no such column; it is read when present, and a value
//! that is not the JSON expected is ignored, never an error.

use crate::step::Step;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskMetadata {
    pub file_locked: bool,
    pub current_step: Option<Step>,
}

impl TaskMetadata {
    pub fn parse(text: &str) -> TaskMetadata {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(text) else {
            return TaskMetadata::default();
        };
        TaskMetadata {
            file_locked: matches!(map.get("file_locked"), Some(serde_json::Value::Bool(true))),
            current_step: map
                .get("current_step")
                .and_then(|v| v.as_str())
                .and_then(Step::from_sub_step),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_read_leniently() {
        let cases = [
            (
                r#"{"file_locked": true, "current_step": "execute_task"}"#,
                true,
                Some(Step::ExecuteTask),
            ),
            (
                r#"{"current_step": "self_verification"}"#,
                false,
                Some(Step::ExecuteTask),
            ),
            (r#"{"file_locked": "yes", "current_step": 3}"#, false, None),
            (r#"{"current_step": "nonsense"}"#, false, None),
            ("[1,2]", false, None),
            ("{not json", false, None),
            ("", false, None),
        ];
        for (text, locked, step) in cases {
            assert_eq!(
                TaskMetadata::parse(text),
                TaskMetadata {
                    file_locked: locked,
                    current_step: step
                },
                "{text}"
            );
        }
    }
}
