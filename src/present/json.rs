//! JSON shapes of results. JavaScript gets a result as it serializes
//! (camelCase keys); the command line prints the old script's snake_case
//! (`current_step`, `progress_percent`, …), made from the same shape here, so
//! there is one definition of each result type.

use serde::Serializer;

/// A count of milliseconds as a plain number (JavaScript has no `u64`).
pub fn number<S: Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64((*value).min(i64::MAX as u64) as i64)
}

/// [`number`], or null.
pub fn optional_number<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => number(v, s),
        None => s.serialize_none(),
    }
}

/// `value` with every object key in snake_case (`progressPercent` → `progress_percent`).
pub fn snake_case_keys(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (snake_case(&k), snake_case_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(snake_case_keys).collect()),
        other => other,
    }
}

fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_the_old_scripts_snake_case_and_values_stay() {
        let camel = serde_json::json!({
            "currentStep": "execute_task",
            "progressPercent": 57,
            "steps": [{ "durationMs": 1000, "startedAt": null }],
            "error": "AI実行失敗: timeout"
        });
        assert_eq!(
            snake_case_keys(camel),
            serde_json::json!({
                "current_step": "execute_task",
                "progress_percent": 57,
                "steps": [{ "duration_ms": 1000, "started_at": null }],
                "error": "AI実行失敗: timeout"
            })
        );
    }
}
