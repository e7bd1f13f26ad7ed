//! The byte-level alphabet: each of the 256 byte values is written as one printable
//! character, so BPE tokens are strings of these characters.
//!
//! Bytes that are printable on their own (`!`..=`~`, `¡`..=`¬`, `®`..=`ÿ`) stand for
//! themselves; the other 68 bytes, in increasing order, take the characters from
//! U+0100 on (so the space 0x20 is `Ġ`, U+0120, and the newline 0x0A is `Ċ`).

use std::collections::HashMap;

fn printable(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// The character standing for each byte value.
pub(crate) fn byte_chars() -> [char; 256] {
    let mut out = ['\0'; 256];
    let mut next = 0x100u32;
    for (b, slot) in out.iter_mut().enumerate() {
        let b = b as u8;
        *slot = if printable(b) {
            char::from(b)
        } else {
            let c = char::from_u32(next).unwrap_or('\u{FFFD}');
            next += 1;
            c
        };
    }
    out
}

/// The byte each alphabet character stands for.
pub(crate) fn char_bytes() -> HashMap<char, u8> {
    byte_chars()
        .iter()
        .enumerate()
        .map(|(b, &c)| (c, b as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_is_a_bijection_with_the_known_anchors() {
        let chars = byte_chars();
        assert_eq!(chars[b' ' as usize], 'Ġ');
        assert_eq!(chars[b'\n' as usize], 'Ċ');
        assert_eq!(chars[b'a' as usize], 'a');
        assert_eq!(chars[0], 'Ā');
        assert_eq!(chars[0xAD], 'Ń');
        let back = char_bytes();
        assert_eq!(back.len(), 256);
        for (b, c) in chars.iter().enumerate() {
            assert_eq!(back[c] as usize, b);
        }
    }
}
