//! Where the step semantics gets the parts of the pre-state it reads.
//!
//! [`Witness`] is asked, in execution order, for exactly what one instruction touches.
//! The prover's [`Recorder`] answers from a live machine and writes each answer into the
//! proof; the verifier's [`Replayer`] answers by reading the proof back. Because both
//! run the same semantics, the prover cannot emit items in an order the verifier does
//! not expect. Neither side checks anything: checking is the semantics' job.

use super::codec::{Reader, Writer};
use super::ProofError;
use crate::commit::{
    push_frame, push_value, FrameRecord, MemoryFields, ProgramFields, StateFields, TableFields,
    EMPTY_CHAIN,
};
use crate::machine::Machine;
use crate::merkle::{height_for, path_over, value_leaf, Hash};
use crate::ops::BranchTarget;

/// The parts of a pre-state one step may read, each with what proves it.
pub(crate) trait Witness {
    /// The claimed pre-state root.
    fn pre_root(&mut self) -> Result<Hash, ProofError>;
    /// The pre-state's fields.
    fn state(&mut self) -> Result<StateFields, ProofError>;
    /// The program root's preimage.
    fn program(&mut self) -> Result<ProgramFields, ProofError>;
    /// The code word at `pc` and its path in the code tree of height `height`.
    fn code(&mut self, pc: u32, height: usize) -> Result<(Hash, Vec<Hash>), ProofError>;
    /// The next `n` operands of the current frame (top first; successive calls continue
    /// below the ones already taken) and the operand chain under them.
    fn operands(&mut self, n: u32) -> Result<(Vec<u64>, Hash), ProofError>;
    /// The function word of store function `addr` and its path.
    fn function(&mut self, addr: u32, height: usize) -> Result<(Hash, Vec<Hash>), ProofError>;
    /// The innermost caller frame and the frame chain under it.
    fn frame(&mut self) -> Result<(FrameRecord, Hash), ProofError>;
    /// Local `i` of the current frame and its path.
    fn local(&mut self, i: u32) -> Result<(u64, Vec<Hash>), ProofError>;
    /// Global `g` and its path.
    fn global(&mut self, g: u32) -> Result<(u64, Vec<Hash>), ProofError>;
    /// The memories commitment's preimage.
    fn memories(&mut self) -> Result<Vec<MemoryFields>, ProofError>;
    /// Leaf `index` of memory `mem` and its path.
    fn memory_leaf(&mut self, mem: u32, index: u64) -> Result<(Hash, Vec<Hash>), ProofError>;
    /// The tables commitment's preimage.
    fn tables(&mut self) -> Result<Vec<TableFields>, ProofError>;
    /// Entry `i` of table `table` and its path in a tree of height `height`.
    fn table_entry(
        &mut self,
        table: u32,
        i: u32,
        height: usize,
    ) -> Result<(u32, Vec<Hash>), ProofError>;
    /// Branch-table target `index` and its path in a tree of height `height`.
    fn branch_target(
        &mut self,
        index: u32,
        height: usize,
    ) -> Result<(BranchTarget, Vec<Hash>), ProofError>;
}

/// The prover's witness: answers from a machine and records every answer.
pub(crate) struct Recorder<'m> {
    machine: &'m mut Machine,
    out: Writer,
    /// Operands of the current frame handed out so far.
    taken: u32,
}

impl<'m> Recorder<'m> {
    /// Records a proof of the next step of `machine`.
    pub fn new(machine: &'m mut Machine) -> Recorder<'m> {
        Recorder {
            machine,
            out: Writer::default(),
            taken: 0,
        }
    }

    /// The recorded proof bytes.
    pub fn finish(self) -> Vec<u8> {
        self.out.finish()
    }

    fn missing(what: &'static str) -> ProofError {
        ProofError::Inconsistent(what)
    }
}

impl Witness for Recorder<'_> {
    fn pre_root(&mut self) -> Result<Hash, ProofError> {
        let root = self.machine.state_root();
        self.out.put_header(&root);
        Ok(root)
    }

    fn state(&mut self) -> Result<StateFields, ProofError> {
        let s = self.machine.state_fields();
        self.out.put_state(&s);
        Ok(s)
    }

    fn program(&mut self) -> Result<ProgramFields, ProofError> {
        let p = self.machine.program().fields;
        self.out.put_program(&p);
        Ok(p)
    }

    fn code(&mut self, pc: u32, height: usize) -> Result<(Hash, Vec<Hash>), ProofError> {
        let program = self.machine.program();
        let code = &program.code;
        if pc as usize >= self.machine.code.len() || code.height() != height {
            return Err(Self::missing("code word"));
        }
        let (word, path) = (code.leaf(pc as usize), code.path(pc as usize));
        self.out.put_word(&word, &path);
        Ok((word, path))
    }

    fn operands(&mut self, n: u32) -> Result<(Vec<u64>, Hash), ProofError> {
        let m = &*self.machine;
        let base = m.fp + m.num_locals_of(m.func);
        let top =
            m.sp.checked_sub(self.taken)
                .ok_or(Self::missing("operands"))?;
        let bottom = top
            .checked_sub(n)
            .filter(|&b| b >= base)
            .ok_or(Self::missing("operands"))?;
        let values: Vec<u64> = m.stack[bottom as usize..top as usize]
            .iter()
            .rev()
            .copied()
            .collect();
        let below = m.stack[base as usize..bottom as usize]
            .iter()
            .fold(EMPTY_CHAIN, |h, &v| push_value(&h, v));
        self.taken += n;
        self.out.put_operands(&values, &below);
        Ok((values, below))
    }

    fn function(&mut self, addr: u32, height: usize) -> Result<(Hash, Vec<Hash>), ProofError> {
        let program = self.machine.program();
        if addr as usize >= self.machine.funcs.len() || program.funcs.height() != height {
            return Err(Self::missing("function"));
        }
        let (word, path) = (
            program.funcs.leaf(addr as usize),
            program.funcs.path(addr as usize),
        );
        self.out.put_word(&word, &path);
        Ok((word, path))
    }

    fn frame(&mut self) -> Result<(FrameRecord, Hash), ProofError> {
        let records = self.machine.frame_records();
        let (top, rest) = records.split_last().ok_or(Self::missing("caller frame"))?;
        let below = rest.iter().fold(EMPTY_CHAIN, |h, r| push_frame(&h, r));
        self.out.put_frame(top, &below);
        Ok((*top, below))
    }

    fn local(&mut self, i: u32) -> Result<(u64, Vec<Hash>), ProofError> {
        let m = &*self.machine;
        let n = m.num_locals_of(m.func) as usize;
        let fp = m.fp as usize;
        let leaves: Vec<Hash> = m.stack[fp..fp + n].iter().map(|&v| value_leaf(v)).collect();
        let value = *m
            .stack
            .get(fp + i as usize)
            .filter(|_| (i as usize) < n)
            .ok_or(Self::missing("local"))?;
        let path = path_over(&leaves, 0, height_for(n), i as usize);
        self.out.put_slot(value, &path);
        Ok((value, path))
    }

    fn global(&mut self, g: u32) -> Result<(u64, Vec<Hash>), ProofError> {
        let globals = &self.machine.globals;
        let value = *globals.get(g as usize).ok_or(Self::missing("global"))?;
        let leaves: Vec<Hash> = globals.iter().map(|&v| value_leaf(v)).collect();
        let path = path_over(&leaves, 0, height_for(leaves.len()), g as usize);
        self.out.put_slot(value, &path);
        Ok((value, path))
    }

    fn memories(&mut self) -> Result<Vec<MemoryFields>, ProofError> {
        let mems = self.machine.memory_fields();
        self.out.put_memories(&mems);
        Ok(mems)
    }

    fn memory_leaf(&mut self, mem: u32, index: u64) -> Result<(Hash, Vec<Hash>), ProofError> {
        let memory = self
            .machine
            .memories
            .get_mut(mem as usize)
            .ok_or(Self::missing("memory"))?;
        let (word, path) = memory.leaf_proof(index);
        self.out.put_word(&word, &path);
        Ok((word, path))
    }

    fn tables(&mut self) -> Result<Vec<TableFields>, ProofError> {
        let tables = self.machine.program().table_fields.clone();
        self.out.put_tables(&tables);
        Ok(tables)
    }

    fn table_entry(
        &mut self,
        table: u32,
        i: u32,
        height: usize,
    ) -> Result<(u32, Vec<Hash>), ProofError> {
        let t = self
            .machine
            .tables
            .get(table as usize)
            .ok_or(Self::missing("table"))?;
        let entry = t
            .elems
            .get(i as usize)
            .ok_or(Self::missing("table entry"))?
            .unwrap_or(u32::MAX);
        let program = self.machine.program();
        let tree = &program.tables[table as usize];
        if tree.height() != height {
            return Err(Self::missing("table entry"));
        }
        let path = tree.path(i as usize);
        self.out.put_entry(entry, &path);
        Ok((entry, path))
    }

    fn branch_target(
        &mut self,
        index: u32,
        height: usize,
    ) -> Result<(BranchTarget, Vec<Hash>), ProofError> {
        let target = *self
            .machine
            .br_targets
            .get(index as usize)
            .ok_or(Self::missing("br_table target"))?;
        let program = self.machine.program();
        if program.brs.height() != height {
            return Err(Self::missing("br_table target"));
        }
        let path = program.brs.path(index as usize);
        self.out.put_target(&target, &path);
        Ok((target, path))
    }
}

/// The verifier's witness: reads the answers back from the proof bytes.
pub(crate) struct Replayer<'a> {
    reader: Reader<'a>,
}

impl<'a> Replayer<'a> {
    /// Replays `proof`.
    pub fn new(proof: &'a [u8]) -> Replayer<'a> {
        Replayer {
            reader: Reader::new(proof),
        }
    }

    /// Fails unless the whole proof was read.
    pub fn finish(&self) -> Result<(), ProofError> {
        self.reader.finish()
    }
}

impl Witness for Replayer<'_> {
    fn pre_root(&mut self) -> Result<Hash, ProofError> {
        self.reader.get_header()
    }

    fn state(&mut self) -> Result<StateFields, ProofError> {
        self.reader.get_state()
    }

    fn program(&mut self) -> Result<ProgramFields, ProofError> {
        self.reader.get_program()
    }

    fn code(&mut self, _pc: u32, height: usize) -> Result<(Hash, Vec<Hash>), ProofError> {
        self.reader.get_word("code word", height)
    }

    fn operands(&mut self, n: u32) -> Result<(Vec<u64>, Hash), ProofError> {
        self.reader.get_operands(n)
    }

    fn function(&mut self, _addr: u32, height: usize) -> Result<(Hash, Vec<Hash>), ProofError> {
        self.reader.get_word("function word", height)
    }

    fn frame(&mut self) -> Result<(FrameRecord, Hash), ProofError> {
        self.reader.get_frame()
    }

    fn local(&mut self, _i: u32) -> Result<(u64, Vec<Hash>), ProofError> {
        self.reader.get_slot("local")
    }

    fn global(&mut self, _g: u32) -> Result<(u64, Vec<Hash>), ProofError> {
        self.reader.get_slot("global")
    }

    fn memories(&mut self) -> Result<Vec<MemoryFields>, ProofError> {
        self.reader.get_memories()
    }

    fn memory_leaf(&mut self, _mem: u32, _index: u64) -> Result<(Hash, Vec<Hash>), ProofError> {
        self.reader
            .get_word("memory leaf", crate::memory::MEMORY_TREE_HEIGHT)
    }

    fn tables(&mut self) -> Result<Vec<TableFields>, ProofError> {
        self.reader.get_tables()
    }

    fn table_entry(
        &mut self,
        _table: u32,
        _i: u32,
        height: usize,
    ) -> Result<(u32, Vec<Hash>), ProofError> {
        self.reader.get_entry(height)
    }

    fn branch_target(
        &mut self,
        _index: u32,
        height: usize,
    ) -> Result<(BranchTarget, Vec<Hash>), ProofError> {
        self.reader.get_target(height)
    }
}
