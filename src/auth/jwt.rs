//! HS256 access tokens with the algorithm and issuer pinned on decode.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "pinggu";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    /// The session (refresh-token family) the token belongs to; revoking it ends the token.
    pub sid: String,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_seconds: i64,
}

impl JwtKeys {
    pub fn new(secret: &SecretString, access_ttl_seconds: u64) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            access_ttl_seconds: i64::try_from(access_ttl_seconds).unwrap_or(900),
        }
    }

    pub fn issue(&self, user_id: i64, session_id: &str) -> anyhow::Result<String> {
        self.issue_for(user_id, session_id, self.access_ttl_seconds)
    }

    /// A token that lives `ttl_seconds` (the pages' session cookie: the idle timeout).
    pub fn issue_for(
        &self,
        user_id: i64,
        session_id: &str,
        ttl_seconds: i64,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + ttl_seconds,
            iss: ISSUER.into(),
            sid: session_id.into(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token of this issuer; `None` otherwise.
    pub fn decode(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(&SecretString::from(secret.to_owned()), 900)
    }

    #[test]
    fn round_trip() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let token = k.issue(42, "s1").expect("issues");
        let claims = k.decode(&token).expect("decodes");
        assert_eq!((claims.sub.as_str(), claims.sid.as_str()), ("42", "s1"));
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn other_key_none_algorithm_and_expired_tokens_are_refused() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let other = keys("fedcba9876543210fedcba9876543210");
        let token = other.issue(1, "s").expect("issues");
        assert!(k.decode(&token).is_none());

        // An unsigned token claiming alg "none".
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let now = chrono::Utc::now().timestamp();
        let unsigned = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&format!(
                r#"{{"sub":"1","iat":{now},"exp":{},"iss":"pinggu","sid":"s"}}"#,
                now + 100
            ))
        );
        assert!(k.decode(&unsigned).is_none());

        let expired = Claims {
            sub: "1".into(),
            iat: now - 2000,
            exp: now - 1000,
            iss: ISSUER.into(),
            sid: "s".into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &expired, &k.encoding)
            .expect("encodes");
        assert!(k.decode(&token).is_none());
    }
}
