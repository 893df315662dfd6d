//! Reading JavaScript arguments: every value that crosses from JavaScript is checked here,
//! so a wrong type, an invalid UTF-16 string or an oversized input becomes a thrown
//! `KeysealError`; an oversized one is refused before it is copied into WebAssembly memory.

use js_sys::{ArrayBuffer, Date, JsString, Object, Reflect, Uint8Array};
use keyseal::{
    DocumentProblem, Error, ListProblem, MAX_KEY_LEN, MAX_KEYRING_DOCUMENT_LEN, MAX_LIST_BYTES,
    Malformed, Timestamp,
};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{from_core, invalid_argument, keyseal_error};

/// The JavaScript type of `value`, for error messages (never the value itself: it may be a
/// key).
fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

/// A string argument of at most `max_utf8` bytes: checks its type and its length before
/// copying it, then that it was well-formed UTF-16 (no lone surrogates).
///
/// A string longer than `max_utf8` UTF-16 code units is longer than `max_utf8` bytes in
/// UTF-8 too (every code unit takes at least one byte), so `too_long` answers it without
/// copying it.
fn string(
    value: &JsValue,
    what: &str,
    max_utf8: usize,
    too_long: impl FnOnce(usize) -> JsValue,
) -> Result<String, JsValue> {
    let Some(js) = value.dyn_ref::<JsString>() else {
        return Err(invalid_argument(&format!(
            "{what} must be a string, not {}",
            type_name(value)
        )));
    };
    let units = js.length() as usize;
    if units > max_utf8 {
        return Err(too_long(units));
    }
    // One copy into WebAssembly memory (the glue's `TextEncoder.encodeInto`), which turns
    // each lone surrogate into U+FFFD. So a text without U+FFFD was well-formed, and only a
    // text with one needs the code-unit scan that tells a lone surrogate from a real U+FFFD
    // (a scan that crosses into JavaScript once per code unit, so never on the hot path).
    let text: String = js.into();
    if text.contains(char::REPLACEMENT_CHARACTER) && !js.is_valid_utf16() {
        return Err(invalid_argument(&format!(
            "{what} is not valid UTF-16 (it holds a lone surrogate)"
        )));
    }
    if text.len() > max_utf8 {
        return Err(too_long(text.len()));
    }
    Ok(text)
}

/// A key text: a string, refused as `malformed.too_long` past [`MAX_KEY_LEN`] as the core
/// would.
///
/// # Errors
/// `invalid_argument` for a non-string or invalid UTF-16, `malformed.too_long`.
pub fn key_text(value: &JsValue) -> Result<String, JsValue> {
    string(value, "the key text", MAX_KEY_LEN, |_| {
        from_core(&Error::Malformed(Malformed::TooLong))
    })
}

/// A keyring document's text, refused as `keyring_document` past
/// [`MAX_KEYRING_DOCUMENT_LEN`] bytes as the core would (for a string of more code units
/// than that, the length reported is its number of UTF-16 code units, a lower bound of its
/// UTF-8 length).
///
/// # Errors
/// `invalid_argument` for a non-string or invalid UTF-16, `keyring_document`.
pub fn keyring_document(value: &JsValue) -> Result<String, JsValue> {
    string(
        value,
        "the keyring document",
        MAX_KEYRING_DOCUMENT_LEN,
        |len| {
            from_core(&Error::KeyringDocument {
                entry: None,
                kid: None,
                problem: DocumentProblem::TooLarge { len },
            })
        },
    )
}

/// A short string argument (a prefix, a scope, an option's value).
///
/// # Errors
/// `invalid_argument` for a non-string, invalid UTF-16 or more than 4096 bytes.
pub fn short_string(value: &JsValue, what: &str) -> Result<String, JsValue> {
    const MAX: usize = 4096;
    string(value, what, MAX, |_| {
        invalid_argument(&format!("{what} is longer than {MAX} bytes"))
    })
}

/// The bytes of a revocation list: a `Uint8Array` (a Node.js `Buffer` is one), any other
/// typed array or `DataView`, or an `ArrayBuffer`. Larger than [`MAX_LIST_BYTES`] is
/// refused (`revocation_list.too_large`) before copying.
///
/// # Errors
/// `invalid_argument` for anything else, `revocation_list.too_large`.
pub fn bytes(value: &JsValue) -> Result<Vec<u8>, JsValue> {
    let view = if let Some(array) = value.dyn_ref::<Uint8Array>() {
        array.clone()
    } else if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        Uint8Array::new(buffer)
    } else if ArrayBuffer::is_view(value) {
        let buffer = Reflect::get(value, &"buffer".into()).ok();
        let offset = Reflect::get(value, &"byteOffset".into()).ok();
        let length = Reflect::get(value, &"byteLength".into()).ok();
        match (
            buffer,
            offset.and_then(|o| o.as_f64()),
            length.and_then(|l| l.as_f64()),
        ) {
            (Some(buffer), Some(offset), Some(length))
                if buffer.is_instance_of::<ArrayBuffer>() =>
            {
                // Offsets and lengths of a view are integers below 2^53 that fit in u32 on
                // wasm32 once the buffer exists.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Uint8Array::new_with_byte_offset_and_length(&buffer, offset as u32, length as u32)
            }
            _ => {
                return Err(invalid_argument(
                    "the revocation list's view has no ArrayBuffer",
                ));
            }
        }
    } else {
        return Err(invalid_argument(&format!(
            "the revocation list must be a Uint8Array or an ArrayBuffer, not {}",
            type_name(value)
        )));
    };
    if view.length() as usize > MAX_LIST_BYTES {
        return Err(from_core(&Error::RevocationList(ListProblem::TooLarge)));
    }
    Ok(view.to_vec())
}

/// The options object of a call: `undefined` or `null` means none; anything else must be an
/// object.
///
/// # Errors
/// `invalid_argument`.
pub fn options(value: &JsValue, what: &str) -> Result<Option<Object>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.dyn_ref::<Object>() {
        Some(object) if value.is_object() => Ok(Some(object.clone())),
        _ => Err(invalid_argument(&format!(
            "{what} must be an object, not {}",
            type_name(value)
        ))),
    }
}

/// The member `name` of an options object, `None` when absent or `undefined`.
///
/// # Errors
/// `invalid_argument` when reading it throws (a getter or a proxy).
pub fn member(options: Option<&Object>, name: &str) -> Result<Option<JsValue>, JsValue> {
    let Some(object) = options else {
        return Ok(None);
    };
    let value = Reflect::get(object, &name.into())
        .map_err(|_| invalid_argument(&format!("reading the option `{name}` threw")))?;
    Ok((!value.is_undefined()).then_some(value))
}

/// A whole number of seconds, `0..=2^53`.
///
/// # Errors
/// `invalid_argument`.
pub fn seconds(value: &JsValue, what: &str) -> Result<u64, JsValue> {
    match value.as_f64() {
        // A non-negative integer below 2^53 converts to u64 exactly.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(n) if n.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&n) => Ok(n as u64),
        _ => Err(invalid_argument(&format!(
            "{what} must be a whole, non-negative number of seconds"
        ))),
    }
}

/// The verification time of a call: `options.now` as a `Date` or whole seconds since the
/// Unix epoch, or the host's clock (`Date.now()`) when it is not given.
///
/// # Errors
/// `invalid_argument` for another type or an invalid `Date`, `invalid_timestamp` for a time
/// outside `1970-01-01T00:00:01Z..=9999-12-31T23:59:59Z`.
pub fn now(options: Option<&Object>) -> Result<Timestamp, JsValue> {
    let secs = match member(options, "now")? {
        None => unix_seconds(Date::now()),
        Some(value) => {
            if let Some(date) = value.dyn_ref::<Date>() {
                let ms = date.get_time();
                if ms.is_nan() {
                    return Err(invalid_argument("`now` is an invalid Date"));
                }
                unix_seconds(ms)
            } else if value.as_f64().is_some() {
                let secs = value.as_f64().unwrap_or(f64::NAN);
                if !secs.is_finite() || secs.fract() != 0.0 {
                    return Err(invalid_argument(
                        "`now` must be a Date or a whole number of seconds since the Unix epoch",
                    ));
                }
                secs
            } else {
                return Err(invalid_argument(&format!(
                    "`now` must be a Date or a number of seconds, not {}",
                    type_name(&value)
                )));
            }
        }
    };
    // Out-of-range floats saturate, and saturated values are outside Timestamp's range.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = if secs < 0.0 { 0 } else { secs as u64 };
    Timestamp::from_unix(whole).ok_or_else(|| {
        keyseal_error(
            "invalid_timestamp",
            "`now` is outside 1970-01-01T00:00:01Z..=9999-12-31T23:59:59Z",
        )
    })
}

/// Milliseconds since the epoch to whole seconds (rounded down).
fn unix_seconds(ms: f64) -> f64 {
    (ms / 1000.0).floor()
}
