//! Shared by the tokenizer tests: the text corpus and the Hugging Face reference.

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::Tokenizer as HfTokenizer;

/// A Hugging Face tokenizer configured as SmolLM2's `tokenizer.json`: BPE over
/// `tokens` and `merges` (no unknown token), pre-tokenizer
/// `Sequence[Digits(individual_digits), ByteLevel(add_prefix_space=false,
/// trim_offsets=true, use_regex=true)]`, ByteLevel decoder, no normalizer.
pub fn hf_smollm(tokens: &[String], merges: &[String]) -> HfTokenizer {
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let merges = merges
        .iter()
        .map(|m| {
            let (a, b) = m.split_once(' ').expect("merge rule");
            (a.to_string(), b.to_string())
        })
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .expect("HF BPE");
    let mut tok = HfTokenizer::new(bpe);
    tok.with_pre_tokenizer(Some(Sequence::new(vec![
        Digits::new(true).into(),
        ByteLevel::new(false, true, true).into(),
    ])));
    tok.with_decoder(Some(ByteLevelDecoder::default()));
    tok
}

/// Ids of `text` by the Hugging Face tokenizer (no special tokens added).
pub fn hf_ids(tok: &HfTokenizer, text: &str) -> Vec<u32> {
    tok.encode(text, false)
        .expect("HF encode")
        .get_ids()
        .to_vec()
}

/// A xorshift generator for reproducible generated lines.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Fragments the generated lines are made of: digits and numbers, accents, Greek,
/// Cyrillic, CJK, Arabic, Devanagari, emoji, contractions, punctuation, whitespace
/// runs, tabs and newlines.
const FRAGMENTS: &[&str] = &[
    "3.14159",
    "2026-11-29",
    "1,000,000",
    "42",
    "0x1F",
    "v1.2.3",
    "½",
    "x²",
    "٣٤",
    "Ⅻ",
    "10%",
    "$99.95",
    "Grüße",
    "Straße",
    "Äpfel",
    "für",
    "naïve",
    "café",
    "façade",
    "élève",
    "Noël",
    "où",
    "ça",
    "Ελληνικά",
    "λόγος",
    "Привет",
    "мир",
    "Україна",
    "日本語",
    "中文字符",
    "한국어",
    "テキスト",
    "مرحبا",
    "नमस्ते",
    "😀",
    "👍🏽",
    "🇺🇸",
    "❤️",
    "🚀🚀",
    "e\u{301}",
    "\u{a0}",
    "\u{3000}",
    "don't",
    "I'LL",
    "it's",
    "we've",
    "they're",
    "'s",
    "''",
    "hello",
    "world",
    "The",
    "the",
    "tokenizer",
    "GGUF",
    "llama",
    "<|im_start|>",
    "(parens)",
    "[x]",
    "{y}",
    "--",
    "...",
    "!?",
    "#include",
    "a_b",
    "::",
    "->",
    "=>",
    " ",
    "  ",
    "   ",
    "\t",
    " \t ",
    "\n",
    "\n\n",
    "  \n",
    "\r\n",
    "\t\t",
    " 7",
    "  8",
    "\t9",
];

/// The test corpus: every line of each regular file in /usr/share/common-licenses,
/// those files again in chunks of 12 lines (newlines and indentation kept), a fixed
/// set of hand-written lines, and 800 lines generated from [`FRAGMENTS`].
pub fn corpus() -> Vec<String> {
    let mut out: Vec<String> = HANDWRITTEN.iter().map(|s| s.to_string()).collect();
    let mut files: Vec<_> = std::fs::read_dir("/usr/share/common-licenses")
        .expect("/usr/share/common-licenses (on every Debian machine)")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("license text");
        let lines: Vec<&str> = text.lines().collect();
        out.extend(lines.iter().map(|l| l.to_string()));
        out.extend(lines.chunks(12).map(|c| c.join("\n")));
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..800 {
        let n = 1 + rng.below(12);
        let mut line = String::new();
        for _ in 0..n {
            line.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
            if rng.below(3) > 0 {
                line.push(' ');
            }
        }
        out.push(line);
    }
    out
}

const HANDWRITTEN: &[&str] = &[
    "",
    " ",
    "Hello, world!",
    "  leading and trailing spaces  ",
    "multiple   internal    spaces",
    "tabs\tand\nnewlines\r\nmixed",
    "I'm sure they'll say it's fine, don't you think? We've seen it.",
    "Pi is 3.14159 and today is 2026-11-29; 1,000,000 ways.",
    "Zahlen: 12345, 0,5 € und 3½ Äpfel für Jürgen.",
    "Le cœur a ses raisons que la raison ne connaît point.",
    "Η γλώσσα μου έδωσαν ελληνική.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "你好，世界！这是一个测试。",
    "日本語のテキストとカタカナ ー",
    "Emoji: 😀👍🏽🇺🇸 and ❤️ 🚀",
    "def foo(x):\n    return x ** 2  # comment\n",
    "\n\n\n",
    "   \t\t  \n  x",
    "ABC123def456",
    "x = [1, 2, 3]; y = {'a': 4}",
];
