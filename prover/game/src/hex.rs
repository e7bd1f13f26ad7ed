//! Hex for people: roots and byte strings as `0x`-prefixed lowercase hex.

/// `0x`-prefixed lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
