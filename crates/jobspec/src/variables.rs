//! Input variables (`variable` and `variables` blocks), their values, and `locals`.
//!
//! A variable's value is its default, then a `NOMAD_VAR_<name>` environment entry, then each
//! var file in order, then the `-var name=value` flags: the last one set wins. Every declared
//! variable must end up with a value, and the value must pass the variable's `validation`
//! blocks.

use crate::error::{DResult, Diag, JobspecError, Source};
use crate::eval::{Ctx, Evaluator, Scope};
use crate::funcs::FuncEnv;
use crate::types::Type;
use crate::value::{Map, Value};
use crate::{ParseOptions, VarFile};
use hcl_edit::Span;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::visit::{Visit, visit_traversal};
use std::ops::Range;

#[derive(Debug)]
struct Variable<'b> {
    name: String,
    ty: Option<Type>,
    value: Option<Value>,
    /// Where the value came from, for messages: "default", "env", "varfile" or "cmd".
    origin: &'static str,
    validations: Vec<Validation<'b>>,
    span: Option<Range<usize>>,
}

#[derive(Debug)]
struct Validation<'b> {
    condition: &'b Expression,
    message: String,
    span: Option<Range<usize>>,
}

/// The variables a jobspec declares, as read from its `variable` and `variables` blocks.
#[derive(Debug, Default)]
pub(crate) struct Variables<'b> {
    declared: Vec<Variable<'b>>,
}

impl<'b> Variables<'b> {
    /// Reads a `variable "name" { ... }` block.
    pub fn declare_block(&mut self, block: &'b Block, src: &str) -> DResult<()> {
        let span = crate::decode::header_span(block);
        let name = block.labels.first().map(|l| l.as_str()).unwrap_or_default();
        if block.labels.len() != 1 {
            return Err(Diag::new(
                span,
                "Missing name for variable",
                "A variable block must have exactly one label: its name.",
            ));
        }
        if hcl_edit::Ident::try_new(name).is_err() {
            return Err(Diag::new(
                span,
                "Invalid variable name",
                "A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.",
            ));
        }
        self.check_unique(name, span.clone())?;
        let literal = Evaluator::new(Ctx::literal(src));
        let mut variable = Variable {
            name: name.to_owned(),
            ty: None,
            value: None,
            origin: "default",
            validations: Vec::new(),
            span: span.clone(),
        };
        let mut default = None;
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => match attr.key.as_str() {
                    "type" => variable.ty = Some(Type::parse(&attr.value)?),
                    "default" => default = Some(&attr.value),
                    "description" => {
                        literal.eval(&attr.value, &Scope::default())?;
                    }
                    other => {
                        return Err(Diag::new(
                            attr.key.span(),
                            "Unsupported argument",
                            format!("An argument named {other:?} is not expected here."),
                        ));
                    }
                },
                Structure::Block(inner) if inner.ident.as_str() == "validation" => {
                    variable
                        .validations
                        .push(validation(inner, name, &literal)?);
                }
                Structure::Block(inner) => {
                    return Err(Diag::new(
                        crate::decode::header_span(inner),
                        "Unsupported block type",
                        format!(
                            "Blocks of type {:?} are not expected here.",
                            inner.ident.as_str()
                        ),
                    ));
                }
            }
        }
        if let Some(expr) = default {
            let value = literal.eval(expr, &Scope::default())?;
            let value = match &variable.ty {
                Some(ty) => ty.convert(value).map_err(|e| {
                    Diag::new(
                        expr.span(),
                        "Invalid default value for variable",
                        format!("This default value is not compatible with the variable's type constraint: {e}."),
                    )
                })?,
                None => value,
            };
            variable.ty.get_or_insert_with(|| Type::of(&value));
            variable.value = Some(value);
        }
        self.declared.push(variable);
        Ok(())
    }

    /// Reads a `variables { name = default ... }` block.
    pub fn declare_defaults(&mut self, block: &'b Block, src: &str) -> DResult<()> {
        let literal = Evaluator::new(Ctx::literal(src));
        for structure in block.body.iter() {
            let Structure::Attribute(attr) = structure else {
                return Err(Diag::new(
                    structure.span(),
                    "Unexpected block",
                    "Blocks are not allowed in a variables block.",
                ));
            };
            let name = attr.key.as_str();
            self.check_unique(name, attr.key.span())?;
            let value = literal.eval(&attr.value, &Scope::default())?;
            self.declared.push(Variable {
                name: name.to_owned(),
                ty: Some(Type::of(&value)),
                value: Some(value),
                origin: "default",
                validations: Vec::new(),
                span: attr.span(),
            });
        }
        Ok(())
    }

    fn check_unique(&self, name: &str, span: Option<Range<usize>>) -> DResult<()> {
        if self.declared.iter().any(|v| v.name == name) {
            return Err(Diag::new(
                span,
                "Duplicate variable",
                format!("Duplicate {name} variable definition found."),
            ));
        }
        Ok(())
    }

    /// Applies the values given from outside, in precedence order, and returns `var`'s object.
    pub fn resolve(
        mut self,
        job: Source<'_>,
        opts: &ParseOptions,
        env: &FuncEnv,
    ) -> Result<Map, JobspecError> {
        for entry in &opts.env {
            let Some((name, text)) = entry
                .strip_prefix("NOMAD_VAR_")
                .and_then(|e| e.split_once('='))
            else {
                continue;
            };
            let label = format!("<value for var.{name} from env>");
            let source = Source { name: &label, text };
            if let Some(variable) = self.declared.iter_mut().find(|v| v.name == name) {
                let value = from_text(variable.ty.as_ref(), text).map_err(|d| source.locate(d))?;
                variable
                    .assign(value, "env", "Invalid value for variable")
                    .map_err(|d| source.locate(d))?;
            }
        }
        for file in &opts.var_files {
            self.apply_var_file(file, opts.strict)?;
        }
        for flag in &opts.var_flags {
            let Some((name, text)) = flag.split_once('=') else {
                continue;
            };
            let label = format!("<value for var.{name} from arguments>");
            let source = Source { name: &label, text };
            match self.declared.iter_mut().find(|v| v.name == name) {
                Some(variable) => {
                    let value =
                        from_text(variable.ty.as_ref(), text).map_err(|d| source.locate(d))?;
                    variable
                        .assign(value, "cmd", "Invalid argument value for -var variable")
                        .map_err(|d| source.locate(d))?;
                }
                None if opts.strict => {
                    return Err(source.locate(Diag::new(
                        None,
                        "Undefined -var variable",
                        format!("A {name:?} variable was passed in the command line but was not found in known variables. To declare variable {name:?}, place this block in your job file"),
                    )));
                }
                None => {}
            }
        }
        let mut values = Map::new();
        for variable in &self.declared {
            let value = variable.value.clone().ok_or_else(|| {
                job.locate(Diag::new(
                    variable.span.clone(),
                    &format!("Unset variable {:?}", variable.name),
                    "A used variable must be set or have a default value; see https://developer.hashicorp.com/nomad/docs/reference/hcl2/variables for details.",
                ))
            })?;
            variable.validate(&value, job, env)?;
            values.insert(variable.name.clone(), value);
        }
        Ok(values)
    }

    fn apply_var_file(&mut self, file: &VarFile, strict: bool) -> Result<(), JobspecError> {
        let source = Source {
            name: &file.name,
            text: &file.content,
        };
        let assignments = var_file_values(&file.content).map_err(|d| source.locate(d))?;
        for Assignment { name, value, span } in assignments {
            match self.declared.iter_mut().find(|v| v.name == name) {
                Some(variable) => variable
                    .assign(value, "varfile", "Invalid value for variable")
                    .map_err(|d| source.locate(d.or_span(span)))?,
                None if strict => {
                    return Err(source.locate(Diag::new(
                        span,
                        "Undefined variable",
                        format!("A {name:?} variable was set but was not found in known variables. To declare variable {name:?}, place this block in your job files"),
                    )));
                }
                None => {}
            }
        }
        Ok(())
    }
}

impl Variable<'_> {
    fn assign(&mut self, value: Value, origin: &'static str, summary: &str) -> DResult<()> {
        let value = match &self.ty {
            Some(ty) => ty.convert(value).map_err(|e| {
                Diag::new(
                    None,
                    summary,
                    format!("The value for {} is not compatible with the variable's type constraint: {e}.", self.name),
                )
            })?,
            None => value,
        };
        self.value = Some(value);
        self.origin = origin;
        Ok(())
    }

    fn validate(&self, value: &Value, job: Source<'_>, env: &FuncEnv) -> Result<(), JobspecError> {
        let mut vars = Map::new();
        vars.insert(self.name.clone(), value.clone());
        let eval = Evaluator::new(Ctx {
            src: job.text,
            vars: Some(&vars),
            locals: None,
            functions: Some(env),
            unknown_as_text: false,
        });
        for rule in &self.validations {
            let result = eval
                .eval(rule.condition, &Scope::default())
                .map_err(|d| job.locate(d))?;
            let passed = match result {
                Value::Bool(b) => b,
                _ => {
                    return Err(job.locate(Diag::new(
                        rule.condition.span(),
                        "Invalid variable validation result",
                        "Validation condition expression must return either true or false.",
                    )));
                }
            };
            if !passed {
                let mut at = rule
                    .span
                    .clone()
                    .map(|s| job.describe(s))
                    .unwrap_or_default();
                if !at.is_empty() {
                    at = format!("\n\nThis was checked by the validation rule at {at}.");
                }
                return Err(job.locate(Diag::new(
                    rule.span.clone(),
                    &format!("Invalid value for {} variable", self.origin),
                    format!("{}{at}", rule.message),
                )));
            }
        }
        Ok(())
    }
}

/// A `validation { condition, error_message }` block; the condition must test `var.<name>`
/// and may refer to no other variable.
fn validation<'b>(
    block: &'b Block,
    name: &str,
    literal: &Evaluator<'_>,
) -> DResult<Validation<'b>> {
    let span = crate::decode::header_span(block);
    let (mut condition, mut message) = (None, None);
    for structure in block.body.iter() {
        match structure {
            Structure::Attribute(attr) if attr.key.as_str() == "condition" => {
                condition = Some(&attr.value)
            }
            Structure::Attribute(attr) if attr.key.as_str() == "error_message" => {
                let text = literal.eval(&attr.value, &Scope::default())?;
                let text = text.as_str().unwrap_or_default().to_owned();
                if text.trim().is_empty() {
                    return Err(Diag::new(
                        attr.value.span(),
                        "Invalid validation error message",
                        "An empty or blank string is not a valid nor useful error message.",
                    ));
                }
                message = Some(text);
            }
            other => {
                return Err(Diag::new(
                    other.span(),
                    "Unsupported argument",
                    "A validation block takes only condition and error_message.",
                ));
            }
        }
    }
    let (Some(condition), Some(message)) = (condition, message) else {
        return Err(Diag::new(
            span,
            "Missing required argument",
            "A validation block requires a condition and an error_message.",
        ));
    };
    let mut references = References::default();
    references.visit_expr(condition);
    if let Some(bad) = references.others(name) {
        return Err(Diag::new(
            bad,
            "Invalid reference in variable validation",
            format!(
                "The condition for variable {name:?} can only refer to the variable itself, using var.{name}."
            ),
        ));
    }
    if !references.vars.iter().any(|(v, _)| v == name) {
        return Err(Diag::new(
            condition.span(),
            "Invalid variable validation condition",
            format!(
                "The condition for variable {name:?} must refer to var.{name} in order to test incoming values."
            ),
        ));
    }
    Ok(Validation {
        condition,
        message,
        span,
    })
}

/// The `var.*` and `local.*` references of an expression.
#[derive(Default)]
struct References {
    vars: Vec<(String, Option<Range<usize>>)>,
    locals: Vec<Option<Range<usize>>>,
}

impl References {
    /// The first reference to anything but `var.<name>`.
    fn others(&self, name: &str) -> Option<Option<Range<usize>>> {
        self.vars
            .iter()
            .find(|(v, _)| v != name)
            .map(|(_, span)| span.clone())
            .or_else(|| self.locals.first().cloned())
    }
}

impl Visit for References {
    fn visit_traversal(&mut self, traversal: &hcl_edit::expr::Traversal) {
        if let Expression::Variable(root) = &traversal.expr {
            let attr = traversal.operators.first().and_then(|op| match op.value() {
                TraversalOperator::GetAttr(a) => Some(a.as_str().to_owned()),
                _ => None,
            });
            match root.as_str() {
                "var" => self.vars.push((attr.unwrap_or_default(), traversal.span())),
                "local" => self.locals.push(traversal.span()),
                _ => {}
            }
        }
        visit_traversal(self, traversal);
    }
}

/// A value given as text (environment or `-var`): strings and numbers are taken literally,
/// other types are parsed as HCL expressions.
fn from_text(ty: Option<&Type>, text: &str) -> DResult<Value> {
    match ty {
        None | Some(Type::String) | Some(Type::Number) => Ok(Value::String(text.to_owned())),
        Some(_) => {
            let expr = hcl_edit::parser::parse_expr(text)
                .map_err(|e| crate::error::syntax_error(text, &e))?;
            Evaluator::new(Ctx::literal(text)).eval(&expr, &Scope::default())
        }
    }
}

/// `name = value` in a var file, and where the value is written (JSON files carry no
/// positions).
struct Assignment {
    name: String,
    value: Value,
    span: Option<Range<usize>>,
}

/// The assignments of a var file, HCL (`name = value`) or JSON (`{"name": value}`).
fn var_file_values(content: &str) -> DResult<Vec<Assignment>> {
    if crate::is_json(content) {
        let values: Map =
            serde_json::from_str(content).map_err(|e| crate::error::json_error(content, &e))?;
        return Ok(values
            .into_iter()
            .map(|(name, value)| Assignment {
                name,
                value,
                span: None,
            })
            .collect());
    }
    let body: Body = hcl_edit::parser::parse_body(content)
        .map_err(|e| crate::error::syntax_error(content, &e))?;
    let literal = Evaluator::new(Ctx::literal(content));
    let mut values = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let value = literal.eval(&attr.value, &Scope::default())?;
                values.push(Assignment {
                    name: attr.key.as_str().to_owned(),
                    value,
                    span: attr.value.span(),
                });
            }
            Structure::Block(block) if block.ident.as_str() == "variable" => {
                let name = block.labels.first().map(|l| l.as_str()).unwrap_or_default();
                return Err(Diag::new(
                    crate::decode::header_span(block),
                    "Variable declaration in a .var file",
                    format!(
                        "A .var file is used to assign values to variables that have already been declared in job files, not to declare new variables. To declare variable {name:?}, place this block in one of your job files\n\nTo set a value for this variable, use the definition syntax instead:\n    {name} = <value>"
                    ),
                ));
            }
            Structure::Block(block) => {
                return Err(Diag::new(
                    crate::decode::header_span(block),
                    "Unexpected block",
                    "Blocks are not allowed in a var file.",
                ));
            }
        }
    }
    Ok(values)
}

/// Evaluates `locals` blocks. A local may use others in any order: each pass evaluates what it
/// can, and a pass that makes no progress reports the first failure (a cycle or a real error).
pub(crate) fn evaluate_locals(blocks: &[&Block], ctx: Ctx<'_>) -> DResult<Map> {
    let mut pending = Vec::new();
    for block in blocks {
        for structure in block.body.iter() {
            let Structure::Attribute(attr) = structure else {
                return Err(Diag::new(
                    structure.span(),
                    "Unexpected block",
                    "Blocks are not allowed in a locals block.",
                ));
            };
            let name = attr.key.as_str();
            if pending.iter().any(|(n, _): &(&str, _)| *n == name) {
                return Err(Diag::new(
                    attr.key.span(),
                    "Duplicate value in locals",
                    format!("Duplicate {name} definition found."),
                ));
            }
            pending.push((name, &attr.value));
        }
    }
    let mut locals = Map::new();
    while !pending.is_empty() {
        let mut first_error = None;
        let before = pending.len();
        let mut remaining = Vec::new();
        for (name, expr) in pending {
            let result = Evaluator::new(Ctx {
                locals: Some(&locals),
                ..ctx
            })
            .eval(expr, &Scope::default());
            match result {
                Ok(value) => {
                    locals.insert(name.to_owned(), value);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                    remaining.push((name, expr));
                }
            }
        }
        if remaining.len() == before {
            return Err(first_error.unwrap_or_else(|| {
                Diag::new(None, "Invalid locals", "The locals could not be evaluated.")
            }));
        }
        pending = remaining;
    }
    Ok(locals)
}
