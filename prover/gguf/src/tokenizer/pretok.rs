//! Pre-tokenizers: how text is cut into words before BPE runs on each word.
//!
//! The GPT-2 split is the regex
//! `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
//! (alternatives tried in order at each position), written here as a scanner over
//! characters: `\p{L}` and `\p{N}` are the Unicode general categories L* and N*, `\s`
//! is the White_Space property.

use unicode_general_category::{get_general_category, GeneralCategory as G};

/// Which pre-tokenizer a file's `tokenizer.ggml.pre` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreTokenizer {
    /// `gpt2`: the GPT-2 split alone.
    Gpt2,
    /// `smollm`: every numeric character (`char::is_numeric`) is a word on its own,
    /// then the GPT-2 split runs on the text between them. This is what SmolLM2's
    /// Hugging Face tokenizer does (`Sequence[Digits(individual_digits=true),
    /// ByteLevel(use_regex=true)]`).
    SmolLm,
}

impl PreTokenizer {
    /// The pre-tokenizer named by `tokenizer.ggml.pre`, or `None` for names this crate
    /// does not implement.
    pub fn from_name(name: &str) -> Option<PreTokenizer> {
        match name {
            "gpt2" => Some(PreTokenizer::Gpt2),
            "smollm" => Some(PreTokenizer::SmolLm),
            _ => None,
        }
    }

    /// Cuts `text` into words, appended to `out` in order; their concatenation is
    /// `text`.
    pub fn split<'a>(self, text: &'a str, out: &mut Vec<&'a str>) {
        match self {
            PreTokenizer::Gpt2 => gpt2_split(text, out),
            PreTokenizer::SmolLm => {
                let mut rest = 0;
                for (at, c) in text.char_indices().filter(|(_, c)| c.is_numeric()) {
                    gpt2_split(&text[rest..at], out);
                    let end = at + c.len_utf8();
                    out.push(&text[at..end]);
                    rest = end;
                }
                gpt2_split(&text[rest..], out);
            }
        }
    }
}

/// Character classes of the GPT-2 split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Number,
    Space,
    Other,
}

fn class(c: char) -> Class {
    if c.is_whitespace() {
        return Class::Space;
    }
    match get_general_category(c) {
        G::UppercaseLetter
        | G::LowercaseLetter
        | G::TitlecaseLetter
        | G::ModifierLetter
        | G::OtherLetter => Class::Letter,
        G::DecimalNumber | G::LetterNumber | G::OtherNumber => Class::Number,
        _ => Class::Other,
    }
}

/// Length in chars of a contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`)
/// starting at `chars[0]`, if there is one.
fn contraction(chars: &[(usize, char)]) -> Option<usize> {
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    if at(0) != Some('\'') {
        return None;
    }
    match (at(1), at(2)) {
        (Some('s' | 't' | 'm' | 'd'), _) => Some(2),
        (Some('r' | 'v'), Some('e')) | (Some('l'), Some('l')) => Some(3),
        _ => None,
    }
}

fn gpt2_split<'a>(text: &'a str, out: &mut Vec<&'a str>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let classes: Vec<Class> = chars.iter().map(|&(_, c)| class(c)).collect();
    let n = chars.len();
    let mut i = 0;
    while i < n {
        let end = if let Some(len) = contraction(&chars[i..]) {
            i + len
        } else {
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a
            // run of one class.
            let j = if chars[i].1 == ' ' && classes.get(i + 1).is_some_and(|&k| k != Class::Space) {
                i + 1
            } else {
                i
            };
            let k = classes[j];
            let mut e = j;
            while e < n && classes[e] == k {
                e += 1;
            }
            // `\s+(?!\S)|\s+`: a whitespace run followed by non-space leaves its last
            // character to start the next word, unless it is the only one.
            if k == Class::Space && e < n && e - j >= 2 {
                e - 1
            } else {
                e
            }
        };
        let stop = chars.get(end).map_or(text.len(), |&(b, _)| b);
        out.push(&text[chars[i].0..stop]);
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(p: PreTokenizer, s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        p.split(s, &mut out);
        out
    }

    #[test]
    fn gpt2_split_matches_the_regex_on_edge_cases() {
        let g = PreTokenizer::Gpt2;
        assert_eq!(words(g, "Hello world"), ["Hello", " world"]);
        assert_eq!(
            words(g, "I'm they'll it's"),
            ["I", "'m", " they", "'ll", " it", "'s"]
        );
        assert_eq!(words(g, "a   b"), ["a", "  ", " b"]);
        assert_eq!(words(g, "a \tb"), ["a", " ", "\t", "b"]);
        assert_eq!(words(g, "a\n\nb  "), ["a", "\n", "\n", "b", "  "]);
        assert_eq!(words(g, "x 123 4.5!!"), ["x", " 123", " 4", ".", "5", "!!"]);
        assert_eq!(words(g, " 'sa ''s"), [" '", "sa", " ''", "s"]);
        assert_eq!(words(g, "Grüße, мир 世界"), ["Grüße", ",", " мир", " 世界"]);
        assert_eq!(words(g, ""), Vec::<&str>::new());
    }

    #[test]
    fn smollm_isolates_every_digit() {
        let s = PreTokenizer::SmolLm;
        assert_eq!(words(s, "pi 3.14"), ["pi", " ", "3", ".", "1", "4"]);
        assert_eq!(words(s, "a1b²"), ["a", "1", "b", "²"]);
        assert_eq!(
            words(s, "2026-11-29"),
            ["2", "0", "2", "6", "-", "1", "1", "-", "2", "9"]
        );
    }
}
