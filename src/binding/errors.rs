//! Turning core errors and panics into JavaScript `Error`s with a `code`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::*;
use napi::{Env, JsError, JsRangeError, JsTypeError};

use crate::error::{Error as CoreError, ErrorCode, Result as CoreResult};

/// The JS error for a core error, its `code` the core error's code: a
/// `TypeError` for an argument of the wrong type, a `RangeError` for one with
/// a value it cannot have, an `Error` otherwise. (`index.js` makes them again
/// in the caller's realm, and system errors `ExecutionStepsError`s.)
pub fn js_error(env: &Env, err: CoreError) -> napi::Error {
    let error = napi::Error::new(err.code.as_str(), err.message);
    // SAFETY: `env` is the live environment of the current call.
    unsafe {
        let value = match err.code {
            ErrorCode::InvalidArg => JsTypeError::from(error).into_value(env.raw()),
            ErrorCode::InvalidValue => JsRangeError::from(error).into_value(env.raw()),
            _ => JsError::from(error).into_value(env.raw()),
        };
        if value.is_null() {
            return napi::Error::new(napi::Status::GenericFailure, "could not create an error object");
        }
        napi::Error::from(Unknown::from_raw_unchecked(env.raw(), value))
    }
}

/// Runs `f`, turning a panic into an `ERR_INTERNAL` error.
pub fn guarded<T>(f: impl FnOnce() -> CoreResult<T>) -> CoreResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| Err(internal(panic)))
}

/// Runs `f` on the JS thread (a completion callback napi-rs does not guard),
/// turning a panic into an `ERR_INTERNAL` error.
pub fn guarded_js<T>(env: &Env, f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| Err(js_error(env, internal(panic))))
}

/// The `ERR_INTERNAL` error for a caught panic.
fn internal(panic: Box<dyn std::any::Any + Send>) -> CoreError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    CoreError::new(ErrorCode::Internal, format!("internal error (please report): {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error_with_its_message() {
        type Case = (
            Box<dyn FnOnce() -> CoreResult<u8> + std::panic::UnwindSafe>,
            &'static str,
        );
        let cases: [Case; 4] = [
            (Box::new(|| panic!("static message")), "static message"),
            (Box::new(|| panic!("formatted {}", 42)), "formatted 42"),
            (Box::new(|| std::panic::panic_any(7_u32)), "unknown panic"),
            (
                Box::new(|| Ok::<Vec<u8>, CoreError>(Vec::new()).map(|v| v[3])),
                "index out of bounds",
            ),
        ];
        for (f, message) in cases {
            let err = guarded(f).unwrap_err();
            assert_eq!(err.code, ErrorCode::Internal);
            assert_eq!(err.code.as_str(), "ERR_INTERNAL");
            assert!(err.message.contains(message), "{}", err.message);
        }
    }

    #[test]
    fn results_and_errors_pass_through_unchanged() {
        assert_eq!(guarded(|| Ok(3)), Ok(3));
        let busy = CoreError::new(ErrorCode::DbBusy, "locked");
        assert_eq!(guarded(|| Err::<(), _>(busy.clone())), Err(busy));
    }

    #[test]
    fn a_poisoned_lock_left_by_a_panic_does_not_stop_the_next_call() {
        let shared = std::sync::Mutex::new(1);
        let err = guarded(|| -> CoreResult<()> {
            let _held = shared.lock().unwrap();
            panic!("while holding the lock")
        })
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Internal);
        // What the pool and the caches do with their locks:
        let value = *shared.lock().unwrap_or_else(|p| p.into_inner());
        assert_eq!(guarded(|| Ok(value)), Ok(1));
    }
}
