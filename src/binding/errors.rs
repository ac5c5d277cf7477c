//! Turning core errors and panics into JavaScript `Error`s with a `code`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::*;
use napi::{Env, JsError};

use crate::error::{Error as CoreError, ErrorCode, Result as CoreResult};

/// A JS `Error` whose `code` is the core error's code.
pub fn js_error(env: &Env, err: CoreError) -> napi::Error {
    let error = napi::Error::new(err.code.as_str(), err.message);
    // SAFETY: `env` is the live environment of the current call.
    unsafe {
        let value = JsError::from(error).into_value(env.raw());
        if value.is_null() {
            return napi::Error::new(napi::Status::GenericFailure, "could not create an error object");
        }
        napi::Error::from(Unknown::from_raw_unchecked(env.raw(), value))
    }
}

/// Runs `f`, turning a panic into an `ERR_INTERNAL` error.
pub fn guarded<T>(f: impl FnOnce() -> CoreResult<T>) -> CoreResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(CoreError::new(ErrorCode::Internal, format!("internal error (please report): {what}")))
    })
}

/// An argument that must be a string.
pub fn string_arg(value: Option<Unknown<'_>>, name: &str) -> CoreResult<String> {
    let value = value.ok_or_else(|| CoreError::invalid_arg(format!("{name} is required")))?;
    match value.get_type() {
        Ok(ValueType::String) => {
            // SAFETY: the type was just checked.
            unsafe { value.cast::<String>() }.map_err(|e| CoreError::invalid_arg(format!("{name}: {}", e.reason)))
        }
        _ => Err(CoreError::invalid_arg(format!("{name} must be a string"))),
    }
}

/// An optional options object, converted to `T` (its defaults when absent).
pub fn options_arg<T: FromNapiValue + Default>(env: &Env, value: Option<Unknown<'_>>, name: &str) -> CoreResult<T> {
    let Some(value) = value else { return Ok(T::default()) };
    match value.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => Ok(T::default()),
        Ok(ValueType::Object) => {
            // SAFETY: a napi value of this env, just checked to be an object.
            unsafe { T::from_napi_value(env.raw(), value.raw()) }
                .map_err(|e| CoreError::invalid_arg(format!("{name}: {}", e.reason)))
        }
        _ => Err(CoreError::invalid_arg(format!("{name} must be an object"))),
    }
}
