//! Chunks, comments and lines: how a formatted statement is laid out.
//!
//! Every statement is turned into a sequence of [`Chunk`]s, the pieces of
//! text between which a line may break. Each chunk remembers the source range
//! it came from, which is how comments find their place: a comment after code
//! belongs to the chunk it follows, a comment on its own line to the chunk
//! that comes next. The chunks are then filled into lines of at most
//! [`MAX_WIDTH`] columns.

use crate::lexer::Comment;

/// Lines are filled up to this many columns (comments excepted).
pub const MAX_WIDTH: usize = 100;

/// How a chunk joins the chunk before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sep {
    /// The first chunk of a statement.
    None,
    /// `a b`
    Space,
    /// `a, b`; on a break the comma stays at the end of the line.
    Comma,
    /// `a: b`; on a break the colon stays at the end of the line.
    Colon,
    /// `a | b`; on a break the next line starts with `| `.
    Pipe,
    /// `a or b`, `a and b`; on a break the next line starts with the word.
    Word(&'static str),
}

impl Sep {
    pub fn inline(self) -> String {
        match self {
            Sep::None => String::new(),
            Sep::Space => " ".to_string(),
            Sep::Comma => ", ".to_string(),
            Sep::Colon => ": ".to_string(),
            Sep::Pipe => " | ".to_string(),
            Sep::Word(word) => format!(" {word} "),
        }
    }

    /// What ends the line when a line breaks before the chunk.
    fn suffix(self) -> &'static str {
        match self {
            Sep::Comma => ",",
            Sep::Colon => ":",
            _ => "",
        }
    }

    /// What starts the next line when a line breaks before the chunk.
    pub fn prefix(self) -> String {
        match self {
            Sep::Pipe => "| ".to_string(),
            Sep::Word(word) => format!("{word} "),
            _ => String::new(),
        }
    }
}

/// Whether a line may or must break before a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Only a comment breaks the line here.
    Glue,
    /// The line breaks here when the chunk would not fit.
    Fill,
    /// The chunk always starts a line.
    NewLine,
}

#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    pub text: String,
    pub sep: Sep,
    pub mode: Mode,
    /// The indentation of a line that starts with this chunk.
    pub indent: usize,
    /// The source range of the chunk's tokens.
    pub start: usize,
    pub end: usize,
    /// Comments on their own lines before the chunk.
    pub leading: Vec<String>,
    /// Comments after the chunk on its line.
    pub trailing: Vec<String>,
}

impl Chunk {
    pub fn new(text: impl Into<String>, sep: Sep, mode: Mode, indent: usize) -> Self {
        Chunk {
            text: text.into(),
            sep,
            mode,
            indent,
            start: 0,
            end: 0,
            leading: Vec::new(),
            trailing: Vec::new(),
        }
    }

    pub fn at(mut self, start: usize, end: usize) -> Self {
        self.start = start;
        self.end = end.max(start);
        self
    }
}

/// A choice between one line and a break, made once comments are known:
/// if `chunks[first..=last]` fit on one line starting at `indent`, chunk
/// `choice` is glued to the one before it; otherwise it starts a line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OneLine {
    pub first: usize,
    pub last: usize,
    pub indent: usize,
    pub choice: usize,
}

/// One statement, laid out.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub chunks: Vec<Chunk>,
    /// A `rule` or `test`: always a blank line before it after another
    /// statement.
    pub spaced: bool,
    pub one_line: Vec<OneLine>,
    /// The line numbers of the statement's first and last token.
    pub first_line: usize,
    pub last_line: usize,
    /// Comments on their own lines before the statement, each with whether
    /// a blank line comes before it.
    pub gap: Vec<(String, bool)>,
    /// The line of the last of them.
    pub gap_last_line: Option<usize>,
}

/// An output line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Blank,
    Comment(usize, String),
    Code(String, Option<String>),
}

fn width(text: &str) -> usize {
    text.chars().count()
}

/// A comment's place.
enum Place {
    Trailing(usize, usize),
    Leading(usize, usize),
    Gap(usize),
    End,
}

/// Gives every comment its chunk. `line_of` numbers the lines of the source.
pub(crate) fn attach(
    blocks: &mut [Block],
    comments: &[Comment],
    line_of: impl Fn(usize) -> usize,
) -> Vec<(String, bool)> {
    // Every chunk by source position.
    let mut order: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        for (c, chunk) in block.chunks.iter().enumerate() {
            order.push((chunk.start, chunk.end, b, c));
        }
    }
    order.sort_unstable();
    let mut end_comments: Vec<(String, bool)> = Vec::new();
    // The line of the previous element (statement or comment on its own
    // line) between statements, for blank lines.
    let mut previous_line: Option<usize> = None;
    let mut next_block = 0;
    for comment in comments {
        let after = order.partition_point(|(start, ..)| *start < comment.start);
        let place = if !comment.own_line && after > 0 {
            order
                .get(after - 1)
                .map(|&(_, _, b, c)| Place::Trailing(b, c))
                .unwrap_or(Place::End)
        } else {
            let inside = after
                .checked_sub(1)
                .and_then(|i| order.get(i))
                .filter(|(_, end, ..)| *end > comment.start);
            match (inside, order.get(after)) {
                (Some(&(_, _, b, c)), _) => Place::Leading(b, c),
                (None, Some(&(_, _, b, 0))) => Place::Gap(b),
                (None, Some(&(_, _, b, c))) => Place::Leading(b, c),
                (None, None) => Place::End,
            }
        };
        let line = line_of(comment.start);
        match place {
            Place::Trailing(b, c) | Place::Leading(b, c) => {
                if let Some(chunk) = blocks.get_mut(b).and_then(|bl| bl.chunks.get_mut(c)) {
                    if matches!(place, Place::Trailing(..)) {
                        chunk.trailing.push(comment.text.clone());
                    } else {
                        chunk.leading.push(comment.text.clone());
                    }
                }
            }
            Place::Gap(b) => {
                // Statements before this one are behind us.
                while next_block < b {
                    previous_line = blocks.get(next_block).map(|bl| bl.last_line);
                    next_block += 1;
                }
                let blank = previous_line.is_some_and(|p| line >= p + 2);
                if let Some(block) = blocks.get_mut(b) {
                    block.gap.push((comment.text.clone(), blank));
                    block.gap_last_line = Some(line);
                }
                previous_line = Some(line);
            }
            Place::End => {
                while next_block < blocks.len() {
                    previous_line = blocks.get(next_block).map(|bl| bl.last_line);
                    next_block += 1;
                }
                let blank = previous_line.is_some_and(|p| line >= p + 2);
                end_comments.push((comment.text.clone(), blank));
                previous_line = Some(line);
            }
        }
    }
    end_comments
}

/// Lays out every statement and comment of a file.
pub(crate) fn render(blocks: &mut [Block], end_comments: &[(String, bool)]) -> String {
    let mut lines: Vec<Line> = Vec::new();
    for index in 0..blocks.len() {
        // A blank line before the statement in the source, after the comment
        // or statement before it.
        let statement_blank = blocks.get(index).is_some_and(|block| {
            let previous = block.gap_last_line.or_else(|| {
                index
                    .checked_sub(1)
                    .and_then(|i| blocks.get(i))
                    .map(|b| b.last_line)
            });
            previous.is_some_and(|p| block.first_line >= p + 2)
        });
        let Some(block) = blocks.get_mut(index) else {
            continue;
        };
        prepare(block);
        // The comments before the statement: those between statements, then
        // those moved out of its first chunk, then the statement itself.
        let mut elements: Vec<(Option<String>, bool)> = block
            .gap
            .iter()
            .map(|(text, blank)| (Some(text.clone()), *blank))
            .collect();
        let inner: Vec<String> = block
            .chunks
            .first_mut()
            .map(|c| std::mem::take(&mut c.leading))
            .unwrap_or_default();
        let mut carry = statement_blank;
        for text in inner {
            elements.push((Some(text), carry));
            carry = false;
        }
        elements.push((None, carry));
        if index == 0 {
            if let Some(first) = elements.first_mut() {
                first.1 = false;
            }
        } else if block.spaced && !elements.iter().any(|(_, blank)| *blank) {
            if let Some(first) = elements.first_mut() {
                first.1 = true;
            }
        }
        for (text, blank) in elements {
            if blank {
                lines.push(Line::Blank);
            }
            if let Some(text) = text {
                lines.push(Line::Comment(0, text));
            }
        }
        render_chunks(block, &mut lines);
    }
    for (i, (text, blank)) in end_comments.iter().enumerate() {
        if *blank && !(i == 0 && blocks.is_empty()) {
            lines.push(Line::Blank);
        }
        lines.push(Line::Comment(0, text.clone()));
    }
    finish(lines)
}

/// Applies the one-line choices and moves all but the last comment after a
/// chunk to before it (one line holds one comment at its end).
fn prepare(block: &mut Block) {
    for chunk in &mut block.chunks {
        if chunk.trailing.len() > 1 {
            let last = chunk.trailing.pop();
            chunk.leading.append(&mut chunk.trailing);
            chunk.trailing.extend(last);
        }
    }
    for choice in block.one_line.clone() {
        let fits = fits_flat(&block.chunks, choice);
        if let Some(chunk) = block.chunks.get_mut(choice.choice) {
            chunk.mode = if fits { Mode::Glue } else { Mode::NewLine };
        }
    }
}

fn fits_flat(chunks: &[Chunk], choice: OneLine) -> bool {
    let Some(range) = chunks.get(choice.first..=choice.last) else {
        return false;
    };
    let mut total = choice.indent;
    for (i, chunk) in range.iter().enumerate() {
        if i > 0 {
            if !chunk.leading.is_empty() {
                return false;
            }
            if chunk.mode == Mode::NewLine && choice.first + i != choice.choice {
                return false;
            }
            total += width(&chunk.sep.inline());
        }
        if i + 1 < range.len() && !chunk.trailing.is_empty() {
            return false;
        }
        total += width(&chunk.text);
    }
    total <= MAX_WIDTH
}

fn render_chunks(block: &Block, lines: &mut Vec<Line>) {
    let chunks = &block.chunks;
    let Some(first) = chunks.first() else {
        return;
    };
    let mut current = format!("{}{}", " ".repeat(first.indent), first.text);
    for (i, chunk) in chunks.iter().enumerate().skip(1) {
        let previous = chunks.get(i - 1);
        let after = chunks
            .get(i + 1)
            .map(|n| width(n.sep.suffix()))
            .unwrap_or(0);
        let forced = chunk.mode == Mode::NewLine
            || !chunk.leading.is_empty()
            || previous.is_some_and(|p| !p.trailing.is_empty());
        let too_wide = chunk.mode == Mode::Fill
            && width(&current) + width(&chunk.sep.inline()) + width(&chunk.text) + after
                > MAX_WIDTH;
        if forced || too_wide {
            current.push_str(chunk.sep.suffix());
            let comment = previous.and_then(|p| p.trailing.last().cloned());
            lines.push(Line::Code(std::mem::take(&mut current), comment));
            for text in &chunk.leading {
                lines.push(Line::Comment(chunk.indent, text.clone()));
            }
            current = format!(
                "{}{}{}",
                " ".repeat(chunk.indent),
                chunk.sep.prefix(),
                chunk.text
            );
        } else {
            current.push_str(&chunk.sep.inline());
            current.push_str(&chunk.text);
        }
    }
    let comment = chunks.last().and_then(|c| c.trailing.last().cloned());
    lines.push(Line::Code(current, comment));
}

/// Aligns the comments at the ends of consecutive lines two spaces after the
/// longest of them, and joins the lines.
fn finish(lines: Vec<Line>) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        match line {
            Line::Blank => out.push('\n'),
            Line::Comment(indent, text) => {
                out.push_str(&" ".repeat(*indent));
                out.push_str(text);
                out.push('\n');
            }
            Line::Code(_, None) => {
                if let Line::Code(code, _) = line {
                    out.push_str(code);
                }
                out.push('\n');
            }
            Line::Code(_, Some(_)) => {
                let run: Vec<&Line> = lines
                    .get(i..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|l| matches!(l, Line::Code(_, Some(_))))
                    .collect();
                let column = run
                    .iter()
                    .map(|l| match l {
                        Line::Code(code, _) => width(code),
                        _ => 0,
                    })
                    .max()
                    .unwrap_or(0)
                    + 2;
                for l in &run {
                    if let Line::Code(code, Some(comment)) = l {
                        out.push_str(code);
                        out.push_str(&" ".repeat(column.saturating_sub(width(code))));
                        out.push_str(comment);
                        out.push('\n');
                    }
                }
                i += run.len();
                continue;
            }
        }
        i += 1;
    }
    out
}
