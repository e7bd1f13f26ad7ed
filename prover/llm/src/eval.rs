//! Teacher-forced evaluation shared by every implementation (the integer runner, the
//! float reference, candle): the argmax and the negative log-likelihood of the next
//! token at every position, top-1 agreement and perplexity.

/// A model that consumes one token per step and returns the logits for the next.
pub trait StepModel {
    /// Starts a new sequence at position 0.
    fn reset(&mut self);
    /// Runs `token` at the next position and returns the logits.
    fn step_logits(&mut self, token: u32) -> Result<Vec<f32>, String>;
}

/// Per position `i` (predicting `tokens[i + 1]`): the argmax and `−ln p(tokens[i+1])`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeacherForced {
    /// Argmax of the logits (lowest index on ties).
    pub argmax: Vec<u32>,
    /// Negative log-likelihood of the actual next token.
    pub nll: Vec<f64>,
}

impl TeacherForced {
    /// `exp(mean nll)`.
    pub fn perplexity(&self) -> f64 {
        (self.nll.iter().sum::<f64>() / self.nll.len().max(1) as f64).exp()
    }

    /// Fraction of positions where the argmax is the actual next token (`targets`
    /// as [`targets`] returns them).
    pub fn accuracy(&self, targets: &[u32]) -> f64 {
        agreement(&self.argmax, targets)
    }
}

/// Index of the largest value, lowest on ties.
pub fn argmax(x: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[best] {
            best = i;
        }
    }
    best as u32
}

/// `−ln softmax(logits)[target]`, in `f64`.
pub fn nll(logits: &[f32], target: u32) -> f64 {
    let max = logits.iter().fold(f64::MIN, |m, &v| m.max(f64::from(v)));
    let z: f64 = logits.iter().map(|&v| (f64::from(v) - max).exp()).sum();
    let t = logits
        .get(target as usize)
        .map_or(f64::MIN, |&v| f64::from(v));
    max + z.ln() - t
}

/// Runs `tokens` through `model` in windows of `ctx` tokens (the model is reset at
/// each window, as llama.cpp's perplexity tool does), scoring every position that
/// has a next token within its window.
pub fn teacher_force(
    model: &mut dyn StepModel,
    tokens: &[u32],
    ctx: usize,
) -> Result<TeacherForced, String> {
    let mut out = TeacherForced::default();
    for window in tokens.chunks(ctx.max(2)) {
        model.reset();
        for (i, &t) in window.iter().enumerate().take(window.len() - 1) {
            let logits = model.step_logits(t)?;
            out.argmax.push(argmax(&logits));
            out.nll.push(nll(&logits, window[i + 1]));
        }
    }
    Ok(out)
}

/// The tokens that [`teacher_force`] scores, in its order (the next token of each
/// scored position).
pub fn targets(tokens: &[u32], ctx: usize) -> Vec<u32> {
    tokens
        .chunks(ctx.max(2))
        .flat_map(|w| w[1..].to_vec())
        .collect()
}

/// Fraction of equal entries of two argmax lists (over the shorter).
pub fn agreement(a: &[u32], b: &[u32]) -> f64 {
    let n = a.len().min(b.len());
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / n.max(1) as f64
}

/// The English text of the fidelity measurements: `/usr/share/common-licenses/GPL-3`
/// followed by `Apache-2.0` (present on every Debian machine).
pub fn license_corpus() -> std::io::Result<String> {
    let dir = std::path::Path::new("/usr/share/common-licenses");
    let mut text = std::fs::read_to_string(dir.join("GPL-3"))?;
    text.push_str(&std::fs::read_to_string(dir.join("Apache-2.0"))?);
    Ok(text)
}
