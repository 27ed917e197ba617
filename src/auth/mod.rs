//! Authentication (argon2id passwords, JWT access tokens, rotating refresh tokens) and the
//! named permission checks that handlers call first.

pub mod attempts;
pub mod csrf;
pub mod extractor;
pub mod jwt;
pub mod password;
pub mod permissions;
pub mod tokens;

pub use extractor::{CurrentUser, CurrentUserAnyPassword};
