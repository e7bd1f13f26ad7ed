//! Writing model images (format version 1, `docs/model-image.md`); the reader is
//! `opml_guest_ml::image`.

use opml_guest_ml::image::{
    fnv1a64, DType, OpKind, CHECKSUM_LEN, HEADER_LEN, MAGIC, OP_ENTRY_LEN, TENSOR_ENTRY_LEN,
    VERSION,
};
use opml_guest_ml::kernels::Requant;

/// A tensor to be written: dtype, dims (1 to 4), fixed-point scale and data.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorSpec {
    /// Element type.
    pub dtype: DType,
    /// Dimensions.
    pub dims: Vec<u32>,
    /// Quantization scale as `mantissa · 2^exponent` (zero point is always 0).
    pub scale: (i32, i32),
    /// Little-endian element bytes.
    pub data: Vec<u8>,
}

impl TensorSpec {
    /// An int8 tensor.
    pub fn i8(dims: &[u32], values: &[i8], scale: (i32, i32)) -> TensorSpec {
        TensorSpec {
            dtype: DType::I8,
            dims: dims.to_vec(),
            scale,
            data: values.iter().map(|v| v.to_le_bytes()[0]).collect(),
        }
    }

    /// An int32 tensor.
    pub fn i32(dims: &[u32], values: &[i32], scale: (i32, i32)) -> TensorSpec {
        TensorSpec {
            dtype: DType::I32,
            dims: dims.to_vec(),
            scale,
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }
}

/// One op: kind and raw parameters `a`, `b`, `c` (see `OpKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpSpec {
    /// Kind.
    pub kind: OpKind,
    /// Parameters.
    pub params: [u32; 3],
}

/// An image under construction.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageBuilder {
    /// Input shape `[C, H, W]`.
    pub input: [u32; 3],
    /// Softmax scale: logit differences to Q16.
    pub softmax: Requant,
    /// Tensors, referenced by index from ops.
    pub tensors: Vec<TensorSpec>,
    /// Ops in execution order.
    pub ops: Vec<OpSpec>,
}

impl ImageBuilder {
    /// An empty graph over an input of shape `[C, H, W]`.
    pub fn new(input: [u32; 3], softmax: Requant) -> ImageBuilder {
        ImageBuilder {
            input,
            softmax,
            tensors: Vec::new(),
            ops: Vec::new(),
        }
    }

    /// Adds a tensor, returns its index.
    pub fn tensor(&mut self, t: TensorSpec) -> u32 {
        self.tensors.push(t);
        self.tensors.len() as u32 - 1
    }

    /// Appends an op.
    pub fn op(&mut self, kind: OpKind, params: [u32; 3]) -> &mut Self {
        self.ops.push(OpSpec { kind, params });
        self
    }

    /// Appends a dense layer with its weights `[O, I]` and bias `[O]`.
    pub fn dense(&mut self, weights: TensorSpec, bias: TensorSpec) -> &mut Self {
        let (w, b) = (self.tensor(weights), self.tensor(bias));
        self.op(OpKind::Dense, [w, b, 0])
    }

    /// Appends a conv2d with weights `[O, C, K, K]`, bias `[O]`, stride and padding.
    pub fn conv2d(
        &mut self,
        weights: TensorSpec,
        bias: TensorSpec,
        stride: u16,
        padding: u16,
    ) -> &mut Self {
        let (w, b) = (self.tensor(weights), self.tensor(bias));
        self.op(
            OpKind::Conv2d,
            [w, b, u32::from(stride) | u32::from(padding) << 16],
        )
    }

    /// Appends a requantization.
    pub fn requantize(&mut self, q: Requant) -> &mut Self {
        self.op(OpKind::Requantize, [q.multiplier as u32, q.shift as u32, 0])
    }

    /// The image bytes: header, tables, 4-aligned data, checksum.
    pub fn build(&self) -> Vec<u8> {
        let data_start =
            HEADER_LEN + self.tensors.len() * TENSOR_ENTRY_LEN + self.ops.len() * OP_ENTRY_LEN;
        let mut data = Vec::new();
        let mut table = Vec::new();
        for t in &self.tensors {
            while !(data_start + data.len()).is_multiple_of(4) {
                data.push(0);
            }
            let offset = (data_start + data.len()) as u32;
            let mut dims = [1u32; 4];
            dims[..t.dims.len().min(4)].copy_from_slice(&t.dims[..t.dims.len().min(4)]);
            let fields = [
                t.dtype.code(),
                t.dims.len() as u32,
                dims[0],
                dims[1],
                dims[2],
                dims[3],
                offset,
                t.data.len() as u32,
                t.scale.0 as u32,
                t.scale.1 as u32,
            ];
            table.extend(fields.iter().flat_map(|f| f.to_le_bytes()));
            data.extend_from_slice(&t.data);
        }
        while !data.len().is_multiple_of(4) {
            data.push(0);
        }
        let total = data_start + data.len() + CHECKSUM_LEN;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&MAGIC);
        let header = [
            VERSION,
            total as u32,
            self.tensors.len() as u32,
            self.ops.len() as u32,
            self.input[0],
            self.input[1],
            self.input[2],
            self.softmax.multiplier as u32,
            self.softmax.shift as u32,
            0,
        ];
        out.extend(header.iter().flat_map(|f| f.to_le_bytes()));
        out.extend_from_slice(&table);
        for op in &self.ops {
            let fields = [op.kind.code(), op.params[0], op.params[1], op.params[2]];
            out.extend(fields.iter().flat_map(|f| f.to_le_bytes()));
        }
        out.extend_from_slice(&data);
        let sum = fnv1a64(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }
}

/// Recomputes the checksum of a (possibly edited) image in place; for tests that
/// corrupt a field and want the checksum check to pass.
pub fn reseal(image: &mut [u8]) {
    if image.len() >= CHECKSUM_LEN {
        let body = image.len() - CHECKSUM_LEN;
        let sum = fnv1a64(&image[..body]);
        image[body..].copy_from_slice(&sum.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opml_guest_ml::image::{Image, Op};

    #[test]
    fn written_images_read_back_field_for_field() {
        let softmax = Requant {
            multiplier: 1 << 30,
            shift: -3,
        };
        let mut b = ImageBuilder::new([1, 2, 3], softmax);
        b.op(OpKind::Flatten, [0; 3]).dense(
            TensorSpec::i8(
                &[2, 6],
                &[-1, 2, -3, 4, -5, 6, 7, -8, 9, -10, 11, -12],
                (3, -9),
            ),
            TensorSpec::i32(&[2], &[-70000, 5], (5, -20)),
        );
        let bytes = b.build();
        assert_eq!(bytes.len() % 4, 0);
        let image = Image::parse(&bytes).expect("parses");
        assert_eq!(image.input, [1, 2, 3]);
        assert_eq!(image.softmax, softmax);
        assert_eq!((image.n_tensors(), image.n_ops()), (2, 2));
        let w = image.tensor(0).expect("weights");
        assert_eq!((w.rank, w.dims, w.scale), (2, [2, 6, 1, 1], (3, -9)));
        assert_eq!(w.as_i8().map(|v| v[11]), Some(-12));
        let bias = image.tensor(1).expect("bias");
        assert_eq!(bias.as_i32(), Some(&[-70000, 5][..]));
        assert_eq!(bias.as_i8(), None);
        assert_eq!(
            image.op(1).expect("op"),
            Op {
                kind: OpKind::Dense,
                a: 0,
                b: 1,
                c: 0
            }
        );
        assert!(image.op(2).is_err());
        assert!(image.tensor(2).is_err());
    }
}
