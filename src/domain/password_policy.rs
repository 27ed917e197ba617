/// The password policy (等保): a minimum length (`auth.password_min_length`), at least one
/// letter and one digit, and at most 128 characters so hashing cost stays bounded.
pub fn check(password: &str, min_length: usize) -> Result<(), String> {
    let length = password.chars().count();
    if length < min_length {
        return Err(format!("密码至少需要 {min_length} 个字符"));
    }
    if length > 128 {
        return Err("密码不能超过 128 个字符".into());
    }
    let has_letter = password.chars().any(|c| c.is_alphabetic());
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    if !has_letter || !has_digit {
        return Err("密码须同时包含字母和数字".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_letters_and_digits() {
        assert!(check("abcdefgh12", 10).is_ok());
        assert!(check("abcdefg12", 10).is_err(), "nine characters");
        assert!(check("abcdefghij", 10).is_err(), "no digit");
        assert!(check("1234567890", 10).is_err(), "no letter");
        assert!(
            check("评估系统密码很长的1", 10).is_ok(),
            "Chinese letters count"
        );
        assert!(
            check(&format!("a1{}", "x".repeat(127)), 10).is_err(),
            "too long"
        );
    }

    #[test]
    fn message_names_the_configured_length() {
        assert_eq!(check("a1", 12), Err("密码至少需要 12 个字符".to_string()));
    }
}
