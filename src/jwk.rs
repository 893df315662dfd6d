//! Public keys as JSON Web Keys (RFC 7517, RFC 8037): `kty` `OKP`, `crv` `Ed25519`, `x` the
//! key in unpadded base64url, `kid` the keyseal key id.
//!
//! Reading: `kty`, `crv` and `x` are required; `kid`, `alg` and `use` are checked when
//! present; a private key (`d`) is refused; other members are ignored, as RFC 7517 §4
//! requires. A member that appears twice is refused.

use alloc::string::String;

use serde::Serialize;

use crate::error::{Error, JsonProblem, KeyEncoding, KeyMaterialProblem, printable};
use crate::json::Node;
use crate::key_id::KeyId;
use crate::key_text::decode_bare;
use crate::keys::PublicKey;
use crate::limits::MAX_JWK_LEN;

#[derive(Serialize)]
struct JwkOut<'a> {
    kty: &'static str,
    crv: &'static str,
    x: &'a str,
    kid: &'a str,
    alg: &'static str,
    #[serde(rename = "use")]
    use_: &'static str,
}

fn problem(problem: KeyMaterialProblem) -> Error {
    Error::KeyMaterial {
        encoding: KeyEncoding::Jwk,
        problem,
    }
}

/// Checks that `member`, if present, is a string and one of `allowed`.
fn check_member(
    value: Option<Node>,
    member: &'static str,
    allowed: &[&str],
    expected: &'static str,
) -> Result<(), Error> {
    let Some(value) = value else {
        return Ok(());
    };
    let value = value
        .into_string(member)
        .map_err(|p| problem(KeyMaterialProblem::Json(p)))?;
    if allowed.contains(&value.as_str()) {
        Ok(())
    } else {
        Err(problem(KeyMaterialProblem::WrongValue {
            member,
            expected,
            found: alloc::format!("\"{}\"", printable(&value)),
        }))
    }
}

impl PublicKey {
    /// The key as a JWK: `{"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}`,
    /// with the keyseal key id as `kid`.
    ///
    /// ```
    /// # fn main() -> Result<(), keyseal::Error> {
    /// use keyseal::{PublicKey, SigningKey};
    ///
    /// let key = SigningKey::generate()?.public_key();
    /// let jwk = key.to_jwk();
    /// assert!(jwk.starts_with(r#"{"kty":"OKP","crv":"Ed25519","x":""#));
    /// assert_eq!(PublicKey::from_jwk(&jwk)?, key);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn to_jwk(&self) -> String {
        let x = alloc::format!("{self}");
        let kid = alloc::format!("{}", self.key_id());
        let jwk = JwkOut {
            kty: "OKP",
            crv: "Ed25519",
            x: &x,
            kid: &kid,
            alg: "EdDSA",
            use_: "sig",
        };
        // Serializing a struct of strings cannot fail.
        serde_json::to_string(&jwk).unwrap_or_default()
    }

    /// Reads a JWK (a JSON object) holding an Ed25519 public key.
    ///
    /// # Errors
    /// [`Error::KeyMaterial`] when it is not a JSON object, a member appears twice, `kty` is
    /// not `OKP`, `crv` is not `Ed25519`, `x` is missing or not 43 characters of unpadded
    /// base64url, `kid` is not this key's keyseal key id, `alg` is not `EdDSA`/`Ed25519`,
    /// `use` is not `sig`, or it holds a private key (`d`); [`Error::InvalidPublicKey`]
    /// for a non-canonical or weak key.
    pub fn from_jwk(jwk: &str) -> Result<PublicKey, Error> {
        if jwk.len() > MAX_JWK_LEN {
            return Err(problem(KeyMaterialProblem::TooLarge { len: jwk.len() }));
        }
        let json = |p: JsonProblem| problem(KeyMaterialProblem::Json(p));
        let Node::Object(mut object) = Node::parse(jwk).map_err(json)? else {
            return Err(json(JsonProblem::NotAnObject));
        };
        object.check_no_duplicates().map_err(json)?;
        if object.contains("d") {
            return Err(problem(KeyMaterialProblem::SecretKeyGiven));
        }
        let kty = object.take_required("kty").map_err(json)?;
        check_member(Some(kty), "kty", &["OKP"], "\"OKP\"")?;
        let crv = object.take_required("crv").map_err(json)?;
        check_member(Some(crv), "crv", &["Ed25519"], "\"Ed25519\"")?;
        check_member(
            object.take("alg"),
            "alg",
            &["EdDSA", "Ed25519"],
            "\"EdDSA\" or \"Ed25519\"",
        )?;
        check_member(object.take("use"), "use", &["sig"], "\"sig\"")?;
        let x = object
            .take_required("x")
            .and_then(|x| x.into_string("x"))
            .map_err(json)?;
        let Some(bytes) = decode_bare(&x) else {
            return Err(problem(KeyMaterialProblem::WrongValue {
                member: "x",
                expected: "43 characters of unpadded base64url",
                found: if x.len() == 43 {
                    "not base64url".into()
                } else {
                    alloc::format!("{} characters", x.len())
                },
            }));
        };
        let key = PublicKey::from_bytes(&bytes)?;
        if let Some(kid) = object.take("kid") {
            let kid = kid.into_string("kid").map_err(json)?;
            if kid.parse::<KeyId>().ok() != Some(key.key_id()) {
                return Err(problem(KeyMaterialProblem::KidMismatch {
                    derived: key.key_id(),
                }));
            }
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    fn pk() -> PublicKey {
        SigningKey::from_seed(&[0x42; 32]).unwrap().public_key()
    }

    fn jwk_with(f: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) -> String {
        let mut v: serde_json::Value = serde_json::from_str(&pk().to_jwk()).unwrap();
        f(v.as_object_mut().unwrap());
        v.to_string()
    }

    #[test]
    fn roundtrip_and_minimal_form() {
        let pk = pk();
        assert_eq!(PublicKey::from_jwk(&pk.to_jwk()).unwrap(), pk);
        let minimal = alloc::format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{pk}"}}"#);
        assert_eq!(PublicKey::from_jwk(&minimal).unwrap(), pk);
        let extra = jwk_with(|m| {
            m.insert("key_ops".into(), serde_json::json!(["verify"]));
            m.insert("x5t".into(), serde_json::json!("whatever"));
        });
        assert_eq!(PublicKey::from_jwk(&extra).unwrap(), pk);
        // RFC 9864's fully-specified algorithm name.
        let ed25519_alg = jwk_with(|m| {
            m.insert("alg".into(), "Ed25519".into());
        });
        assert_eq!(PublicKey::from_jwk(&ed25519_alg).unwrap(), pk);
    }

    #[test]
    fn wrong_members_are_named() {
        let cases = [
            (
                jwk_with(|m| {
                    m.insert("kty".into(), "RSA".into());
                }),
                "member 'kty' is \"RSA\", expected \"OKP\"",
            ),
            (
                jwk_with(|m| {
                    m.insert("crv".into(), "X25519".into());
                }),
                "member 'crv' is \"X25519\", expected \"Ed25519\"",
            ),
            (
                jwk_with(|m| {
                    m.insert("crv".into(), 25519.into());
                }),
                "member 'crv' must be a string",
            ),
            (
                jwk_with(|m| {
                    m.remove("kty");
                }),
                "member 'kty' is missing",
            ),
            (
                jwk_with(|m| {
                    m.insert("use".into(), "enc".into());
                }),
                "member 'use' is \"enc\", expected \"sig\"",
            ),
            (
                jwk_with(|m| {
                    m.insert("alg".into(), "ES256".into());
                }),
                "member 'alg' is \"ES256\"",
            ),
            (
                jwk_with(|m| {
                    m.insert("d".into(), "secret".into());
                }),
                "this is a secret key",
            ),
            (
                jwk_with(|m| {
                    m.insert("x".into(), "AAAA".into());
                }),
                "member 'x' is 4 characters",
            ),
            ("[1, 2]".into(), "must be a JSON object"),
            ("{\"kty\":".into(), "invalid JSON"),
        ];
        for (jwk, expected) in cases {
            let err = PublicKey::from_jwk(&jwk).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::KeyMaterial {
                        encoding: KeyEncoding::Jwk,
                        ..
                    }
                ),
                "{err:?}"
            );
            let msg = err.to_string();
            assert!(msg.contains(expected), "{jwk}: {msg}");
        }
    }

    #[test]
    fn kid_must_be_the_derived_key_id() {
        let pk = pk();
        let other = SigningKey::from_seed(&[7; 32]).unwrap().key_id();
        for kid in [
            other.to_string(),
            "not-a-key-id".into(),
            pk.key_id().to_string().to_uppercase(),
        ] {
            let jwk = jwk_with(|m| {
                m.insert("kid".into(), kid.clone().into());
            });
            assert_eq!(
                PublicKey::from_jwk(&jwk),
                Err(problem(KeyMaterialProblem::KidMismatch {
                    derived: pk.key_id()
                })),
                "{kid}"
            );
        }
    }

    #[test]
    fn duplicate_members_are_refused() {
        let pk = pk();
        let other = SigningKey::from_seed(&[7; 32]).unwrap().public_key();
        let jwk = alloc::format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{pk}","x":"{other}"}}"#);
        assert_eq!(
            PublicKey::from_jwk(&jwk),
            Err(problem(KeyMaterialProblem::Json(
                JsonProblem::DuplicateMember("x".into())
            )))
        );
    }
}
