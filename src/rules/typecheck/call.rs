//! Calls: operators, global functions and methods, each checked against
//! the overloads the cel crate provides, with a fix for each mistake.

use cel::common::ast::{CallExpr, Expr, IdedExpr, LiteralValue, operators};

use super::spelling::{cel_method_name, string_method_fix, unknown_function};
use super::{Checker, Ty};

impl Checker<'_> {
    pub(super) fn call(&mut self, e: &IdedExpr, call: &CallExpr) -> Ty {
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

    fn comparison(&mut self, e: &IdedExpr, call: &CallExpr, args: &[Ty], ordering: bool) {
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
    fn fix_for(&self, call: &CallExpr, a: &Ty, b: &Ty) -> String {
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
