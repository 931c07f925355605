//! The crate's error type. Its texts follow go-bexpr, so an agent can send them as Nomad does in an
//! HTTP 400 body.

use std::fmt;

/// Where in the expression a syntax error sits, counted the way go-bexpr's parser counts.
///
/// `offset` is in bytes and `column` in characters, both of the character being read. As in
/// go-bexpr, a newline character itself counts as column 0 of the line it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

impl Position {
    pub(crate) fn of(source: &str, offset: usize) -> Position {
        Position::locate(source, &[offset])[0]
    }

    /// The positions of many offsets in one pass over the source.
    pub(crate) fn locate(source: &str, offsets: &[usize]) -> Vec<Position> {
        let mut order: Vec<usize> = (0..offsets.len()).collect();
        order.sort_by_key(|&i| offsets[i]);
        let mut positions = vec![
            Position {
                line: 1,
                column: 1,
                offset: 0
            };
            offsets.len()
        ];
        // Line and column of the last character before the next offset.
        let (mut line, mut column) = (1, 0);
        let mut chars = source.char_indices().peekable();
        for i in order {
            let offset = offsets[i];
            while let Some((_, c)) = chars.next_if(|&(at, _)| at < offset) {
                column += 1;
                if c == '\n' {
                    line += 1;
                    column = 0;
                }
            }
            // The character at the offset counts too, and the end of input counts as one.
            positions[i] = match source[offset..].chars().next() {
                Some('\n') => Position {
                    line: line + 1,
                    column: 0,
                    offset,
                },
                _ => Position {
                    line,
                    column: column + 1,
                    offset,
                },
            };
        }
        positions
    }
}

/// One syntax error: `1:10 (9): rule "grouping": Unmatched parentheses`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub position: Position,
    /// The grammar rule that raised it ("grouping", "index", "match", "number", "string"); none
    /// for "no match found" errors.
    pub rule: Option<&'static str>,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Position {
            line,
            column,
            offset,
        } = self.position;
        write!(f, "{line}:{column} ({offset}): ")?;
        if let Some(rule) = self.rule {
            write!(f, "rule \"{rule}\": ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a filter could not be parsed or evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The expression does not parse. Holds at least one error, in the order they were found;
    /// the message joins them with newlines, as go-bexpr does.
    #[error("{}", join_lines(.0))]
    Syntax(Vec<SyntaxError>),
    /// The expression parsed but cannot be applied to a record, e.g. it names a top-level field
    /// that does not exist or compares a list with `==`. Nomad answers such a filter with a 400.
    #[error("{0}")]
    Evaluate(String),
}

impl FilterError {
    /// Where the first syntax error sits; evaluation errors have no position.
    pub fn position(&self) -> Option<Position> {
        match self {
            FilterError::Syntax(errors) => errors.first().map(|e| e.position),
            FilterError::Evaluate(_) => None,
        }
    }
}

fn join_lines(errors: &[SyntaxError]) -> String {
    errors
        .iter()
        .map(SyntaxError::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_lines_like_pigeon() {
        let src = "ab\ncé\n";
        let at = |offset| {
            let p = Position::of(src, offset);
            (p.line, p.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(2), (2, 0));
        assert_eq!(at(3), (2, 1));
        assert_eq!(at(4), (2, 2));
        assert_eq!(at(6), (3, 0));
        assert_eq!(at(7), (3, 1));
    }
}
