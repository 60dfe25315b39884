//! Generations: which one is served, each one's checkpoint, starting a rebuild into a new
//! one and switching to it, and dumping one to compare two builds.

use super::ReadModelError;
use super::facts::{to_i64, to_u64, valid_stream_id};
use super::schema::TABLES;
use super::sql::{Param, Session, Sql, Store};

type Result<T, E = ReadModelError> = std::result::Result<T, E>;

/// Which version of the rules that turn events into rows this build is: raise it with a
/// migration that adds what earlier builds did not keep (2: needs' priorities, decision
/// reasons, corrections, findings, member changes). A served generation of an earlier
/// derivation with events in it is rebuilt at start ([`stale`]).
pub const DERIVATION: i64 = 2;

/// Creates generation 1, current, if there is no generation yet.
pub(super) async fn init(store: &impl Store) -> Result<()> {
    let mut db = store.connect().await?;
    db.execute(
        "INSERT INTO generations (generation, is_current, position, derivation) \
         SELECT 1, $1, 0, $2 WHERE NOT EXISTS (SELECT 1 FROM generations) \
         ON CONFLICT (generation) DO NOTHING"
            .into(),
        &[true.into(), DERIVATION.into()],
    )
    .await
}

/// Whether the current generation was built by an earlier derivation and holds events:
/// then it lacks what this build keeps, until a rebuild. An empty one is simply marked
/// as this build's (what it will apply, it applies as this build does).
pub(super) async fn stale(store: &impl Store) -> Result<bool> {
    let mut db = store.write().await?;
    let row: Option<(i64, i64)> = db
        .fetch_optional(
            "SELECT derivation, position FROM generations WHERE is_current".into(),
            &[],
        )
        .await?;
    let stale = match row {
        Some((derivation, _)) if derivation >= DERIVATION => false,
        Some((_, 0)) => {
            db.execute(
                "UPDATE generations SET derivation = $1 WHERE is_current".into(),
                &[DERIVATION.into()],
            )
            .await?;
            false
        }
        Some(_) => true,
        None => false,
    };
    db.commit().await?;
    Ok(stale)
}

pub(super) async fn current(store: &impl Store) -> Result<u64> {
    let mut db = store.connect().await?;
    let missing = ReadModelError::NotFound {
        what: "current generation",
        id: String::new(),
    };
    let sql = "SELECT generation FROM generations WHERE is_current";
    number(&mut db, sql.into(), &[], missing, "generation").await
}

pub(super) async fn position(store: &impl Store, generation: u64) -> Result<u64> {
    let mut db = store.connect().await?;
    let sql = "SELECT position FROM generations WHERE generation = $1";
    let g = to_i64(generation, "generation")?;
    number(
        &mut db,
        sql.into(),
        &[g.into()],
        not_found(generation),
        "position",
    )
    .await
}

/// The generation's checkpoint, its row held until commit (see
/// [`Session::CHECKPOINT_FOR_UPDATE`]).
pub(super) async fn checkpoint<S: Session>(db: &mut S, generation: u64) -> Result<u64> {
    let sql = S::CHECKPOINT_FOR_UPDATE.into();
    let g = to_i64(generation, "generation")?;
    number(db, sql, &[g.into()], not_found(generation), "position").await
}

/// The one number `sql` reads (a generation, a position), or `missing` without a row.
async fn number(
    db: &mut impl Session,
    sql: Sql,
    params: &[Param<'_>],
    missing: ReadModelError,
    what: &str,
) -> Result<u64> {
    let (n,): (i64,) = db.fetch_optional(sql, params).await?.ok_or(missing)?;
    to_u64(n, what)
}

pub(super) async fn move_checkpoint(db: &mut impl Session, g: i64, position: u64) -> Result<()> {
    db.execute(
        "UPDATE generations SET position = $2 WHERE generation = $1".into(),
        &[g.into(), to_i64(position, "position")?.into()],
    )
    .await
}

pub(super) async fn start(store: &impl Store) -> Result<u64> {
    let mut db = store.write().await?;
    let (max,): (i64,) = db
        .fetch_optional(
            "SELECT COALESCE(MAX(generation), 0) FROM generations".into(),
            &[],
        )
        .await?
        .unwrap_or((0,));
    delete_rows(
        &mut db,
        "generation IN (SELECT generation FROM generations WHERE NOT is_current)",
        &[],
    )
    .await?;
    db.execute("DELETE FROM generations WHERE NOT is_current".into(), &[])
        .await?;
    let generation = max + 1;
    db.execute(
        "INSERT INTO generations (generation, is_current, position, derivation) \
         VALUES ($1, $2, 0, $3)"
            .into(),
        &[generation.into(), false.into(), DERIVATION.into()],
    )
    .await?;
    db.commit().await?;
    to_u64(generation, "generation")
}

pub(super) async fn promote(store: &impl Store, generation: u64) -> Result<()> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.write().await?;
    checkpoint(&mut db, generation).await?;
    // One statement per flag: the unique index on the current generation is checked
    // row by row, so the old one must stop being current before the new one is.
    db.execute(
        "UPDATE generations SET is_current = $2 WHERE generation <> $1".into(),
        &[g.into(), false.into()],
    )
    .await?;
    db.execute(
        "UPDATE generations SET is_current = $2 WHERE generation = $1".into(),
        &[g.into(), true.into()],
    )
    .await?;
    db.commit().await
}

pub(super) async fn discard(store: &impl Store, generation: u64) -> Result<()> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.write().await?;
    let not_current = "generation = $1 AND generation NOT IN \
        (SELECT generation FROM generations WHERE is_current)";
    delete_rows(&mut db, not_current, &[g.into()]).await?;
    db.execute(
        Sql::Assembled(format!("DELETE FROM generations WHERE {not_current}")),
        &[g.into()],
    )
    .await?;
    db.commit().await
}

/// Deletes the rows of every read-model table that `condition` (on `generation`) picks.
async fn delete_rows(db: &mut impl Session, condition: &str, params: &[Param<'_>]) -> Result<()> {
    for table in TABLES {
        let sql = format!("DELETE FROM {} WHERE {condition}", table.name);
        db.execute(Sql::Assembled(sql), params).await?;
    }
    Ok(())
}

pub(super) async fn has_applied(
    store: &impl Store,
    generation: u64,
    stream_id: &str,
    version: u64,
) -> Result<bool> {
    // What no stream can have was never applied (and a NUL character cannot even be
    // sent to PostgreSQL).
    let Ok(version) = to_i64(version, "stream version") else {
        return Ok(false);
    };
    if !valid_stream_id(stream_id) {
        return Ok(false);
    }
    let mut db = store.connect().await?;
    let found: Option<(i64,)> = db
        .fetch_optional(
            "SELECT stream_version FROM applied \
             WHERE generation = $1 AND stream_id = $2 AND stream_version = $3"
                .into(),
            &[
                to_i64(generation, "generation")?.into(),
                stream_id.into(),
                version.into(),
            ],
        )
        .await?;
    Ok(found.is_some())
}

pub(super) async fn dump(store: &impl Store, generation: u64) -> Result<String> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.read().await?;
    let mut lines = Vec::new();
    for table in TABLES {
        let (names, kinds): (Vec<&str>, Vec<_>) = table.dumped().copied().unzip();
        let sql = format!(
            "SELECT {} FROM {} WHERE generation = $1",
            names.join(", "),
            table.name
        );
        for row in db.fetch_text(sql, g, &kinds).await? {
            let mut line = format!("{}:", table.name);
            for (name, value) in names.iter().zip(row) {
                line.push_str(&format!(" {name}={}", value.as_deref().unwrap_or("NULL")));
            }
            lines.push(line);
        }
    }
    db.commit().await?;
    lines.sort();
    Ok(lines.iter().map(|line| format!("{line}\n")).collect())
}

pub(super) fn not_found(generation: u64) -> ReadModelError {
    ReadModelError::NotFound {
        what: "generation",
        id: generation.to_string(),
    }
}
