//! `tasks.metadata` is free JSON text any program may write.
//!
//! Invariants: parsing never panics; anything that is not a JSON object reads
//! as the default; `file_locked` is set only by a literal `true`, and
//! `current_step` only by a string that names a step or one of its sub-steps;
//! re-serialising the JSON does not change what is read.
#![no_main]

use aipm_execution_steps::evidence::metadata::TaskMetadata;
use aipm_execution_steps::steps::Step;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let read = TaskMetadata::parse(text);
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        assert_eq!(
            read,
            TaskMetadata::default(),
            "invalid JSON must read as the default: {text:?}"
        );
        return;
    };
    let Value::Object(map) = &value else {
        assert_eq!(
            read,
            TaskMetadata::default(),
            "a non-object must read as the default: {text:?}"
        );
        return;
    };
    assert_eq!(
        read.file_locked,
        map.get("file_locked") == Some(&Value::Bool(true)),
        "{text:?}"
    );
    let named = map.get("current_step").and_then(Value::as_str);
    assert_eq!(read.current_step, named.and_then(Step::from_sub_step), "{text:?}");
    if let Some(step) = read.current_step {
        assert!(Step::ALL.contains(&step));
    }
    let again = serde_json::to_string(&value).expect("a parsed value serialises");
    assert_eq!(TaskMetadata::parse(&again), read, "{text:?} re-serialised as {again:?}");
});
