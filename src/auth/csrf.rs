//! The pages' CSRF tokens: an HMAC of the session (or of a login form's nonce) under a key
//! derived from the service's secret.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The key of the CSRF tokens, derived from the JWT secret.
#[derive(Clone)]
pub struct CsrfKey(Vec<u8>);

impl CsrfKey {
    pub fn derive(secret: &str) -> CsrfKey {
        CsrfKey(format!("pinggu-csrf:{secret}").into_bytes())
    }

    /// The token of a session (or of a login form's nonce): HMAC-SHA256, hex.
    pub fn token(&self, subject: &str) -> String {
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(subject.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Does `given` match the token of `subject`? (Constant time.)
    pub fn verify(&self, subject: &str, given: &str) -> bool {
        let expected = self.token(subject);
        !expected.is_empty()
            && expected.len() == given.len()
            && expected
                .bytes()
                .zip(given.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_their_session_and_key() {
        let key = CsrfKey::derive("secret-one");
        let token = key.token("session-a");
        assert_eq!(token.len(), 64);
        assert!(key.verify("session-a", &token));
        assert!(!key.verify("session-b", &token));
        assert!(!key.verify("session-a", ""));
        assert!(!CsrfKey::derive("secret-two").verify("session-a", &token));
    }
}
