//! Decoding and validating a Wasm module (wasmparser) into the machine's module form.
//!
//! Accepted: Wasm 1.0 plus mutable-global import/export and sign-extension operators.
//! Anything else is rejected here, with the section, function and byte offset.

use crate::error::{LoadError, Location};
use crate::lower;
use crate::ops::{BranchTarget, Op};
use wasmparser::{
    CompositeInnerType, ElementItems, ElementKind, ExternalKind, Parser, Payload, TypeRef,
    ValidPayload, Validator, WasmFeatures,
};

/// A Wasm 1.0 value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
}

impl ValType {
    pub(crate) fn from_wasmparser(t: wasmparser::ValType) -> Option<ValType> {
        Some(match t {
            wasmparser::ValType::I32 => ValType::I32,
            wasmparser::ValType::I64 => ValType::I64,
            wasmparser::ValType::F32 => ValType::F32,
            wasmparser::ValType::F64 => ValType::F64,
            _ => return None,
        })
    }
}

/// A function signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types (at most one in Wasm 1.0).
    pub results: Vec<ValType>,
}

/// Size limits of a memory (pages) or table (elements).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Initial size.
    pub min: u32,
    /// Declared maximum.
    pub max: Option<u32>,
}

/// Type of a global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalType {
    /// Value type.
    pub ty: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// A constant initializer expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstExpr {
    /// A constant's bits.
    Value(u64),
    /// The value of a (imported) global, by module global index.
    GlobalGet(u32),
}

/// What an import asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportKind {
    /// A function of the type with this module type index.
    Func(u32),
    /// A table of funcref.
    Table(Limits),
    /// A linear memory.
    Memory(Limits),
    /// A global.
    Global(GlobalType),
}

/// One import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// Module name.
    pub module: String,
    /// Field name.
    pub name: String,
    /// What is imported.
    pub kind: ImportKind,
}

/// The kind of an exported item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// Function.
    Func,
    /// Table.
    Table,
    /// Memory.
    Memory,
    /// Global.
    Global,
}

/// One export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// Export name.
    pub name: String,
    /// Kind.
    pub kind: ExportKind,
    /// Index in the module's index space of that kind.
    pub index: u32,
}

/// A function defined in the module, lowered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Module type index.
    pub type_idx: u32,
    /// Number of declared locals, parameters excluded.
    pub num_locals: u32,
    /// Highest operand-stack height the body can reach (locals excluded).
    pub max_height: u32,
    /// The lowered body: one op per Wasm instruction. Branch targets are relative to the
    /// body start; `Call`/`GlobalGet`/`GlobalSet`/`CallIndirect` hold module indices.
    pub code: Vec<Op>,
    /// For each op, the byte offset of its Wasm instruction in the module.
    pub offsets: Vec<u32>,
    /// The `br_table` targets of this body, relative like `code`.
    pub br_targets: Vec<BranchTarget>,
}

/// An active element segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElemSegment {
    /// Table index.
    pub table: u32,
    /// Offset expression.
    pub offset: ConstExpr,
    /// Function indices.
    pub funcs: Vec<u32>,
}

/// An active data segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSegment {
    /// Memory index.
    pub memory: u32,
    /// Offset expression.
    pub offset: ConstExpr,
    /// Bytes.
    pub bytes: Vec<u8>,
}

/// A validated and lowered module, ready to instantiate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Module {
    /// Signatures by type index.
    pub types: Vec<FuncType>,
    /// Imports in order.
    pub imports: Vec<Import>,
    /// Type index of every function in the function index space (imports first).
    pub func_types: Vec<u32>,
    /// Bodies of the defined functions (function index minus imported count).
    pub functions: Vec<Function>,
    /// Types of every global in the global index space (imports first).
    pub global_types: Vec<GlobalType>,
    /// Initializers of the defined globals.
    pub global_inits: Vec<ConstExpr>,
    /// Defined memory, if any.
    pub memory: Option<Limits>,
    /// Defined table, if any.
    pub table: Option<Limits>,
    /// Exports.
    pub exports: Vec<Export>,
    /// Start function index.
    pub start: Option<u32>,
    /// Element segments.
    pub elems: Vec<ElemSegment>,
    /// Data segments.
    pub datas: Vec<DataSegment>,
}

/// Options of [`Module::load`].
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions {
    /// Reject float instructions and steps whose proofs would carry more than
    /// [`MAX_PROOF_OPERANDS`](crate::proof::MAX_PROOF_OPERANDS) operands: the profile
    /// whose steps can be proven on-chain.
    pub provable: bool,
}

/// The Wasm features the machine implements.
pub fn supported_features() -> WasmFeatures {
    WasmFeatures::WASM1 | WasmFeatures::SIGN_EXTENSION
}

impl Module {
    /// Number of imported functions.
    pub fn num_imported_funcs(&self) -> u32 {
        self.imports
            .iter()
            .filter(|i| matches!(i.kind, ImportKind::Func(_)))
            .count() as u32
    }

    /// Number of imported globals.
    pub fn num_imported_globals(&self) -> u32 {
        self.imports
            .iter()
            .filter(|i| matches!(i.kind, ImportKind::Global(_)))
            .count() as u32
    }

    /// The export called `name`.
    pub fn export(&self, name: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.name == name)
    }

    /// Decodes, validates and lowers a binary module.
    pub fn load(bytes: &[u8], opts: LoadOptions) -> Result<Module, LoadError> {
        let mut loader = Loader {
            module: Module::default(),
            section: "header",
            range: None,
        };
        let mut validator = Validator::new_with_features(supported_features());
        let mut allocs = wasmparser::FuncValidatorAllocations::default();
        let mut defined_funcs = 0u32;
        // The decoder must know the features too: with all of them on it reads, e.g.,
        // the reserved byte of `memory.grow` as a multi-memory index LEB.
        let mut parser = Parser::new(0);
        parser.set_features(supported_features());
        for payload in parser.parse_all(bytes) {
            let payload = payload.map_err(|e| {
                // The payload did not decode, so name the section from the raw headers.
                loader.section = section_at(bytes, e.offset());
                loader.range = None;
                loader.invalid(None, e)
            })?;
            loader.section = section_name(&payload);
            // Function bodies are read inside the code section's range.
            if !matches!(payload, Payload::CodeSectionEntry(_)) {
                loader.range = payload.as_section().map(|(_, range)| range);
            }
            let valid = validator
                .payload(&payload)
                .map_err(|e| loader.invalid(None, e))?;
            match valid {
                ValidPayload::Func(to_validate, body) => {
                    let func_idx = loader.module.num_imported_funcs() + defined_funcs;
                    let type_idx = to_validate.ty;
                    let fv = to_validate.into_validator(std::mem::take(&mut allocs));
                    let (function, fv) =
                        lower::lower_function(fv, &body, func_idx, type_idx, opts)?;
                    allocs = fv.into_allocations();
                    loader.module.functions.push(function);
                    defined_funcs += 1;
                }
                ValidPayload::Parser(_) => {
                    return Err(loader.unsupported(0, "nested modules or components"));
                }
                ValidPayload::Ok | ValidPayload::End(_) => {}
            }
            loader.read_section(payload)?;
        }
        Ok(loader.module)
    }
}

fn section_name(p: &Payload<'_>) -> &'static str {
    match p {
        Payload::Version { .. } => "header",
        Payload::TypeSection(_) => "type",
        Payload::ImportSection(_) => "import",
        Payload::FunctionSection(_) => "function",
        Payload::TableSection(_) => "table",
        Payload::MemorySection(_) => "memory",
        Payload::GlobalSection(_) => "global",
        Payload::ExportSection(_) => "export",
        Payload::StartSection { .. } => "start",
        Payload::ElementSection(_) => "element",
        Payload::DataCountSection { .. } => "data count",
        Payload::DataSection(_) => "data",
        Payload::CodeSectionStart { .. } | Payload::CodeSectionEntry(_) => "code",
        Payload::CustomSection(_) => "custom",
        Payload::End(_) => "end",
        _ => "unknown",
    }
}

/// Section names by section id, as errors name them.
pub const SECTION_NAMES: [&str; 13] = [
    "custom",
    "type",
    "import",
    "function",
    "table",
    "memory",
    "global",
    "export",
    "start",
    "element",
    "code",
    "data",
    "data count",
];

/// The section whose bytes (id byte to last content byte) hold `offset`, found from the
/// section headers alone: `"header"` before the first section, `"end"` after the last.
fn section_at(bytes: &[u8], offset: usize) -> &'static str {
    const HEADER: usize = 8;
    if offset < HEADER {
        return "header";
    }
    let mut r = wasmparser::BinaryReader::new(bytes.get(HEADER..).unwrap_or_default(), HEADER);
    while let Ok(id) = r.read_u8() {
        let name = SECTION_NAMES.get(id as usize).copied().unwrap_or("unknown");
        let Ok(size) = r.read_var_u32() else {
            return name;
        };
        let end = r.original_position().saturating_add(size as usize);
        if offset < end || r.read_bytes(size as usize).is_err() {
            return name;
        }
    }
    "end"
}

struct Loader {
    module: Module,
    section: &'static str,
    /// Content bytes of the section being read, when it is known.
    range: Option<std::ops::Range<usize>>,
}

/// Bytes a section header can take before its content: the id and a 5-byte LEB size.
const MAX_SECTION_HEADER: usize = 6;

impl Loader {
    fn at(&self, func: Option<u32>, offset: usize) -> Location {
        Location {
            section: self.section,
            func,
            offset,
        }
    }

    /// An error from wasmparser. Some of its errors (e.g. about constant expressions)
    /// carry offsets relative to a sub-reader rather than to the module; those are
    /// placed at the start of the section being read, keeping wasmparser's number in
    /// the message.
    fn invalid(&self, func: Option<u32>, e: wasmparser::BinaryReaderError) -> LoadError {
        let offset = e.offset();
        match &self.range {
            Some(r) if offset + MAX_SECTION_HEADER < r.start || offset > r.end => {
                LoadError::Invalid {
                    at: self.at(func, r.start),
                    message: format!(
                        "{} (wasmparser reported byte offset {offset:#x}, outside this section)",
                        e.message()
                    ),
                }
            }
            _ => LoadError::Invalid {
                at: self.at(func, offset),
                message: e.message().to_string(),
            },
        }
    }

    fn unsupported(&self, offset: usize, what: &str) -> LoadError {
        LoadError::Unsupported {
            at: self.at(None, offset),
            what: what.to_string(),
        }
    }

    fn val_type(&self, t: wasmparser::ValType, offset: usize) -> Result<ValType, LoadError> {
        ValType::from_wasmparser(t)
            .ok_or_else(|| self.unsupported(offset, &format!("value type {t}")))
    }

    fn limits32(&self, min: u64, max: Option<u64>, offset: usize) -> Result<Limits, LoadError> {
        let min = u32::try_from(min).map_err(|_| self.unsupported(offset, "64-bit limits"))?;
        let max = max
            .map(u32::try_from)
            .transpose()
            .map_err(|_| self.unsupported(offset, "64-bit limits"))?;
        Ok(Limits { min, max })
    }

    fn const_expr(&self, e: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr, LoadError> {
        let mut r = e.get_operators_reader();
        let offset = r.original_position();
        let op = r.read().map_err(|e| self.invalid(None, e))?;
        Ok(match op {
            wasmparser::Operator::I32Const { value } => ConstExpr::Value(value as u32 as u64),
            wasmparser::Operator::I64Const { value } => ConstExpr::Value(value as u64),
            wasmparser::Operator::F32Const { value } => ConstExpr::Value(value.bits() as u64),
            wasmparser::Operator::F64Const { value } => ConstExpr::Value(value.bits()),
            wasmparser::Operator::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
            _ => return Err(self.unsupported(offset, "constant expression")),
        })
    }

    fn read_section(&mut self, payload: Payload<'_>) -> Result<(), LoadError> {
        let err = |s: &Self, e| s.invalid(None, e);
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader {
                    let group = group.map_err(|e| err(self, e))?;
                    for (offset, sub) in group.into_types_and_offsets() {
                        let CompositeInnerType::Func(ft) = sub.composite_type.inner else {
                            return Err(self.unsupported(offset, "non-function type"));
                        };
                        let params = ft
                            .params()
                            .iter()
                            .map(|&t| self.val_type(t, offset))
                            .collect::<Result<_, _>>()?;
                        let results = ft
                            .results()
                            .iter()
                            .map(|&t| self.val_type(t, offset))
                            .collect::<Result<_, _>>()?;
                        self.module.types.push(FuncType { params, results });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for item in reader.into_iter_with_offsets() {
                    let (offset, import) = item.map_err(|e| err(self, e))?;
                    let kind = match import.ty {
                        TypeRef::Func(t) => {
                            self.module.func_types.push(t);
                            ImportKind::Func(t)
                        }
                        TypeRef::Table(t) => {
                            ImportKind::Table(self.limits32(t.initial, t.maximum, offset)?)
                        }
                        TypeRef::Memory(m) => {
                            ImportKind::Memory(self.limits32(m.initial, m.maximum, offset)?)
                        }
                        TypeRef::Global(g) => {
                            let g = GlobalType {
                                ty: self.val_type(g.content_type, offset)?,
                                mutable: g.mutable,
                            };
                            self.module.global_types.push(g);
                            ImportKind::Global(g)
                        }
                        TypeRef::Tag(_) => return Err(self.unsupported(offset, "tag import")),
                    };
                    self.module.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        kind,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    self.module.func_types.push(t.map_err(|e| err(self, e))?);
                }
            }
            Payload::TableSection(reader) => {
                for item in reader.into_iter_with_offsets() {
                    let (offset, t) = item.map_err(|e| err(self, e))?;
                    self.module.table = Some(self.limits32(t.ty.initial, t.ty.maximum, offset)?);
                }
            }
            Payload::MemorySection(reader) => {
                for item in reader.into_iter_with_offsets() {
                    let (offset, m) = item.map_err(|e| err(self, e))?;
                    self.module.memory = Some(self.limits32(m.initial, m.maximum, offset)?);
                }
            }
            Payload::GlobalSection(reader) => {
                for item in reader.into_iter_with_offsets() {
                    let (offset, g) = item.map_err(|e| err(self, e))?;
                    let ty = GlobalType {
                        ty: self.val_type(g.ty.content_type, offset)?,
                        mutable: g.ty.mutable,
                    };
                    self.module.global_types.push(ty);
                    let init = self.const_expr(&g.init_expr)?;
                    self.module.global_inits.push(init);
                }
            }
            Payload::ExportSection(reader) => {
                for item in reader.into_iter_with_offsets() {
                    let (offset, e) = item.map_err(|e| err(self, e))?;
                    let kind = match e.kind {
                        ExternalKind::Func => ExportKind::Func,
                        ExternalKind::Table => ExportKind::Table,
                        ExternalKind::Memory => ExportKind::Memory,
                        ExternalKind::Global => ExportKind::Global,
                        ExternalKind::Tag => return Err(self.unsupported(offset, "tag export")),
                    };
                    self.module.exports.push(Export {
                        name: e.name.to_string(),
                        kind,
                        index: e.index,
                    });
                }
            }
            Payload::StartSection { func, .. } => self.module.start = Some(func),
            Payload::ElementSection(reader) => {
                for item in reader.into_iter_with_offsets() {
                    let (offset, elem) = item.map_err(|e| err(self, e))?;
                    let ElementKind::Active {
                        table_index,
                        offset_expr,
                    } = elem.kind
                    else {
                        return Err(self.unsupported(offset, "passive or declared element segment"));
                    };
                    let ElementItems::Functions(funcs) = elem.items else {
                        return Err(self.unsupported(offset, "element segment of expressions"));
                    };
                    let funcs = funcs
                        .into_iter()
                        .collect::<Result<Vec<u32>, _>>()
                        .map_err(|e| err(self, e))?;
                    let offset = self.const_expr(&offset_expr)?;
                    self.module.elems.push(ElemSegment {
                        table: table_index.unwrap_or(0),
                        offset,
                        funcs,
                    });
                }
            }
            Payload::DataSection(reader) => {
                for item in reader.into_iter_with_offsets() {
                    let (offset, data) = item.map_err(|e| err(self, e))?;
                    let wasmparser::DataKind::Active {
                        memory_index,
                        offset_expr,
                    } = data.kind
                    else {
                        return Err(self.unsupported(offset, "passive data segment"));
                    };
                    let offset = self.const_expr(&offset_expr)?;
                    self.module.datas.push(DataSegment {
                        memory: memory_index,
                        offset,
                        bytes: data.data.to_vec(),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }
}
