//! The byte layout of a one-step proof: the only place that encodes or decodes it.
//!
//! A proof is a header followed by the witness items the step reads, in the order the
//! step semantics (`proof::step`) asks for them. Each item kind has its `put_*`
//! (prover) and `get_*` (verifier) side by side below. Integers are big-endian; a
//! `path` is a list of sibling hashes, bottom first, whose length the verifier knows
//! from a committed size, except for locals and globals, whose paths carry a one-byte
//! length. `docs/proof-format.md` documents the same layout.
//!
//! ```text
//! proof    = version:u8 (=1) ‖ pre_root:32 ‖ state ‖ items…
//! state    = status:u8 ‖ trap:u8 ‖ pc:u32 ‖ func:u32 ‖ fp:u32 ‖ sp:u32 ‖ depth:u32
//!            ‖ program:32 ‖ locals:32 ‖ operands:32 ‖ frames:32 ‖ globals:32 ‖ memories:32
//! program  = code_len:u32 ‖ code_root:32 ‖ br_len:u32 ‖ br_root:32 ‖ funcs_len:u32
//!            ‖ funcs_root:32 ‖ tables:32
//! word     = word:32 ‖ path            (code, function and memory leaves)
//! operands = n × value:u64 (top first) ‖ below:32
//! frame    = func:u32 ‖ fp:u32 ‖ ret_pc:u32 ‖ locals:32 ‖ operands:32 ‖ below:32
//! slot     = value:u64 ‖ len:u8 ‖ len × 32  (a local or a global)
//! memories = count:u32 ‖ count × (pages:u32 ‖ limit:u32 ‖ root:32)
//! tables   = count:u32 ‖ count × (len:u32 ‖ root:32)
//! entry    = func:u32 ‖ path           (a table entry)
//! target   = pc:u32 ‖ drop:u32 ‖ keep:u32 ‖ path   (a br_table target)
//! ```

use super::ProofError;
use crate::commit::layout::{MEMORY_RECORD_LEN, TABLE_RECORD_LEN, WORD};
use crate::commit::{FrameRecord, MemoryFields, ProgramFields, StateFields, TableFields};
use crate::merkle::Hash;
use crate::ops::BranchTarget;

/// The proof format version this module writes and reads.
pub const VERSION: u8 = 1;

/// Bytes of the header (version and pre-root); the state item follows. The items'
/// own layouts are the hashed preimages of [`crate::commit::layout`].
pub const HEADER_LEN: usize = 1 + WORD;

/// The longest local or global path accepted (a 2^32-slot tree).
pub const MAX_SLOT_PATH: usize = 32;

/// Appends proof items.
#[derive(Default)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

/// Reads proof items, tracking the offset for error messages.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Writer {
    /// The encoded proof.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn hash(&mut self, h: &Hash) {
        self.buf.extend_from_slice(h);
    }

    fn path(&mut self, path: &[Hash]) {
        path.iter().for_each(|h| self.hash(h));
    }

    /// Header: version and the claimed pre-state root.
    pub fn put_header(&mut self, pre_root: &Hash) {
        self.u8(VERSION);
        self.hash(pre_root);
    }

    /// The pre-state's fields.
    pub fn put_state(&mut self, s: &StateFields) {
        self.u8(s.status.0);
        self.u8(s.status.1);
        for v in [s.pc, s.func, s.fp, s.sp, s.depth] {
            self.u32(v);
        }
        for h in [
            &s.program,
            &s.locals,
            &s.operands,
            &s.frames,
            &s.globals,
            &s.memories,
        ] {
            self.hash(h);
        }
    }

    /// The program root's preimage.
    pub fn put_program(&mut self, p: &ProgramFields) {
        self.u32(p.code_len);
        self.hash(&p.code_root);
        self.u32(p.br_len);
        self.hash(&p.br_root);
        self.u32(p.funcs_len);
        self.hash(&p.funcs_root);
        self.hash(&p.tables);
    }

    /// A tree leaf with its path of known length.
    pub fn put_word(&mut self, word: &Hash, path: &[Hash]) {
        self.hash(word);
        self.path(path);
    }

    /// Popped operands (top first) and the chain below them.
    pub fn put_operands(&mut self, values: &[u64], below: &Hash) {
        values.iter().for_each(|&v| self.u64(v));
        self.hash(below);
    }

    /// The caller frame on top of the frame chain and the chain below it.
    pub fn put_frame(&mut self, f: &FrameRecord, below: &Hash) {
        self.u32(f.func);
        self.u32(f.fp);
        self.u32(f.ret_pc);
        self.hash(&f.locals);
        self.hash(&f.operands);
        self.hash(below);
    }

    /// A local or global and its length-prefixed path.
    pub fn put_slot(&mut self, value: u64, path: &[Hash]) {
        self.u64(value);
        self.u8(path.len() as u8);
        self.path(path);
    }

    /// The memories commitment's preimage.
    pub fn put_memories(&mut self, mems: &[MemoryFields]) {
        self.u32(mems.len() as u32);
        for m in mems {
            self.u32(m.pages);
            self.u32(m.limit);
            self.hash(&m.root);
        }
    }

    /// The tables commitment's preimage.
    pub fn put_tables(&mut self, tables: &[TableFields]) {
        self.u32(tables.len() as u32);
        for t in tables {
            self.u32(t.len);
            self.hash(&t.root);
        }
    }

    /// A table entry and its path.
    pub fn put_entry(&mut self, func: u32, path: &[Hash]) {
        self.u32(func);
        self.path(path);
    }

    /// A `br_table` target and its path.
    pub fn put_target(&mut self, t: &BranchTarget, path: &[Hash]) {
        self.u32(t.pc);
        self.u32(t.drop);
        self.u32(t.keep);
        self.path(path);
    }
}

impl<'a> Reader<'a> {
    /// Reads `bytes` from the start.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), ProofError> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(ProofError::TrailingBytes {
                offset: self.pos,
                extra: self.bytes.len() - self.pos,
            })
        }
    }

    fn take<const N: usize>(&mut self, item: &'static str) -> Result<[u8; N], ProofError> {
        let end = self.pos + N;
        let slice = self.bytes.get(self.pos..end).ok_or(ProofError::Truncated {
            item,
            offset: self.pos,
            len: self.bytes.len(),
        })?;
        self.pos = end;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn u8(&mut self, item: &'static str) -> Result<u8, ProofError> {
        Ok(self.take::<1>(item)?[0])
    }

    fn u32(&mut self, item: &'static str) -> Result<u32, ProofError> {
        self.take::<4>(item).map(u32::from_be_bytes)
    }

    fn u64(&mut self, item: &'static str) -> Result<u64, ProofError> {
        self.take::<8>(item).map(u64::from_be_bytes)
    }

    fn hash(&mut self, item: &'static str) -> Result<Hash, ProofError> {
        self.take::<32>(item)
    }

    fn path(&mut self, item: &'static str, len: usize) -> Result<Vec<Hash>, ProofError> {
        (0..len).map(|_| self.hash(item)).collect()
    }

    /// See [`Writer::put_header`].
    pub fn get_header(&mut self) -> Result<Hash, ProofError> {
        let version = self.u8("version")?;
        if version != VERSION {
            return Err(ProofError::Version(version));
        }
        self.hash("pre-root")
    }

    /// See [`Writer::put_state`].
    pub fn get_state(&mut self) -> Result<StateFields, ProofError> {
        const S: &str = "state";
        Ok(StateFields {
            status: (self.u8(S)?, self.u8(S)?),
            pc: self.u32(S)?,
            func: self.u32(S)?,
            fp: self.u32(S)?,
            sp: self.u32(S)?,
            depth: self.u32(S)?,
            program: self.hash(S)?,
            locals: self.hash(S)?,
            operands: self.hash(S)?,
            frames: self.hash(S)?,
            globals: self.hash(S)?,
            memories: self.hash(S)?,
        })
    }

    /// See [`Writer::put_program`].
    pub fn get_program(&mut self) -> Result<ProgramFields, ProofError> {
        const P: &str = "program";
        Ok(ProgramFields {
            code_len: self.u32(P)?,
            code_root: self.hash(P)?,
            br_len: self.u32(P)?,
            br_root: self.hash(P)?,
            funcs_len: self.u32(P)?,
            funcs_root: self.hash(P)?,
            tables: self.hash(P)?,
        })
    }

    /// See [`Writer::put_word`].
    pub fn get_word(
        &mut self,
        item: &'static str,
        height: usize,
    ) -> Result<(Hash, Vec<Hash>), ProofError> {
        Ok((self.hash(item)?, self.path(item, height)?))
    }

    /// See [`Writer::put_operands`].
    pub fn get_operands(&mut self, n: u32) -> Result<(Vec<u64>, Hash), ProofError> {
        const O: &str = "operands";
        let values = (0..n).map(|_| self.u64(O)).collect::<Result<_, _>>()?;
        Ok((values, self.hash(O)?))
    }

    /// See [`Writer::put_frame`].
    pub fn get_frame(&mut self) -> Result<(FrameRecord, Hash), ProofError> {
        const F: &str = "frame";
        let record = FrameRecord {
            func: self.u32(F)?,
            fp: self.u32(F)?,
            ret_pc: self.u32(F)?,
            locals: self.hash(F)?,
            operands: self.hash(F)?,
        };
        Ok((record, self.hash(F)?))
    }

    /// See [`Writer::put_slot`].
    pub fn get_slot(&mut self, item: &'static str) -> Result<(u64, Vec<Hash>), ProofError> {
        let value = self.u64(item)?;
        let len = self.u8(item)? as usize;
        if len > MAX_SLOT_PATH {
            return Err(ProofError::PathTooLong { item, len });
        }
        Ok((value, self.path(item, len)?))
    }

    /// See [`Writer::put_memories`].
    pub fn get_memories(&mut self) -> Result<Vec<MemoryFields>, ProofError> {
        const M: &str = "memories";
        let count = self.u32(M)?;
        self.bounded_count(M, count, MEMORY_RECORD_LEN)?;
        (0..count)
            .map(|_| {
                Ok(MemoryFields {
                    pages: self.u32(M)?,
                    limit: self.u32(M)?,
                    root: self.hash(M)?,
                })
            })
            .collect()
    }

    /// See [`Writer::put_tables`].
    pub fn get_tables(&mut self) -> Result<Vec<TableFields>, ProofError> {
        const T: &str = "tables";
        let count = self.u32(T)?;
        self.bounded_count(T, count, TABLE_RECORD_LEN)?;
        (0..count)
            .map(|_| {
                Ok(TableFields {
                    len: self.u32(T)?,
                    root: self.hash(T)?,
                })
            })
            .collect()
    }

    /// See [`Writer::put_entry`].
    pub fn get_entry(&mut self, height: usize) -> Result<(u32, Vec<Hash>), ProofError> {
        Ok((self.u32("table entry")?, self.path("table entry", height)?))
    }

    /// See [`Writer::put_target`].
    pub fn get_target(&mut self, height: usize) -> Result<(BranchTarget, Vec<Hash>), ProofError> {
        const B: &str = "br_table target";
        let target = BranchTarget {
            pc: self.u32(B)?,
            drop: self.u32(B)?,
            keep: self.u32(B)?,
        };
        Ok((target, self.path(B, height)?))
    }

    /// A count of `size`-byte records must fit in the bytes left (no huge allocations
    /// from a forged count).
    fn bounded_count(&self, item: &'static str, count: u32, size: usize) -> Result<(), ProofError> {
        if (count as usize).saturating_mul(size) > self.bytes.len() - self.pos {
            return Err(ProofError::Truncated {
                item,
                offset: self.pos,
                len: self.bytes.len(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::layout::{FRAME_LEN, PROGRAM_LEN, STATE_LEN};

    #[test]
    fn item_lengths_are_the_layout_constants() {
        let mut w = Writer::default();
        w.put_header(&[1; 32]);
        assert_eq!(w.buf.len(), HEADER_LEN);
        let s = StateFields {
            status: (0, 0),
            pc: 1,
            func: 2,
            fp: 3,
            sp: 4,
            depth: 5,
            program: [6; 32],
            locals: [7; 32],
            operands: [8; 32],
            frames: [9; 32],
            globals: [10; 32],
            memories: [11; 32],
        };
        w.put_state(&s);
        assert_eq!(w.buf.len(), HEADER_LEN + STATE_LEN);
        let p = ProgramFields {
            code_len: 1,
            code_root: [1; 32],
            br_len: 2,
            br_root: [2; 32],
            funcs_len: 3,
            funcs_root: [3; 32],
            tables: [4; 32],
        };
        let at = w.buf.len();
        w.put_program(&p);
        assert_eq!(w.buf.len() - at, PROGRAM_LEN);
        let f = FrameRecord {
            func: 1,
            fp: 2,
            ret_pc: 3,
            locals: [4; 32],
            operands: [5; 32],
        };
        let at = w.buf.len();
        w.put_frame(&f, &[6; 32]);
        assert_eq!(w.buf.len() - at, FRAME_LEN);
        let at = w.buf.len();
        w.put_memories(&[MemoryFields {
            pages: 1,
            limit: 2,
            root: [3; 32],
        }]);
        assert_eq!(w.buf.len() - at, 4 + MEMORY_RECORD_LEN);
        let at = w.buf.len();
        w.put_tables(&[TableFields {
            len: 1,
            root: [2; 32],
        }]);
        assert_eq!(w.buf.len() - at, 4 + TABLE_RECORD_LEN);

        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.get_header(), Ok([1; 32]));
        assert_eq!(r.get_state(), Ok(s));
        assert_eq!(r.get_program(), Ok(p));
    }
}
