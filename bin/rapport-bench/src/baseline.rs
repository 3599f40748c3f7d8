//! The baseline: the same workload written the plain way with raw Automerge 0.12, field by
//! field. `ROOT.contacts` is a map of contact maps, every field its own key, emails, phones,
//! links and tags as nested lists; `ROOT.interactions` is a map of interaction maps with a key
//! per field (at, kind, text, place when there is one, contact): about five operations per
//! interaction. One commit per contact (with its interactions), then `save()`.

use anyhow::Result;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use rand::RngCore;
use rapport_workload::Workload;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Baseline {
    /// Writing every record and committing.
    pub build: Duration,
    /// `save()` of the result.
    pub save: Duration,
    pub saved: Vec<u8>,
    pub ops: u64,
    pub changes: u64,
}

pub fn build(w: &Workload, rng: &mut impl RngCore, now_ms: i64) -> Result<Baseline> {
    let start = Instant::now();
    let mut doc = AutoCommit::new();
    let contacts = doc.put_object(ROOT, "contacts", ObjType::Map)?;
    let interactions = doc.put_object(ROOT, "interactions", ObjType::Map)?;
    doc.commit();
    let id = |rng: &mut dyn RngCore| format!("{:016x}", rng.next_u64());
    for c in &w.contacts {
        let cid = id(rng);
        let obj = doc.put_object(&contacts, cid.as_str(), ObjType::Map)?;
        doc.put(&obj, "name", c.name.as_str())?;
        doc.put(&obj, "created", now_ms)?;
        let fields = [
            ("org", c.org.as_deref()),
            ("title", c.title.as_deref()),
            ("trust", c.trust),
            ("met_on", c.met_on.as_deref()),
            ("met_at", c.met_at.as_deref()),
            ("connected_on", c.connected_on.as_deref()),
            ("notes", c.notes.as_deref()),
        ];
        for (key, value) in fields {
            if let Some(v) = value {
                doc.put(&obj, key, v)?;
            }
        }
        for (key, values) in [
            ("emails", &c.emails),
            ("phones", &c.phones),
            ("links", &c.links),
            ("tags", &c.tags),
        ] {
            if values.is_empty() {
                continue;
            }
            let list = doc.put_object(&obj, key, ObjType::List)?;
            for (i, v) in values.iter().enumerate() {
                doc.insert(&list, i, v.as_str())?;
            }
        }
        for i in &c.interactions {
            let obj = doc.put_object(&interactions, id(rng), ObjType::Map)?;
            doc.put(&obj, "at", i.at_ms)?;
            doc.put(&obj, "kind", i.kind)?;
            doc.put(&obj, "text", i.text.as_str())?;
            if let Some(p) = &i.place {
                doc.put(&obj, "place", p.as_str())?;
            }
            doc.put(&obj, "contact", cid.as_str())?;
        }
        doc.commit_with(CommitOptions::default().with_time(now_ms.div_euclid(1000)));
    }
    let build = start.elapsed();
    let start = Instant::now();
    let saved = doc.save();
    let save = start.elapsed();
    let stats = doc.stats();
    Ok(Baseline {
        build,
        save,
        saved,
        ops: stats.num_ops,
        changes: stats.num_changes,
    })
}
