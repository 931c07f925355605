//! The expression evaluator: HCL expressions and templates, parsed by hcl-edit, to values.
//!
//! Like Nomad's jobspec2, a variable that is neither `var`, `local` nor bound by a `for` or
//! `dynamic` iterator is not an error in a job: it is a runtime interpolation (`${attr.kernel.name}`,
//! `${NOMAD_TASK_DIR}`, `${meta.rack}`) that the client fills in later, so it evaluates to its own
//! source text wrapped in `${...}`.

use crate::error::{DResult, Diag};
use crate::funcs::{self, FuncEnv};
use crate::types::Type;
use crate::value::{self, Map, Value};
use hcl_edit::expr::{
    BinaryOperator, Expression, FuncCall, ObjectKey, Traversal, TraversalOperator, UnaryOperator,
};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::{Decorated, Ident, Span};
use std::ops::Range;
use std::rc::Rc;

/// What an expression may refer to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    /// The text the expressions were parsed from; runtime interpolations are cut out of it.
    pub src: &'a str,
    /// `var.*`; `None` where variables may not be used at all (defaults, var files).
    pub vars: Option<&'a Map>,
    /// `local.*`.
    pub locals: Option<&'a Map>,
    /// `None` where function calls may not be used.
    pub functions: Option<&'a FuncEnv>,
    /// Whether unknown variables are runtime interpolations (in a job) or errors.
    pub unknown_as_text: bool,
}

impl<'a> Ctx<'a> {
    /// A context without variables or functions: only literal values evaluate.
    pub fn literal(src: &'a str) -> Ctx<'a> {
        Ctx {
            src,
            vars: None,
            locals: None,
            functions: None,
            unknown_as_text: false,
        }
    }
}

/// Names bound by `for` expressions, template `for` directives and `dynamic` block iterators,
/// innermost first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope(Option<Rc<Binding>>);

#[derive(Debug)]
struct Binding {
    name: String,
    value: Value,
    parent: Scope,
}

impl Scope {
    pub fn bind(&self, name: &str, value: Value) -> Scope {
        Scope(Some(Rc::new(Binding {
            name: name.to_owned(),
            value,
            parent: self.clone(),
        })))
    }

    fn get(&self, name: &str) -> Option<&Value> {
        let mut scope = self;
        while let Some(binding) = &scope.0 {
            if binding.name == name {
                return Some(&binding.value);
            }
            scope = &binding.parent;
        }
        None
    }
}

/// How many expressions one evaluator may evaluate. Real jobspecs need a few thousand; the
/// bound keeps a tiny hostile jobspec (nested `for` over `range()`) from running for minutes.
const MAX_STEPS: usize = 1_000_000;

pub(crate) struct Evaluator<'a> {
    pub ctx: Ctx<'a>,
    steps: std::cell::Cell<usize>,
}

impl<'a> Evaluator<'a> {
    pub fn new(ctx: Ctx<'a>) -> Evaluator<'a> {
        Evaluator {
            ctx,
            steps: std::cell::Cell::new(0),
        }
    }

    pub fn eval(&self, expr: &Expression, scope: &Scope) -> DResult<Value> {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > MAX_STEPS {
            return Err(Diag::new(
                expr.span(),
                "Evaluation limit exceeded",
                format!("A jobspec may evaluate at most {MAX_STEPS} expressions."),
            ));
        }
        let value = self.eval_inner(expr, scope)?;
        // Functions, templates and `for` expressions can grow values geometrically.
        if matches!(
            expr,
            Expression::FuncCall(_)
                | Expression::ForExpr(_)
                | Expression::StringTemplate(_)
                | Expression::HeredocTemplate(_)
        ) && value::too_large(&value)
        {
            return Err(Diag::new(
                expr.span(),
                "Value too large",
                format!(
                    "An expression may produce at most {} bytes of data.",
                    value::MAX_SIZE
                ),
            ));
        }
        Ok(value)
    }

    fn eval_inner(&self, expr: &Expression, scope: &Scope) -> DResult<Value> {
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => {
                let n = n.value();
                match n.as_i64() {
                    Some(i) => Ok(Value::from(i)),
                    None => value::number(n.as_f64().unwrap_or_default())
                        .map_err(|e| Diag::new(expr.span(), "Invalid number", e)),
                }
            }
            Expression::String(s) => Ok(Value::String(s.value().clone())),
            Expression::Array(items) => items
                .iter()
                .map(|item| self.eval(item, scope))
                .collect::<DResult<Vec<_>>>()
                .map(Value::Array),
            Expression::Object(object) => {
                let mut out = Map::new();
                for (key, item) in object.iter() {
                    let key = self.object_key(key, scope)?;
                    out.insert(key, self.eval(item.expr(), scope)?);
                }
                Ok(Value::Object(out))
            }
            Expression::StringTemplate(template) => self.template(template, scope),
            Expression::HeredocTemplate(heredoc) => self.template(&heredoc.template, scope),
            Expression::Parenthesis(inner) => self.eval(inner.inner(), scope),
            Expression::Variable(name) => self.variable(name.value(), name.span(), scope),
            Expression::Conditional(cond) => {
                let test = self.eval(&cond.cond_expr, scope)?;
                let test = value::to_bool(&test).map_err(|e| {
                    Diag::new(
                        cond.cond_expr.span(),
                        "Incorrect condition type",
                        format!("The condition expression must be of type bool: {e}."),
                    )
                })?;
                self.eval(
                    if test {
                        &cond.true_expr
                    } else {
                        &cond.false_expr
                    },
                    scope,
                )
            }
            Expression::FuncCall(call) => self.call(call, scope),
            Expression::Traversal(traversal) => self.traversal(traversal, scope),
            Expression::UnaryOp(op) => {
                let operand = self.eval(&op.expr, scope)?;
                let fail = |e: String| Diag::new(expr.span(), "Invalid operand", e);
                match op.operator.value() {
                    UnaryOperator::Neg => value::to_f64(&operand)
                        .and_then(|f| value::number(-f))
                        .map_err(fail),
                    UnaryOperator::Not => value::to_bool(&operand)
                        .map(|b| Value::Bool(!b))
                        .map_err(fail),
                }
            }
            Expression::BinaryOp(op) => {
                let operator = *op.operator.value();
                let lhs = self.eval(&op.lhs_expr, scope)?;
                // `&&` and `||` skip their right side when the left decides the result.
                match (operator, value::to_bool(&lhs)) {
                    (BinaryOperator::And, Ok(false)) => return Ok(Value::Bool(false)),
                    (BinaryOperator::Or, Ok(true)) => return Ok(Value::Bool(true)),
                    _ => {}
                }
                let rhs = self.eval(&op.rhs_expr, scope)?;
                binary(operator, &lhs, &rhs)
                    .map_err(|e| Diag::new(expr.span(), "Invalid operand", e))
            }
            Expression::ForExpr(for_expr) => {
                let collection = self.eval(&for_expr.intro.collection_expr, scope)?;
                let entries = iterate(collection).map_err(|e| {
                    Diag::new(
                        for_expr.intro.collection_expr.span(),
                        "Iteration over non-iterable value",
                        e,
                    )
                })?;
                let key_var = for_expr.intro.key_var.as_ref().map(|k| k.as_str());
                let value_var = for_expr.intro.value_var.as_str();
                let mut list = Vec::new();
                let mut object = Map::new();
                for (key, item) in entries {
                    let inner = match key_var {
                        Some(k) => scope.bind(k, key),
                        None => scope.clone(),
                    }
                    .bind(value_var, item);
                    if let Some(cond) = &for_expr.cond {
                        let keep = self.eval(&cond.expr, &inner)?;
                        let keep = value::to_bool(&keep).map_err(|e| {
                            Diag::new(cond.expr.span(), "Invalid for_each condition", e)
                        })?;
                        if !keep {
                            continue;
                        }
                    }
                    let item = self.eval(&for_expr.value_expr, &inner)?;
                    let Some(key_expr) = &for_expr.key_expr else {
                        list.push(item);
                        continue;
                    };
                    let key = self.eval(key_expr, &inner)?;
                    let key = value::to_string(&key)
                        .map_err(|e| Diag::new(key_expr.span(), "Invalid object key", e))?;
                    if for_expr.grouping {
                        if let Value::Array(group) = object
                            .entry(key)
                            .or_insert_with(|| Value::Array(Vec::new()))
                        {
                            group.push(item);
                        }
                    } else if object.insert(key.clone(), item).is_some() {
                        return Err(Diag::new(
                            key_expr.span(),
                            "Duplicate object key",
                            format!(
                                "Two different items produced the key {key:?} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key."
                            ),
                        ));
                    }
                }
                Ok(match for_expr.key_expr {
                    Some(_) => Value::Object(object),
                    None => Value::Array(list),
                })
            }
        }
    }

    fn object_key(&self, key: &ObjectKey, scope: &Scope) -> DResult<String> {
        match key {
            ObjectKey::Ident(ident) => Ok(ident.as_str().to_owned()),
            ObjectKey::Expression(expr) => {
                let key = self.eval(expr, scope)?;
                value::to_string(&key).map_err(|e| Diag::new(expr.span(), "Invalid object key", e))
            }
        }
    }

    fn variable(&self, name: &Ident, span: Option<Range<usize>>, scope: &Scope) -> DResult<Value> {
        let name = name.as_str();
        if let Some(value) = scope.get(name) {
            return Ok(value.clone());
        }
        let named = match name {
            "var" => self.ctx.vars,
            "local" => self.ctx.locals,
            _ => None,
        };
        if let Some(values) = named {
            return Ok(Value::Object(values.clone()));
        }
        if self.ctx.vars.is_none() && !self.ctx.unknown_as_text {
            return Err(Diag::new(
                span,
                "Variables not allowed",
                "Variables may not be used here.",
            ));
        }
        if self.ctx.unknown_as_text {
            return Ok(Value::String(format!("${{{}}}", self.text(span))));
        }
        Err(Diag::new(
            span,
            "Unknown variable",
            format!("There is no variable named {name:?}."),
        ))
    }

    fn text(&self, span: Option<Range<usize>>) -> &'a str {
        span.and_then(|span| self.ctx.src.get(span))
            .unwrap_or_default()
    }

    /// The source text of a traversal over a runtime variable, when `expr` is one: the root and
    /// the leading attribute and literal index steps (`attr.unique.network.ip-address`,
    /// `env["HOME"]`).
    fn runtime_reference(&self, expr: &Expression, scope: &Scope) -> Option<(Range<usize>, usize)> {
        match expr {
            Expression::Variable(_) => self.runtime_root(expr, &[], scope),
            Expression::Traversal(traversal) => {
                self.runtime_root(&traversal.expr, &traversal.operators, scope)
            }
            _ => None,
        }
    }

    fn runtime_root(
        &self,
        root: &Expression,
        operators: &[Decorated<TraversalOperator>],
        scope: &Scope,
    ) -> Option<(Range<usize>, usize)> {
        let Expression::Variable(root) = root else {
            return None;
        };
        if !self.ctx.unknown_as_text {
            return None;
        }
        let name = root.as_str();
        if scope.get(name).is_some() || name == "var" || name == "local" {
            return None;
        }
        let literal_steps = operators
            .iter()
            .take_while(|op| match op.value() {
                TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_) => true,
                TraversalOperator::Index(index) => {
                    matches!(index, Expression::String(_) | Expression::Number(_))
                }
                _ => false,
            })
            .count();
        let start = root.span()?.start;
        let end = match literal_steps {
            0 => root.span()?.end,
            n => operators[n - 1].span()?.end,
        };
        Some((start..end, literal_steps))
    }

    fn traversal(&self, traversal: &Traversal, scope: &Scope) -> DResult<Value> {
        match self.runtime_root(&traversal.expr, &traversal.operators, scope) {
            Some((span, literal_steps)) => self.steps(
                Value::String(format!("${{{}}}", self.text(Some(span)))),
                &traversal.operators[literal_steps..],
                scope,
            ),
            None => {
                let root = self.eval(&traversal.expr, scope)?;
                self.steps(root, &traversal.operators, scope)
            }
        }
    }

    /// Applies attribute and index steps; a splat applies the steps after it to each element.
    fn steps(
        &self,
        mut current: Value,
        operators: &[Decorated<TraversalOperator>],
        scope: &Scope,
    ) -> DResult<Value> {
        for (i, op) in operators.iter().enumerate() {
            let span = op.span();
            current = match op.value() {
                TraversalOperator::GetAttr(name) => get_attr(current, name.as_str())
                    .map_err(|(summary, detail)| Diag::new(span, summary, detail))?,
                TraversalOperator::Index(index) => {
                    let key = self.eval(index, scope)?;
                    get_index(current, &key)
                        .map_err(|detail| Diag::new(span, "Invalid index", detail))?
                }
                TraversalOperator::LegacyIndex(index) => {
                    get_index(current, &Value::from(*index.value()))
                        .map_err(|detail| Diag::new(span, "Invalid index", detail))?
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match current {
                        Value::Null => Vec::new(),
                        Value::Array(items) => items,
                        other => vec![other],
                    };
                    return items
                        .into_iter()
                        .map(|item| self.steps(item, &operators[i + 1..], scope))
                        .collect::<DResult<Vec<_>>>()
                        .map(Value::Array);
                }
            };
        }
        Ok(current)
    }

    fn call(&self, call: &FuncCall, scope: &Scope) -> DResult<Value> {
        let span = call.span();
        let name = call.name.name.as_str();
        let Some(env) = self.ctx.functions else {
            return Err(Diag::new(
                span,
                "Function calls not allowed",
                "Functions may not be called here.",
            ));
        };
        if !call.name.namespace.is_empty() {
            let mut full: Vec<&str> = call.name.namespace.iter().map(|n| n.as_str()).collect();
            full.push(name);
            return Err(unknown_function(span, &full.join("::")));
        }
        let args: Vec<&Expression> = call.args.iter().collect();
        match name {
            // try and can see their arguments' errors, so they evaluate them themselves.
            "try" => {
                let mut last = None;
                for arg in &args {
                    match self.eval(arg, scope) {
                        Ok(value) => return Ok(value),
                        Err(e) => last = Some(e),
                    }
                }
                return Err(Diag::new(
                    span,
                    "Error in function call",
                    match last {
                        Some(e) => format!(
                            "Call to function \"try\" failed: no expression succeeded: {}; {}.",
                            e.summary,
                            e.detail.trim_end_matches('.')
                        ),
                        None => {
                            "Call to function \"try\" failed: at least one argument is required."
                                .to_owned()
                        }
                    },
                ));
            }
            "can" => {
                let [arg] = args[..] else {
                    return Err(arity(span, name, "exactly one argument"));
                };
                return Ok(Value::Bool(self.eval(arg, scope).is_ok()));
            }
            // convert's second argument is a type, not a value.
            "convert" => {
                let [arg, ty] = args[..] else {
                    return Err(arity(span, name, "exactly two arguments"));
                };
                let ty = Type::parse(ty)?;
                let value = self.eval(arg, scope)?;
                return ty
                    .convert(value)
                    .map_err(|e| function_failed(span, name, &e));
            }
            _ => {}
        }
        let mut values = Vec::with_capacity(args.len());
        for arg in &args {
            values.push(self.eval(arg, scope)?);
        }
        if call.args.expand_final() {
            match values.pop() {
                Some(Value::Array(items)) => values.extend(items),
                _ => {
                    return Err(Diag::new(
                        span,
                        "Invalid expanding argument value",
                        "The expanding argument (indicated by ...) must be of a tuple, list, or set type.",
                    ));
                }
            }
        }
        match funcs::call(name, values, env) {
            None => Err(unknown_function(span, name)),
            Some(result) => result.map_err(|e| function_failed(span, name, &e)),
        }
    }

    fn template(&self, template: &Template, scope: &Scope) -> DResult<Value> {
        // A template that is a single interpolation yields the value itself, not its string.
        if let Some(Element::Interpolation(interp)) = template.as_single_element()
            && self.runtime_reference(&interp.expr, scope).is_none()
        {
            return self.eval(&interp.expr, scope);
        }
        let mut out = String::new();
        self.render(template, (false, false), scope, &mut out)?;
        Ok(Value::String(out))
    }

    /// Renders a template; `trim` says whether its first and last literals lose their leading
    /// and trailing whitespace (strip markers `~` on the enclosing directive).
    fn render(
        &self,
        template: &Template,
        trim: (bool, bool),
        scope: &Scope,
        out: &mut String,
    ) -> DResult<()> {
        let elements: Vec<&Element> = template.iter().collect();
        for (i, element) in elements.iter().enumerate() {
            match element {
                Element::Literal(literal) => {
                    let mut text = literal.value().as_str();
                    let strip_before = if i == 0 {
                        trim.0
                    } else {
                        strips_after(elements[i - 1])
                    };
                    let strip_after = match elements.get(i + 1) {
                        Some(next) => strips_before(next),
                        None => trim.1,
                    };
                    if strip_before {
                        text = text.trim_start();
                    }
                    if strip_after {
                        text = text.trim_end();
                    }
                    out.push_str(text);
                }
                Element::Interpolation(interp) => {
                    if self.runtime_reference(&interp.expr, scope).is_some() {
                        // The whole `${ ... }` as written, so spacing survives untouched.
                        let whole = interp.span().or_else(|| interp.expr.span());
                        let text = self.text(whole);
                        if text.starts_with("${") {
                            out.push_str(text);
                        } else {
                            out.push_str(&format!("${{{text}}}"));
                        }
                        continue;
                    }
                    let value = self.eval(&interp.expr, scope)?;
                    out.push_str(&interpolated(&value, interp.expr.span())?);
                }
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(dir) => {
                        let cond = self.eval(&dir.if_expr.cond_expr, scope)?;
                        let cond = value::to_bool(&cond).map_err(|e| {
                            Diag::new(
                                dir.if_expr.cond_expr.span(),
                                "Invalid template if condition",
                                e,
                            )
                        })?;
                        let endif_strip = dir.endif_expr.strip.strip_start();
                        match (&dir.else_expr, cond) {
                            (_, true) => {
                                let tail = dir
                                    .else_expr
                                    .as_ref()
                                    .map_or(endif_strip, |e| e.strip.strip_start());
                                self.render(
                                    &dir.if_expr.template,
                                    (dir.if_expr.strip.strip_end(), tail),
                                    scope,
                                    out,
                                )?;
                            }
                            (Some(else_expr), false) => {
                                self.render(
                                    &else_expr.template,
                                    (else_expr.strip.strip_end(), endif_strip),
                                    scope,
                                    out,
                                )?;
                            }
                            (None, false) => {}
                        }
                    }
                    Directive::For(dir) => {
                        let expr = &dir.for_expr;
                        let collection = self.eval(&expr.collection_expr, scope)?;
                        let entries = iterate(collection).map_err(|e| {
                            Diag::new(
                                expr.collection_expr.span(),
                                "Iteration over non-iterable value",
                                e,
                            )
                        })?;
                        let trim = (expr.strip.strip_end(), dir.endfor_expr.strip.strip_start());
                        for (key, item) in entries {
                            let inner = match &expr.key_var {
                                Some(k) => scope.bind(k.as_str(), key),
                                None => scope.clone(),
                            }
                            .bind(expr.value_var.as_str(), item);
                            self.render(&expr.template, trim, &inner, out)?;
                        }
                    }
                },
            }
        }
        Ok(())
    }
}

/// Whether an element asks the literal before it to lose its trailing whitespace.
fn strips_before(element: &Element) -> bool {
    match element {
        Element::Literal(_) => false,
        Element::Interpolation(interp) => interp.strip.strip_start(),
        Element::Directive(directive) => match directive.as_ref() {
            Directive::If(dir) => dir.if_expr.strip.strip_start(),
            Directive::For(dir) => dir.for_expr.strip.strip_start(),
        },
    }
}

/// Whether an element asks the literal after it to lose its leading whitespace.
fn strips_after(element: &Element) -> bool {
    match element {
        Element::Literal(_) => false,
        Element::Interpolation(interp) => interp.strip.strip_end(),
        Element::Directive(directive) => match directive.as_ref() {
            Directive::If(dir) => dir.endif_expr.strip.strip_end(),
            Directive::For(dir) => dir.endfor_expr.strip.strip_end(),
        },
    }
}

/// The text an interpolated value contributes to a template.
fn interpolated(value: &Value, span: Option<Range<usize>>) -> DResult<String> {
    match value {
        Value::Null => Err(Diag::new(
            span,
            "Invalid template interpolation value",
            "The expression result is null. Cannot include a null value in a string template.",
        )),
        other => value::to_string(other).map_err(|_| {
            Diag::new(
                span,
                "Invalid template interpolation value",
                format!(
                    "Cannot include the given value in a string template: string required, not {}.",
                    value::type_name(other)
                ),
            )
        }),
    }
}

/// The (key, value) pairs a `for` walks: list indexes or object keys in order.
pub(crate) fn iterate(collection: Value) -> Result<Vec<(Value, Value)>, String> {
    match collection {
        Value::Array(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, item)| (Value::from(i), item))
            .collect()),
        Value::Object(entries) => Ok(entries
            .into_iter()
            .map(|(k, v)| (Value::String(k), v))
            .collect()),
        Value::Null => {
            Err("A null value cannot be used as the collection in a 'for' expression.".to_owned())
        }
        other => Err(format!(
            "A value of type {} cannot be used as the collection in a 'for' expression.",
            value::type_name(&other)
        )),
    }
}

fn get_attr(current: Value, name: &str) -> Result<Value, (&'static str, String)> {
    match current {
        Value::Object(mut entries) => entries.remove(name).ok_or_else(|| {
            (
                "Unsupported attribute",
                format!("This object does not have an attribute named {name:?}."),
            )
        }),
        Value::Null => Err((
            "Attempt to get attribute from null value",
            "This value is null, so it does not have any attributes.".to_owned(),
        )),
        Value::Array(_) => Err((
            "Unsupported attribute",
            "Can't access attributes on a list of objects. Did you mean to access an attribute for a specific element of the list, or across all elements of the list?".to_owned(),
        )),
        other => Err((
            "Unsupported attribute",
            format!(
                "Can't access attributes on a primitive-typed value ({}).",
                value::type_name(&other)
            ),
        )),
    }
}

fn get_index(current: Value, key: &Value) -> Result<Value, String> {
    let missing =
        || "The given key does not identify an element in this collection value.".to_owned();
    match current {
        Value::Array(mut items) => {
            let index = value::to_i64(key)
                .map_err(|e| format!("The given key is not valid for a list: {e}."))?;
            let index = usize::try_from(index).map_err(|_| missing())?;
            if index < items.len() {
                Ok(items.swap_remove(index))
            } else {
                Err(missing())
            }
        }
        Value::Object(mut entries) => {
            let key = value::to_string(key)
                .map_err(|e| format!("The given key is not valid for a map: {e}."))?;
            entries.remove(&key).ok_or_else(missing)
        }
        Value::Null => Err("Cannot index a null value.".to_owned()),
        other => Err(format!(
            "This value does not have any indices: it is a {}.",
            value::type_name(&other)
        )),
    }
}

fn binary(operator: BinaryOperator, lhs: &Value, rhs: &Value) -> Result<Value, String> {
    use BinaryOperator as Op;
    let num = |v: &Value| {
        value::to_f64(v).map_err(|e| format!("Unsuitable value for {operator:?} operand: {e}."))
    };
    let boolean = |v: &Value| {
        value::to_bool(v).map_err(|e| format!("Unsuitable value for {operator:?} operand: {e}."))
    };
    match operator {
        Op::Eq => Ok(Value::Bool(value::equal(lhs, rhs))),
        Op::NotEq => Ok(Value::Bool(!value::equal(lhs, rhs))),
        Op::And => Ok(Value::Bool(boolean(lhs)? && boolean(rhs)?)),
        Op::Or => Ok(Value::Bool(boolean(lhs)? || boolean(rhs)?)),
        Op::Less => Ok(Value::Bool(num(lhs)? < num(rhs)?)),
        Op::LessEq => Ok(Value::Bool(num(lhs)? <= num(rhs)?)),
        Op::Greater => Ok(Value::Bool(num(lhs)? > num(rhs)?)),
        Op::GreaterEq => Ok(Value::Bool(num(lhs)? >= num(rhs)?)),
        Op::Plus | Op::Minus | Op::Mul => {
            if let (Some(a), Some(b)) = (lhs.as_i64(), rhs.as_i64()) {
                let exact = match operator {
                    Op::Plus => a.checked_add(b),
                    Op::Minus => a.checked_sub(b),
                    _ => a.checked_mul(b),
                };
                if let Some(result) = exact {
                    return Ok(Value::from(result));
                }
            }
            let (a, b) = (num(lhs)?, num(rhs)?);
            value::number(match operator {
                Op::Plus => a + b,
                Op::Minus => a - b,
                _ => a * b,
            })
        }
        Op::Div | Op::Mod => {
            let (a, b) = (num(lhs)?, num(rhs)?);
            if b == 0.0 {
                return Err("Can't divide by zero.".to_owned());
            }
            value::number(if operator == Op::Div { a / b } else { a % b })
        }
    }
}

fn unknown_function(span: Option<Range<usize>>, name: &str) -> Diag {
    Diag::new(
        span,
        "Call to unknown function",
        format!("There is no function named {name:?}."),
    )
}

fn arity(span: Option<Range<usize>>, name: &str, expected: &str) -> Diag {
    Diag::new(
        span,
        "Wrong number of function arguments",
        format!("Function {name:?} expects {expected}."),
    )
}

fn function_failed(span: Option<Range<usize>>, name: &str, error: &str) -> Diag {
    Diag::new(
        span,
        "Error in function call",
        format!("Call to function {name:?} failed: {error}."),
    )
}
