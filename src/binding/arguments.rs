//! Reading JavaScript arguments and option objects: the one place they are
//! checked. A missing argument or a value of the wrong type is a `TypeError`,
//! a value the argument cannot have a `RangeError` (both `ERR_INVALID_ARG`),
//! each message naming the argument or option and what it must be —
//! `options.verbose must be a boolean` — never napi's conversion text.

use napi::bindgen_prelude::*;
use napi::Env;

use crate::error::{Error, Result};

/// The JavaScript type of a value, as a message names it.
fn type_name(value: &Unknown<'_>) -> &'static str {
    match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "a boolean",
        Ok(ValueType::Number) => "a number",
        Ok(ValueType::String) => "a string",
        Ok(ValueType::Symbol) => "a symbol",
        Ok(ValueType::Object) => "an object",
        Ok(ValueType::Function) => "a function",
        _ => "an unknown value",
    }
}

/// A number as JavaScript writes it (`Infinity`, `NaN`, `-5`).
fn js_number(n: f64) -> String {
    match n {
        n if n.is_nan() => "NaN".into(),
        f64::INFINITY => "Infinity".into(),
        f64::NEG_INFINITY => "-Infinity".into(),
        n => n.to_string(),
    }
}

fn is_absent(value: &Unknown<'_>) -> bool {
    matches!(value.get_type(), Ok(ValueType::Undefined | ValueType::Null))
}

/// A required string argument.
pub fn string_arg(value: Option<Unknown<'_>>, name: &str) -> Result<String> {
    let value = value
        .filter(|v| !is_absent(v))
        .ok_or_else(|| Error::invalid_arg(format!("{name} is required (a string)")))?;
    string_value(&value, name)
}

/// A required number argument (finite).
pub fn number_arg(value: Option<Unknown<'_>>, name: &str) -> Result<f64> {
    let value = value
        .filter(|v| !is_absent(v))
        .ok_or_else(|| Error::invalid_arg(format!("{name} is required (a number)")))?;
    if !matches!(value.get_type(), Ok(ValueType::Number)) {
        return Err(Error::invalid_arg(format!(
            "{name} must be a number, got {}",
            type_name(&value)
        )));
    }
    // SAFETY: the type was just checked.
    let n = unsafe { value.cast::<f64>() }.map_err(|_| Error::invalid_arg(format!("{name} must be a number")))?;
    if n.is_finite() {
        Ok(n)
    } else {
        Err(Error::invalid_value(format!(
            "{name} must be a finite number, got {}",
            js_number(n)
        )))
    }
}

/// An instant given as epoch milliseconds (`index.js` turns a `Date` into
/// them: telling a `Date` apart natively needs N-API 5, whose runtime keeps a
/// handle open that test runners report).
pub fn time_arg(value: Option<Unknown<'_>>, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    let Some(value) = value.filter(|v| !is_absent(v)) else {
        return Ok(None);
    };
    let ms = match value.get_type() {
        // SAFETY: the type was just checked.
        Ok(ValueType::Number) => {
            unsafe { value.cast::<f64>() }.map_err(|_| Error::invalid_arg(format!("{name} must be a number")))?
        }
        _ => {
            return Err(Error::invalid_arg(format!(
                "{name} must be a Date or epoch milliseconds, got {}",
                type_name(&value)
            )))
        }
    };
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .filter(|_| ms.is_finite())
        .map(Some)
        .ok_or_else(|| Error::invalid_value(format!("{name} is not a valid time: {}", js_number(ms))))
}

/// An optional `locale` argument: `'ja'` (the default) or `'en'`.
pub fn locale_arg(value: Option<Unknown<'_>>, name: &str) -> Result<crate::locale::Locale> {
    match value.filter(|v| !is_absent(v)) {
        Some(v) => super::options::locale_of(Some(&string_value(&v, name)?), name),
        None => Ok(Default::default()),
    }
}

/// A result object of this package given back (`info`): an object, or a `TypeError`.
pub fn info_arg<'env>(env: &Env, value: Option<Unknown<'env>>) -> Result<Object<'env>> {
    let not_info = || Error::invalid_arg("info must be an ExecutionStepInfo object (a result of this package)");
    let value = value
        .filter(|v| matches!(v.get_type(), Ok(ValueType::Object)))
        .ok_or_else(not_info)?;
    // SAFETY: checked to be an object of this env.
    unsafe { Object::from_napi_value(env.raw(), value.raw()) }.map_err(|_| not_info())
}

fn string_value(value: &Unknown<'_>, name: &str) -> Result<String> {
    match value.get_type() {
        // SAFETY: the type was just checked.
        Ok(ValueType::String) => unsafe { value.cast::<String>() }
            .map_err(|_| Error::invalid_value(format!("{name} must be a valid string"))),
        _ => Err(Error::invalid_arg(format!(
            "{name} must be a string, got {}",
            type_name(value)
        ))),
    }
}

/// An optional options object: its properties, read by name.
pub struct Options<'env> {
    object: Option<Object<'env>>,
    name: &'static str,
}

impl<'env> Options<'env> {
    /// `value` as an options object named `name`; undefined and null are no options.
    pub fn new(env: &'env Env, value: Option<Unknown<'env>>, name: &'static str) -> Result<Options<'env>> {
        let object = match value.filter(|v| !is_absent(v)) {
            None => None,
            Some(v) if matches!(v.get_type(), Ok(ValueType::Object)) => {
                // SAFETY: a value of this env, just checked to be an object.
                Some(
                    unsafe { Object::from_napi_value(env.raw(), v.raw()) }
                        .map_err(|_| Error::invalid_arg(format!("{name} must be an object")))?,
                )
            }
            Some(v) => {
                return Err(Error::invalid_arg(format!(
                    "{name} must be an object, got {}",
                    type_name(&v)
                )))
            }
        };
        Ok(Options { object, name })
    }

    /// The property `key`, unless absent (undefined or null).
    fn get(&self, key: &str) -> Result<Option<Unknown<'env>>> {
        let Some(object) = &self.object else { return Ok(None) };
        let value: Option<Unknown<'env>> = object
            .get(key)
            .map_err(|_| Error::invalid_arg(format!("{}.{key} cannot be read", self.name)))?;
        Ok(value.filter(|v| !is_absent(v)))
    }

    fn wrong(&self, key: &str, what: &str, value: &Unknown<'_>) -> Error {
        Error::invalid_arg(format!("{}.{key} must be {what}, got {}", self.name, type_name(value)))
    }

    pub fn string(&self, key: &str) -> Result<Option<String>> {
        self.get(key)?
            .map(|v| string_value(&v, &format!("{}.{key}", self.name)))
            .transpose()
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) if matches!(v.get_type(), Ok(ValueType::Boolean)) => {
                // SAFETY: the type was just checked.
                Ok(Some(
                    unsafe { v.cast::<bool>() }.map_err(|_| self.wrong(key, "a boolean", &v))?,
                ))
            }
            Some(v) => Err(self.wrong(key, "a boolean", &v)),
        }
    }

    /// A number that is finite.
    pub fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) if matches!(v.get_type(), Ok(ValueType::Number)) => {
                // SAFETY: the type was just checked.
                let n = unsafe { v.cast::<f64>() }.map_err(|_| self.wrong(key, "a number", &v))?;
                if n.is_finite() {
                    Ok(Some(n))
                } else {
                    Err(Error::invalid_value(format!(
                        "{}.{key} must be a finite number, got {}",
                        self.name,
                        js_number(n)
                    )))
                }
            }
            Some(v) => Err(self.wrong(key, "a number", &v)),
        }
    }

    /// An array of strings.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>> {
        let Some(v) = self.get(key)? else { return Ok(None) };
        if !v.is_array().unwrap_or(false) {
            return Err(self.wrong(key, "an array of strings", &v));
        }
        // SAFETY: checked to be an array of this env.
        let array = unsafe { v.cast::<Array>() }.map_err(|_| self.wrong(key, "an array of strings", &v))?;
        let mut out = Vec::with_capacity(array.len() as usize);
        for i in 0..array.len() {
            let item: Option<Unknown<'_>> = array
                .get(i)
                .map_err(|_| Error::invalid_arg(format!("{}.{key}[{i}] cannot be read", self.name)))?;
            let item = item.ok_or_else(|| {
                Error::invalid_arg(format!("{}.{key}[{i}] must be a string, got undefined", self.name))
            })?;
            out.push(string_value(&item, &format!("{}.{key}[{i}]", self.name))?);
        }
        Ok(Some(out))
    }

    /// A string or a number (a time as ISO 8601 text or epoch milliseconds).
    pub fn string_or_number(&self, key: &str) -> Result<Option<Either<String, f64>>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) if matches!(v.get_type(), Ok(ValueType::String)) => {
                Ok(Some(Either::A(string_value(&v, &format!("{}.{key}", self.name))?)))
            }
            Some(_) => Ok(self.number(key)?.map(Either::B)),
        }
    }

    /// The name of a property: `options.busyTimeoutMs`.
    pub fn name(&self, key: &str) -> String {
        format!("{}.{key}", self.name)
    }
}
