//! The checks of `fuzz_targets/metadata.rs` (its module doc lists them).

use aipm_execution_steps::fuzzing;
use aipm_execution_steps::step::Step;
use serde_json::Value;

use crate::oracle;

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let read = fuzzing::metadata(text);
    if let (_, Some(step)) = read {
        assert!(Step::ALL.contains(&step), "{text:?}");
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        assert_eq!(read, (false, None), "not a JSON object, yet read as {read:?}: {text:?}");
        return;
    };
    let locked = map.get("file_locked") == Some(&Value::Bool(true));
    let named = map.get("current_step").and_then(Value::as_str);
    assert_eq!(read, (locked, named.and_then(oracle::step_of)), "{text:?}");
    let again = serde_json::to_string(&map).expect("a parsed value serialises");
    assert_eq!(fuzzing::metadata(&again), read, "{text:?} re-serialised as {again:?}");
}
