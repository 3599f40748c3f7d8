//! The roster, file and store requests, run against a real data folder as any front end runs
//! them: typed data in, typed data out, nothing printed.

#![allow(clippy::expect_used, clippy::panic)]

use rapport_app::model::automerge::AutoCommit;
use rapport_app::{
    handle, AppError, ContactEdit, ContactFields, ExportFormat, Home, ImportSource, Request,
    Response, TagChange,
};
use std::path::Path;

fn new_home(dir: &Path) -> Home {
    rapport_app::init(dir, "laptop").expect("init");
    Home::open(dir, None).expect("open")
}

fn add(home: &Home, name: &str, email: &str) {
    let fields = ContactFields {
        emails: vec![email.to_owned()],
        ..ContactFields::default()
    };
    handle(
        home,
        &Request::Add {
            name: name.to_owned(),
            fields,
        },
    )
    .expect("add");
}

fn roster(home: &Home) -> rapport_app::Roster {
    match handle(home, &Request::Devices).expect("devices") {
        Response::Devices(r) => r,
        other => panic!("devices answered {other:?}"),
    }
}

#[test]
fn a_revoked_device_shows_as_revoked_in_the_roster_and_status_lists_only_peers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = new_home(dir.path());
    let (_, phone) = rapport_app::home::new_identity_record("phone").expect("identity");
    handle(
        &home,
        &Request::AddDevice {
            id: phone,
            name: Some("phone".into()),
            endpoint: None,
        },
    )
    .expect("add device");
    let before = roster(&home);
    assert_eq!(before.devices.len(), 2);
    let me = before.devices.iter().find(|e| e.this_device).expect("me");
    assert!(me.peer.is_none(), "this device is nobody's peer");
    let peer = before
        .devices
        .iter()
        .find(|e| !e.this_device)
        .expect("peer");
    assert!(!peer.revoked);
    assert_eq!(
        peer.peer.as_ref().map(|p| p.sync),
        Some(rapport_app::SyncState::NeverSynced)
    );

    let revoked = handle(
        &home,
        &Request::Revoke {
            device: "phone".into(),
        },
    )
    .expect("revoke");
    assert!(matches!(revoked, Response::Revoked { id, .. } if id == phone));
    let after = roster(&home);
    let peer = after
        .devices
        .iter()
        .find(|e| e.device.id == phone)
        .expect("peer");
    assert!(peer.revoked && !peer.left);

    let status = handle(&home, &Request::Status).expect("status");
    let json = serde_json::to_value(status.json().expect("status has a JSON form")).expect("json");
    let rows = json.as_array().expect("an array of peers");
    assert_eq!(rows.len(), 1, "{json}");
    assert_eq!(rows[0]["name"], "phone");
    assert_eq!(rows[0]["state"], "never synced");

    let own = handle(
        &home,
        &Request::Revoke {
            device: "laptop".into(),
        },
    )
    .expect_err("own");
    assert_eq!(own.exit_code(), 2, "{own}");
    let nobody = handle(
        &home,
        &Request::Revoke {
            device: "tablet".into(),
        },
    )
    .expect_err("none");
    assert_eq!(nobody.exit_code(), 3, "{nobody}");
}

#[test]
fn export_and_backup_come_back_as_data_and_a_backup_merges_back_as_nothing_new() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = new_home(dir.path());
    add(&home, "Ada Lovelace", "ada@example.org");
    add(&home, "Grace Hopper", "grace@example.org");

    for (format, needle) in [
        (ExportFormat::Json, "\"Ada Lovelace\""),
        (ExportFormat::Csv, "grace@example.org"),
        (ExportFormat::Vcard, "BEGIN:VCARD"),
    ] {
        match handle(&home, &Request::Export { format, out: None }).expect("export") {
            Response::Export(text) => assert!(text.contains(needle), "{format:?}: {text}"),
            other => panic!("export answered {other:?}"),
        }
    }
    let out = dir.path().join("contacts.csv");
    let wrote = handle(
        &home,
        &Request::Export {
            format: ExportFormat::Csv,
            out: Some(out.clone()),
        },
    )
    .expect("export to a file");
    let on_disk = std::fs::read(&out).expect("written");
    assert!(matches!(wrote, Response::Wrote { bytes, .. } if bytes == on_disk.len()));

    let bytes = match handle(&home, &Request::Backup { path: None }).expect("backup") {
        Response::Backup(bytes) => bytes,
        other => panic!("backup answered {other:?}"),
    };
    AutoCommit::load(&bytes).expect("a backup is an Automerge document");
    let path = dir.path().join("vault.automerge");
    std::fs::write(&path, &bytes).expect("write the backup");
    match handle(&home, &Request::RestoreBackup { path }).expect("restore") {
        Response::BackupMerged { changed, .. } => assert!(!changed, "nothing was new"),
        other => panic!("restore answered {other:?}"),
    }

    match handle(&home, &Request::Check).expect("check") {
        Response::Checked(report) => assert_eq!(report.contacts, 2),
        other => panic!("check answered {other:?}"),
    }
}

#[test]
fn an_import_dry_run_writes_nothing_and_the_import_then_creates_what_it_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = new_home(dir.path());
    let csv = dir.path().join("people.csv");
    std::fs::write(
        &csv,
        "name,email\nAda Lovelace,ada@example.org\nAlan Turing,alan@example.org\n",
    )
    .expect("csv");
    let source = ImportSource::Csv {
        file: csv,
        map: vec![],
    };
    let run = |dry_run| {
        let request = Request::Import {
            source: source.clone(),
            dry_run,
        };
        let mut ticks = 0;
        let response = rapport_app::handle_with_progress(&home, &request, &mut |_, _| ticks += 1)
            .expect("import");
        match response {
            Response::Imported(report) => (report, ticks),
            other => panic!("import answered {other:?}"),
        }
    };
    let (dry, _) = run(true);
    assert!(dry.dry_run && dry.created == 2, "{dry:?}");
    let listed = |home: &Home| match handle(home, &Request::List(Default::default())) {
        Ok(Response::Contacts(list)) => list.contacts.len(),
        other => panic!("list answered {other:?}"),
    };
    assert_eq!(listed(&home), 0, "a dry run writes nothing");
    let (done, ticks) = run(false);
    assert_eq!(done.created, 2, "{done:?}");
    assert!(
        ticks > 0,
        "the progress callback is told as records are written"
    );
    assert_eq!(listed(&home), 2);

    let missing = Request::Import {
        source: ImportSource::Linkedin {
            file: dir.path().join("nowhere.csv"),
        },
        dry_run: false,
    };
    let e = handle(&home, &missing).expect_err("no such file");
    assert!(matches!(e, AppError::File { .. }), "{e:?}");
    assert!(e.to_string().ends_with("check the path"), "{e}");
}

#[test]
fn a_failure_under_a_context_keeps_the_kind_of_what_failed() {
    let full = AppError::Store(rapport_store::StoreError::DiskFull {
        path: "/tmp/store".into(),
    });
    assert_eq!(full.exit_code(), 6);
    let wrapped = full.context("the repair failed and the store was left as it was");
    assert_eq!(
        wrapped.exit_code(),
        6,
        "a full disk under a context is still exit 6"
    );
    assert_eq!(
        wrapped.to_string(),
        "the repair failed and the store was left as it was"
    );
    let other = AppError::wrap("could not do it")(std::io::Error::other("no"));
    assert_eq!(other.exit_code(), 1);
}

#[test]
fn sync_by_device_name_needs_an_address_this_device_has_reached() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = new_home(dir.path());
    let (_, phone) = rapport_app::home::new_identity_record("phone").expect("identity");
    handle(
        &home,
        &Request::AddDevice {
            id: phone,
            name: Some("Phone".into()),
            endpoint: None,
        },
    )
    .expect("add device");
    let target = rapport_app::devices::sync_target;
    let given = "127.0.0.1:7447".parse().expect("addr");
    assert_eq!(
        target(&home, Some(given), None).expect("given"),
        rapport_app::devices::SyncTarget::Addr(given)
    );
    let unknown = target(&home, None, Some("tablet")).expect_err("unknown");
    assert_eq!(unknown.exit_code(), 3, "{unknown}");
    let unreached = target(&home, None, Some("phone")).expect_err("never reached");
    assert!(
        unreached
            .to_string()
            .starts_with("this device has never reached Phone"),
        "{unreached}"
    );
    // This device is not a sync target, even by its own name.
    let me = target(&home, None, Some("laptop")).expect_err("this device");
    assert_eq!(me.exit_code(), 3, "{me}");
}

fn relay(home: &Home, request: rapport_app::RelayRequest) -> (Option<String>, bool) {
    match handle(home, &Request::Relay(request)).expect("relay") {
        Response::Relay { url, changed } => (url, changed),
        other => panic!("relay answered {other:?}"),
    }
}

#[test]
fn no_relay_is_set_until_the_user_names_one_and_it_goes_into_this_devices_record() {
    use rapport_app::RelayRequest;
    let dir = tempfile::tempdir().expect("tempdir");
    let home = new_home(dir.path());
    assert_eq!(relay(&home, RelayRequest::Show), (None, false));
    let url = "https://relay.example.org";
    let set = RelayRequest::Set {
        url: url.to_owned(),
    };
    assert_eq!(relay(&home, set.clone()), (Some(url.to_owned()), true));
    assert_eq!(relay(&home, set), (Some(url.to_owned()), false));
    assert_eq!(
        relay(&home, RelayRequest::Show),
        (Some(url.to_owned()), false)
    );
    // This device's own record says how to reach it: its endpoint id and the relay.
    let endpoint = home.endpoint_key.endpoint_id();
    let reach = home
        .with_vault(|v| Ok::<_, AppError>(v.reaches()?.get(&home.device).cloned()))
        .expect("reaches")
        .expect("this device's reach");
    assert_eq!(reach.endpoint, endpoint);
    assert_eq!(reach.relay.as_deref(), Some(url));
    // A bad URL is refused as bad input and changes nothing.
    let bad = handle(
        &home,
        &Request::Relay(RelayRequest::Set {
            url: "relay.example.org".to_owned(),
        }),
    )
    .expect_err("a URL without a scheme");
    assert_eq!(bad.kind(), rapport_app::ErrorKind::BadInput, "{bad}");
    assert_eq!(relay(&home, RelayRequest::Clear), (None, true));
    assert_eq!(relay(&home, RelayRequest::Show), (None, false));
    // The endpoint key survives a reopen (it is stored, not made anew).
    drop(home);
    let home = Home::open(dir.path(), None).expect("reopen");
    assert_eq!(home.endpoint_key.endpoint_id(), endpoint);
}

/// Without a loaded vault (a one-shot command), `tag` and `edit` append their change to the
/// stored document without loading it (issue #15); what they answer and what the view then
/// shows is what the vault path gives, and a reload of the document agrees.
#[test]
fn one_shot_tag_and_edit_write_without_loading_the_vault() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = new_home(dir.path());
    add(&home, "Jeanne Yocum", "jeanne@example.org");
    add(&home, "Ravi Rao", "ravi@example.org");
    drop(home);

    let home = Home::open(dir.path(), None).expect("open");
    let tag = |change: TagChange| Request::Tag {
        contact: "Jeanne".into(),
        changes: vec![change],
    };
    match handle(&home, &tag(TagChange::Add("vip".into()))).expect("tag") {
        Response::Tagged { name, tags, .. } => {
            assert_eq!(
                (name.as_str(), tags),
                ("Jeanne Yocum", vec!["vip".to_owned()])
            );
        }
        other => panic!("tag answered {other:?}"),
    }
    let edit = |org: &str| Request::Edit {
        contact: "Jeanne".into(),
        edit: ContactEdit {
            fields: ContactFields {
                org: Some(org.into()),
                introduced_by: Some("Ravi".into()),
                ..ContactFields::default()
            },
            ..ContactEdit::default()
        },
    };
    for (org, changed) in [("Acme", true), ("Acme", false)] {
        match handle(&home, &edit(org)).expect("edit") {
            Response::Edited { changed: c, .. } => assert_eq!(c, changed, "edit to {org}"),
            other => panic!("edit answered {other:?}"),
        }
    }
    assert!(!home.vault_loaded(), "tag and edit loaded the vault");
    // A bad value is refused as the vault path refuses it, and nothing is written.
    let bad = handle(&home, &tag(TagChange::Add("  ".into())));
    assert!(matches!(bad, Err(AppError::Edit(_))), "{bad:?}");

    let shown = |home: &Home| match handle(
        home,
        &Request::Show {
            contact: "Jeanne".into(),
        },
    ) {
        Ok(Response::Card(card)) => card.contact,
        other => panic!("show answered {other:?}"),
    };
    let appended = shown(&home);
    assert_eq!(appended.org.as_deref(), Some("Acme"));
    assert!(appended.introduced_by.is_some() && appended.tags.contains("vip"));
    drop(home);
    let home = Home::open(dir.path(), None).expect("open");
    match handle(&home, &Request::Check).expect("check") {
        Response::Checked(report) => {
            assert_eq!(report.contacts, 2);
            assert!(
                !report.view_rebuilt,
                "the appends left the view stale: {report:?}"
            );
        }
        other => panic!("check answered {other:?}"),
    }
    assert_eq!(shown(&home), appended);
}
