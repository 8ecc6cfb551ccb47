//! `exec`: run a program by argv — never through a shell, so nothing from a
//! notification is ever interpreted — with the event as JSON on stdin, a
//! timeout (the program is killed when it passes), and the start of its
//! output kept for the log. A non-zero exit is a failure, not retried: the
//! program may have done half its work.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::outcome::Step;
use super::{ActionOutcome, Call};

/// Runs `argv[0]` with `argv[1..]` as its arguments.
pub(crate) async fn run(call: &Call<'_>, argv: &[String], timeout: Option<Duration>) -> Step {
    let Some((program, args)) = argv.split_first() else {
        return Err(ActionOutcome::refused("exec needs a program").into());
    };
    let ctx = call.ctx();
    if call.dry_run() {
        tracing::info!(
            rule = %ctx.rule, run_id = %ctx.run_id, event_id = %ctx.event_id,
            item = ctx.item.as_deref().unwrap_or("-"), argv = ?argv,
            "Dry run: program not run."
        );
        return Ok(format!("would run {program}"));
    }
    let limit = call.settings().exec_output_limit;
    let timeout = timeout.unwrap_or(call.settings().exec_timeout);
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ActionOutcome::refused(format!("cannot run {program}: {e}")))?;
    let stdin = child.stdin.take();
    let input = serde_json::to_vec(&ctx.event).unwrap_or_default();
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // A program that does not read its stdin is fine.
            let _ = stdin.write_all(&input).await;
            let _ = stdin.shutdown().await;
        }
    };
    let out = capture(child.stdout.take(), limit);
    let err = capture(child.stderr.take(), limit);
    let waited = tokio::time::timeout(timeout, async {
        let (status, (), out, err) = tokio::join!(child.wait(), feed, out, err);
        (status, out, err)
    })
    .await;
    let Ok((status, stdout, stderr)) = waited else {
        let _ = child.kill().await;
        return Err(ActionOutcome::refused(format!(
            "{program} did not finish within {}; killed",
            humantime::format_duration(timeout)
        ))
        .into());
    };
    let status =
        status.map_err(|e| ActionOutcome::refused(format!("waiting for {program} failed: {e}")))?;
    tracing::info!(
        rule = %ctx.rule, run_id = %ctx.run_id, event_id = %ctx.event_id,
        item = ctx.item.as_deref().unwrap_or("-"), program = %program,
        status = %status, stdout = %stdout, stderr = %stderr, "Program finished."
    );
    if !status.success() {
        let tail = if stderr.is_empty() {
            String::new()
        } else {
            format!(": {stderr}")
        };
        return Err(ActionOutcome::refused(format!("{program} exited with {status}{tail}")).into());
    }
    Ok(format!("{program} exited with {status}"))
}

/// The first `limit` bytes of a stream as text (`…` when cut); the rest is
/// read and dropped so the program never blocks on a full pipe.
async fn capture(stream: Option<impl AsyncRead + Unpin>, limit: usize) -> String {
    let Some(mut stream) = stream else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut cut = false;
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = limit.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                cut |= n > room;
            }
        }
    }
    let mut text = String::from_utf8_lossy(&kept).trim_end().to_owned();
    if cut {
        text.push('…');
    }
    text
}
