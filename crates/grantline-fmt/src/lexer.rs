//! The tokens and comments of a source text.
//!
//! The syntax tree has no comments (they are silent in the grammar) and no
//! keywords that carry no meaning (`the`, `status`, `,` against `and`); the
//! formatter recovers both from the text. This lexer only has to agree with
//! the grammar on where comments and quoted strings are, and it only runs on
//! files that parsed.

/// A token: a word, a quoted string, a number, a date or a punctuation mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
}

/// A comment, from its `#` to the end of its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Comment {
    pub start: usize,
    /// The text from `#` on, without trailing whitespace.
    pub text: String,
    /// Nothing but whitespace before it on its line.
    pub own_line: bool,
}

pub(crate) struct Lexed<'a> {
    pub text: &'a str,
    pub tokens: Vec<Token>,
    pub comments: Vec<Comment>,
}

fn is_punctuation(c: char) -> bool {
    matches!(c, '{' | '}' | '(' | ')' | ',' | ':' | '|')
}

fn is_operator(c: char) -> bool {
    matches!(c, '<' | '>' | '=')
}

fn is_line_end(c: char) -> bool {
    c == '\n' || c == '\r'
}

pub(crate) fn lex(text: &str) -> Lexed<'_> {
    let mut tokens = Vec::new();
    let mut comments = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c == '#' {
            let mut end = text.len();
            while let Some(&(i, next)) = chars.peek() {
                if is_line_end(next) {
                    end = i;
                    break;
                }
                chars.next();
            }
            let line_start = text
                .get(..start)
                .and_then(|before| before.rfind(is_line_end).map(|i| i + 1))
                .unwrap_or(0);
            let own_line = text
                .get(line_start..start)
                .is_some_and(|before| before.chars().all(char::is_whitespace));
            comments.push(Comment {
                start,
                text: text.get(start..end).unwrap_or("#").trim_end().to_string(),
                own_line,
            });
            continue;
        }
        let mut end = start + c.len_utf8();
        if c == '"' {
            let mut escaped = false;
            while let Some(&(i, next)) = chars.peek() {
                if is_line_end(next) {
                    break;
                }
                chars.next();
                end = i + next.len_utf8();
                if escaped {
                    escaped = false;
                } else if next == '\\' {
                    escaped = true;
                } else if next == '"' {
                    break;
                }
            }
        } else if is_operator(c) {
            while let Some(&(i, next)) = chars.peek() {
                if !is_operator(next) {
                    break;
                }
                chars.next();
                end = i + next.len_utf8();
            }
        } else if !is_punctuation(c) {
            while let Some(&(i, next)) = chars.peek() {
                if next.is_whitespace()
                    || is_punctuation(next)
                    || is_operator(next)
                    || next == '#'
                    || next == '"'
                {
                    break;
                }
                chars.next();
                end = i + next.len_utf8();
            }
        }
        tokens.push(Token { start, end });
    }
    Lexed {
        text,
        tokens,
        comments,
    }
}

impl Lexed<'_> {
    pub fn token_text(&self, token: Token) -> &str {
        self.text.get(token.start..token.end).unwrap_or("")
    }

    /// The tokens that lie entirely within `start..end`.
    pub fn tokens_in(&self, start: usize, end: usize) -> impl Iterator<Item = (Token, &str)> {
        let first = self.tokens.partition_point(|t| t.start < start);
        self.tokens
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .take_while(move |t| t.end <= end)
            .map(move |t| (*t, self.token_text(*t)))
    }

    /// The first token within `start..end` that reads `word`.
    pub fn find(&self, start: usize, end: usize, word: &str) -> Option<Token> {
        self.tokens_in(start, end)
            .find(|(_, text)| *text == word)
            .map(|(token, _)| token)
    }

    /// The end of the last token within `start..end`, or `start`. Spans of
    /// the parser may run on over the whitespace and comments after a
    /// construct; this is where its text really ends.
    pub fn token_end(&self, start: usize, end: usize) -> usize {
        let index = self.tokens.partition_point(|t| t.end <= end);
        index
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .filter(|t| t.start >= start)
            .map(|t| t.end)
            .unwrap_or(start)
    }

    /// Where the `count`-th token before `offset` starts (1: the token just
    /// before), or `offset` if there are fewer tokens.
    pub fn start_before(&self, offset: usize, count: usize) -> usize {
        let index = self.tokens.partition_point(|t| t.end <= offset);
        index
            .checked_sub(count)
            .and_then(|i| self.tokens.get(i))
            .map(|t| t.start)
            .unwrap_or(offset)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn comments_are_found_outside_quoted_strings_only() {
        let lexed = lex("attribute a: \"x # y\" | b # tail\n  # own\nrule");
        assert_eq!(lexed.comments.len(), 2);
        assert_eq!(lexed.comments[0].text, "# tail");
        assert!(!lexed.comments[0].own_line);
        assert_eq!(lexed.comments[1].text, "# own");
        assert!(lexed.comments[1].own_line);
        let texts: Vec<&str> = lexed.tokens.iter().map(|t| lexed.token_text(*t)).collect();
        assert_eq!(
            texts,
            ["attribute", "a", ":", "\"x # y\"", "|", "b", "rule"]
        );
    }

    #[test]
    fn escaped_quotes_stay_inside_the_string() {
        let lexed = lex(r##"owner "a \"#\" \\" # c"##);
        assert_eq!(lexed.comments.len(), 1);
        assert_eq!(lexed.comments[0].text, "# c");
    }

    #[test]
    fn carriage_returns_end_comments() {
        let lexed = lex("a # one\r\nb # two\r\n");
        assert_eq!(lexed.comments[0].text, "# one");
        assert_eq!(lexed.comments[1].text, "# two");
        assert!(!lexed.comments[1].own_line);
    }

    #[test]
    fn operators_are_one_token() {
        let lexed = lex("level>=5");
        let texts: Vec<&str> = lexed.tokens.iter().map(|t| lexed.token_text(*t)).collect();
        assert_eq!(texts, ["level", ">=", "5"]);
    }
}
