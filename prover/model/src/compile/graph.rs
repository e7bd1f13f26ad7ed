//! The model description `opml compile-model` reads: a graph of named nodes, each
//! naming the tensors it reads, in JSON (docs/model-image.md "Model description").
//!
//! ```json
//! {
//!   "inputs": { "image": { "shape": [1, 28, 28], "scale": 0.00784313725490196 } },
//!   "nodes": [
//!     { "name": "flat", "op": "flatten", "inputs": ["image"] },
//!     { "name": "fc1", "op": "dense", "inputs": ["flat"], "weight": "fc1.weight", "bias": "fc1.bias" }
//!   ],
//!   "output": "fc1"
//! }
//! ```
//!
//! The classifier guest runs a chain of ops over one activation buffer, so a graph it
//! can run is a path from the one input to the output that uses every node; anything
//! else (two inputs, a node read twice, a node nobody reads, a cycle) is refused naming
//! the node. The LLM image (`opml-llm`) carries its graph into the image itself.

use super::{Arch, Layer};
use serde::Deserialize;
use std::collections::BTreeMap;

/// An input tensor of the graph.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Shape `[C, H, W]`.
    pub shape: [u32; 3],
    /// Real value of one input unit (IDX images: `2/255`, since `q = pixel >> 1`).
    pub scale: f64,
}

/// One node: its name, the tensors it reads, and its op with the op's parameters.
#[derive(Clone, Debug, Deserialize)]
pub struct Node {
    /// The node's name, which is also the name of the tensor it produces.
    pub name: String,
    /// The tensors it reads (graph inputs or other nodes).
    pub inputs: Vec<String>,
    /// The op.
    #[serde(flatten)]
    pub op: Layer,
}

/// The model description: named inputs, nodes, and the output tensor.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Graph {
    /// The graph's inputs by name.
    pub inputs: BTreeMap<String, InputSpec>,
    /// The nodes, in any order.
    pub nodes: Vec<Node>,
    /// The tensor whose values are the logits.
    pub output: String,
}

/// Why a graph cannot be compiled for the classifier guest.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GraphError {
    /// The graph must have exactly one input.
    #[error("the graph has {0} inputs; the classifier guest takes exactly one")]
    Inputs(usize),
    /// Two nodes (or a node and an input) share a name.
    #[error("the name {0:?} is defined twice")]
    Duplicate(String),
    /// A node reads a tensor that does not exist.
    #[error("node {node:?} reads {input:?}, which is neither an input nor a node")]
    Unknown {
        /// The reading node.
        node: String,
        /// The missing tensor.
        input: String,
    },
    /// A node reads a number of tensors other than one.
    #[error("node {node:?} reads {count} tensors; every op of the classifier guest reads one")]
    Arity {
        /// The node.
        node: String,
        /// How many it reads.
        count: usize,
    },
    /// A tensor is read by more than one node.
    #[error("{tensor:?} is read by {first:?} and {second:?}; the classifier guest runs a chain")]
    Branch {
        /// The tensor.
        tensor: String,
        /// One reader.
        first: String,
        /// Another.
        second: String,
    },
    /// The output is not a node.
    #[error("the output {0:?} is not a node")]
    Output(String),
    /// A node is not on the path from the input to the output.
    #[error("node {0:?} does not lie on the path from the input to the output")]
    Unreached(String),
}

impl Graph {
    /// The graph as the chain of layers the guest runs, from the input to the output.
    pub fn to_arch(&self) -> Result<Arch, GraphError> {
        let (input_name, input) = match self.inputs.iter().next() {
            Some(first) if self.inputs.len() == 1 => first,
            _ => return Err(GraphError::Inputs(self.inputs.len())),
        };
        let mut by_name: BTreeMap<&str, &Node> = BTreeMap::new();
        for n in &self.nodes {
            if n.name == *input_name || by_name.insert(&n.name, n).is_some() {
                return Err(GraphError::Duplicate(n.name.clone()));
            }
        }
        // The one reader of every tensor.
        let mut reader: BTreeMap<&str, &str> = BTreeMap::new();
        for n in &self.nodes {
            let [read] = n.inputs.as_slice() else {
                return Err(GraphError::Arity {
                    node: n.name.clone(),
                    count: n.inputs.len(),
                });
            };
            if read != input_name && !by_name.contains_key(read.as_str()) {
                return Err(GraphError::Unknown {
                    node: n.name.clone(),
                    input: read.clone(),
                });
            }
            if let Some(first) = reader.insert(read, &n.name) {
                return Err(GraphError::Branch {
                    tensor: read.clone(),
                    first: first.to_string(),
                    second: n.name.clone(),
                });
            }
        }
        if !by_name.contains_key(self.output.as_str()) {
            return Err(GraphError::Output(self.output.clone()));
        }
        // Walk from the input; each tensor has at most one reader, so this is a path
        // and it cannot loop back (a cycle would need a node read twice or the input
        // read by a node of the cycle, both excluded above).
        let mut layers = Vec::with_capacity(self.nodes.len());
        let mut nodes = Vec::with_capacity(self.nodes.len());
        let mut at = input_name.as_str();
        while at != self.output {
            let Some(next) = reader.get(at).and_then(|n| by_name.get(n)) else {
                break;
            };
            layers.push(next.op.clone());
            nodes.push(next.name.clone());
            at = &next.name;
        }
        if at != self.output || layers.len() != self.nodes.len() {
            let on_path = |n: &&Node| {
                let mut t = input_name.as_str();
                while let Some(r) = reader.get(t) {
                    if *r == n.name {
                        return t != self.output;
                    }
                    t = r;
                }
                false
            };
            let stray = self
                .nodes
                .iter()
                .find(|n| !on_path(n))
                .map_or_else(|| self.output.clone(), |n| n.name.clone());
            return Err(GraphError::Unreached(stray));
        }
        Ok(Arch {
            input: input.shape,
            input_scale: input.scale,
            layers,
            nodes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(nodes: &str, output: &str) -> Graph {
        let text = format!(
            r#"{{ "inputs": {{ "x": {{ "shape": [1, 4, 4], "scale": 0.5 }} }},
                  "nodes": [{nodes}], "output": "{output}" }}"#
        );
        serde_json::from_str(&text).expect("test graph parses")
    }

    const FLAT: &str = r#"{ "name": "f", "op": "flatten", "inputs": ["x"] }"#;
    const DENSE: &str =
        r#"{ "name": "d", "op": "dense", "inputs": ["f"], "weight": "w", "bias": "b" }"#;

    #[test]
    fn a_chain_in_any_order_becomes_its_layers_in_order() {
        let arch = graph(&format!("{DENSE}, {FLAT}"), "d")
            .to_arch()
            .expect("chain");
        assert_eq!(arch.input, [1, 4, 4]);
        assert_eq!(arch.input_scale, 0.5);
        assert_eq!(
            arch.layers,
            [
                Layer::Flatten,
                Layer::Dense {
                    weight: "w".into(),
                    bias: "b".into()
                }
            ]
        );
    }

    #[test]
    fn graphs_the_guest_cannot_run_are_refused_naming_the_node() {
        let relu = |name: &str, input: &str| {
            format!(r#"{{ "name": "{name}", "op": "relu", "inputs": ["{input}"] }}"#)
        };
        let cases = [
            (
                graph(&format!("{FLAT}, {DENSE}, {}", relu("r", "f")), "d"),
                "branch",
            ),
            (
                graph(&format!("{FLAT}, {DENSE}, {}", relu("r", "d")), "d"),
                "unreached",
            ),
            (
                graph(&format!("{FLAT}, {}", relu("r", "nope")), "r"),
                "unknown",
            ),
            (
                graph(&format!("{FLAT}, {}", relu("f", "x")), "f"),
                "duplicate",
            ),
            (graph(FLAT, "x"), "output"),
            (
                graph(
                    r#"{ "name": "f", "op": "flatten", "inputs": ["x", "x"] }"#,
                    "f",
                ),
                "arity",
            ),
            (
                graph(&format!("{}, {}", relu("a", "b"), relu("b", "a")), "a"),
                "cycle",
            ),
        ];
        let got: Vec<_> = cases.iter().map(|(g, _)| g.to_arch().err()).collect();
        assert!(matches!(got[0], Some(GraphError::Branch { ref tensor, .. }) if tensor == "f"));
        assert_eq!(got[1], Some(GraphError::Unreached("r".into())));
        assert!(matches!(got[2], Some(GraphError::Unknown { ref input, .. }) if input == "nope"));
        assert_eq!(got[3], Some(GraphError::Duplicate("f".into())));
        assert_eq!(got[4], Some(GraphError::Output("x".into())));
        assert!(matches!(got[5], Some(GraphError::Arity { count: 2, .. })));
        assert!(matches!(got[6], Some(GraphError::Unreached(_))));
    }
}
