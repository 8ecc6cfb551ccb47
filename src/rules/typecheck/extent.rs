//! Where a node of a parsed condition is written, so a finding underlines
//! the offending part of the expression (the parser records one token per
//! node; a node's text spans its whole subtree).

use std::ops::Range;

use cel::common::ast::{EntryExpr, Expr, IdedExpr, SourceInfo};

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
