//! The errors thrown to JavaScript: instances of the package's `KeysealError` class, each
//! with the stable `code` of the core's [`keyseal::Error::code`], or `invalid_argument` for
//! an argument of the wrong kind.

use std::cell::RefCell;

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;

/// The code of an argument of the wrong type or shape (not a string, not bytes, an unknown
/// option): a programming error in the caller, never a verdict on a key.
pub const INVALID_ARGUMENT: &str = "invalid_argument";

thread_local! {
    /// The `KeysealError` constructor registered by the JavaScript side. WebAssembly here
    /// is single-threaded, so this is one value per module instance.
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Registers the JavaScript class thrown for every error: `new ctor(message, code)`.
/// Called once by the package when it loads the module.
#[wasm_bindgen(js_name = "__useErrorClass")]
pub fn use_error_class(ctor: Function) {
    ERROR_CLASS.with(|class| *class.borrow_mut() = Some(ctor));
}

/// A `KeysealError` with `code` and `message`, ready to throw.
#[must_use]
pub fn keyseal_error(code: &str, message: &str) -> JsValue {
    let args = Array::of2(&JsValue::from_str(message), &JsValue::from_str(code));
    let registered = ERROR_CLASS.with(|class| class.borrow().clone());
    if let Some(ctor) = registered {
        if let Ok(error) = Reflect::construct(&ctor, &args) {
            return error;
        }
    }
    // Without the package's class (the raw module used directly): a plain Error that still
    // carries the name and code.
    let error = js_sys::Error::new(message);
    error.set_name("KeysealError");
    // Setting a property on a fresh Error cannot fail.
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// The thrown form of a core error: its stable code and its one-sentence description (which
/// never contains key text).
#[must_use]
pub fn from_core(error: &keyseal::Error) -> JsValue {
    keyseal_error(error.code(), &error.to_string())
}

/// An [`INVALID_ARGUMENT`] error.
#[must_use]
pub fn invalid_argument(message: &str) -> JsValue {
    keyseal_error(INVALID_ARGUMENT, message)
}
