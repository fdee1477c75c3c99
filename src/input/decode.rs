//! Bytes to text, for the encodings plans really arrive in: UTF-8 with or
//! without BOM, and UTF-16 with BOM (Windows PowerShell's `>` writes that).

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not UTF-8 text (invalid byte at offset {offset}); save the file as UTF-8")]
    NotUtf8 { offset: usize },
    #[error("invalid UTF-16 text; save the file as UTF-8")]
    BadUtf16,
}

/// Decodes `bytes` to text, borrowing when it is already UTF-8.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    if let Some((units, unit)) = utf16_layout(bytes) {
        return utf16(units, unit);
    }
    match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => utf8(rest, 3),
        None => utf8(bytes, 0),
    }
}

/// Decodes `bytes` to text, reusing them when they are already UTF-8: a
/// large plan is then held once, not twice.
pub fn decode_owned(mut bytes: Vec<u8>) -> Result<String, DecodeError> {
    if let Some((units, unit)) = utf16_layout(&bytes) {
        return utf16(units, unit).map(Cow::into_owned);
    }
    let skipped = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    bytes.drain(..skipped);
    String::from_utf8(bytes).map_err(|e| DecodeError::NotUtf8 {
        offset: skipped + e.utf8_error().valid_up_to(),
    })
}

/// How two bytes make a UTF-16 code unit.
type ByteOrder = fn([u8; 2]) -> u16;

/// UTF-16 text: the code units after the byte order mark, and their byte
/// order. Without a BOM, JSON starts with an ASCII character, so every
/// other byte is zero.
fn utf16_layout(bytes: &[u8]) -> Option<(&[u8], ByteOrder)> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Some((rest, u16::from_le_bytes));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Some((rest, u16::from_be_bytes));
    }
    if bytes.len() >= 4 && bytes[0] != 0 && bytes[1] == 0 && bytes[3] == 0 {
        return Some((bytes, u16::from_le_bytes));
    }
    if bytes.len() >= 4 && bytes[0] == 0 && bytes[1] != 0 && bytes[2] == 0 {
        return Some((bytes, u16::from_be_bytes));
    }
    None
}

fn utf8(bytes: &[u8], skipped: usize) -> Result<Cow<'_, str>, DecodeError> {
    std::str::from_utf8(bytes)
        .map(Cow::Borrowed)
        .map_err(|e| DecodeError::NotUtf8 {
            offset: skipped + e.valid_up_to(),
        })
}

fn utf16(bytes: &[u8], unit: ByteOrder) -> Result<Cow<'static, str>, DecodeError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(DecodeError::BadUtf16);
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map(Cow::Owned)
        .map_err(|_| DecodeError::BadUtf16)
}

/// Text printed around a plan by the `terraform` wrapper of
/// hashicorp/setup-terraform (`[command]... show -json plan`, then
/// `::set-output` lines), which users redirect into a file by accident.
/// Returns the byte range of the JSON document inside, if `text` has that shape.
pub fn unwrap_setup_terraform(text: &str) -> Option<(usize, usize)> {
    if !text.starts_with("[command]") {
        return None;
    }
    let start = text.find('{')?;
    // The wrapper ends stdout with a URL-encoded newline before its own lines.
    let end = text
        .find("\n::")
        .map(|i| text[..i].trim_end().trim_end_matches("%0A").len())
        .unwrap_or_else(|| text.trim_end().len());
    (end > start).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_decoding_reads_as_borrowed_decoding() {
        for bytes in [
            &b"{\"a\":1}"[..],
            b"\xEF\xBB\xBF{\"a\":1}",
            b"\xFF\xFE{\x00}\x00",
            b"{\x00}\x00",
            b"ok \xFF",
            b"\xEF\xBB\xBFok \xFF",
        ] {
            assert_eq!(
                decode_owned(bytes.to_vec()),
                decode(bytes).map(Cow::into_owned),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn decodes_utf8_with_and_without_bom() {
        assert_eq!(decode(b"{}").expect("utf8"), "{}");
        assert_eq!(decode(b"\xEF\xBB\xBF{}").expect("utf8 bom"), "{}");
    }

    #[test]
    fn decodes_utf16_both_endians_with_and_without_bom() {
        let le: Vec<u8> = "{\"a\":1}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "{\"a\":1}"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(
            decode(&[&[0xFF, 0xFE][..], &le].concat()).expect("le bom"),
            "{\"a\":1}"
        );
        assert_eq!(
            decode(&[&[0xFE, 0xFF][..], &be].concat()).expect("be bom"),
            "{\"a\":1}"
        );
        assert_eq!(decode(&le).expect("le"), "{\"a\":1}");
        assert_eq!(decode(&be).expect("be"), "{\"a\":1}");
    }

    #[test]
    fn reports_where_utf8_breaks() {
        assert_eq!(
            decode(b"{\"a\":\xFF}"),
            Err(DecodeError::NotUtf8 { offset: 5 })
        );
        assert_eq!(decode(b"\xFF\xFE{"), Err(DecodeError::BadUtf16));
    }

    #[test]
    fn finds_the_plan_inside_setup_terraform_output() {
        let text = "[command]/tmp/terraform-bin show -json plan {\"a\":1}%0A\n::set-output name=stderr::\n::set-output name=exitcode::0\n";
        let (start, end) = unwrap_setup_terraform(text).expect("wrapped");
        assert_eq!(&text[start..end], "{\"a\":1}");
        assert_eq!(unwrap_setup_terraform("{\"a\":1}"), None);
    }
}
