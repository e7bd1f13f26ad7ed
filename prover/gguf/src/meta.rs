//! The metadata key-value store and its typed getters.

use std::collections::HashMap;

use crate::error::{GgufError, Result};
use crate::value::{MetaArray, MetaValue};

/// A file's metadata, in file order, with lookup by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    entries: Vec<(String, MetaValue)>,
    index: HashMap<String, usize>,
}

impl Metadata {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces `key`. Returns the previous value when replacing.
    pub fn insert(&mut self, key: impl Into<String>, value: MetaValue) -> Option<MetaValue> {
        let key = key.into();
        match self.index.get(&key) {
            Some(&i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
                None
            }
        }
    }

    /// All entries in file order.
    pub fn entries(&self) -> &[(String, MetaValue)] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    fn require(&self, key: &str) -> Result<&MetaValue> {
        self.get(key)
            .ok_or_else(|| GgufError::MissingKey(key.to_string()))
    }

    fn wrong(key: &str, expected: &'static str, found: &MetaValue) -> GgufError {
        GgufError::WrongType {
            key: key.to_string(),
            expected,
            found: found.type_name(),
        }
    }

    /// A string value.
    pub fn get_str(&self, key: &str) -> Result<&str> {
        match self.require(key)? {
            MetaValue::String(s) => Ok(s),
            other => Err(Self::wrong(key, "string", other)),
        }
    }

    /// An integer value of any width that fits in u64 (files differ in which width
    /// they use for counts).
    pub fn get_u64(&self, key: &str) -> Result<u64> {
        let v = self.require(key)?;
        v.as_u64()
            .ok_or_else(|| Self::wrong(key, "a non-negative integer", v))
    }

    /// An integer value of any width that fits in u32.
    pub fn get_u32(&self, key: &str) -> Result<u32> {
        let v = self.require(key)?;
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| Self::wrong(key, "an integer in u32 range", v))
    }

    /// [`get_u32`](Self::get_u32), or `None` when the key is absent.
    pub fn opt_u32(&self, key: &str) -> Result<Option<u32>> {
        self.get(key).map(|_| self.get_u32(key)).transpose()
    }

    /// An f32 value (an f64 is accepted and narrowed).
    pub fn get_f32(&self, key: &str) -> Result<f32> {
        match *self.require(key)? {
            MetaValue::F32(v) => Ok(v),
            MetaValue::F64(v) => Ok(v as f32),
            ref other => Err(Self::wrong(key, "f32", other)),
        }
    }

    /// A bool value, or `None` when the key is absent.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(MetaValue::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Self::wrong(key, "bool", other)),
        }
    }

    fn get_array(&self, key: &str, expected: &'static str) -> Result<&MetaArray> {
        match self.require(key)? {
            MetaValue::Array(a) => Ok(a),
            other => Err(Self::wrong(key, expected, other)),
        }
    }

    /// An array of strings.
    pub fn get_str_array(&self, key: &str) -> Result<&[String]> {
        const WHAT: &str = "array of string";
        match self.get_array(key, WHAT)? {
            MetaArray::String(v) => Ok(v),
            _ => Err(Self::wrong(key, WHAT, self.require(key)?)),
        }
    }

    /// An array of i32.
    pub fn get_i32_array(&self, key: &str) -> Result<&[i32]> {
        const WHAT: &str = "array of i32";
        match self.get_array(key, WHAT)? {
            MetaArray::I32(v) => Ok(v),
            _ => Err(Self::wrong(key, WHAT, self.require(key)?)),
        }
    }

    /// An array of f32.
    pub fn get_f32_array(&self, key: &str) -> Result<&[f32]> {
        const WHAT: &str = "array of f32";
        match self.get_array(key, WHAT)? {
            MetaArray::F32(v) => Ok(v),
            _ => Err(Self::wrong(key, WHAT, self.require(key)?)),
        }
    }
}
