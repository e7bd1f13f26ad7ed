//! A bounds-checked little-endian reader over the file's bytes.
//!
//! Every read checks the remaining length first, so a truncated or corrupt file turns
//! into a [`Fail`] (offset + reason), which the caller wraps with what it was reading.

use crate::error::GgufError;

/// A failed read: where, and why. Turned into [`GgufError::Malformed`] by [`Fail::within`].
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) offset: u64,
    pub(crate) reason: String,
}

impl Fail {
    /// Names what was being read.
    pub(crate) fn within(self, context: impl Into<String>) -> GgufError {
        GgufError::Malformed {
            context: context.into(),
            offset: self.offset,
            reason: self.reason,
        }
    }
}

/// Shorthand for reads.
pub(crate) type ReadResult<T> = std::result::Result<T, Fail>;

/// Position in a byte slice.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    /// Current offset from the start of the file.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left after the current offset.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// A failure at the current offset.
    pub(crate) fn fail(&self, reason: impl Into<String>) -> Fail {
        Fail {
            offset: self.pos as u64,
            reason: reason.into(),
        }
    }

    /// A failure at an earlier offset.
    pub(crate) fn fail_at(&self, offset: usize, reason: impl Into<String>) -> Fail {
        Fail {
            offset: offset as u64,
            reason: reason.into(),
        }
    }

    /// Takes `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> ReadResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.fail(format!(
                "{n} bytes needed, past end of file (size {:#x})",
                self.data.len()
            )));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> ReadResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> ReadResult<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> ReadResult<u16> {
        self.array().map(u16::from_le_bytes)
    }
    pub(crate) fn u32(&mut self) -> ReadResult<u32> {
        self.array().map(u32::from_le_bytes)
    }
    pub(crate) fn u64(&mut self) -> ReadResult<u64> {
        self.array().map(u64::from_le_bytes)
    }
    pub(crate) fn f32(&mut self) -> ReadResult<f32> {
        self.array().map(f32::from_le_bytes)
    }
    pub(crate) fn f64(&mut self) -> ReadResult<f64> {
        self.array().map(f64::from_le_bytes)
    }

    /// Checks that `count` items of at least `min_size` bytes each can still follow,
    /// before anything is allocated for them. Returns the count as `usize`.
    pub(crate) fn check_count(&self, count: u64, min_size: usize, what: &str) -> ReadResult<usize> {
        let fits = usize::try_from(count)
            .ok()
            .and_then(|n| n.checked_mul(min_size).map(|bytes| (n, bytes)))
            .filter(|&(_, bytes)| bytes <= self.remaining());
        match fits {
            Some((n, _)) => Ok(n),
            None => Err(self.fail(format!(
                "{what} count {count} past end of file ({} bytes left)",
                self.remaining()
            ))),
        }
    }

    /// A GGUF string: u64 length, then that many bytes of UTF-8.
    pub(crate) fn string(&mut self) -> ReadResult<String> {
        let start = self.pos;
        let len = self.u64()?;
        let n = match usize::try_from(len) {
            Ok(n) if n <= self.remaining() => n,
            _ => {
                return Err(self.fail_at(
                    start,
                    format!(
                        "string length {len} past end of file (size {:#x})",
                        self.data.len()
                    ),
                ))
            }
        };
        let raw = self.bytes(n)?;
        String::from_utf8(raw.to_vec())
            .map_err(|e| self.fail_at(start, format!("string of {n} bytes is not UTF-8 ({e})")))
    }
}
