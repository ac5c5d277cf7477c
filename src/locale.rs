//! Display language of the strings this product produces.

/// `ja` (default) or `en`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    #[default]
    Ja,
    En,
}

impl Locale {
    pub fn parse(s: &str) -> Option<Locale> {
        match s {
            "ja" => Some(Locale::Ja),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// `current_step_display` of a task that is not running.
    pub fn not_running(self) -> &'static str {
        match self {
            Locale::Ja => "実行中でない",
            Locale::En => "Not running",
        }
    }

    /// The seed's error for a task id that does not exist in the project.
    pub fn task_not_found(self, task_id: &str) -> String {
        match self {
            Locale::Ja => format!("タスクが見つかりません: {task_id}"),
            Locale::En => format!("Task not found: {task_id}"),
        }
    }

    /// Suffix after a running step's display name: `AI実行中`, `Run AI`.
    pub fn running_suffix(self) -> &'static str {
        match self {
            Locale::Ja => "中",
            Locale::En => "",
        }
    }

    /// Prefix of a formatted error: `エラー: …`, `Error: …`.
    pub fn error_prefix(self) -> &'static str {
        match self {
            Locale::Ja => "エラー",
            Locale::En => "Error",
        }
    }
}
