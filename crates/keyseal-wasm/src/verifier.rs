//! The `Verifier` class: a [`keyseal::Verifier`] for one prefix and keyring, with the
//! revocation list and keyring replaceable under the core's rules.

use core::time::Duration;

use js_sys::Object;
use keyseal::{Keyring, MissingListPolicy, Prefix, RevocationList, StalePolicy, VerifierOptions};
use wasm_bindgen::prelude::*;

use crate::claims;
use crate::error::{from_core, invalid_argument};
use crate::input;

/// Verifies keys offline, for one prefix, against a keyring document (and, once loaded, a
/// signed revocation list).
#[wasm_bindgen]
pub struct Verifier {
    inner: keyseal::Verifier,
}

/// The verifier options read from JavaScript; every member is optional.
const OPTION_NAMES: [&str; 6] = [
    "expiryLeeway",
    "notBeforeLeeway",
    "maxLifetime",
    "maxListAge",
    "onStaleList",
    "withoutList",
];

/// `VerifierOptions` from a JavaScript options object: leeways, lifetimes and ages in
/// seconds; `onStaleList` is `"reject"` (default) or `"accept-and-report"`; `withoutList`
/// is `"allow"` (default) or `"reject"`. Unknown members are refused, so a typo cannot
/// silently leave a default in force.
fn verifier_options(value: &JsValue) -> Result<VerifierOptions, JsValue> {
    let mut options = VerifierOptions::default();
    let Some(object) = input::options(value, "the verifier options")? else {
        return Ok(options);
    };
    for name in Object::keys(&object).iter() {
        let name = name.as_string().unwrap_or_default();
        if !OPTION_NAMES.contains(&name.as_str()) {
            return Err(invalid_argument(&format!(
                "unknown verifier option `{name}`; known: {}",
                OPTION_NAMES.join(", ")
            )));
        }
    }
    let secs = |name: &str| -> Result<Option<Duration>, JsValue> {
        input::member(Some(&object), name)?
            .map(|v| input::seconds(&v, &format!("`{name}`")).map(Duration::from_secs))
            .transpose()
    };
    if let Some(d) = secs("expiryLeeway")? {
        options = options.expiry_leeway(d);
    }
    if let Some(d) = secs("notBeforeLeeway")? {
        options = options.not_before_leeway(d);
    }
    if let Some(d) = secs("maxLifetime")? {
        options = options.max_lifetime(d);
    }
    if let Some(d) = secs("maxListAge")? {
        options = options.max_list_age(d);
    }
    if let Some(v) = input::member(Some(&object), "onStaleList")? {
        options = options.on_stale_list(match input::short_string(&v, "`onStaleList`")?.as_str() {
            "reject" => StalePolicy::Reject,
            "accept-and-report" => StalePolicy::AcceptAndReport,
            _ => {
                return Err(invalid_argument(
                    "`onStaleList` must be \"reject\" or \"accept-and-report\"",
                ));
            }
        });
    }
    if let Some(v) = input::member(Some(&object), "withoutList")? {
        options = options.without_list(match input::short_string(&v, "`withoutList`")?.as_str() {
            "allow" => MissingListPolicy::Allow,
            "reject" => MissingListPolicy::Reject,
            _ => {
                return Err(invalid_argument(
                    "`withoutList` must be \"allow\" or \"reject\"",
                ));
            }
        });
    }
    Ok(options)
}

#[wasm_bindgen]
impl Verifier {
    /// A verifier for keys with `prefix`, signed by the keys of the keyring document
    /// `keyring_json` (the JSON of `Keyring::to_json`), with optional time rules.
    ///
    /// # Errors
    /// `invalid_prefix`, `keyring_document` (naming the entry), or `invalid_argument`.
    #[wasm_bindgen(js_name = "fromKeyring")]
    pub fn from_keyring(
        prefix: JsValue,
        keyring_json: JsValue,
        options: JsValue,
    ) -> Result<Verifier, JsValue> {
        let prefix = input::short_string(&prefix, "the prefix")?;
        let prefix = Prefix::new(prefix).map_err(|e| from_core(&e))?;
        let keyring = Keyring::from_json(&input::keyring_document(&keyring_json)?)
            .map_err(|e| from_core(&e))?;
        let options = verifier_options(&options)?;
        Ok(Verifier {
            inner: keyseal::Verifier::new(prefix, keyring).with_options(options),
        })
    }

    /// Verifies `key_text` at `options.now` (a `Date` or Unix seconds), or now by the host's
    /// clock; returns the verified claims as a plain object.
    ///
    /// # Errors
    /// A `KeysealError` with the core's code (`expired`, `bad_signature`, `revoked`, ...).
    pub fn verify(&self, key_text: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let options = input::options(&options, "the verify options")?;
        let now = input::now(options.as_ref())?;
        let text = input::key_text(&key_text)?;
        match self.inner.verify_at(&text, now) {
            Ok(key) => Ok(claims::verified(&key)),
            Err(e) => Err(from_core(&e)),
        }
    }

    /// Replaces the revocation list with the signed list in `bytes`, checked against this
    /// verifier's prefix and keyring at `options.now` (or now); returns its sequence number.
    /// A list that is not newer than the one in force (a rollback or replay), forged, from
    /// another issuer or corrupt is refused, and the list in force stays.
    ///
    /// # Errors
    /// `revocation_list.*`, or `invalid_argument`.
    #[wasm_bindgen(js_name = "updateRevocations")]
    pub fn update_revocations(&mut self, bytes: JsValue, options: JsValue) -> Result<f64, JsValue> {
        let options = input::options(&options, "the update options")?;
        let now = input::now(options.as_ref())?;
        let bytes = input::bytes(&bytes)?;
        let next = self
            .inner
            .update_revocations(&bytes, now)
            .map_err(|e| from_core(&e))?;
        let sequence = next.revocation_list().map_or(0, RevocationList::sequence);
        self.inner = next;
        #[allow(clippy::cast_precision_loss)]
        Ok(sequence as f64)
    }

    /// Replaces the keyring with the keyring document `keyring_json`. The revocation list in
    /// force stays (it was verified when it was loaded), as in the core's `LiveVerifier`; a
    /// document that does not load changes nothing.
    ///
    /// # Errors
    /// `keyring_document`, or `invalid_argument`.
    #[wasm_bindgen(js_name = "updateKeyring")]
    pub fn update_keyring(&mut self, keyring_json: JsValue) -> Result<(), JsValue> {
        let keyring = Keyring::from_json(&input::keyring_document(&keyring_json)?)
            .map_err(|e| from_core(&e))?;
        self.inner = self.inner.clone().with_keyring(keyring);
        Ok(())
    }

    /// The prefix this verifier accepts.
    #[wasm_bindgen(getter)]
    pub fn prefix(&self) -> String {
        self.inner.prefix().as_str().to_owned()
    }

    /// The sequence number of the revocation list in force, or `null`.
    #[wasm_bindgen(getter, js_name = "revocationSequence")]
    pub fn revocation_sequence(&self) -> JsValue {
        #[allow(clippy::cast_precision_loss)]
        self.inner
            .revocation_list()
            .map_or(JsValue::NULL, |l| JsValue::from_f64(l.sequence() as f64))
    }

    /// The key ids of the keyring, in order.
    #[wasm_bindgen(getter, js_name = "keyIds")]
    pub fn key_ids(&self) -> Vec<String> {
        self.inner
            .keyring()
            .iter()
            .map(|e| e.key_id().to_string())
            .collect()
    }
}
