//! Rule conditions compiled to flat programs over interned values, and the
//! other facts the indexed evaluator reads about a rule, laid out for it.
//!
//! The plain evaluator walks each rule's [`Cond`] tree and compares texts.
//! Checking the candidates the index finds is most of a decision's cost, so
//! here every condition of the policy set is laid out in one array of
//! 8-byte nodes (in preorder, children after their parent, each composite
//! node knowing the size of its subtree so that a short-circuit can skip
//! it, the cheapest items of an `and`/`or` first), and every text a rule
//! compares a value-set or text attribute with, or looks for in a list, is
//! numbered once. An evaluation encodes the identity's values once (one
//! hash lookup per text attribute and list item), and each `is`/`in`,
//! flag and `contains` on a list becomes a comparison of integers;
//! comparisons of numbers and dates read the constant from the node. Other
//! tests (`contains` on text, `present`, `in` on numbers and dates) run the
//! plain evaluator's own [`Test::eval`]. The truth of every node follows
//! the tree's Kleene logic exactly; the equality properties in
//! `tests/index.rs` compare the two evaluators.
//!
//! Each rule is one block of nodes: a header (what kind of rule it is), its
//! program, then, for a grant without a window, its targets (the position
//! of each entitlement in name order). Blocks are packed in 64-byte cache
//! lines, a block that fits in a line never straddling two: at scale the
//! rules an identity's candidates are spread over the whole array and each
//! one read is a cache miss, so a typical rule costs one miss, where its
//! resolved form (whose parts are separate allocations) would cost several.

use std::collections::HashMap;

use chrono::NaiveDate;
use grantline_ir::{AttributeKind, Ordering};

use crate::compile::{CEffect, CRule, Compiled, Cond, Leaf, Test, Truth, Values};
use crate::identity::AttributeValue;
use crate::index::FastState;
use crate::output::RuleName;

/// The code of a text no rule compares the attribute with (and, for a
/// value set, not declared).
pub(crate) const OTHER: u32 = u32::MAX - 1;
/// The code of a missing value, or one of the wrong kind.
pub(crate) const UNKNOWN: u32 = u32::MAX;
/// The code of a flag that is set; one that is absent or not set is
/// [`NO`], a value of the wrong kind [`UNKNOWN`].
pub(crate) const YES: u32 = 1;
pub(crate) const NO: u32 = 0;

#[derive(Debug, Clone, Copy)]
enum Node {
    True,
    /// `children` subconditions follow; `size` counts the nodes of the
    /// subtree, this one included.
    And {
        children: u16,
        size: u32,
    },
    Or {
        children: u16,
        size: u32,
    },
    /// The negated condition follows.
    Not {
        size: u32,
    },
    /// The attribute's text has this code.
    TextIs {
        attribute: u16,
        code: u32,
    },
    /// The attribute's text has one of `sets[start + 1..][..sets[start]]`.
    TextIn {
        attribute: u16,
        start: u32,
    },
    /// The flag is set (its code is [`YES`]).
    Flag {
        attribute: u16,
    },
    /// The list holds the text of bit `bit` of its code (see
    /// [`Encoding::List`]).
    ListHas {
        attribute: u16,
        bit: u8,
    },
    /// The number compares so with the (whole) constant.
    NumberCompare {
        cmp: Ordering,
        attribute: u16,
        constant: i32,
    },
    /// The date compares so with the constant.
    DateCompare {
        cmp: Ordering,
        attribute: u16,
        date: NaiveDate,
    },
    /// `tests[test]` on the attribute's value.
    Test {
        attribute: u16,
        test: u32,
    },
    /// A rule's header: its program follows, then, for a
    /// [`HotKind::SimpleGrant`], its `targets` targets.
    Rule {
        kind: HotKind,
        targets: u16,
    },
    /// One target of a rule, after its program: the entitlement's position
    /// in name order.
    Target {
        rank: u32,
    },
}

// Nodes are read at every evaluation: eight to a cache line.
const _: () = assert!(std::mem::size_of::<Node>() == 8);

impl Node {
    fn size(self) -> usize {
        match self {
            Node::And { size, .. } | Node::Or { size, .. } | Node::Not { size } => size as usize,
            _ => 1,
        }
    }
}

/// How many nodes a cache line holds.
const LINE: usize = 8;

/// One cache line of nodes.
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
struct Line([Node; LINE]);

const _: () = assert!(std::mem::size_of::<Line>() == 64);

/// What kind of rule a [`RuleHot`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HotKind {
    /// A grant without a window, whose targets follow its program.
    SimpleGrant,
    /// A grant with a window (decided from its resolved form).
    Grant,
    /// A deny or `denies everything` (decided from its resolved form).
    Deny,
}

/// What the indexed evaluation reads first about a rule with a program:
/// its header node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleHot {
    /// Where its program starts.
    program: usize,
    /// For a [`HotKind::SimpleGrant`], how many targets follow the program.
    targets: u16,
    pub(crate) kind: HotKind,
}

/// The start of a rule without a program (only past the sizes nodes can
/// hold): its tree is evaluated.
const NO_PROGRAM: u32 = u32::MAX;

/// How an attribute's value is encoded for the programs.
#[derive(Debug, Clone)]
enum Encoding {
    /// A value-set or text attribute: the code of each text rules compare
    /// it with.
    Text(HashMap<Box<str>, u32, FastState>),
    Flag,
    /// A list of text whose items rules look for with `contains` are at
    /// most [`LIST_BITS`] texts: the bit of each. A list's code has the bits
    /// of the items it holds (none when it is absent).
    List(HashMap<Box<str>, u32, FastState>),
    /// Read by the tests themselves.
    Other,
}

/// How many texts a list attribute's code can tell apart (bit 31 and up
/// stay clear, so that no code is [`UNKNOWN`]).
const LIST_BITS: usize = 31;

/// The conditions of every rule of a policy set, compiled.
#[derive(Debug, Clone, Default)]
pub(crate) struct Programs {
    /// Rule after rule: its header, its program and its targets.
    lines: Vec<Line>,
    /// How many nodes of `lines` are used.
    len: usize,
    /// By rule: where its header is, or [`NO_PROGRAM`].
    starts: Vec<u32>,
    /// By rule: its record, shared with the decisions that report it.
    shared: Vec<RuleName>,
    /// Sets of codes: a length, then the codes.
    sets: Vec<u32>,
    tests: Vec<Test>,
    /// By attribute.
    encodings: Vec<Encoding>,
}

struct Builder<'p> {
    programs: &'p mut Programs,
    /// The rule being built.
    block: Vec<Node>,
}

impl Builder<'_> {
    /// Appends the block of `rule` (its header, its program and, for a
    /// simple grant, its targets); where the header is. `None` when a size
    /// passes what a node holds.
    fn rule(&mut self, compiled: &Compiled, rule: &CRule) -> Option<u32> {
        self.block.clear();
        let (kind, targets) = match &rule.effect {
            CEffect::Grant(_) if rule.has_window() => (HotKind::Grant, &[][..]),
            CEffect::Grant(targets) => (HotKind::SimpleGrant, targets.as_slice()),
            CEffect::Deny(_) | CEffect::DenyEverything => (HotKind::Deny, &[][..]),
        };
        let count = u16::try_from(targets.len()).ok()?;
        self.block.push(Node::Rule {
            kind,
            targets: count,
        });
        self.cond(&rule.cond)?;
        for target in targets {
            let rank = u32::try_from(*compiled.rank.get(target.entitlement)?).ok()?;
            self.block.push(Node::Target { rank });
        }
        self.programs.place(&self.block)
    }

    /// Appends the nodes of `cond`; `None` when a size passes what a node
    /// holds.
    fn cond(&mut self, cond: &Cond) -> Option<()> {
        match cond {
            Cond::True => self.block.push(Node::True),
            Cond::And(items) | Cond::Or(items) => {
                let at = self.block.len();
                self.block.push(Node::True);
                // Cheap tests first: an `and` (`or`) is false (true) as soon
                // as one item is, whatever the order, and otherwise unknown
                // as soon as one item is.
                let mut ordered: Vec<&Cond> = items.iter().collect();
                ordered.sort_by_key(|item| self.cost(item));
                for item in ordered {
                    self.cond(item)?;
                }
                let children = u16::try_from(items.len()).ok()?;
                let size = u32::try_from(self.block.len() - at).ok()?;
                let node = match cond {
                    Cond::And(_) => Node::And { children, size },
                    _ => Node::Or { children, size },
                };
                *self.block.get_mut(at)? = node;
            }
            Cond::Not(inner, _) => {
                let at = self.block.len();
                self.block.push(Node::True);
                self.cond(inner)?;
                let size = u32::try_from(self.block.len() - at).ok()?;
                *self.block.get_mut(at)? = Node::Not { size };
            }
            Cond::Leaf(leaf) => {
                let node = self.leaf(leaf)?;
                self.block.push(node);
            }
        }
        Some(())
    }

    /// How costly an item of an `and`/`or` is to evaluate, roughly: a
    /// comparison of codes, a comparison of numbers, a test, a subcondition.
    fn cost(&self, cond: &Cond) -> u8 {
        let Cond::Leaf(leaf) = cond else {
            return match cond {
                Cond::True => 0,
                _ => 4,
            };
        };
        match (&leaf.test, self.programs.encodings.get(leaf.attribute)) {
            (Test::TextIn(_), Some(Encoding::Text(_)))
            | (Test::Flag, Some(Encoding::Flag))
            | (Test::ListContains(_), Some(Encoding::List(_))) => 1,
            (Test::CompareNumber(..) | Test::CompareDate(..), _) => 2,
            _ => 3,
        }
    }

    fn leaf(&mut self, leaf: &Leaf) -> Option<Node> {
        let attribute = u16::try_from(leaf.attribute).ok()?;
        let encoding = self.programs.encodings.get_mut(leaf.attribute);
        let dictionary = match (&leaf.test, encoding) {
            (Test::TextIn(_), Some(Encoding::Text(dictionary))) => dictionary,
            (Test::Flag, Some(Encoding::Flag)) => return Some(Node::Flag { attribute }),
            (Test::ListContains(wanted), Some(Encoding::List(bits))) => {
                let bit = u8::try_from(*bits.get(wanted.as_str())?).ok()?;
                return Some(Node::ListHas { attribute, bit });
            }
            (Test::CompareNumber(cmp, constant), _) if whole(*constant).is_some() => {
                return Some(Node::NumberCompare {
                    cmp: *cmp,
                    attribute,
                    constant: whole(*constant)?,
                });
            }
            (Test::CompareDate(cmp, date), _) => {
                return Some(Node::DateCompare {
                    cmp: *cmp,
                    attribute,
                    date: *date,
                })
            }
            _ => {
                let test = u32::try_from(self.programs.tests.len()).ok()?;
                self.programs.tests.push(leaf.test.clone());
                return Some(Node::Test { attribute, test });
            }
        };
        let Test::TextIn(wanted) = &leaf.test else {
            return None;
        };
        let mut codes: Vec<u32> = Vec::with_capacity(wanted.len());
        for text in wanted {
            codes.push(number(dictionary, text)?);
        }
        if let [code] = codes.as_slice() {
            return Some(Node::TextIs {
                attribute,
                code: *code,
            });
        }
        let start = u32::try_from(self.programs.sets.len()).ok()?;
        self.programs.sets.push(u32::try_from(codes.len()).ok()?);
        self.programs.sets.extend(codes);
        Some(Node::TextIn { attribute, start })
    }
}

/// The number as an `i32`, when it is one exactly.
fn whole(number: f64) -> Option<i32> {
    let whole = number as i32;
    (f64::from(whole) == number).then_some(whole)
}

/// Numbers the texts `cond` looks for in lists (past [`LIST_BITS`], the
/// count only matters).
fn list_texts(cond: &Cond, encodings: &mut [Encoding]) {
    match cond {
        Cond::True => {}
        Cond::And(items) | Cond::Or(items) => {
            for item in items {
                list_texts(item, encodings);
            }
        }
        Cond::Not(inner, _) => list_texts(inner, encodings),
        Cond::Leaf(Leaf {
            attribute,
            test: Test::ListContains(wanted),
            ..
        }) => {
            if let Some(Encoding::List(bits)) = encodings.get_mut(*attribute) {
                if bits.len() <= LIST_BITS {
                    let _ = number(bits, wanted);
                }
            }
        }
        Cond::Leaf(_) => {}
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
            // Text attributes are numbered: the declared values of a value
            // set, then the texts rules compare with, so that the index can
            // tell every declared value apart by its code.
            encodings: compiled
                .schema
                .attributes
                .iter()
                .map(|a| match &a.kind {
                    AttributeKind::Values { values } => {
                        let mut dictionary = HashMap::default();
                        for value in values {
                            let _ = number(&mut dictionary, value);
                        }
                        Encoding::Text(dictionary)
                    }
                    AttributeKind::Text => Encoding::Text(HashMap::default()),
                    AttributeKind::Flag => Encoding::Flag,
                    AttributeKind::ListOfText => Encoding::List(HashMap::default()),
                    _ => Encoding::Other,
                })
                .collect(),
            ..Programs::default()
        };
        // The texts rules look for in each list, numbered; a list with too
        // many is read by the tests.
        for rule in &compiled.rules {
            list_texts(&rule.cond, &mut programs.encodings);
        }
        for encoding in &mut programs.encodings {
            if matches!(encoding, Encoding::List(bits) if bits.len() > LIST_BITS) {
                *encoding = Encoding::Other;
            }
        }
        let mut starts = Vec::with_capacity(compiled.rules.len());
        let mut builder = Builder {
            programs: &mut programs,
            block: Vec::new(),
        };
        for rule in &compiled.rules {
            // `None` only past the sizes nodes hold: the rule is evaluated
            // from its tree.
            starts.push(builder.rule(compiled, rule).unwrap_or(NO_PROGRAM));
        }
        programs.starts = starts;
        programs.shared = compiled
            .rules
            .iter()
            .map(|rule| rule.shared.clone())
            .collect();
        programs.lines.shrink_to_fit();
        programs.sets.shrink_to_fit();
        programs.tests.shrink_to_fit();
        programs
    }

    /// Places a rule's block after the others, in the current line when it
    /// fits there, else from the start of a line; where it starts.
    fn place(&mut self, block: &[Node]) -> Option<u32> {
        let used = self.len % LINE;
        if used != 0 && used + block.len() > LINE {
            // Would straddle two lines: the rest of this one stays unused.
            self.len += LINE - used;
        }
        let start = u32::try_from(self.len).ok().filter(|&s| s != NO_PROGRAM)?;
        let end = self.len.checked_add(block.len())?;
        u32::try_from(end).ok()?;
        self.lines
            .resize(end.div_ceil(LINE), Line([Node::True; LINE]));
        for (offset, node) in block.iter().enumerate() {
            let at = self.len + offset;
            let slot = self.lines.get_mut(at / LINE)?.0.get_mut(at % LINE)?;
            *slot = *node;
        }
        self.len = end;
        Some(start)
    }

    /// Node `at`.
    #[inline(always)]
    fn get(&self, at: usize) -> Option<Node> {
        self.lines.get(at / LINE)?.0.get(at % LINE).copied()
    }

    /// The code of `text` for `attribute`; `None` when no rule compares the
    /// attribute with it and it is not a declared value.
    pub(crate) fn text_code(&self, attribute: usize, text: &str) -> Option<u32> {
        match self.encodings.get(attribute)? {
            Encoding::Text(dictionary) => dictionary.get(text).copied(),
            _ => None,
        }
    }

    /// Writes the code of each attribute's value to `codes`: its text's
    /// number ([`OTHER`] for a text no rule names), a flag's [`YES`] or
    /// [`NO`], a list's bits, else [`UNKNOWN`] (missing, or of the wrong
    /// kind).
    pub(crate) fn encode(&self, values: &Values, codes: &mut Vec<u32>) {
        codes.clear();
        codes.extend(self.encodings.iter().zip(values).map(|(encoding, value)| {
            match (encoding, value) {
                (Encoding::Text(dictionary), Some(AttributeValue::Text(text))) => {
                    dictionary.get(text.as_str()).copied().unwrap_or(OTHER)
                }
                (Encoding::Flag, None | Some(AttributeValue::Flag(false))) => NO,
                (Encoding::Flag, Some(AttributeValue::Flag(true))) => YES,
                (Encoding::List(_), None) => 0,
                (Encoding::List(bits), Some(AttributeValue::List(items))) => {
                    items
                        .iter()
                        .fold(0, |code, item| match bits.get(item.as_str()) {
                            Some(&bit) => code | (1 << bit),
                            None => code,
                        })
                }
                _ => UNKNOWN,
            }
        }));
    }

    /// Reads the header of each of `rules`, and returns a value made from
    /// them (to keep the reads). At scale most are out of cache: read this
    /// way, one after the other with nothing depending on them, their cache
    /// misses overlap, and the evaluation that follows finds them in cache.
    pub(crate) fn warm(&self, rules: &[u32]) -> u32 {
        let mut warm = 0u32;
        for &rule in rules {
            if let Some(&start) = self.starts.get(rule as usize) {
                if let Some(Node::Rule { targets, .. }) = self.get(start as usize) {
                    warm = warm.wrapping_add(u32::from(targets));
                }
            }
        }
        warm
    }

    /// The header of rule `rule`; `None` when it has no program (or past
    /// the rules).
    #[inline]
    pub(crate) fn rule(&self, rule: usize) -> Option<RuleHot> {
        let start = *self.starts.get(rule)? as usize;
        match self.get(start)? {
            Node::Rule { kind, targets } => Some(RuleHot {
                program: start + 1,
                targets,
                kind,
            }),
            _ => None,
        }
    }

    /// The shared record of rule `rule`.
    pub(crate) fn shared(&self, rule: usize) -> Option<&RuleName> {
        self.shared.get(rule)
    }

    /// The truth of the rule's condition, `codes` being the identity's
    /// [`encode`](Self::encode)d values.
    #[inline]
    pub(crate) fn eval(&self, hot: RuleHot, values: &Values, codes: &[u32]) -> Truth {
        match self.get(hot.program) {
            Some(node) => self.truth(node, hot.program, values, codes),
            None => Truth::Unknown,
        }
    }

    /// The targets of a [`HotKind::SimpleGrant`]: (position among the
    /// rule's targets, entitlement rank), in order.
    pub(crate) fn targets(&self, hot: RuleHot) -> impl Iterator<Item = (u32, u32)> + '_ {
        let first = hot
            .program
            .saturating_add(self.get(hot.program).map_or(1, Node::size));
        let count = match hot.kind {
            HotKind::SimpleGrant => u32::from(hot.targets),
            _ => 0,
        };
        (0..count).filter_map(move |position| {
            match self.get(first.saturating_add(position as usize))? {
                Node::Target { rank } => Some((position, rank)),
                _ => None,
            }
        })
    }

    /// The truth of a leaf node (or of an empty `and`/`or`, a single node
    /// too); `None` for a composite node.
    #[inline(always)]
    fn leaf(&self, node: Node, values: &Values, codes: &[u32]) -> Option<Truth> {
        let code = |attribute: u16| -> Option<u32> {
            codes
                .get(usize::from(attribute))
                .copied()
                .filter(|&c| c != UNKNOWN)
        };
        Some(match node {
            Node::True => Truth::True,
            Node::TextIs {
                attribute,
                code: wanted,
            } => match code(attribute) {
                Some(have) => Truth::from(have == wanted),
                None => Truth::Unknown,
            },
            Node::TextIn { attribute, start } => match code(attribute) {
                Some(have) => {
                    let start = start as usize;
                    let len = self.sets.get(start).map_or(0, |&len| len as usize);
                    let first = start.saturating_add(1);
                    let wanted = self
                        .sets
                        .get(first..first.saturating_add(len))
                        .unwrap_or(&[]);
                    Truth::from(wanted.contains(&have))
                }
                None => Truth::Unknown,
            },
            Node::Flag { attribute } => match codes.get(usize::from(attribute)) {
                Some(&YES) => Truth::True,
                Some(&NO) => Truth::False,
                _ => Truth::Unknown,
            },
            Node::ListHas { attribute, bit } => match code(attribute) {
                Some(have) => {
                    Truth::from(have.checked_shr(u32::from(bit)).is_some_and(|h| h & 1 == 1))
                }
                None => Truth::Unknown,
            },
            Node::NumberCompare {
                cmp,
                attribute,
                constant,
            } => match values.get(usize::from(attribute)) {
                Some(Some(AttributeValue::Number(n))) => {
                    match n.partial_cmp(&f64::from(constant)) {
                        Some(order) => Truth::from(cmp.holds(order)),
                        None => Truth::Unknown,
                    }
                }
                _ => Truth::Unknown,
            },
            Node::DateCompare {
                cmp,
                attribute,
                date,
            } => match values.get(usize::from(attribute)) {
                Some(Some(AttributeValue::Date(d))) => Truth::from(cmp.holds(d.cmp(&date))),
                _ => Truth::Unknown,
            },
            Node::Test { attribute, test } => match self.tests.get(test as usize) {
                Some(test) => {
                    test.eval(values.get(usize::from(attribute)).and_then(Option::as_ref))
                }
                None => Truth::Unknown,
            },
            // Not part of a condition: fails closed.
            Node::Rule { .. } | Node::Target { .. } => Truth::Unknown,
            // Empty (a single node, like a leaf).
            Node::And { children: 0, .. } => Truth::True,
            Node::Or { children: 0, .. } => Truth::False,
            Node::And { .. } | Node::Or { .. } | Node::Not { .. } => return None,
        })
    }

    /// The truth of the node at `at`, and the node's size.
    #[inline(always)]
    fn child(&self, at: usize, values: &Values, codes: &[u32]) -> (Truth, usize) {
        match self.get(at) {
            Some(node) => match self.leaf(node, values, codes) {
                Some(truth) => (truth, 1),
                None => (self.node(at, values, codes), node.size()),
            },
            // Unreachable for a built program; unknown fails closed.
            None => (Truth::Unknown, 1),
        }
    }

    fn node(&self, at: usize, values: &Values, codes: &[u32]) -> Truth {
        match self.get(at) {
            Some(node) => self.truth(node, at, values, codes),
            // Unreachable for a built program; unknown fails closed.
            None => Truth::Unknown,
        }
    }

    /// The truth of `node`, at `at`.
    #[inline(always)]
    fn truth(&self, node: Node, at: usize, values: &Values, codes: &[u32]) -> Truth {
        match node {
            // Only leaves, in the same line (the usual rule): one after the
            // other.
            Node::And { children, size } if size == u32::from(children) + 1 => {
                let Some(leaves) = self.run(at + 1, usize::from(children)) else {
                    return self.composite(node, at, values, codes);
                };
                let mut result = Truth::True;
                for &leaf in leaves {
                    match self.leaf(leaf, values, codes) {
                        Some(Truth::False) => return Truth::False,
                        Some(Truth::True) => {}
                        Some(Truth::Unknown) | None => result = Truth::Unknown,
                    }
                }
                result
            }
            Node::Or { children, size } if size == u32::from(children) + 1 => {
                let Some(leaves) = self.run(at + 1, usize::from(children)) else {
                    return self.composite(node, at, values, codes);
                };
                let mut result = Truth::False;
                for &leaf in leaves {
                    match self.leaf(leaf, values, codes) {
                        Some(Truth::True) => return Truth::True,
                        Some(Truth::False) => {}
                        Some(Truth::Unknown) | None => result = Truth::Unknown,
                    }
                }
                result
            }
            _ => match self.leaf(node, values, codes) {
                Some(truth) => truth,
                None => self.composite(node, at, values, codes),
            },
        }
    }

    /// `count` nodes from `first`, when they are in one line.
    #[inline(always)]
    fn run(&self, first: usize, count: usize) -> Option<&[Node]> {
        let offset = first % LINE;
        self.lines
            .get(first / LINE)?
            .0
            .get(offset..offset.checked_add(count)?)
    }

    /// The truth of `node`, at `at`, item by item.
    fn composite(&self, node: Node, at: usize, values: &Values, codes: &[u32]) -> Truth {
        match node {
            Node::And { children, .. } => {
                let mut result = Truth::True;
                let mut child = at + 1;
                for _ in 0..children {
                    let (truth, size) = self.child(child, values, codes);
                    match truth {
                        Truth::False => return Truth::False,
                        Truth::Unknown => result = Truth::Unknown,
                        Truth::True => {}
                    }
                    child += size;
                }
                result
            }
            Node::Or { children, .. } => {
                let mut result = Truth::False;
                let mut child = at + 1;
                for _ in 0..children {
                    let (truth, size) = self.child(child, values, codes);
                    match truth {
                        Truth::True => return Truth::True,
                        Truth::Unknown => result = Truth::Unknown,
                        Truth::False => {}
                    }
                    child += size;
                }
                result
            }
            Node::Not { .. } => self.child(at + 1, values, codes).0.not(),
            leaf => self.leaf(leaf, values, codes).unwrap_or(Truth::Unknown),
        }
    }

    /// Bytes held on the heap (capacities, not lengths). The rules' shared
    /// records are counted with the rules (`shared` holds references).
    pub(crate) fn heap_size(&self) -> usize {
        use std::mem::size_of;
        self.lines.capacity() * size_of::<Line>()
            + self.starts.capacity() * size_of::<u32>()
            + self.shared.capacity() * size_of::<RuleName>()
            + self.sets.capacity() * size_of::<u32>()
            + self.tests.capacity() * size_of::<Test>()
            + self.tests.iter().map(crate::heap::test).sum::<usize>()
            + self.encodings.capacity() * size_of::<Encoding>()
            + self
                .encodings
                .iter()
                .map(|e| match e {
                    Encoding::Text(d) | Encoding::List(d) => {
                        crate::index::map_size::<Box<str>, u32>(d.capacity())
                            + d.keys().map(|k| k.len()).sum::<usize>()
                    }
                    Encoding::Flag | Encoding::Other => 0,
                })
                .sum::<usize>()
    }
}
