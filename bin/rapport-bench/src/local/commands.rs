//! Whole `rapport` processes on the W1 home: repeated cold runs (a new process each time, the
//! page cache warm), and the inputs they need (a contact id, a search word).

use crate::proc::Stdout;
use crate::rapport_cli::Rapport;
use crate::table;
use anyhow::{bail, Context, Result};
use rand::Rng;
use rapport_workload::Workload;
use std::path::Path;
use std::time::Duration;

/// Repeated runs of one command.
#[derive(Debug)]
pub struct Runs {
    pub walls: Vec<Duration>,
    /// The largest peak RSS over the runs, KiB.
    pub max_rss_kib: u64,
}

impl Runs {
    pub fn median(&self) -> Duration {
        table::median(&self.walls)
    }

    pub fn p90(&self) -> Duration {
        table::p90(&self.walls)
    }
}

/// Runs `rapport ARGS` `runs` times with stdout to /dev/null; `args_for(i)` gives run i's args.
pub fn repeat(
    rapport: &Rapport,
    home: &Path,
    runs: usize,
    args_for: impl Fn(usize) -> Vec<String>,
) -> Result<Runs> {
    let mut walls = Vec::with_capacity(runs);
    let mut max_rss_kib = 0;
    for i in 0..runs {
        let args = args_for(i);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let m = rapport.run(home, &args, Stdout::Discard)?;
        walls.push(m.wall);
        max_rss_kib = max_rss_kib.max(m.max_rss_kib);
    }
    Ok(Runs { walls, max_rss_kib })
}

/// The first contact that `rapport list --json` prints.
pub fn first_contact(rapport: &Rapport, home: &Path) -> Result<String> {
    let list = rapport.json(home, &["list", "--json"])?;
    let id = list
        .as_array()
        .and_then(|a| a.first())
        .and_then(|c| c.get("id"))
        .and_then(|id| id.as_str())
        .context("`rapport list --json` printed no contact with an id")?;
    Ok(id.to_owned())
}

/// A word from the middle of a random interaction text that some interaction texts contain and
/// others do not (searched as `rapport search` does: a case-insensitive substring). Returns the
/// word and how many interactions contain it.
pub fn search_word(w: &Workload, rng: &mut impl Rng) -> Result<(String, usize)> {
    let texts: Vec<String> = w
        .contacts
        .iter()
        .flat_map(|c| c.interactions.iter().map(|i| i.text.to_lowercase()))
        .collect();
    if texts.is_empty() {
        bail!("the workload has no interactions to search");
    }
    for _ in 0..1_000 {
        let text = &texts[rng.gen_range(0..texts.len())];
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| w.chars().count() >= 5)
            .collect();
        let Some(word) = words.get(words.len() / 2) else {
            continue;
        };
        let hits = texts.iter().filter(|t| t.contains(word)).count();
        if hits < texts.len() {
            return Ok(((*word).to_owned(), hits));
        }
    }
    bail!("found no word that only some interaction texts contain")
}
