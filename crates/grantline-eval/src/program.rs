//! Rule conditions compiled to flat programs over interned texts, for the
//! indexed evaluator.
//!
//! The plain evaluator walks each rule's [`Cond`] tree and compares texts.
//! Checking the candidates the index finds is most of a decision's cost, so
//! here every condition of the policy set is laid out in one array of small
//! nodes (in preorder, children after their parent, each composite node
//! knowing the size of its subtree so that a short-circuit can skip it), and
//! every text a rule compares a value-set or text attribute with is numbered
//! once. An evaluation numbers the identity's texts once (one hash lookup
//! per attribute), and each `is`/`in` test becomes a comparison of numbers.
//! Other tests (flags, numbers, dates, lists, `contains`) run the plain
//! evaluator's own [`Test::eval`]. The truth of every node follows the tree's
//! Kleene logic exactly; the equality properties in `tests/index.rs` compare
//! the two evaluators.

use std::collections::HashMap;

use grantline_ir::AttributeKind;

use crate::compile::{CEffect, Compiled, Cond, Leaf, Test, Truth, Values};
use crate::identity::AttributeValue;
use crate::index::FastState;

/// The code of a text no rule compares the attribute with (and, for a
/// value set, not declared).
pub(crate) const OTHER: u32 = u32::MAX - 1;
/// The code of a missing value, or one of the wrong kind.
pub(crate) const UNKNOWN: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
enum Node {
    True,
    /// `children` subconditions follow; `size` counts the nodes of the
    /// subtree, this one included.
    And {
        children: u32,
        size: u32,
    },
    Or {
        children: u32,
        size: u32,
    },
    /// The negated condition follows.
    Not {
        size: u32,
    },
    /// The attribute's text has this code.
    TextIs {
        attribute: u32,
        code: u32,
    },
    /// The attribute's text has one of `sets[start..start + len]`.
    TextIn {
        attribute: u32,
        start: u32,
        len: u32,
    },
    /// `tests[test]` on the attribute's value.
    Test {
        attribute: u32,
        test: u32,
    },
}

impl Node {
    fn size(self) -> usize {
        match self {
            Node::And { size, .. } | Node::Or { size, .. } | Node::Not { size } => size as usize,
            _ => 1,
        }
    }
}

/// The conditions of every rule of a policy set, compiled.
#[derive(Debug, Clone, Default)]
pub(crate) struct Programs {
    nodes: Vec<Node>,
    /// Rule `r`'s program starts at `nodes[starts[r]]`; a rule without one
    /// (only past `u32` sizes) is evaluated from its tree.
    starts: Vec<u32>,
    /// By rule: whether it grants (else it denies).
    grants: Vec<bool>,
    sets: Vec<u32>,
    tests: Vec<Test>,
    /// By attribute: the code of each text rules compare it with (`None`
    /// for attributes that are not text).
    dictionaries: Vec<Option<HashMap<Box<str>, u32, FastState>>>,
}

struct Builder<'p> {
    programs: &'p mut Programs,
}

impl Builder<'_> {
    /// Appends the nodes of `cond`; `None` when a size passes `u32`.
    fn cond(&mut self, cond: &Cond) -> Option<()> {
        match cond {
            Cond::True => self.programs.nodes.push(Node::True),
            Cond::And(items) | Cond::Or(items) => {
                let at = self.programs.nodes.len();
                self.programs.nodes.push(Node::True);
                for item in items {
                    self.cond(item)?;
                }
                let children = u32::try_from(items.len()).ok()?;
                let size = u32::try_from(self.programs.nodes.len() - at).ok()?;
                let node = match cond {
                    Cond::And(_) => Node::And { children, size },
                    _ => Node::Or { children, size },
                };
                *self.programs.nodes.get_mut(at)? = node;
            }
            Cond::Not(inner, _) => {
                let at = self.programs.nodes.len();
                self.programs.nodes.push(Node::True);
                self.cond(inner)?;
                let size = u32::try_from(self.programs.nodes.len() - at).ok()?;
                *self.programs.nodes.get_mut(at)? = Node::Not { size };
            }
            Cond::Leaf(leaf) => {
                let node = self.leaf(leaf)?;
                self.programs.nodes.push(node);
            }
        }
        Some(())
    }

    fn leaf(&mut self, leaf: &Leaf) -> Option<Node> {
        let attribute = u32::try_from(leaf.attribute).ok()?;
        let dictionary = self
            .programs
            .dictionaries
            .get_mut(leaf.attribute)
            .and_then(Option::as_mut);
        let (Test::TextIn(wanted), Some(dictionary)) = (&leaf.test, dictionary) else {
            let test = u32::try_from(self.programs.tests.len()).ok()?;
            self.programs.tests.push(leaf.test.clone());
            return Some(Node::Test { attribute, test });
        };
        let mut codes: Vec<u32> = Vec::with_capacity(wanted.len());
        for text in wanted {
            let next = u32::try_from(dictionary.len())
                .ok()
                .filter(|&n| n < OTHER)?;
            codes.push(*dictionary.entry(text.as_str().into()).or_insert(next));
        }
        if let [code] = codes.as_slice() {
            return Some(Node::TextIs {
                attribute,
                code: *code,
            });
        }
        let start = u32::try_from(self.programs.sets.len()).ok()?;
        let len = u32::try_from(codes.len()).ok()?;
        self.programs.sets.extend(codes);
        Some(Node::TextIn {
            attribute,
            start,
            len,
        })
    }
}

/// The code of `text`, numbering it if it is new; `None` past the codes.
fn number(dictionary: &mut HashMap<Box<str>, u32, FastState>, text: &str) -> Option<u32> {
    if let Some(&code) = dictionary.get(text) {
        return Some(code);
    }
    let next = u32::try_from(dictionary.len())
        .ok()
        .filter(|&n| n < OTHER)?;
    dictionary.insert(text.into(), next);
    Some(next)
}

impl Programs {
    pub(crate) fn build(compiled: &Compiled) -> Programs {
        let mut programs = Programs {
            // Only text attributes are numbered: the declared values of a
            // value set, then the texts rules compare with, so that the index
            // can tell every declared value apart by its code.
            dictionaries: compiled
                .schema
                .attributes
                .iter()
                .map(|a| match &a.kind {
                    AttributeKind::Values { values } => {
                        let mut dictionary = HashMap::default();
                        for value in values {
                            let _ = number(&mut dictionary, value);
                        }
                        Some(dictionary)
                    }
                    AttributeKind::Text => Some(HashMap::default()),
                    _ => None,
                })
                .collect(),
            ..Programs::default()
        };
        let mut starts = Vec::with_capacity(compiled.rules.len());
        let mut builder = Builder {
            programs: &mut programs,
        };
        for rule in &compiled.rules {
            let Ok(start) = u32::try_from(builder.programs.nodes.len()) else {
                break;
            };
            if builder.cond(&rule.cond).is_none() {
                break;
            }
            starts.push(start);
        }
        programs.grants = compiled
            .rules
            .iter()
            .map(|rule| matches!(rule.effect, CEffect::Grant(_)))
            .collect();
        programs.starts = starts;
        programs
    }

    /// The code of `text` for `attribute`; `None` when no rule compares the
    /// attribute with it and it is not a declared value.
    pub(crate) fn text_code(&self, attribute: usize, text: &str) -> Option<u32> {
        self.dictionaries
            .get(attribute)?
            .as_ref()?
            .get(text)
            .copied()
    }

    /// Writes the code of each attribute's value to `codes`.
    pub(crate) fn encode(&self, values: &Values, codes: &mut Vec<u32>) {
        codes.clear();
        codes.extend(
            self.dictionaries
                .iter()
                .zip(values)
                .map(|(dictionary, value)| match (dictionary, value) {
                    (Some(dictionary), Some(AttributeValue::Text(text))) => {
                        dictionary.get(text.as_str()).copied().unwrap_or(OTHER)
                    }
                    _ => UNKNOWN,
                }),
        );
    }

    /// The truth of rule `rule`'s condition, `codes` being the identity's
    /// [`encode`](Self::encode)d values; `None` when the rule has no program.
    pub(crate) fn eval(&self, rule: usize, values: &Values, codes: &[u32]) -> Option<Truth> {
        let start = *self.starts.get(rule)?;
        Some(self.node(start as usize, values, codes))
    }

    /// Whether a rule whose condition has this truth has no effect: a grant
    /// takes effect only when it is true, a deny only when it is not false.
    pub(crate) fn without_effect(&self, rule: usize, truth: Truth) -> bool {
        match truth {
            Truth::True => false,
            Truth::False => true,
            Truth::Unknown => self.grants.get(rule).copied().unwrap_or(false),
        }
    }

    fn node(&self, at: usize, values: &Values, codes: &[u32]) -> Truth {
        // Unreachable for a built program; unknown fails closed.
        let Some(&node) = self.nodes.get(at) else {
            return Truth::Unknown;
        };
        let text_code = |attribute: u32| -> Option<u32> {
            codes
                .get(attribute as usize)
                .copied()
                .filter(|&c| c != UNKNOWN)
        };
        match node {
            Node::True => Truth::True,
            Node::And { children, .. } => {
                let mut result = Truth::True;
                let mut child = at + 1;
                for _ in 0..children {
                    match self.node(child, values, codes) {
                        Truth::False => return Truth::False,
                        Truth::Unknown => result = Truth::Unknown,
                        Truth::True => {}
                    }
                    child += self.nodes.get(child).map_or(1, |n| n.size());
                }
                result
            }
            Node::Or { children, .. } => {
                let mut result = Truth::False;
                let mut child = at + 1;
                for _ in 0..children {
                    match self.node(child, values, codes) {
                        Truth::True => return Truth::True,
                        Truth::Unknown => result = Truth::Unknown,
                        Truth::False => {}
                    }
                    child += self.nodes.get(child).map_or(1, |n| n.size());
                }
                result
            }
            Node::Not { .. } => self.node(at + 1, values, codes).not(),
            Node::TextIs { attribute, code } => match text_code(attribute) {
                Some(have) => Truth::from(have == code),
                None => Truth::Unknown,
            },
            Node::TextIn {
                attribute,
                start,
                len,
            } => match text_code(attribute) {
                Some(have) => {
                    let start = start as usize;
                    let wanted = self
                        .sets
                        .get(start..start.saturating_add(len as usize))
                        .unwrap_or(&[]);
                    Truth::from(wanted.contains(&have))
                }
                None => Truth::Unknown,
            },
            Node::Test { attribute, test } => match self.tests.get(test as usize) {
                Some(test) => test.eval(values.get(attribute as usize).and_then(Option::as_ref)),
                None => Truth::Unknown,
            },
        }
    }

    /// Bytes held on the heap (capacities, not lengths).
    pub(crate) fn heap_size(&self) -> usize {
        use std::mem::size_of;
        self.nodes.capacity() * size_of::<Node>()
            + self.starts.capacity() * size_of::<u32>()
            + self.grants.capacity() * size_of::<bool>()
            + self.sets.capacity() * size_of::<u32>()
            + self.tests.capacity() * size_of::<Test>()
            + self.tests.iter().map(crate::heap::test).sum::<usize>()
            + self.dictionaries.capacity() * size_of::<Option<HashMap<Box<str>, u32, FastState>>>()
            + self
                .dictionaries
                .iter()
                .flatten()
                .map(|d| {
                    crate::index::map_size::<Box<str>, u32>(d.capacity())
                        + d.keys().map(|k| k.len()).sum::<usize>()
                })
                .sum::<usize>()
    }
}
