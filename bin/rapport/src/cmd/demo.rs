//! `rapport demo`: the whole mission in one command, on loopback only. Three devices are made
//! in a temporary folder, trusted, cloned, edited offline (the same contact on every device),
//! synced over QUIC, and the merged result is printed and checked: nothing may be lost.

use crate::home::Home;
use anyhow::{bail, ensure, Context, Result};
use rapport_app::node_host::{Replica, SharedReplica};
use rapport_app::{ContactEdit, ContactFields, NewNote, Request, Response};
use rapport_model::{ContactField, ContactId, InteractionKind, TrustLevel, Vault};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{oneshot, Mutex};

const DEVICES: [&str; 3] = ["laptop", "phone", "desktop"];

pub fn run(keep: Option<PathBuf>) -> Result<()> {
    let tmp = tempfile::Builder::new().prefix("rapport-demo-").tempdir()?;
    let root = keep.clone().unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&root)?;
    let dir = |name: &str| root.join(name);
    let rt = super::sync::runtime()?;
    // quinn binds its sockets through the runtime, also outside `block_on`.
    let _runtime = rt.enter();

    say(
        "1. Three devices",
        "a laptop holds the vault; a phone and a desktop are new",
    );
    rapport_app::init(&dir("laptop"), "laptop")?;
    let jeanne = {
        let laptop = Home::open(&dir("laptop"), None)?;
        let fields = ContactFields {
            emails: vec!["jeanne@example.org".into()],
            tags: vec!["conference".into()],
            trust: Some(TrustLevel::Met),
            met_at: Some("RustConf, Montréal".into()),
            ..Default::default()
        };
        let added = rapport_app::handle(&laptop, &add_with("Jeanne Yocum", fields))?;
        laptop.store.close()?;
        match added {
            Response::Created { id } => id.parse::<ContactId>()?,
            other => bail!("adding Jeanne answered {other:?}"),
        }
    };
    let j = &jeanne.to_string();

    say(
        "2. Pairing",
        "the laptop shows a one-time code; the phone, then the desktop, join with it and fetch the vault over QUIC",
    );
    pair_devices(&rt, &dir)?;

    say(
        "3. Offline",
        "each device edits on its own, the same contact on all three",
    );
    let offline = [
        (
            "laptop",
            vec![
                edit(j, |f| {
                    f.tags = vec!["investor".into()];
                    f.title = Some("CTO".into());
                }),
                note(j, "Coffee in Lisbon: she is raising a seed round."),
            ],
        ),
        (
            "phone",
            vec![
                edit(j, |f| {
                    f.tags = vec!["climbing".into()];
                    f.org = Some("Acme Robotics".into());
                }),
                note(
                    j,
                    "Bumped into her at the climbing gym; wants an intro to Sam.",
                ),
                add("Priya Raman", "priya@example.net"),
            ],
        ),
        (
            "desktop",
            vec![
                edit(j, |f| {
                    f.title = Some("Founder".into());
                    f.trust = Some(TrustLevel::WorkedWith);
                }),
                note(j, "Call: agreed to co-write the grant proposal."),
                add("Lars Olsen", "lars@example.com"),
            ],
        ),
    ];
    for (name, requests) in offline {
        let home = Home::open(&dir(name), None)?;
        for request in &requests {
            rapport_app::handle(&home, request)?;
        }
        home.store.close()?;
    }
    println!("   laptop: +#investor, title CTO, a note");
    println!("   phone: +#climbing, org Acme Robotics, a note, new contact Priya Raman");
    println!("   desktop: title Founder (conflicts with the laptop), trust worked-with, a note, new contact Lars Olsen");

    say(
        "4. Sync",
        "the laptop serves on loopback; the others sync with it over QUIC",
    );
    with_server(&rt, &dir("laptop"), |addr, _| {
        for name in ["phone", "desktop", "phone"] {
            let home = Home::open(&dir(name), None)?;
            let replica: SharedReplica = Arc::new(Mutex::new(Replica::open(home)?));
            let report = rt.block_on(rapport_node::sync_once(&replica, addr))?;
            println!(
                "   {name} <-> laptop: {} B sent, {} B received, {} ms",
                report.bytes_sent,
                report.bytes_received,
                report.elapsed.as_millis()
            );
        }
        Ok(())
    })?;

    say(
        "5. Merged",
        "every device shows the same contact; nothing was lost",
    );
    let mut heads = Vec::new();
    for name in DEVICES {
        let home = Home::open(&dir(name), None)?;
        let mut vault = home.store.load_vault(home.device)?;
        let mut h = vault.heads();
        h.sort();
        heads.push(h);
        check_nothing_lost(&vault, jeanne).with_context(|| format!("on the {name}"))?;
        if name == "laptop" {
            let card = rapport_app::handle(
                &home,
                &rapport_app::Request::Show {
                    contact: jeanne.to_string(),
                },
            )?;
            crate::render::response(&card, false)?;
            let titles = vault.field_values(jeanne, ContactField::Title)?;
            println!(
                "\n   title was edited on two devices at once; kept: {}",
                titles
                    .iter()
                    .map(|t| format!("\"{}\"", t.value))
                    .collect::<Vec<_>>()
                    .join(" (shown), ")
            );
            println!("\n   contacts on every device:");
            for c in vault.contacts()? {
                println!("     {}", c.name);
            }
        }
        home.store.close()?;
    }
    ensure!(
        heads.windows(2).all(|w| w[0] == w[1]),
        "the devices did not converge"
    );
    println!(
        "\nall three devices hold the same {} change head(s).",
        heads[0].len()
    );
    match keep {
        Some(dir) => println!("the demo's devices are in {}", dir.display()),
        None => println!("(the demo's folder is deleted; pass --keep DIR to look around)"),
    }
    Ok(())
}

/// Pairs each new device with the laptop the way a user does: `rapport pair` on the laptop,
/// `rapport join CODE` on the new device (in process, on loopback, without LAN discovery).
fn pair_devices(rt: &tokio::runtime::Runtime, dir: &dyn Fn(&str) -> PathBuf) -> Result<()> {
    let replica: SharedReplica = Arc::new(Mutex::new(Replica::open(Home::open(
        &dir("laptop"),
        None,
    )?)?));
    for name in &DEVICES[1..] {
        let (lines, mut shown) = tokio::sync::mpsc::unbounded_channel();
        let window = rapport_node::pairing::Window {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            timeout: std::time::Duration::from_secs(60),
            json: true,
            no_discovery: true,
            browser: None,
        };
        let host = {
            let replica = replica.clone();
            rt.spawn(async move { rapport_node::pairing::run(&replica, window, lines).await })
        };
        let first = rt
            .block_on(shown.recv())
            .ok_or_else(|| anyhow::anyhow!("the laptop's pairing window did not open"))?;
        let shown: serde_json::Value = serde_json::from_str(&first)?;
        let (Some(code), Some(addr)) = (
            shown["code"].as_str(),
            shown["addresses"][0].as_str().and_then(|a| a.parse().ok()),
        ) else {
            anyhow::bail!("the laptop's pairing window printed no code");
        };
        println!("   laptop: pairing code {code}");
        let home = Home::open(&dir(name), Some(name))?;
        let invitation = rapport_node::pairing::parse_invitation(code)?;
        let joined = rt.block_on(super::pair::join_at(&home, &invitation, vec![addr]))?;
        rt.block_on(host)??;
        println!(
            "   {name} typed it: paired in {} ms, holds {} contact(s) after {} ms",
            joined.handshake.as_millis(),
            joined.contacts,
            joined.elapsed.as_millis()
        );
        home.store.close()?;
    }
    // Let the laptop's store go before it is reopened.
    for _ in 0..200 {
        if Arc::strong_count(&replica) == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Ok(())
}

fn say(title: &str, what: &str) {
    println!("\n{title}: {what}");
}

/// Runs `f` while the device at `dir` serves on a loopback port.
fn with_server(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    f: impl FnOnce(SocketAddr, rapport_model::DeviceId) -> Result<()>,
) -> Result<()> {
    let home = Home::open(dir, None)?;
    let replica = Replica::open(home)?;
    let device = replica.device;
    let replica: SharedReplica = Arc::new(Mutex::new(replica));
    let options = rapport_node::ServeOptions {
        discovery: false,
        ..Default::default()
    };
    let node = rt.block_on(rapport_node::SyncNode::start(
        replica.clone(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
        options,
    ))?;
    let addr = node.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = rt.spawn(async move {
        node.run(async {
            let _ = stopped.await;
        })
        .await
    });
    let result = f(addr, device);
    let _ = stop.send(());
    rt.block_on(server)??;
    // Wait for the server's sessions to let go of the store before it is reopened.
    for _ in 0..200 {
        if Arc::strong_count(&replica) == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    drop(replica);
    result
}

/// `rapport edit CONTACT` with the fields `set` fills in (tags are added).
fn edit(contact: &str, set: impl FnOnce(&mut ContactFields)) -> Request {
    let mut fields = ContactFields::default();
    set(&mut fields);
    Request::Edit {
        contact: contact.into(),
        edit: ContactEdit {
            fields,
            ..Default::default()
        },
    }
}

/// `rapport note CONTACT TEXT`.
fn note(contact: &str, text: &str) -> Request {
    Request::Note(NewNote {
        contact: contact.into(),
        text: text.into(),
        kind: InteractionKind::Note,
        at: None,
        place: None,
        with: Vec::new(),
        follow_up: None,
    })
}

/// `rapport add NAME --email EMAIL`.
fn add(name: &str, email: &str) -> Request {
    add_with(
        name,
        ContactFields {
            emails: vec![email.into()],
            ..Default::default()
        },
    )
}

fn add_with(name: &str, fields: ContactFields) -> Request {
    Request::Add {
        name: name.into(),
        fields,
    }
}

/// Every offline edit from every device must be in the merged vault.
fn check_nothing_lost(v: &Vault, jeanne: ContactId) -> Result<()> {
    let Some(c) = v.contact(jeanne)? else {
        bail!("Jeanne is missing");
    };
    for tag in ["conference", "investor", "climbing"] {
        ensure!(c.tags.contains(tag), "tag {tag} was lost");
    }
    ensure!(
        c.org.as_deref() == Some("Acme Robotics"),
        "the phone's org edit was lost"
    );
    ensure!(
        c.trust == Some(TrustLevel::WorkedWith),
        "the desktop's trust edit was lost"
    );
    ensure!(
        v.field_values(jeanne, ContactField::Title)?.len() == 2,
        "a concurrent title edit was lost"
    );
    ensure!(v.interactions_of(jeanne)?.len() == 3, "a note was lost");
    let names: Vec<String> = v.contacts()?.into_iter().map(|c| c.name).collect();
    for name in ["Priya Raman", "Lars Olsen"] {
        ensure!(names.iter().any(|n| n == name), "{name} was lost");
    }
    Ok(())
}
