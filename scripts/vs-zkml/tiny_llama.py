"""A tiny random LLaMA: written as a GGUF file (what `opml compile-model --from gguf`
reads) and exported to ONNX from the same float weights (what EZKL reads).

The GGUF has the keys, tensor names and tokenizer of prover/gguf/src/synth.rs (3
specials, the 256 byte tokens, 8 merges) with F32 weights, so the two exports hold the
very same floats. The ONNX graph is a next-token circuit: a window of `ctx` tokens
(one-hot rows) in, the logits after its last token out, computed as the float
reference does (prover/llm/src/reference.rs): RMSNorm, RoPE on adjacent pairs, causal
grouped-query attention, SwiGLU, tied output."""

from dataclasses import dataclass

import gguf
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
MERGES = ["Ġ t", "h e", "i n", "Ġt he", "e r", "a n", "Ġ a", "o n"]
ROPE_BASE, RMS_EPS = 10000.0, 1e-5


@dataclass
class Shape:
    n_layers: int = 2
    dim: int = 64
    ffn_dim: int = 128
    n_heads: int = 4
    n_kv_heads: int = 2
    seed: int = 1

    @property
    def head_dim(self):
        return self.dim // self.n_heads

    def params(self):
        v, d, f = len(vocab()), self.dim, self.ffn_dim
        kv = self.n_kv_heads * self.head_dim
        per_layer = 2 * d + 2 * d * d + 2 * d * kv + 3 * d * f
        return v * d + self.n_layers * per_layer + d


def byte_chars():
    """GPT-2's byte alphabet, by byte value (prover/gguf/src/tokenizer/bytes.rs)."""
    printable = lambda b: (33 <= b <= 126) or (161 <= b <= 172) or (174 <= b <= 255)  # noqa: E731
    out, nxt = [], 0x100
    for b in range(256):
        if printable(b):
            out.append(chr(b))
        else:
            out.append(chr(nxt))
            nxt += 1
    return out


def vocab():
    return SPECIALS + byte_chars() + [m.replace(" ", "") for m in MERGES]


def weights(s):
    """Every tensor as numpy (row-major: [out, in] for matrices), seeded."""
    rng = np.random.default_rng(s.seed)
    v, d, f, kv = len(vocab()), s.dim, s.ffn_dim, s.n_kv_heads * s.head_dim
    mat = lambda o, i: (rng.uniform(-1, 1, (o, i)) / np.sqrt(i)).astype(np.float32)  # noqa: E731
    norm = lambda n: (1 + 0.1 * rng.uniform(-1, 1, n)).astype(np.float32)  # noqa: E731
    w = {"token_embd.weight": mat(v, d)}
    for layer in range(s.n_layers):
        p = f"blk.{layer}."
        w[p + "attn_norm.weight"] = norm(d)
        w[p + "attn_q.weight"] = mat(d, d)
        w[p + "attn_k.weight"] = mat(kv, d)
        w[p + "attn_v.weight"] = mat(kv, d)
        w[p + "attn_output.weight"] = mat(d, d)
        w[p + "ffn_norm.weight"] = norm(d)
        w[p + "ffn_gate.weight"] = mat(f, d)
        w[p + "ffn_up.weight"] = mat(f, d)
        w[p + "ffn_down.weight"] = mat(d, f)
    w["output_norm.weight"] = norm(d)
    return w


def write_gguf(s, w, path):
    g = gguf.GGUFWriter(path, "llama")
    g.add_name("vs-zkml tiny llama")
    g.add_block_count(s.n_layers)
    g.add_context_length(256)
    g.add_embedding_length(s.dim)
    g.add_feed_forward_length(s.ffn_dim)
    g.add_head_count(s.n_heads)
    g.add_head_count_kv(s.n_kv_heads)
    g.add_rope_freq_base(ROPE_BASE)
    g.add_layer_norm_rms_eps(RMS_EPS)
    g.add_vocab_size(len(vocab()))
    g.add_tokenizer_model("gpt2")
    g.add_tokenizer_pre("smollm")
    g.add_token_list(vocab())
    g.add_token_merges(MERGES)
    g.add_bos_token_id(1)
    g.add_eos_token_id(2)
    g.add_add_bos_token(False)
    for name, t in w.items():
        g.add_tensor(name, t)
    g.write_header_to_file()
    g.write_kv_data_to_file()
    g.write_tensors_to_file()
    g.close()


def export_onnx(s, w, ctx, path):
    """The next-token circuit over a window of `ctx` tokens."""
    v, d, hd, nh, nkv = len(vocab()), s.dim, s.head_dim, s.n_heads, s.n_kv_heads
    nodes, inits = [], []
    count = [0]

    def const(a):
        name = f"c{len(inits)}"
        inits.append(numpy_helper.from_array(np.asarray(a, dtype=np.float32), name))
        return name

    def node(op, inputs, **attrs):
        count[0] += 1
        out = f"n{count[0]}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def shape(dims):
        name = f"s{len(inits)}"
        inits.append(numpy_helper.from_array(np.asarray(dims, dtype=np.int64), name))
        return name

    def rmsnorm(x, g):
        ms = node("ReduceMean", [node("Mul", [x, x])], axes=[-1], keepdims=1)
        inv = node("Reciprocal", [node("Sqrt", [node("Add", [ms, const(RMS_EPS)])])])
        return node("Mul", [node("Mul", [x, inv]), const(g)])

    # RoPE on adjacent pairs: rot(x) = x * cos + (x @ P) * sin, per position.
    pos = np.arange(ctx)[:, None]
    i = np.arange(hd // 2)
    theta = pos / np.power(np.float64(ROPE_BASE), 2.0 * i / hd)  # [ctx, hd/2]
    cos = np.tile(np.repeat(np.cos(theta), 2, axis=1), (1, nh))  # [ctx, d]
    sin = np.tile(np.repeat(np.sin(theta), 2, axis=1), (1, nh))
    perm = np.zeros((d, d))
    for j in range(d // 2):
        perm[2 * j + 1, 2 * j] = -1.0
        perm[2 * j, 2 * j + 1] = 1.0
    cos_c, sin_c, perm_c = const(cos), const(sin), const(perm)
    mask = const(np.triu(np.full((ctx, ctx), -30.0), k=1))  # causal
    group = nh // nkv

    def rope(x):
        return node("Add", [node("Mul", [x, cos_c]),
                            node("Mul", [node("MatMul", [x, perm_c]), sin_c])])

    def heads(x, perm_axes):
        r = node("Reshape", [x, shape([ctx, nh, hd])])
        return node("Transpose", [r], perm=perm_axes)

    emb = w["token_embd.weight"]
    x = node("MatMul", ["input", const(emb)])
    for layer in range(s.n_layers):
        p = f"blk.{layer}."
        h = rmsnorm(x, w[p + "attn_norm.weight"])
        # Grouped-query attention: each KV head's rows repeated for its query heads.
        wk = np.repeat(w[p + "attn_k.weight"].reshape(nkv, hd, d), group, axis=0).reshape(d, d)
        wv = np.repeat(w[p + "attn_v.weight"].reshape(nkv, hd, d), group, axis=0).reshape(d, d)
        q = rope(node("MatMul", [h, const(w[p + "attn_q.weight"].T)]))
        k = rope(node("MatMul", [h, const(wk.T)]))
        val = node("MatMul", [h, const(wv.T)])
        scores = node("MatMul", [heads(q, [1, 0, 2]), heads(k, [1, 2, 0])])  # [nh, ctx, ctx]
        scores = node("Add", [node("Mul", [scores, const(1 / np.sqrt(hd))]), mask])
        att = node("MatMul", [node("Softmax", [scores], axis=-1), heads(val, [1, 0, 2])])
        att = node("Reshape", [node("Transpose", [att], perm=[1, 0, 2]), shape([ctx, d])])
        x = node("Add", [x, node("MatMul", [att, const(w[p + "attn_output.weight"].T)])])
        h = rmsnorm(x, w[p + "ffn_norm.weight"])
        gate = node("MatMul", [h, const(w[p + "ffn_gate.weight"].T)])
        up = node("MatMul", [h, const(w[p + "ffn_up.weight"].T)])
        act = node("Mul", [node("Mul", [gate, node("Sigmoid", [gate])]), up])
        x = node("Add", [x, node("MatMul", [act, const(w[p + "ffn_down.weight"].T)])])
    last = np.zeros((1, ctx))
    last[0, -1] = 1.0
    x = rmsnorm(node("MatMul", [const(last), x]), w["output_norm.weight"])
    nodes.append(helper.make_node("MatMul", [x, const(emb.T)], ["output"]))
    graph = helper.make_graph(
        nodes, "tiny_llama",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [ctx, v])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, v])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def one_hot(ids):
    x = np.zeros((len(ids), len(vocab())), dtype=np.float32)
    x[np.arange(len(ids)), ids] = 1.0
    return x
