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

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, SourceInfo};

mod call;
mod extent;
mod spelling;
#[cfg(test)]
mod tests;

use super::scope::{EVENT, Field, ITEM, Prim};
use extent::extent;

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
}
