//! The `runs` table: accepting, updating, listing and resuming runs.

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::JournalError;
use super::record::{RunRecord, RunState};
use super::store::{Store, from_sql_int, to_sql_int};
use crate::engine::{Command, Entry, FlowSpec, Millis, Outcome, Run, RunId, Stage};

const COLUMNS: &str =
    "id, rule, key, payload, spec, state, due_at, attempts, last_error, created_at, updated_at";

/// How a run ended, for [`Store::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// Ok, skipped, or failed in a way that is not worth keeping.
    Done,
    /// Failed after its last attempt: goes to the dead-letter list.
    Dead {
        /// What went wrong, shown by `metarr-plex queue dead`.
        error: String,
    },
}

impl Store {
    /// Persists what one flow input decided, in one transaction: new and
    /// changed runs, starts, ends (`done`, or `dead` for a failure), drops
    /// and cancels (rows removed), cooldowns.
    /// Call it before acting on the commands, so nothing acknowledged is
    /// only in memory.
    pub fn apply<P: Serialize>(
        &mut self,
        commands: &[Command<P>],
        now: Millis,
    ) -> Result<(), JournalError> {
        let tx = self.conn.transaction()?;
        for command in commands {
            match command {
                Command::Persist(entry) => upsert(&tx, &row_of_entry(entry)?, now)?,
                Command::Start(run) => upsert(&tx, &row_of_run(run)?, now)?,
                Command::Cancel(id)
                | Command::Dropped {
                    run_id: Some(id), ..
                } => {
                    tx.execute("DELETE FROM runs WHERE id = ?1", [to_sql_int(id.0)])?;
                }
                Command::Dropped { run_id: None, .. } => {}
                Command::Finished { run_id, outcome } => {
                    let state = match outcome {
                        Outcome::Ok | Outcome::Skipped => RunState::Done,
                        Outcome::Failed => RunState::Dead,
                    };
                    tx.execute(
                        "UPDATE runs SET state = ?2, due_at = NULL, updated_at = ?3 WHERE id = ?1",
                        params![to_sql_int(run_id.0), state.as_str(), to_sql_int(now.0)],
                    )?;
                }
                Command::Cooldown { rule, key, until } => {
                    super::cooldown::set(&tx, rule, key, *until)?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Records one entry (accept or update) on its own.
    pub fn accept<P: Serialize>(
        &mut self,
        entry: &Entry<P>,
        now: Millis,
    ) -> Result<(), JournalError> {
        let tx = self.conn.transaction()?;
        upsert(&tx, &row_of_entry(entry)?, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Marks a run finished (`done`) or dead-lettered (`dead`).
    pub fn finish(&mut self, id: RunId, how: &Finish, now: Millis) -> Result<bool, JournalError> {
        let (state, error) = match how {
            Finish::Done => (RunState::Done, None),
            Finish::Dead { error } => (RunState::Dead, Some(error.as_str())),
        };
        let n = self.conn.execute(
            "UPDATE runs SET state = ?2, due_at = NULL, last_error = COALESCE(?3, last_error),
                 updated_at = ?4 WHERE id = ?1",
            params![to_sql_int(id.0), state.as_str(), error, to_sql_int(now.0)],
        )?;
        Ok(n > 0)
    }

    /// Keeps the latest failure of a run that will be retried.
    pub fn note_error(&mut self, id: RunId, error: &str, now: Millis) -> Result<(), JournalError> {
        self.conn.execute(
            "UPDATE runs SET last_error = ?2, updated_at = ?3 WHERE id = ?1",
            params![to_sql_int(id.0), error, to_sql_int(now.0)],
        )?;
        Ok(())
    }

    /// One run by id.
    pub fn get(&self, id: RunId) -> Result<Option<RunRecord>, JournalError> {
        let sql = format!("SELECT {COLUMNS} FROM runs WHERE id = ?1");
        Ok(self
            .conn
            .query_row(&sql, [to_sql_int(id.0)], read_row)
            .optional()?)
    }

    /// Unfinished runs (everything but `done` and `dead`), oldest first: `queue list`.
    pub fn list(&self) -> Result<Vec<RunRecord>, JournalError> {
        self.select("WHERE state NOT IN ('done', 'dead') ORDER BY id", [])
    }

    /// How many runs wait or run, and how many are dead letters: the queue
    /// gauges, counted by SQLite over its `(state, id)` index instead of
    /// loading every row.
    pub fn depth(&self) -> Result<QueueDepth, JournalError> {
        let (waiting, dead): (i64, i64) = self.conn.query_row(
            "SELECT COALESCE(SUM(state NOT IN ('done', 'dead')), 0),
                    COALESCE(SUM(state = 'dead'), 0) FROM runs",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let count = |n: i64| usize::try_from(n).unwrap_or(0);
        Ok(QueueDepth {
            waiting: count(waiting),
            dead: count(dead),
        })
    }

    /// The dead-letter list, oldest first: `queue dead`.
    pub fn dead(&self) -> Result<Vec<RunRecord>, JournalError> {
        self.select("WHERE state = 'dead' ORDER BY id", [])
    }

    /// `queue retry ID`: a dead run gets a fresh set of attempts, and a
    /// waiting one (delayed, debounced, retrying) comes due now. Both resume
    /// at the next daemon start; returns false for unknown, running or done runs.
    pub fn retry(&mut self, id: RunId, now: Millis) -> Result<bool, JournalError> {
        let n = self.conn.execute(
            "UPDATE runs SET
                 attempts = CASE WHEN state = 'dead' THEN 1 ELSE attempts END,
                 state = CASE WHEN state = 'dead' THEN 'retrying' ELSE state END,
                 due_at = ?2, updated_at = ?2
             WHERE id = ?1 AND state IN ('dead', 'delayed', 'debounced', 'retrying')",
            params![to_sql_int(id.0), to_sql_int(now.0)],
        )?;
        Ok(n > 0)
    }

    /// `queue drop ID`: forgets a run that is not running; returns false if
    /// there was none to drop.
    pub fn drop_run(&mut self, id: RunId) -> Result<bool, JournalError> {
        let n = self.conn.execute(
            "DELETE FROM runs WHERE id = ?1 AND state != 'running'",
            [to_sql_int(id.0)],
        )?;
        Ok(n > 0)
    }

    /// Everything to rebuild the flow core with at start: unfinished runs with
    /// their stages and absolute deadlines. A row whose payload no longer
    /// decodes (a binary downgrade) is moved to the dead-letter list with the
    /// reason instead of stopping the daemon.
    pub fn load_pending<P: DeserializeOwned>(
        &mut self,
        now: Millis,
    ) -> Result<Vec<Entry<P>>, JournalError> {
        let mut entries = Vec::new();
        for record in self.list()? {
            match record.to_entry::<P>() {
                Ok(Some(entry)) => entries.push(entry),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(run = %record.id, rule = %record.rule, error = %e, "A journaled run no longer decodes; moved to the dead-letter list.");
                    let error = format!("cannot decode the journaled run: {e}");
                    self.finish(record.id, &Finish::Dead { error }, now)?;
                }
            }
        }
        Ok(entries)
    }

    /// The first run id never used, so ids stay unique across restarts.
    pub fn next_run_id(&self) -> Result<RunId, JournalError> {
        let max: Option<i64> = self
            .conn
            .query_row("SELECT MAX(id) FROM runs", [], |row| row.get(0))?;
        Ok(RunId(max.map_or(1, |m| from_sql_int(m).saturating_add(1))))
    }

    /// Deletes `done` runs last touched before `before`; returns how many.
    pub fn prune_done(&mut self, before: Millis) -> Result<usize, JournalError> {
        Ok(self.conn.execute(
            "DELETE FROM runs WHERE state = 'done' AND updated_at < ?1",
            [to_sql_int(before.0)],
        )?)
    }

    fn select<A: rusqlite::Params>(
        &self,
        tail: &str,
        args: A,
    ) -> Result<Vec<RunRecord>, JournalError> {
        let sql = format!("SELECT {COLUMNS} FROM runs {tail}");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(args, read_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

/// The queue gauges' numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueDepth {
    /// Runs not finished: waiting for a deadline, a slot, idle playback, or
    /// running.
    pub waiting: usize,
    /// Dead letters.
    pub dead: usize,
}

/// The columns of one upsert, already encoded.
struct RowValues {
    id: RunId,
    rule: String,
    key: String,
    payload: String,
    spec: String,
    state: RunState,
    due_at: Option<Millis>,
    attempts: u32,
    created_at: Millis,
}

fn row_of_entry<P: Serialize>(e: &Entry<P>) -> Result<RowValues, JournalError> {
    encode(
        e.run_id,
        &e.rule,
        &e.key,
        &e.payload,
        &e.spec,
        e.stage,
        e.due_at,
        e.attempt,
        e.created_at,
    )
}

fn row_of_run<P: Serialize>(r: &Run<P>) -> Result<RowValues, JournalError> {
    encode(
        r.run_id,
        &r.rule,
        &r.key,
        &r.payload,
        &r.spec,
        Stage::Running,
        None,
        r.attempt,
        r.created_at,
    )
}

#[allow(clippy::too_many_arguments)]
fn encode<P: Serialize>(
    id: RunId,
    rule: &str,
    key: &str,
    payload: &P,
    spec: &FlowSpec,
    stage: Stage,
    due_at: Option<Millis>,
    attempts: u32,
    created_at: Millis,
) -> Result<RowValues, JournalError> {
    let enc = |source| JournalError::Encode { run_id: id, source };
    Ok(RowValues {
        id,
        rule: rule.to_owned(),
        key: key.to_owned(),
        payload: serde_json::to_string(payload).map_err(enc)?,
        spec: serde_json::to_string(spec).map_err(enc)?,
        state: stage.into(),
        due_at,
        attempts,
        created_at,
    })
}

fn upsert(tx: &Transaction<'_>, v: &RowValues, now: Millis) -> Result<(), JournalError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO runs (id, rule, key, payload, spec, state, due_at, attempts, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET
             payload = excluded.payload, spec = excluded.spec, state = excluded.state,
             due_at = excluded.due_at, attempts = excluded.attempts, updated_at = excluded.updated_at",
    )?;
    stmt.execute(params![
        to_sql_int(v.id.0),
        v.rule,
        v.key,
        v.payload,
        v.spec,
        v.state.as_str(),
        v.due_at.map(|d| to_sql_int(d.0)),
        v.attempts,
        to_sql_int(v.created_at.0),
        to_sql_int(now.0),
    ])?;
    Ok(())
}

fn read_row(row: &Row<'_>) -> rusqlite::Result<RunRecord> {
    let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
        let text: String = row.get(i)?;
        serde_json::from_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    let state_text: String = row.get(5)?;
    let state = RunState::parse(&state_text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            5,
            rusqlite::types::Type::Text,
            format!("unknown run state {state_text:?}").into(),
        )
    })?;
    Ok(RunRecord {
        id: RunId(from_sql_int(row.get(0)?)),
        rule: row.get(1)?,
        key: row.get(2)?,
        payload: json(3)?,
        spec: json(4)?,
        state,
        due_at: row
            .get::<_, Option<i64>>(6)?
            .map(|d| Millis(from_sql_int(d))),
        attempts: row.get(7)?,
        last_error: row.get(8)?,
        created_at: Millis(from_sql_int(row.get(9)?)),
        updated_at: Millis(from_sql_int(row.get(10)?)),
    })
}
