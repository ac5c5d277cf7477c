//! The environment the default paths come from (SPEC §9): the calling
//! context's `process.env`. A worker thread has its own copy; Jest gives each
//! test file a sandboxed one, visible only to JavaScript running inside the
//! sandbox — so the package's `index.js` passes its `process.env` along. A
//! caller that uses the generated loader directly gets the `process.env` of
//! the context the addon was loaded in.

use std::ffi::OsString;

use napi::bindgen_prelude::*;
use napi::Env;

use crate::io::db::location::Environment;

/// The variables of [`Environment::NAMES`] from `passed` (an object), else from
/// the global `process.env`, else from the process environment.
pub fn caller_environment(env: &Env, passed: Option<Unknown<'_>>) -> Environment {
    let object = passed
        .filter(|v| matches!(v.get_type(), Ok(ValueType::Object)))
        .and_then(|v| {
            // SAFETY: checked to be an object of this env.
            unsafe { Object::from_napi_value(env.raw(), v.raw()) }.ok()
        });
    let object = object.or_else(|| global_process_env(env));
    match object {
        Some(object) => Environment::from_lookup(|name| object.get::<String>(name).ok().flatten().map(OsString::from)),
        None => Environment::of_process(),
    }
}

fn global_process_env<'env>(env: &'env Env) -> Option<Object<'env>> {
    let process: Object<'_> = env.get_global().ok()?.get_named_property("process").ok()?;
    process.get_named_property("env").ok()
}
