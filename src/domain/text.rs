//! Rules for text typed by users. A one-line field (a name, a district, a street, a title) can
//! reach an e-mail header or a file name: it holds no control character at all — no line break,
//! no tab — and no Unicode line or paragraph separator. Longer texts (reasons, comments) may
//! hold line breaks and tabs, never other control characters.

use std::borrow::Cow;

use validator::ValidationError;

/// Why a one-line field was refused, in Chinese.
pub const NOT_ONE_LINE: &str = "须为一行文字，不能包含换行、制表符等控制字符";

/// Is `text` a single line with nothing a mail header or a file name would misread?
pub fn is_one_line(text: &str) -> bool {
    !text.chars().any(breaks_line)
}

/// A field that must be one line: `#[validate(custom(function = "one_line"))]`.
pub fn one_line(value: &str) -> Result<(), ValidationError> {
    if is_one_line(value) {
        Ok(())
    } else {
        Err(ValidationError::new("one_line").with_message(Cow::Borrowed(NOT_ONE_LINE)))
    }
}

/// A longer text: line breaks and tabs, no other control character.
pub fn no_control_characters(value: &str) -> Result<(), ValidationError> {
    if value.chars().all(allowed_in_text) {
        Ok(())
    } else {
        Err(ValidationError::new("control").with_message(Cow::Borrowed(CONTROL_CHARACTERS)))
    }
}

/// Why a longer text was refused, in Chinese.
pub const CONTROL_CHARACTERS: &str = "不能包含控制字符";

/// Each of a list of one-line fields, each at most `MAX_LIST_ITEM_CHARS` characters.
pub fn each_one_line(values: &[String]) -> Result<(), ValidationError> {
    values.iter().try_for_each(|v| {
        if v.chars().count() > MAX_LIST_ITEM_CHARS {
            Err(ValidationError::new("length").with_message(Cow::Borrowed("每项最多 100 个字符")))
        } else {
            one_line(v)
        }
    })
}

/// The longest item of a list of one-line fields (a zone's communities).
pub const MAX_LIST_ITEM_CHARS: usize = 100;

/// A character a one-line field may not hold: a control character, a line or paragraph
/// separator, or a bidirectional override or isolate (which can make `exe.pdf` read `fdp.exe`).
pub fn breaks_line(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// May a longer text hold `c`? Tabs and line breaks, but no other control character
/// (PostgreSQL refuses U+0000 outright; the others are never typed by a person).
pub fn allowed_in_text(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

/// The first `max` characters of `text`: a file name cut to a sane length keeps its extension
/// (".docx") when it has a short one.
pub fn cut_file_name(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let extension = text
        .rfind('.')
        .map(|dot| &text[dot..])
        .filter(|ext| ext.chars().count() <= 10 && ext.chars().count() < max);
    match extension {
        Some(ext) => {
            let keep = max - ext.chars().count();
            let stem: String = text.chars().take(keep).collect();
            format!("{stem}{ext}")
        }
        None => text.chars().take(max).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_refuses_breaks_tabs_and_separators() {
        assert!(is_one_line("西村街社工服务站"));
        assert!(is_one_line("Zhang San (荔湾)"));
        for bad in [
            "a\nb",
            "a\rb",
            "a\tb",
            "a\u{0}b",
            "a\u{2028}b",
            "a\u{85}b",
            "a\u{1b}b",
            "a\u{202E}b",
            "a\u{2067}b",
        ] {
            assert!(!is_one_line(bad), "{bad:?}");
        }
    }

    #[test]
    fn longer_texts_keep_breaks_and_tabs_only() {
        assert!("第一行\n\t第二行\r\n".chars().all(allowed_in_text));
        assert!(!"a\u{0}".chars().all(allowed_in_text));
        assert!(!"a\u{7}".chars().all(allowed_in_text));
    }

    #[test]
    fn file_names_are_cut_keeping_their_extension() {
        assert_eq!(cut_file_name("短.pdf", 100), "短.pdf");
        let long = format!("{}.docx", "评".repeat(300));
        let cut = cut_file_name(&long, 100);
        assert_eq!(cut.chars().count(), 100);
        assert!(cut.ends_with("评.docx"));
        let no_extension = "x".repeat(150);
        assert_eq!(cut_file_name(&no_extension, 100).len(), 100);
        let odd = format!("a.{}", "b".repeat(150));
        assert_eq!(cut_file_name(&odd, 100).chars().count(), 100);
    }
}
