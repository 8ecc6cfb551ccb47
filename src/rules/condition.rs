//! Rule conditions: CEL expressions over the event, compiled once, checked
//! against what the trigger's events carry, and evaluated per event.
//!
//! A runtime error (a key missing from an unexpected payload) is reported as
//! an error, never taken as "false": a silently false condition is the worst
//! way for a rule to fail.

use std::collections::BTreeMap;
use std::ops::Range;

use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use toml::Spanned;

use super::reader::{Annotate, Sink, content_start};
use super::scope::Scope;
use super::vars::Vars;

/// One compiled condition.
#[derive(Debug)]
pub struct Condition {
    /// The expression as written.
    pub source: String,
    /// Where it was written.
    pub span: Range<usize>,
    program: cel::Program,
    /// The dotted paths the expression reads (`item.guid`, `event.section.id`),
    /// so `explain` can show the values it saw.
    pub paths: Vec<String>,
    /// Reads `item.*`: the event needs a metadata fetch.
    pub(crate) uses_item: bool,
}

/// A path read by an expression, with the AST node that reads it.
struct PathRef {
    segments: Vec<String>,
    /// Inside `has(…)`: the expression itself tests for presence.
    tested: bool,
}

impl Condition {
    /// Compiles `value`, reporting syntax errors at their place in the file
    /// and every path the expression reads that `scope` does not provide.
    pub(crate) fn compile(
        value: &Spanned<String>,
        source: &str,
        scope: &Scope,
        sink: &mut Sink,
    ) -> Option<Condition> {
        let text = value.get_ref();
        let span = value.span();
        let start = content_start(source, &span, text);
        // Place a range inside the expression text in the file, or fall
        // back to the whole value when the string has escapes.
        let place = |r: Range<usize>| match start {
            Some(s) => s + r.start..s + r.end.max(r.start + 1),
            None => span.clone(),
        };
        let program = match cel::Program::compile(text) {
            Ok(p) => p,
            Err(errors) => {
                // A mistake people make often gets one clear finding instead
                // of the parser's token soup.
                if let Some(m) = super::cel_mistakes::find(text) {
                    sink.error(place(m.at), m.message).help(m.help);
                    return None;
                }
                for e in errors.errors.iter().take(3) {
                    let at = position_in(text, e.pos)
                        .and_then(|off| content_start(source, &span, text).map(|s| s + off))
                        .map_or(span.clone(), |s| s..(s + 1).min(span.end));
                    sink.error(at, format!("invalid condition: {}", e.msg))
                        .help("conditions are CEL: item.guid.startsWith(\"local://\") && event.section.title == \"Movies\"");
                }
                return None;
            }
        };
        let mut refs = Vec::new();
        walk(program.expression(), &mut Vec::new(), &mut refs);
        let guards: Vec<Vec<String>> = refs
            .iter()
            .filter(|r| r.tested)
            .map(|r| r.segments.clone())
            .collect();
        let mut paths = Vec::new();
        let mut uses_item = false;
        let mut ok = true;
        for r in &refs {
            let dotted = r.segments.join(".");
            if paths.contains(&dotted) {
                continue;
            }
            let guarded = guards.iter().any(|g| r.segments.starts_with(g));
            let segs: Vec<&str> = r.segments.iter().map(String::as_str).collect();
            match scope.check(&segs, guarded) {
                Ok(item) => uses_item |= item,
                Err(problem) => {
                    ok = false;
                    let (message, mut help) = problem.message_and_help();
                    if let Some(cel) = super::cel_mistakes::python_constant(&dotted) {
                        help = format!("CEL writes `{cel}`");
                    }
                    let at = text
                        .find(&dotted)
                        .and_then(|i| {
                            content_start(source, &span, text).map(|s| s + i..s + i + dotted.len())
                        })
                        .unwrap_or(span.clone());
                    sink.error(at, message).help(help);
                }
            }
            paths.push(dotted);
        }
        if !ok {
            return None;
        }
        let problems = super::typecheck::check_condition(
            program.expression(),
            program.source_info(),
            text,
            &scope.captures,
        );
        for p in &problems {
            sink.error(place(p.at.clone()), p.message.clone())
                .help(p.help.clone());
        }
        problems.is_empty().then_some(Condition {
            source: text.clone(),
            span,
            program,
            paths,
            uses_item,
        })
    }

    /// Evaluates the condition; anything but a boolean is an error.
    pub(crate) fn evaluate(&self, ctx: &cel::Context<'_, '_>) -> Result<bool, String> {
        match self.program.execute(ctx) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!("the condition gave {other:?}, not true or false")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The values of the paths this condition reads, for `explain`.
    pub(crate) fn seen(&self, vars: &Vars) -> BTreeMap<String, serde_json::Value> {
        self.paths
            .iter()
            .filter_map(|p| vars.lookup(p).map(|v| (p.clone(), v)))
            .collect()
    }
}

/// Collects every dotted path the expression reads; comprehension variables
/// (`f` in `item.files.exists(f, …)`) are local and skipped.
fn walk(e: &IdedExpr, locals: &mut Vec<String>, out: &mut Vec<PathRef>) {
    match &e.expr {
        Expr::Ident(name) => {
            if !locals.contains(name) {
                out.push(PathRef {
                    segments: vec![name.clone()],
                    tested: false,
                });
            }
        }
        Expr::Select(sel) => {
            let mut segments = vec![sel.field.clone()];
            let mut cur = &sel.operand.expr;
            loop {
                match cur {
                    Expr::Select(inner) if !inner.test => {
                        segments.push(inner.field.clone());
                        cur = &inner.operand.expr;
                    }
                    Expr::Ident(root) => {
                        if !locals.contains(root) {
                            segments.push(root.clone());
                            segments.reverse();
                            out.push(PathRef {
                                segments,
                                tested: sel.test,
                            });
                        }
                        return;
                    }
                    _ => {
                        walk(&sel.operand, locals, out);
                        return;
                    }
                }
            }
        }
        Expr::Call(call) => {
            if let Some(t) = &call.target {
                walk(t, locals, out);
            }
            for a in &call.args {
                walk(a, locals, out);
            }
        }
        Expr::Comprehension(c) => {
            walk(&c.iter_range, locals, out);
            let before = locals.len();
            locals.push(c.iter_var.clone());
            locals.extend(c.iter_var2.clone());
            locals.push(c.accu_var.clone());
            for part in [&c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                walk(part, locals, out);
            }
            locals.truncate(before);
        }
        Expr::List(l) => l.elements.iter().for_each(|x| walk(x, locals, out)),
        Expr::Map(m) => {
            for entry in &m.entries {
                match &entry.expr {
                    EntryExpr::MapEntry(me) => {
                        walk(&me.key, locals, out);
                        walk(&me.value, locals, out);
                    }
                    EntryExpr::StructField(sf) => walk(&sf.value, locals, out),
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                if let EntryExpr::StructField(sf) = &entry.expr {
                    walk(&sf.value, locals, out);
                }
            }
        }
        Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// Byte offset of a CEL (line, column) position (1-based, columns in
/// characters) inside `text`.
fn position_in(text: &str, (line, col): (isize, isize)) -> Option<usize> {
    let line = usize::try_from(line).ok()?.max(1);
    let col = usize::try_from(col).ok()?.max(1);
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let off = l.char_indices().nth(col - 1).map_or(l.len(), |(o, _)| o);
            return Some(start + off.min(l.len()));
        }
        start += l.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventName;
    use std::path::Path;
    use std::sync::Arc;

    fn scope() -> Scope {
        Scope {
            events: vec![EventName::ItemAdded, EventName::LibraryScanEnded],
            captures: vec![],
        }
    }

    fn compile(expr: &str) -> (Option<Condition>, Vec<crate::diag::Diagnostic>) {
        let src = format!("conditions = ['{expr}']\n");
        let start = src.find('\'').unwrap();
        let value = Spanned::new(start..start + expr.len() + 2, expr.to_owned());
        let mut sink = Sink::new(Path::new("r.toml"));
        let c = Condition::compile(&value, &src, &scope(), &mut sink);
        (c, sink.diags)
    }

    #[test]
    fn has_guards_a_path_only_some_events_carry() {
        let (c, diags) = compile("has(event.item) && event.item.id == \"1\"");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(c.unwrap().paths, ["event.item", "event.item.id"]);
        let (c, diags) = compile("event.item.id == \"1\"");
        assert!(c.is_none());
        assert_eq!(
            diags[0].message,
            "`event.item` is not set on `library.scan.ended`"
        );
    }

    #[test]
    fn comprehension_variables_are_local() {
        let (c, diags) = compile("event.section.id == \"1\" && [1, 2].exists(x, x > 1)");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(c.unwrap().paths, ["event.section.id"]);
    }

    #[test]
    fn syntax_errors_point_into_the_string() {
        let (_, diags) = compile("event.section.id == 1 &&& true");
        let d = &diags[0];
        assert!(d.message.starts_with("invalid condition:"), "{d:?}");
        // `conditions = ['` is 15 bytes; the error is at the third `&`.
        assert_eq!(
            d.span.clone().unwrap().start,
            15 + "event.section.id == 1 &&".len()
        );
    }

    #[test]
    fn whole_numbers_compare_as_int() {
        let item = crate::rules::ItemFacts {
            year: Some(2002),
            ..Default::default()
        };
        let event = crate::event::Event::new(EventName::ItemAdded);
        let vars = Vars::new(&event, Some(&item));
        let env = Arc::new(cel::Env::stdlib());
        let p = Condition {
            source: String::new(),
            span: 0..0,
            program: cel::Program::compile("item.year == 2002 && item.year > 2000").unwrap(),
            paths: vec![],
            uses_item: true,
        };
        assert_eq!(p.evaluate(&vars.cel_context(&env)), Ok(true));
    }
}
