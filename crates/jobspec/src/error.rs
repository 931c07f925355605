//! Errors with source positions, rendered the way Nomad's HCL diagnostics read:
//! `<file>:<line>,<col>-<col>: <summary>; <detail>`.

use std::fmt;
use std::ops::Range;

/// Everything that can go wrong while turning a jobspec into a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobspecError {
    /// The jobspec is the empty string (the parse endpoint answers 400 "Job spec is empty").
    #[error("Job spec is empty")]
    Empty,
    /// The caller asked for HCLv1, which drover (like Nomad 2.x) no longer parses.
    #[error("HCLv1 jobspecs are not supported; submit the job as HCL2")]
    HclV1Unsupported,
    /// The jobspec, a variable value or the job it describes is invalid; the diagnostic says where.
    #[error("{0}")]
    Invalid(Diagnostic),
    /// The evaluated job does not fit drover's job model.
    #[error("Failed to decode job: {0}")]
    Decode(String),
}

/// A line and column in a source text, both counted from 1 (columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// One error located in a named source (the jobspec, a var file, a `-var` value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub filename: String,
    /// Where the error is; `None` for errors about the file as a whole.
    pub range: Option<(Pos, Pos)>,
    pub summary: String,
    pub detail: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.filename)?;
        if let Some((start, end)) = self.range {
            write!(f, ":{}", range_text(start, end))?;
        }
        write!(f, ": {}; {}", self.summary, self.detail)
    }
}

/// `3,5-10` for a range on one line, `3,5-4,2` across lines.
fn range_text(start: Pos, end: Pos) -> String {
    if start.line == end.line {
        format!("{},{}-{}", start.line, start.column, end.column)
    } else {
        format!(
            "{},{}-{},{}",
            start.line, start.column, end.line, end.column
        )
    }
}

/// An error inside one source, located by byte span; [`Source::locate`] turns it into a
/// [`Diagnostic`] once the source is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diag {
    pub span: Option<Range<usize>>,
    pub summary: String,
    pub detail: String,
}

impl Diag {
    pub fn new(span: Option<Range<usize>>, summary: &str, detail: impl Into<String>) -> Diag {
        Diag {
            span,
            summary: summary.to_owned(),
            detail: detail.into(),
        }
    }

    /// Attaches a span to an error raised where none was known (inside a function, say).
    pub fn or_span(mut self, span: Option<Range<usize>>) -> Diag {
        if self.span.is_none() {
            self.span = span;
        }
        self
    }
}

pub(crate) type DResult<T> = Result<T, Diag>;

/// A named text that spans point into.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    pub fn locate(&self, diag: Diag) -> JobspecError {
        let range = diag
            .span
            .map(|span| (self.pos(span.start), self.pos(span.end.max(span.start))));
        JobspecError::Invalid(Diagnostic {
            filename: self.name.to_owned(),
            range,
            summary: diag.summary,
            detail: diag.detail,
        })
    }

    /// A span as Nomad prints ranges inside messages: `input.hcl:3,5-10`.
    pub fn describe(&self, span: Range<usize>) -> String {
        let (start, end) = (self.pos(span.start), self.pos(span.end.max(span.start)));
        format!("{}:{}", self.name, range_text(start, end))
    }

    fn pos(&self, offset: usize) -> Pos {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Pos {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// An HCL syntax error from the parser.
pub(crate) fn syntax_error(text: &str, error: &hcl_edit::parser::Error) -> Diag {
    let offset = error.location().offset();
    // The span covers the offending character, unless that is a line break.
    let width = match text.get(offset..).and_then(|rest| rest.chars().next()) {
        Some('\n') | None => 0,
        Some(c) => c.len_utf8(),
    };
    let mut detail = error.message().to_owned();
    if let Some(first) = detail.get(..1) {
        detail = format!("{}{}.", first.to_uppercase(), &detail[1..]);
    }
    Diag::new(Some(offset..offset + width), "Invalid HCL syntax", detail)
}

/// A JSON syntax error, placed at the line and column serde_json reports.
pub(crate) fn json_error(text: &str, error: &serde_json::Error) -> Diag {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(error.line().saturating_sub(1))
        .map(str::len)
        .sum();
    let offset = (line_start + error.column().saturating_sub(1)).min(text.len());
    Diag::new(Some(offset..offset + 1), "Invalid JSON", error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, span: Range<usize>) -> String {
        let source = Source {
            name: "input.hcl",
            text,
        };
        source
            .locate(Diag::new(Some(span), "Summary", "Detail."))
            .to_string()
    }

    #[test]
    fn renders_single_and_multi_line_ranges() {
        assert_eq!(
            render("ab\ncdé f", 3..7),
            "input.hcl:2,1-4: Summary; Detail."
        );
        assert_eq!(
            render("ab\ncd", 1..4),
            "input.hcl:1,2-2,2: Summary; Detail."
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(render("éé x", 5..6), "input.hcl:1,4-5: Summary; Detail.");
    }
}
