//! A small type checker for rule conditions: the cel crate parses and
//! evaluates, but never checks types, so `item.year >= "1900"` or
//! `item.guid.startswith("x")` would pass `check` and then fail on every
//! event. The type of every variable is known (the event schema and
//! [`super::ItemFacts`], see [`super::scope`]), so each expression's type is
//! inferred bottom-up over the parsed AST and every call is checked against
//! what the cel crate actually provides.
//!
//! Anything the checker cannot know (`event.raw`, a value from a map) is
//! `dyn` and accepted: a finding here must be a certain runtime failure (or a
//! comparison that can never be true), never a guess.

use std::ops::Range;

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, SourceInfo, operators};

use super::scope::{EVENT, Field, ITEM, Prim};

/// The type of a CEL expression, as far as it is known.
#[derive(Debug, Clone)]
pub(crate) enum Ty {
    String,
    Int,
    Uint,
    Double,
    Bool,
    Null,
    Bytes,
    /// A list with elements of this type.
    List(Box<Ty>),
    /// A map with string keys and values of this type.
    Map(Box<Ty>),
    /// A record with known fields (`event`, `item`, `event.section`).
    Record(&'static [(&'static str, Field, super::scope::Needs)]),
    /// Unknown until run time; anything goes.
    Dyn,
}

impl PartialEq for Ty {
    fn eq(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::List(a), Ty::List(b)) | (Ty::Map(a), Ty::Map(b)) => a == b,
            (Ty::Record(a), Ty::Record(b)) => std::ptr::eq(*a, *b),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl Ty {
    /// The type as the CEL docs name it, with an article, for messages.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Ty::String => "a string",
            Ty::Int | Ty::Uint => "an int",
            Ty::Double => "a double",
            Ty::Bool => "a bool",
            Ty::Null => "null",
            Ty::Bytes => "bytes",
            Ty::List(_) => "a list",
            Ty::Map(_) | Ty::Record(_) => "a map",
            Ty::Dyn => "a value",
        }
    }

    fn of(field: Field) -> Ty {
        match field {
            Field::Scalar(Prim::Text) => Ty::String,
            Field::Scalar(Prim::Int) => Ty::Int,
            Field::Scalar(Prim::Bool) => Ty::Bool,
            Field::List => Ty::List(Box::new(Ty::String)),
            Field::Map => Ty::Map(Box::new(Ty::String)),
            Field::Open => Ty::Dyn,
            Field::Object(fields) => Ty::Record(fields),
        }
    }

    fn numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Uint | Ty::Double)
    }

    /// Two known types that no CEL operator accepts together.
    fn clashes(&self, other: &Ty) -> bool {
        let known = |t: &Ty| !matches!(t, Ty::Dyn | Ty::Null);
        known(self)
            && known(other)
            && !(self.numeric() && other.numeric())
            && std::mem::discriminant(&self.family()) != std::mem::discriminant(&other.family())
    }

    /// Records are maps at run time.
    fn family(&self) -> Ty {
        match self {
            Ty::Record(_) => Ty::Map(Box::new(Ty::Dyn)),
            other => other.clone(),
        }
    }
}

/// One type error: where, what is wrong and what to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypeProblem {
    /// Byte range of the offending part inside the expression text.
    pub(crate) at: Range<usize>,
    pub(crate) message: String,
    pub(crate) help: String,
}

/// Checks `expr`, which must give a bool; `captures` are string variables.
pub(crate) fn check_condition(
    expr: &IdedExpr,
    info: &SourceInfo,
    source: &str,
    captures: &[String],
) -> Vec<TypeProblem> {
    let mut cx = Checker {
        info,
        source,
        captures,
        locals: Vec::new(),
        problems: Vec::new(),
    };
    let ty = cx.infer(expr);
    if cx.problems.is_empty() && !matches!(ty, Ty::Bool | Ty::Dyn) {
        cx.problems.push(TypeProblem {
            at: extent(info, source, expr),
            message: format!("this condition gives {}, not true or false", ty.name()),
            help: match ty {
                Ty::String => format!("compare it: {} != \"\"", cx.text(expr)),
                Ty::List(_) | Ty::Map(_) => format!("test its size: size({}) > 0", cx.text(expr)),
                Ty::Null => "a condition must be true or false".to_owned(),
                _ => format!("compare it: {} > 0", cx.text(expr)),
            },
        });
    }
    cx.problems
}

struct Checker<'a> {
    info: &'a SourceInfo,
    source: &'a str,
    captures: &'a [String],
    /// Comprehension variables in scope, innermost last.
    locals: Vec<(String, Ty)>,
    problems: Vec<TypeProblem>,
}

impl Checker<'_> {
    fn report(&mut self, node: &IdedExpr, message: String, help: String) -> Ty {
        self.problems.push(TypeProblem {
            at: extent(self.info, self.source, node),
            message,
            help,
        });
        Ty::Dyn
    }

    fn text(&self, e: &IdedExpr) -> String {
        let at = extent(self.info, self.source, e);
        self.source.get(at).unwrap_or_default().to_owned()
    }

    fn infer(&mut self, e: &IdedExpr) -> Ty {
        match &e.expr {
            Expr::Literal(l) => match l {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Bytes(_) => Ty::Bytes,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::Int(_) => Ty::Int,
                LiteralValue::Null => Ty::Null,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::UInt(_) => Ty::Uint,
            },
            Expr::Ident(name) => {
                if let Some((_, t)) = self.locals.iter().rev().find(|(n, _)| n == name) {
                    return t.clone();
                }
                match name.as_str() {
                    "event" => Ty::of(EVENT),
                    "item" => Ty::of(ITEM),
                    n if self.captures.iter().any(|c| c == n) => Ty::String,
                    // Unknown names are the scope check's to report.
                    _ => Ty::Dyn,
                }
            }
            Expr::Select(sel) => {
                let operand = self.infer(&sel.operand);
                if sel.test {
                    return Ty::Bool;
                }
                match operand {
                    Ty::Record(fields) => fields
                        .iter()
                        .find(|(n, _, _)| *n == sel.field)
                        .map_or(Ty::Dyn, |(_, f, _)| Ty::of(*f)),
                    Ty::Map(v) => *v,
                    _ => Ty::Dyn,
                }
            }
            Expr::Call(call) => self.call(e, call),
            Expr::List(l) => {
                let items: Vec<Ty> = l.elements.iter().map(|x| self.infer(x)).collect();
                let first = items.first().cloned().unwrap_or(Ty::Dyn);
                let same = items.iter().all(|t| *t == first);
                Ty::List(Box::new(if same { first } else { Ty::Dyn }))
            }
            Expr::Map(m) => {
                for entry in &m.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(me) => {
                            self.infer(&me.key);
                            self.infer(&me.value);
                        }
                        EntryExpr::StructField(sf) => {
                            self.infer(&sf.value);
                        }
                    }
                }
                Ty::Map(Box::new(Ty::Dyn))
            }
            Expr::Struct(_) | Expr::Unspecified => Ty::Dyn,
            Expr::Comprehension(c) => {
                let range = self.infer(&c.iter_range);
                let var = match &range {
                    Ty::List(t) => (**t).clone(),
                    Ty::Map(_) | Ty::Record(_) => Ty::String,
                    Ty::Dyn => Ty::Dyn,
                    other => {
                        let other = other.clone();
                        return self.report(
                            &c.iter_range,
                            format!(
                                "`{}` is {}, not a list",
                                self.text(&c.iter_range),
                                other.name()
                            ),
                            "all, exists, exists_one, map and filter go over a list or a map"
                                .to_owned(),
                        );
                    }
                };
                let before = self.locals.len();
                self.locals.push((c.iter_var.clone(), var));
                if let Some(v2) = &c.iter_var2 {
                    self.locals.push((v2.clone(), Ty::Dyn));
                }
                let accu = self.infer(&c.accu_init);
                self.locals.push((c.accu_var.clone(), accu));
                self.infer(&c.loop_cond);
                self.infer(&c.loop_step);
                let result = self.infer(&c.result);
                self.locals.truncate(before);
                result
            }
        }
    }

    fn call(&mut self, e: &IdedExpr, call: &cel::common::ast::CallExpr) -> Ty {
        let target = call.target.as_ref().map(|t| (t, self.infer(t)));
        let args: Vec<Ty> = call.args.iter().map(|a| self.infer(a)).collect();
        let arg = |i: usize| args.get(i).cloned().unwrap_or(Ty::Dyn);
        let name = call.func_name.as_str();
        match (name, &target) {
            (operators::LOGICAL_AND | operators::LOGICAL_OR, None) => {
                for (a, t) in call.args.iter().zip(&args) {
                    if !matches!(t, Ty::Bool | Ty::Dyn) {
                        let op = if name == operators::LOGICAL_AND {
                            "&&"
                        } else {
                            "||"
                        };
                        return self.report(
                            a,
                            format!("`{}` is {}, not true or false", self.text(a), t.name()),
                            format!("both sides of `{op}` must be conditions; compare the value, e.g. {} != \"\"", self.text(a)),
                        );
                    }
                }
                Ty::Bool
            }
            (operators::LOGICAL_NOT, None) => {
                let t = arg(0);
                if !matches!(t, Ty::Bool | Ty::Dyn) {
                    return self.report(
                        &call.args[0],
                        format!(
                            "`!` needs true or false, and `{}` is {}",
                            self.text(&call.args[0]),
                            t.name()
                        ),
                        "negate a comparison: !(x == \"…\")".to_owned(),
                    );
                }
                Ty::Bool
            }
            (operators::NOT_STRICTLY_FALSE, None) => Ty::Bool,
            (operators::EQUALS | operators::NOT_EQUALS, None) => {
                self.comparison(e, call, &args, false);
                Ty::Bool
            }
            (
                operators::LESS
                | operators::LESS_EQUALS
                | operators::GREATER
                | operators::GREATER_EQUALS,
                None,
            ) => {
                self.comparison(e, call, &args, true);
                Ty::Bool
            }
            (operators::ADD, None) => {
                let (a, b) = (arg(0), arg(1));
                if a.clashes(&b) {
                    let help = if matches!(a, Ty::String) || matches!(b, Ty::String) {
                        let fix: Vec<String> = call
                            .args
                            .iter()
                            .zip([&a, &b])
                            .map(|(x, t)| match t {
                                Ty::String => self.text(x),
                                _ => format!("string({})", self.text(x)),
                            })
                            .collect();
                        format!("convert it first: {}", fix.join(" + "))
                    } else {
                        "both sides of `+` must have the same type".to_owned()
                    };
                    return self.report(
                        e,
                        format!("`{}` adds {} and {}", self.text(e), a.name(), b.name()),
                        help,
                    );
                }
                if matches!(a, Ty::Dyn) { b } else { a }
            }
            (
                operators::SUBSTRACT | operators::MULTIPLY | operators::DIVIDE | operators::MODULO,
                None,
            ) => {
                for (x, t) in call.args.iter().zip(&args) {
                    if !t.numeric() && !matches!(t, Ty::Dyn) {
                        return self.report(
                            x,
                            format!(
                                "`{}` is {}; arithmetic needs numbers",
                                self.text(x),
                                t.name()
                            ),
                            format!("convert it: int({})", self.text(x)),
                        );
                    }
                }
                if arg(0).numeric() { arg(0) } else { arg(1) }
            }
            (operators::NEGATE, None) => arg(0),
            (operators::CONDITIONAL, None) => {
                let (a, b) = (arg(1), arg(2));
                if a == b { a } else { Ty::Dyn }
            }
            (operators::INDEX | operators::OPT_INDEX, None) => match arg(0) {
                Ty::List(t) => *t,
                Ty::Map(t) => *t,
                _ => Ty::Dyn,
            },
            (operators::IN, None) => {
                let hay = arg(1);
                if matches!(hay, Ty::String) {
                    let (needle, hay_text) = (self.text(&call.args[0]), self.text(&call.args[1]));
                    return self.report(
                        e,
                        format!("`in` looks in a list or a map, and `{hay_text}` is a string"),
                        format!("to search text write {hay_text}.contains({needle})"),
                    );
                }
                if !matches!(hay, Ty::List(_) | Ty::Map(_) | Ty::Record(_) | Ty::Dyn) {
                    let hay_text = self.text(&call.args[1]);
                    return self.report(
                        e,
                        format!(
                            "`in` looks in a list or a map, and `{hay_text}` is {}",
                            hay.name()
                        ),
                        format!("compare instead: {} == …", hay_text),
                    );
                }
                Ty::Bool
            }
            (_, None) => self.function(e, name, &call.args, &args),
            (_, Some((t, ty))) => {
                let (t, ty) = ((*t).clone(), ty.clone());
                self.method(e, &t, &ty, name, &call.args, &args)
            }
        }
    }

    fn comparison(
        &mut self,
        e: &IdedExpr,
        call: &cel::common::ast::CallExpr,
        args: &[Ty],
        ordering: bool,
    ) {
        let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
            return;
        };
        if ordering
            && (matches!(
                a,
                Ty::Bool | Ty::List(_) | Ty::Map(_) | Ty::Record(_) | Ty::Null
            ) || matches!(
                b,
                Ty::Bool | Ty::List(_) | Ty::Map(_) | Ty::Record(_) | Ty::Null
            ))
        {
            let bad = if matches!(
                a,
                Ty::Bool | Ty::List(_) | Ty::Map(_) | Ty::Record(_) | Ty::Null
            ) {
                0
            } else {
                1
            };
            let t = if bad == 0 { a } else { b };
            let what = t.name();
            self.report(
                &call.args[bad],
                format!(
                    "`{}` is {what}, which has no order",
                    self.text(&call.args[bad])
                ),
                "only numbers and strings compare with <, <=, >, >=".to_owned(),
            );
            return;
        }
        if !a.clashes(b) {
            return;
        }
        let help = self.fix_for(call, a, b);
        let message = match call.func_name.as_str() {
            operators::EQUALS => format!(
                "`{}` compares {} with {}: it is never true",
                self.text(e),
                a.name(),
                b.name()
            ),
            operators::NOT_EQUALS => format!(
                "`{}` compares {} with {}: it is always true",
                self.text(e),
                a.name(),
                b.name()
            ),
            _ => format!("`{}` compares {} with {}", self.text(e), a.name(), b.name()),
        };
        self.report(e, message, help);
    }

    /// How to make the two sides of a comparison agree: unquote a number,
    /// quote an id, or convert.
    fn fix_for(&self, call: &cel::common::ast::CallExpr, a: &Ty, b: &Ty) -> String {
        let ordering = !matches!(
            call.func_name.as_str(),
            operators::EQUALS | operators::NOT_EQUALS
        );
        let op = match call.func_name.as_str() {
            operators::EQUALS => "==",
            operators::NOT_EQUALS => "!=",
            operators::LESS => "<",
            operators::LESS_EQUALS => "<=",
            operators::GREATER => ">",
            _ => ">=",
        };
        let texts = [self.text(&call.args[0]), self.text(&call.args[1])];
        let literal = |x: &IdedExpr| match &x.expr {
            Expr::Literal(l) => Some(l.clone()),
            _ => None,
        };
        // One side a literal of the wrong type: rewrite the literal.
        for (i, other) in [(1usize, a), (0usize, b)] {
            let Some(lit) = literal(&call.args[i]) else {
                continue;
            };
            let side = &texts[1 - i];
            let fixed = match (lit, other) {
                (LiteralValue::String(s), t)
                    if t.numeric() && s.inner().trim().parse::<f64>().is_ok() =>
                {
                    Some(s.inner().trim().to_owned())
                }
                // Ordering strings is by text ("9" > "10"): convert instead.
                (LiteralValue::Int(_) | LiteralValue::UInt(_), Ty::String) if ordering => None,
                (LiteralValue::Int(n), Ty::String) => Some(format!("\"{}\"", n.inner())),
                (LiteralValue::UInt(n), Ty::String) => Some(format!("\"{}\"", n.inner())),
                (LiteralValue::String(s), Ty::Bool) if matches!(s.inner(), "true" | "false") => {
                    Some(s.inner().to_string())
                }
                (LiteralValue::Boolean(v), Ty::String) => Some(format!("\"{}\"", v.inner())),
                _ => None,
            };
            if let Some(fixed) = fixed {
                let (l, r) = if i == 1 {
                    (side.clone(), fixed)
                } else {
                    (fixed, side.clone())
                };
                return format!("`{side}` is {}: write {l} {op} {r}", other.name());
            }
        }
        // A string against a number: convert the string.
        let conv = |t: &Ty| match t {
            Ty::Int | Ty::Uint => Some("int"),
            Ty::Double => Some("double"),
            _ => None,
        };
        if matches!(a, Ty::String)
            && let Some(f) = conv(b)
        {
            return format!(
                "`{}` is a string: write {f}({}) {op} {}",
                texts[0], texts[0], texts[1]
            );
        }
        if matches!(b, Ty::String)
            && let Some(f) = conv(a)
        {
            return format!(
                "`{}` is a string: write {} {op} {f}({})",
                texts[1], texts[0], texts[1]
            );
        }
        "convert one side with string(…), int(…) or double(…)".to_owned()
    }

    fn function(&mut self, e: &IdedExpr, name: &str, nodes: &[IdedExpr], args: &[Ty]) -> Ty {
        let arg = |i: usize| args.get(i).cloned().unwrap_or(Ty::Dyn);
        match name {
            "size" => {
                if let [x] = nodes {
                    let t = arg(0);
                    if !matches!(
                        t,
                        Ty::String | Ty::Bytes | Ty::List(_) | Ty::Map(_) | Ty::Record(_) | Ty::Dyn
                    ) {
                        return self.report(
                            x,
                            format!(
                                "size() takes a string, a list or a map, and `{}` is {}",
                                self.text(x),
                                t.name()
                            ),
                            format!("to count digits write size(string({}))", self.text(x)),
                        );
                    }
                }
                Ty::Int
            }
            "int" => Ty::Int,
            "uint" => Ty::Uint,
            "double" => Ty::Double,
            "string" => Ty::String,
            "bool" => Ty::Bool,
            "bytes" => Ty::Bytes,
            "dyn" => arg(0),
            "matches" => Ty::Bool,
            "max" | "min" => {
                if matches!(args, [Ty::List(_)]) {
                    match arg(0) {
                        Ty::List(t) => *t,
                        _ => Ty::Dyn,
                    }
                } else {
                    arg(0)
                }
            }
            "type"
            | "timestamp"
            | "duration"
            | "optional.of"
            | "optional.ofNonZeroValue"
            | "optional.none" => Ty::Dyn,
            _ => {
                let (message, help) = unknown_function(name);
                self.report(e, message, help)
            }
        }
    }

    fn method(
        &mut self,
        e: &IdedExpr,
        target: &IdedExpr,
        ty: &Ty,
        name: &str,
        nodes: &[IdedExpr],
        args: &[Ty],
    ) -> Ty {
        let on = self.text(target);
        let arg_text = nodes
            .first()
            .map(|a| self.text(a))
            .unwrap_or_else(|| "\"…\"".to_owned());
        match ty {
            Ty::Dyn => Ty::Dyn,
            Ty::String => match name {
                "contains" | "startsWith" | "endsWith" | "matches" => {
                    if let (Some(a), Some(t)) = (nodes.first(), args.first())
                        && !matches!(t, Ty::String | Ty::Dyn)
                    {
                        return self.report(
                            a,
                            format!("{name}() takes a string, and `{}` is {}", self.text(a), t.name()),
                            format!("convert it: {on}.{name}(string({}))", self.text(a)),
                        );
                    }
                    Ty::Bool
                }
                "size" => Ty::Int,
                _ => {
                    let help = match string_method_fix(name) {
                        Some(fix) => fix.replace("{on}", &on).replace("{arg}", &arg_text),
                        None => "strings have contains(), startsWith(), endsWith(), matches() and size()".to_owned(),
                    };
                    self.report(e, format!("strings have no method `{name}` (`{on}` is a string)"), help)
                }
            },
            Ty::List(elem) => match name {
                "size" => Ty::Int,
                "contains" | "includes" | "has" | "indexOf" | "index" | "count" => self.report(
                    e,
                    format!("lists have no method `{name}` (`{on}` is a list)"),
                    format!("CEL tests membership with `in`: {arg_text} in {on}"),
                ),
                "length" | "len" => self.report(
                    e,
                    format!("lists have no method `{name}` (`{on}` is a list)"),
                    format!("write size({on})"),
                ),
                "startsWith" | "endsWith" | "matches" | "startswith" | "endswith" | "lower" | "upper" if **elem == Ty::String => self.report(
                    e,
                    format!("`{on}` is a list of strings, not a string"),
                    format!("test its entries: {on}.exists(x, x.{}({arg_text}))", cel_method_name(name)),
                ),
                _ => self.report(
                    e,
                    format!("lists have no method `{name}` (`{on}` is a list)"),
                    "lists have size(), and the macros all, exists, exists_one, map and filter; test membership with `x in list`".to_owned(),
                ),
            },
            Ty::Map(_) | Ty::Record(_) => match name {
                "size" => Ty::Int,
                "contains" | "has" | "includes" | "get" => self.report(
                    e,
                    format!("maps have no method `{name}` (`{on}` is a map)"),
                    format!("test a key with `in`: {arg_text} in {on}, or has({on}.key)"),
                ),
                _ => self.report(
                    e,
                    format!("maps have no method `{name}` (`{on}` is a map)"),
                    "maps have size(); test a key with `\"key\" in map` or has(map.key)".to_owned(),
                ),
            },
            other => {
                let other = other.clone();
                let help = if matches!(other, Ty::Int | Ty::Uint | Ty::Double) && string_method_fix(name).is_some() {
                    format!("convert it first: string({on}).{}({arg_text})", cel_method_name(name))
                } else {
                    format!("`{on}` has no methods")
                };
                self.report(e, format!("`{on}` is {}, which has no method `{name}`", other.name()), help)
            }
        }
    }
}

/// The CEL spelling of a method people write the Python or JavaScript way.
fn cel_method_name(name: &str) -> &str {
    match name {
        "startswith" | "starts_with" | "hasPrefix" => "startsWith",
        "endswith" | "ends_with" | "hasSuffix" => "endsWith",
        "match" | "search" | "regex" | "test" => "matches",
        "includes" | "has" | "find" | "indexOf" => "contains",
        other => other,
    }
}

/// A hint for an unknown string method; `{on}` and `{arg}` are filled in.
fn string_method_fix(name: &str) -> Option<&'static str> {
    Some(match name {
        "startswith" | "starts_with" | "hasPrefix" | "startWith" => {
            "CEL spells it startsWith: {on}.startsWith({arg})"
        }
        "endswith" | "ends_with" | "hasSuffix" | "endWith" => {
            "CEL spells it endsWith: {on}.endsWith({arg})"
        }
        "match" | "search" | "regex" | "test" | "fullmatch" => {
            "CEL spells it matches (a regex, found anywhere): {on}.matches({arg})"
        }
        "includes" | "has" | "find" | "indexOf" | "index" | "count" => {
            "CEL spells it contains: {on}.contains({arg})"
        }
        "lower" | "upper" | "toLowerCase" | "toUpperCase" | "lowerAscii" | "upperAscii"
        | "casefold" | "title" | "capitalize" => {
            "CEL here has no case conversion; match without case with a regex: {on}.matches(\"(?i)…\")"
        }
        "length" | "len" => "write size({on})",
        "strip" | "trim" | "split" | "replace" | "substring" | "format" | "join" => {
            "CEL here has no string editing; test the text with contains(), startsWith(), endsWith() or matches()"
        }
        _ => return None,
    })
}

/// The message and hint for a global function CEL does not have.
fn unknown_function(name: &str) -> (String, String) {
    let help = match name {
        "len" | "length" | "count" => "CEL spells it size(x)".to_owned(),
        "str" => "CEL spells it string(x)".to_owned(),
        "float" => "CEL spells it double(x)".to_owned(),
        "lower" | "upper" => "CEL here has no case conversion; match without case with a regex: x.matches(\"(?i)…\")".to_owned(),
        "contains" | "startsWith" | "endsWith" | "startswith" | "endswith" => format!(
            "it is a method: x.{}(\"…\")",
            cel_method_name(name)
        ),
        "exists" | "all" | "filter" | "map" | "any" => {
            "it is a macro on a list: item.labels.exists(l, l.startsWith(\"x\"))".to_owned()
        }
        "defined" | "isset" | "is_defined" => "CEL spells it has(event.item)".to_owned(),
        _ => "CEL functions are size, int, uint, double, string, bool, matches, has, max, min, timestamp, duration".to_owned(),
    };
    (format!("unknown function `{name}`"), help)
}

/// Where a node is written: the byte range (inside the expression text)
/// covering it and every node below it, field names and closing
/// parentheses included.
pub(crate) fn extent(info: &SourceInfo, source: &str, e: &IdedExpr) -> Range<usize> {
    span_of(info, source, e).unwrap_or(0..source.len())
}

fn span_of(info: &SourceInfo, source: &str, e: &IdedExpr) -> Option<Range<usize>> {
    // The parser counts characters (stop inclusive); the file is addressed in bytes.
    let byte = |chars: usize| {
        source
            .char_indices()
            .nth(chars)
            .map_or(source.len(), |(b, _)| b)
    };
    let own = info
        .offset_for(e.id)
        .map(|(start, stop)| byte(start as usize)..byte(stop as usize + 1));
    let mut parts: Vec<Range<usize>> = own.into_iter().collect();
    let mut child = |x: &IdedExpr| parts.extend(span_of(info, source, x));
    match &e.expr {
        Expr::Select(sel) => child(&sel.operand),
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                child(t);
            }
            c.args.iter().for_each(&mut child);
        }
        Expr::List(l) => l.elements.iter().for_each(&mut child),
        Expr::Map(m) => {
            for entry in &m.entries {
                match &entry.expr {
                    EntryExpr::MapEntry(me) => {
                        child(&me.key);
                        child(&me.value);
                    }
                    EntryExpr::StructField(sf) => child(&sf.value),
                }
            }
        }
        // A macro's expansion holds generated nodes; its range is enough.
        Expr::Comprehension(c) => child(&c.iter_range),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Struct(_) | Expr::Unspecified => {}
    }
    let mut start = parts.iter().map(|r| r.start).min()?;
    // A global call's own place is its parenthesis: take in the name.
    if let Expr::Call(call) = &e.expr
        && call.target.is_none()
        && call.func_name.starts_with(char::is_alphabetic)
    {
        let before = source.get(..start).unwrap_or_default().trim_end();
        let before = before.strip_suffix('(').unwrap_or(before).trim_end();
        if let Some(head) = before.strip_suffix(call.func_name.as_str()) {
            start = head.len();
        }
    }
    let mut end = parts.iter().map(|r| r.end).max()?.max(start);
    let rest = source.get(end..).unwrap_or_default();
    let skip = rest.len() - rest.trim_start().len();
    let rest = rest.trim_start();
    match &e.expr {
        Expr::Select(sel) if rest.starts_with(sel.field.as_str()) => {
            end += skip + sel.field.len();
        }
        Expr::Call(call) if call.func_name.starts_with(char::is_alphabetic) => {
            if rest.starts_with("()") {
                end += skip + 2;
            } else if rest.starts_with(')') {
                end += skip + 1;
            }
        }
        _ => {}
    }
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::event::{Event, EventName};
    use crate::rules::ItemFacts;
    use crate::rules::vars::Vars;

    fn problems(expr: &str) -> Vec<TypeProblem> {
        let program = cel::Program::compile(expr).unwrap();
        check_condition(
            program.expression(),
            program.source_info(),
            expr,
            &["tmdb".to_owned()],
        )
    }

    /// What the real engine does with `expr` on a typical event.
    fn run(expr: &str) -> Result<cel::Value, String> {
        let mut event: Event = serde_json::from_value(serde_json::json!({
            "id": "e1", "name": "item.added", "timestamp": "2026-01-01T00:00:00Z",
            "section": { "id": "1", "title": "Movies", "type": "movie" },
            "item": { "id": "42", "type": "movie", "title": "Alien" },
            "activity": { "uuid": "u", "type": "library.update.section", "event": "ended", "progress": 100 },
            "session": { "key": "1", "state": "stopped", "view_offset_ms": 61000 },
            "raw": { "x": 1 }
        }))
        .unwrap();
        event.name = EventName::ItemAdded;
        let item = ItemFacts {
            id: "42".into(),
            kind: "movie".into(),
            title: "Alien".into(),
            year: Some(1979),
            guid: "local://42".into(),
            guids: [("tmdb".to_owned(), "348".to_owned())].into(),
            files: vec!["/m/Alien (1979)/Alien.mkv".into()],
            folder: Some("/m/Alien (1979)".into()),
            labels: vec!["4k".into()],
            ..Default::default()
        };
        let mut vars = Vars::new(&event, Some(&item));
        vars.set("tmdb", "348".into());
        let env = Arc::new(cel::Env::stdlib());
        let program = cel::Program::compile(expr).map_err(|e| e.to_string())?;
        program
            .execute(&vars.cel_context(&env))
            .map_err(|e| e.to_string())
    }

    /// Conditions the checker accepts really evaluate to true or false.
    #[test]
    fn accepted_conditions_run() {
        for expr in [
            r#"item.guid.startsWith("local://") || item.guid.startsWith("com.plexapp.agents.none://")"#,
            r#"!("Sci-Fi" in item.collections)"#,
            r#"has(event.item) && event.item.id == "42""#,
            r#"item.files.exists(f, f.endsWith(".mkv"))"#,
            r#"item.files.all(f, f.startsWith("/m/"))"#,
            r#"size(item.labels) > 0 && item.labels.size() == 1"#,
            r#"item.year == 1979 && item.year > 1970 && item.year in [1979, 1980]"#,
            r#""4k" in item.labels && "tmdb" in item.guids && item.guids.tmdb == "348""#,
            r#"event.raw.x == 1"#,
            r#"int(tmdb) > 100 && tmdb == "348""#,
            r#"item.year != null && event.item.parent_id == null"#,
            r#"event.activity.progress >= 50 && event.session.view_offset_ms > 60000"#,
            r#"item.title.matches("(?i)^alien$") && item.title.contains("li")"#,
            r#"item.labels.filter(l, l.startsWith("4")).size() == 1"#,
            r#"item.files.map(f, size(f)).exists(n, n > 3)"#,
            r#"!event.synthetic && !event.caused_by_self"#,
            r#"string(item.year) == "1979" && "y" + string(item.year) == "y1979""#,
            r#"event.section.id in ["1", "2"] && event.timestamp > "2025""#,
            r#"item.folder.endsWith(")") ? true : false"#,
        ] {
            assert_eq!(problems(expr), [], "{expr}");
            match run(expr) {
                Ok(cel::Value::Bool(_)) => {}
                other => panic!("{expr}: {other:?}"),
            }
        }
    }

    /// What the checker refuses fails at run time, or can never hold.
    #[test]
    fn refused_conditions_fail_at_run_time() {
        for (expr, message) in [
            (
                r#"item.guid.startswith("local://")"#,
                "strings have no method `startswith` (`item.guid` is a string)",
            ),
            (
                r#"item.year >= "1900""#,
                "`item.year >= \"1900\"` compares an int with a string",
            ),
            (
                r#"item.labels.contains("4k")"#,
                "lists have no method `contains` (`item.labels` is a list)",
            ),
            (
                r#"event.section.id == 1"#,
                "`event.section.id == 1` compares a string with an int: it is never true",
            ),
            (
                r#""Ali" in item.title"#,
                "`in` looks in a list or a map, and `item.title` is a string",
            ),
            (r#"len(item.files) > 1"#, "unknown function `len`"),
            (
                r#"item.title.lower() == "alien""#,
                "strings have no method `lower` (`item.title` is a string)",
            ),
            (
                r#"size(item.year) == 4"#,
                "size() takes a string, a list or a map, and `item.year` is an int",
            ),
            (
                r#""tmdb-" + item.year == "x""#,
                "`\"tmdb-\" + item.year` adds a string and an int",
            ),
            (
                r#"item.files.startsWith("/m")"#,
                "`item.files` is a list of strings, not a string",
            ),
            (
                r#"tmdb > 100"#,
                "`tmdb > 100` compares a string with an int",
            ),
            (
                r#"item.folder"#,
                "this condition gives a string, not true or false",
            ),
        ] {
            let found = problems(expr);
            assert_eq!(
                found.iter().map(|p| p.message.as_str()).collect::<Vec<_>>(),
                [message],
                "{expr}"
            );
            match run(expr) {
                Err(_) | Ok(cel::Value::Bool(false)) => {}
                Ok(cel::Value::Bool(true)) => panic!("{expr} held"),
                Ok(_) if message.contains("not true or false") => {}
                other => panic!("{expr}: {other:?}"),
            }
        }
    }

    #[test]
    fn hints_give_the_cel_spelling() {
        let help = |expr: &str| problems(expr).remove(0).help;
        assert_eq!(
            help(r#"item.guid.startswith("local://")"#),
            r#"CEL spells it startsWith: item.guid.startsWith("local://")"#
        );
        assert_eq!(
            help(r#"item.labels.contains("4k")"#),
            r#"CEL tests membership with `in`: "4k" in item.labels"#
        );
        assert_eq!(
            help(r#"item.year >= "1900""#),
            "`item.year` is an int: write item.year >= 1900"
        );
        assert_eq!(
            help(r#"event.section.id == 1"#),
            "`event.section.id` is a string: write event.section.id == \"1\""
        );
        assert_eq!(
            help("tmdb > 100"),
            "`tmdb` is a string: write int(tmdb) > 100"
        );
        let p = problems(r#"len(item.files) > 1"#).remove(0);
        assert_eq!(p.at, 0.."len(item.files)".len());
    }
}
