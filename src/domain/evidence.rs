//! Evidence files (佐证材料): which kinds are accepted, judged from the content, never from the
//! name a user gave the file.

/// How many leading bytes the type check reads (Office Open XML needs a few entries of the zip).
pub const HEAD_BYTES: usize = 16 * 1024;

/// Accepted kinds: (MIME type, what users call it).
const ACCEPTED: [(&str, &str); 11] = [
    ("application/pdf", "PDF"),
    ("image/jpeg", "JPG 图片"),
    ("image/png", "PNG 图片"),
    ("image/gif", "GIF 图片"),
    ("image/webp", "WebP 图片"),
    ("application/msword", "Word 文档"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word 文档",
    ),
    ("application/vnd.ms-excel", "Excel 表格"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel 表格",
    ),
    ("application/vnd.ms-powerpoint", "PowerPoint 演示文稿"),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PowerPoint 演示文稿",
    ),
];

/// The MIME type of an accepted file from its first bytes, or why it is refused (in Chinese).
pub fn accepted_type(head: &[u8]) -> Result<&'static str, String> {
    let detected = infer::get(head);
    if let Some(kind) = detected
        && let Some((mime, _)) = ACCEPTED.iter().find(|(m, _)| *m == kind.mime_type())
    {
        return Ok(mime);
    }
    let what = detected.map_or("无法识别的内容".to_owned(), |k| {
        format!("{} 文件", k.extension().to_uppercase())
    });
    Err(format!(
        "只接受 PDF、图片（JPG、PNG、GIF、WebP）和 Office 文档（Word、Excel、PowerPoint）；该文件的内容是{what}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_not_the_name() {
        assert_eq!(
            accepted_type(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
            Ok("application/pdf")
        );
        assert_eq!(
            accepted_type(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]),
            Ok("image/png")
        );
        assert_eq!(
            accepted_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Ok("image/jpeg")
        );
        // An ELF executable (whatever it is called) and plain text are refused.
        let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
        elf.resize(64, 0);
        let elf = accepted_type(&elf);
        assert!(elf.is_err_and(|reason| reason.contains("ELF")));
        assert!(accepted_type(b"just some text").is_err());
        assert!(accepted_type(b"").is_err());
    }
}
