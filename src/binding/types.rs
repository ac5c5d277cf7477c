//! What the binding sends to JavaScript. Results go as their serde shape
//! ([`Js`]): the core's types are their one definition, their TypeScript
//! declarations are in `header.d.ts`. `EXECUTION_STEPS` is a napi constant,
//! so its element type is declared here, built from `Step`.

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use serde::Serialize;

use crate::locale::Locale;
use crate::step::Step;

/// A core value sent to JavaScript as it serializes (camelCase keys).
pub struct Js<T>(pub T);

impl<T: Serialize> ToNapiValue for Js<T> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(env);
        env.to_js_value(&val.0).map(|value| value.raw())
    }
}

impl<T> TypeName for Js<T> {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

/// One of the seven steps with its display names.
#[napi(object, object_from_js = false)]
#[derive(Copy, Clone)]
pub struct StepDefinition {
    /// 0-based position in the pipeline.
    pub index: u32,
    #[napi(ts_type = "StepName")]
    pub step: &'static str,
    /// Japanese display name, e.g. `AI実行`.
    pub display: &'static str,
    /// English display name, e.g. `Run AI`.
    pub display_en: &'static str,
    /// Progress while the task is in this step.
    pub progress_percent: u32,
}

impl StepDefinition {
    /// `step`'s definition, from the one table of steps (`src/step.rs`).
    pub const fn of(step: Step) -> StepDefinition {
        StepDefinition {
            index: step.index() as u32,
            step: step.name(),
            display: step.display(Locale::Ja),
            display_en: step.display(Locale::En),
            progress_percent: step.progress_percent(),
        }
    }
}
