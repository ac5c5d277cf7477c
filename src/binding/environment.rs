//! The environment the default paths come from (docs/behaviour.md, "The JavaScript API"): the calling
//! context's `process.env`. A worker thread has its own copy; Jest gives each
//! test file a sandboxed one, visible only to JavaScript running inside the
//! sandbox — so the package's `index.js` passes its `process.env` along, as
//! one string: the values of [`Environment::NAMES`] in that order, each
//! followed by a NUL (one string crosses Node-API faster than five property
//! reads; a value can hold no NUL, and an empty one is unset). A caller that
//! uses the generated loader directly gets the `process.env` of the context
//! the addon was loaded in.

use std::ffi::OsString;

use napi::bindgen_prelude::*;
use napi::Env;

use crate::io::db::location::Environment;

/// The variables of [`Environment::NAMES`] from `passed` (the string above),
/// else from the global `process.env`, else from the process environment.
pub fn caller_environment(env: &Env, passed: Option<Unknown<'_>>) -> Environment {
    let passed = passed
        .filter(|v| matches!(v.get_type(), Ok(ValueType::String)))
        .and_then(|v| {
            // SAFETY: checked to be a string of this env.
            unsafe { String::from_napi_value(env.raw(), v.raw()) }.ok()
        });
    if let Some(values) = passed {
        let values: Vec<&str> = values.split('\0').collect();
        return Environment::from_lookup(|name| {
            let at = Environment::NAMES.iter().position(|&n| n == name)?;
            values.get(at).filter(|v| !v.is_empty()).map(OsString::from)
        });
    }
    match global_process_env(env) {
        Some(object) => Environment::from_lookup(|name| object.get::<String>(name).ok().flatten().map(OsString::from)),
        None => Environment::of_process(),
    }
}

fn global_process_env<'env>(env: &'env Env) -> Option<Object<'env>> {
    let process: Object<'_> = env.get_global().ok()?.get_named_property("process").ok()?;
    process.get_named_property("env").ok()
}
