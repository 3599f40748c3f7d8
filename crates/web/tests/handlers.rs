//! Handler tests: the security checks and the pages, driven with `oneshot` against an
//! in-memory book (the real one is exercised end to end by tests/it/web.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use rapport_app::model::relate;
use rapport_app::model::SortedSet;
use rapport_app::model::{
    Contact, ContactId, DeviceId, FollowUp, Group, GroupId, Interaction, InteractionId, Period,
    TrustLevel,
};
use rapport_web::book::*;
use rapport_web::{router, Secrets};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

const PORT: u16 = 7449;
const HOST: &str = "127.0.0.1:7449";

#[derive(Default)]
struct Fake {
    contacts: Mutex<Vec<Contact>>,
    groups: Mutex<Vec<Group>>,
    notes: Mutex<Vec<(ContactId, String)>>,
    interactions: Mutex<Vec<Interaction>>,
    history: Mutex<Vec<HistoryRow>>,
    history_actions: Mutex<Vec<String>>,
    held: Mutex<Vec<HeldDeletion>>,
    conflicts: Mutex<Vec<FieldConflict>>,
    pairing: Mutex<Option<PairingView>>,
}

fn contact(name: &str) -> Contact {
    Contact {
        id: ContactId::random(&mut rand::thread_rng()),
        name: name.to_owned(),
        emails: SortedSet::new(),
        phones: SortedSet::new(),
        links: SortedSet::new(),
        org: None,
        title: None,
        tags: SortedSet::new(),
        groups: SortedSet::new(),
        met_on: None,
        met_at: None,
        met_context: None,
        introduced_by: None,
        trust: None,
        connected_on: None,
        notes: None,
        created: 0,
        updated: 0,
        deleted: None,
        merged_into: None,
        cadence: None,
        snoozed_until: None,
        follow_ups: Default::default(),
    }
}

impl Fake {
    fn find(&self, id: ContactId) -> BookResult<Contact> {
        self.contacts
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or_else(|| BookError::NotFound("no such contact".into()))
    }
    fn change(&self, id: ContactId, f: impl FnOnce(&mut Contact)) -> BookResult<()> {
        let mut all = self.contacts.lock().unwrap();
        let c = all
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| BookError::NotFound("no such contact".into()))?;
        f(c);
        Ok(())
    }
}

impl Book for Fake {
    fn device_name(&self) -> String {
        "test laptop".into()
    }
    fn device_tag(&self) -> String {
        "ABCD-EFG".into()
    }
    fn revision(&self) -> BookResult<String> {
        Ok(self.contacts.lock().unwrap().len().to_string())
    }
    fn contacts(&self, q: &ListQuery) -> BookResult<ContactPage> {
        let all = self.contacts.lock().unwrap();
        let hits: Vec<_> = all
            .iter()
            .filter(|c| !c.is_trashed())
            .filter(|c| c.name.to_lowercase().contains(&q.text.to_lowercase()))
            .filter(|c| q.tag.as_ref().is_none_or(|t| c.tags.contains(t)))
            .collect();
        Ok(ContactPage {
            total: hits.len(),
            rows: hits
                .iter()
                .skip(q.offset)
                .take(q.limit)
                .map(|c| ContactRow {
                    id: c.id,
                    name: c.name.clone(),
                    org: c.org.clone(),
                    tags: c.tags.iter().cloned().collect(),
                    trust: c.trust,
                    last_contacted: None,
                })
                .collect(),
            tags: vec![],
            groups: self.groups.lock().unwrap().clone(),
        })
    }
    fn card(&self, id: ContactId) -> BookResult<Card> {
        Ok(Card {
            contact: self.find(id)?,
            timeline: vec![],
            provenance: vec![FieldOrigin {
                key: "name".into(),
                device: Some("<b>phone</b>".into()),
                at: Some(0),
            }],
            groups: self.groups.lock().unwrap().clone(),
            introducer: None,
        })
    }
    fn add_contact(&self, new: &NewContact) -> BookResult<ContactId> {
        if new.name.is_empty() {
            return Err(BookError::bad("name", "a contact needs a name"));
        }
        let mut c = contact(&new.name);
        c.org = new.org.clone();
        c.tags = new.tags.iter().cloned().collect();
        let id = c.id;
        self.contacts.lock().unwrap().push(c);
        Ok(id)
    }
    fn edit_contact(&self, id: ContactId, edit: &ContactEdit) -> BookResult<()> {
        if let Some(Some(t)) = edit.trust {
            self.change(id, |c| c.trust = Some(t))?;
        }
        if let Some(cadence) = edit.cadence {
            self.change(id, |c| c.cadence = cadence)?;
        }
        Ok(())
    }
    fn tag(&self, id: ContactId, add: &[String], remove: &[String]) -> BookResult<()> {
        self.change(id, |c| {
            c.tags.extend(add.iter().cloned());
            for r in remove {
                c.tags.remove(r);
            }
        })
    }
    fn log_interaction(&self, id: ContactId, note: &NewNote) -> BookResult<()> {
        if note.at.as_deref() == Some("yesterday-ish") {
            return Err(BookError::bad("at", "`yesterday-ish` is not a valid time"));
        }
        self.find(id)?;
        self.notes.lock().unwrap().push((id, note.text.clone()));
        let iid = InteractionId::random(&mut rand::thread_rng());
        self.interactions.lock().unwrap().push(Interaction {
            id: iid,
            contacts: vec![id],
            at: chrono::Utc::now().timestamp_millis(),
            kind: note.kind,
            text: note.text.clone(),
            place: note.place.clone(),
            device: DeviceId::from_spki(b"test"),
        });
        if let Some(due) = note.follow_up {
            self.change(id, |c| {
                c.follow_ups.insert(
                    iid,
                    FollowUp {
                        due,
                        snoozed_until: None,
                        done: None,
                    },
                );
            })?;
        }
        Ok(())
    }
    fn trash(&self, id: ContactId) -> BookResult<()> {
        self.change(id, |c| c.deleted = Some(1))
    }
    fn restore(&self, id: ContactId) -> BookResult<()> {
        self.change(id, |c| c.deleted = None)
    }
    fn groups(&self) -> BookResult<Vec<GroupRow>> {
        let contacts = self.contacts.lock().unwrap();
        Ok(self
            .groups
            .lock()
            .unwrap()
            .iter()
            .map(|g| GroupRow {
                group: g.clone(),
                members: contacts
                    .iter()
                    .filter(|c| c.groups.contains(&g.id))
                    .map(|c| (c.id, c.name.clone()))
                    .collect(),
            })
            .collect())
    }
    fn create_group(&self, name: &str) -> BookResult<GroupId> {
        let id = GroupId::random(&mut rand::thread_rng());
        self.groups.lock().unwrap().push(Group {
            id,
            name: name.into(),
            description: None,
            created: 0,
            deleted: None,
            cadence: None,
        });
        Ok(id)
    }
    fn rename_group(&self, _: GroupId, _: &str) -> BookResult<()> {
        Ok(())
    }
    fn delete_group(&self, id: GroupId) -> BookResult<()> {
        for g in self
            .groups
            .lock()
            .unwrap()
            .iter_mut()
            .filter(|g| g.id == id)
        {
            g.deleted = Some(1);
        }
        Ok(())
    }
    fn restore_group(&self, id: GroupId) -> BookResult<()> {
        for g in self
            .groups
            .lock()
            .unwrap()
            .iter_mut()
            .filter(|g| g.id == id)
        {
            g.deleted = None;
        }
        Ok(())
    }
    fn set_members(&self, group: GroupId, ids: &[ContactId], add: bool) -> BookResult<()> {
        for id in ids {
            self.change(*id, |c| {
                if add {
                    c.groups.insert(group);
                } else {
                    c.groups.remove(&group);
                }
            })?;
        }
        Ok(())
    }
    fn conflicts(&self) -> BookResult<Vec<FieldConflict>> {
        Ok(self.conflicts.lock().unwrap().clone())
    }
    fn resolve(&self, contact: ContactId, field: &str, value: &str) -> BookResult<()> {
        let mut all = self.conflicts.lock().unwrap();
        let before = all.len();
        all.retain(|c| !(c.contact == Some(contact) && c.field == field));
        if all.len() == before {
            return Err(BookError::NotFound("no such conflict".into()));
        }
        drop(all);
        let value = value.to_owned();
        self.change(contact, |c| c.org = Some(value))
    }
    fn import(
        &self,
        _: ImportKind,
        name: &str,
        bytes: &[u8],
        apply: bool,
    ) -> BookResult<ImportSummary> {
        if bytes.is_empty() {
            return Err(BookError::BadInput {
                field: None,
                message: format!("cannot import {name}: it is empty"),
            });
        }
        if apply {
            self.add_contact(&NewContact {
                name: String::from_utf8_lossy(bytes).trim().to_owned(),
                ..Default::default()
            })?;
        }
        Ok(ImportSummary {
            created: 1,
            skipped: vec![("line 3".into(), "no name".into())],
            ..Default::default()
        })
    }
    fn undo_import(&self) -> BookResult<String> {
        self.contacts.lock().unwrap().clear();
        Ok("undid import".into())
    }
    fn devices(&self) -> BookResult<Vec<DeviceRow>> {
        let revoked = self
            .history_actions
            .lock()
            .unwrap()
            .contains(&"revoke CCCC-DDDD".to_owned());
        let row = |name: &str, id: &str, this_device| DeviceRow {
            name: name.into(),
            id: id.into(),
            this_device,
            revoked: false,
            added_at: 0,
            last_seen: None,
            last_synced: None,
            sync_state: None,
            address: None,
            address_source: None,
            changes_received: 0,
            quarantined: 0,
        };
        Ok(vec![
            row("<i>laptop</i>", "AAAA-BBBB", true),
            DeviceRow {
                revoked,
                last_seen: Some(1_000),
                sync_state: Some("ahead".into()),
                address: Some("127.0.0.1:7448".into()),
                address_source: Some("lan".into()),
                changes_received: 3,
                quarantined: self.held.lock().unwrap().len(),
                ..row("<b>phone</b>", "CCCC-DDDD", false)
            },
        ])
    }
    fn start_pairing(&self) -> BookResult<()> {
        *self.pairing.lock().unwrap() = Some(PairingView {
            code: "7-harbor-velvet".into(),
            addresses: vec!["127.0.0.1:7448".into()],
            link: "rapport:pair?code=7-harbor-velvet".into(),
            state: PairingState::Waiting,
        });
        Ok(())
    }
    fn pairing(&self) -> Option<PairingView> {
        self.pairing.lock().unwrap().clone()
    }
    fn due(&self, within: Option<Period>) -> BookResult<Vec<DueItem>> {
        let (contacts, interactions, groups) = self.relate_data();
        let book = relate::Book {
            contacts: &contacts,
            interactions: &interactions,
            groups: &groups,
            tag_cadences: &Default::default(),
        };
        Ok(relate::due(&book, chrono::Utc::now().date_naive(), within))
    }
    fn close_follow_up(&self, id: InteractionId) -> BookResult<String> {
        let mut all = self.contacts.lock().unwrap();
        let f = all
            .iter_mut()
            .find_map(|c| c.follow_ups.get_mut(&id))
            .ok_or_else(|| BookError::NotFound(format!("no follow-up has id {id}")))?;
        f.done = Some(1);
        Ok(format!("done: follow-up {id}"))
    }
    fn snooze(&self, target: SnoozeTarget, period: Period) -> BookResult<String> {
        let until = period.after(chrono::Utc::now().date_naive());
        let mut all = self.contacts.lock().unwrap();
        match target {
            SnoozeTarget::FollowUp(id) => {
                let f = all
                    .iter_mut()
                    .find_map(|c| c.follow_ups.get_mut(&id))
                    .ok_or_else(|| BookError::NotFound("no such follow-up".into()))?;
                f.snoozed_until = Some(until);
            }
            SnoozeTarget::Contact(id) => {
                let c = all
                    .iter_mut()
                    .find(|c| c.id == id)
                    .ok_or_else(|| BookError::NotFound("no such contact".into()))?;
                c.snoozed_until = Some(until);
            }
        }
        Ok(format!("snoozed until {until}"))
    }
    fn intro_paths(&self, target: ContactId) -> BookResult<Vec<IntroPath>> {
        let (contacts, interactions, groups) = self.relate_data();
        let book = relate::Book {
            contacts: &contacts,
            interactions: &interactions,
            groups: &groups,
            tag_cadences: &Default::default(),
        };
        Ok(relate::intro_paths(&book, target, relate::DEFAULT_MAX_HOPS))
    }
    fn intro_graph(&self, group: Option<GroupId>) -> BookResult<IntroGraph> {
        let (contacts, interactions, groups) = self.relate_data();
        let book = relate::Book {
            contacts: &contacts,
            interactions: &interactions,
            groups: &groups,
            tag_cadences: &Default::default(),
        };
        Ok(relate::intro_graph(&book, group))
    }
    fn history(&self, id: ContactId, limit: usize) -> BookResult<Vec<HistoryRow>> {
        self.find(id)?;
        Ok(self
            .history
            .lock()
            .unwrap()
            .iter()
            .take(limit)
            .cloned()
            .collect())
    }
    fn card_at(&self, id: ContactId, at: &str) -> BookResult<PastCard> {
        if !at.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(BookError::bad(
                "at",
                format!("`{at}` is neither a time nor a change id"),
            ));
        }
        let mut contact = self.find(id)?;
        contact.org = Some("Old <Org>".into());
        Ok(PastCard {
            label: format!("change {at}"),
            contact,
            timeline: vec![],
        })
    }
    fn revert(&self, id: ContactId, to: &str) -> BookResult<String> {
        self.history_actions
            .lock()
            .unwrap()
            .push(format!("revert {id} {to}"));
        Ok(format!("reverted {id} to change {to}"))
    }
    fn revoke_device(&self, id: &str) -> BookResult<String> {
        self.history_actions
            .lock()
            .unwrap()
            .push(format!("revoke {id}"));
        Ok(format!("revoked {id}"))
    }
    fn quarantine(&self) -> BookResult<Vec<HeldDeletion>> {
        Ok(self.held.lock().unwrap().clone())
    }
    fn settle_quarantine(&self, accept: bool) -> BookResult<String> {
        let n = self.held.lock().unwrap().drain(..).count();
        Ok(if accept {
            format!("accepted: {n} records")
        } else {
            format!("rejected: restored {n} records")
        })
    }
    fn export(&self, kind: ExportKind) -> BookResult<Vec<u8>> {
        let n = self.contacts.lock().unwrap().len();
        Ok(format!("{} of {n} contacts", kind.as_str()).into_bytes())
    }
    fn undo(&self, change: Option<&str>) -> BookResult<String> {
        let what = change.unwrap_or("last");
        self.history_actions
            .lock()
            .unwrap()
            .push(format!("undo {what}"));
        Ok(format!("undid `{what}`"))
    }
}

impl Fake {
    fn relate_data(&self) -> (Vec<Contact>, Vec<Interaction>, Vec<Group>) {
        (
            self.contacts.lock().unwrap().clone(),
            self.interactions.lock().unwrap().clone(),
            self.groups.lock().unwrap().clone(),
        )
    }
}

struct App {
    router: Router,
    secrets: Secrets,
    book: Arc<Fake>,
    _dir: tempfile::TempDir,
}

fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::load_or_create(dir.path()).unwrap();
    let book = Arc::new(Fake::default());
    App {
        router: router(book.clone(), secrets.clone(), PORT),
        secrets,
        book,
        _dir: dir,
    }
}

impl App {
    fn cookie(&self) -> String {
        format!("rapport_ABCDEFG={}", self.secrets.cookie_value())
    }
    fn get(&self, path: &str) -> Request<Body> {
        Request::get(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, self.cookie())
            .body(Body::empty())
            .unwrap()
    }
    fn post(&self, path: &str, form: &str) -> Request<Body> {
        Request::post(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, self.cookie())
            .header(header::ORIGIN, format!("http://{HOST}"))
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={}&{form}", self.secrets.csrf())))
            .unwrap()
    }
    async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }
}

#[tokio::test]
async fn foreign_host_is_forbidden() {
    let app = app();
    for host in [
        "evil.example:7449",
        "127.0.0.1:8080",
        "localhost",
        "127.0.0.1.nip.io:7449",
    ] {
        let mut req = app.get("/contacts");
        req.headers_mut()
            .insert(header::HOST, host.parse().unwrap());
        let (status, headers, _) = app.send(req).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "host {host}");
        assert!(headers.contains_key("content-security-policy"));
    }
    for host in ["127.0.0.1:7449", "localhost:7449", "[::1]:7449"] {
        let mut req = app.get("/contacts");
        req.headers_mut()
            .insert(header::HOST, host.parse().unwrap());
        assert_eq!(app.send(req).await.0, StatusCode::OK, "host {host}");
    }
}

#[tokio::test]
async fn cross_site_post_is_forbidden_and_writes_nothing() {
    let app = app();
    let mut req = app.post("/contacts", "name=Mallory");
    req.headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(app.send(req).await.0, StatusCode::FORBIDDEN);
    let mut req = app.post("/contacts", "name=Mallory");
    req.headers_mut().remove("sec-fetch-site");
    req.headers_mut()
        .insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    assert_eq!(app.send(req).await.0, StatusCode::FORBIDDEN);
    assert!(app.book.contacts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn post_without_csrf_token_is_forbidden() {
    let app = app();
    let req = Request::post("/contacts")
        .header(header::HOST, HOST)
        .header(header::COOKIE, app.cookie())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=Mallory&csrf=0000"))
        .unwrap();
    assert_eq!(app.send(req).await.0, StatusCode::FORBIDDEN);
    assert!(app.book.contacts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn no_cookie_redirects_pages_and_refuses_actions() {
    let app = app();
    let req = Request::get("/contacts")
        .header(header::HOST, HOST)
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = app.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/signin");
    let mut req = app.post("/contacts", "name=X");
    req.headers_mut().remove(header::COOKIE);
    assert_eq!(app.send(req).await.0, StatusCode::UNAUTHORIZED);
    let mut req = app.get("/contacts");
    req.headers_mut().insert(
        header::COOKIE,
        "rapport_ABCDEFG=0123456789abcdef".parse().unwrap(),
    );
    assert_eq!(app.send(req).await.0, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_leaves_the_token_behind() {
    let app = app();
    let req = Request::get(format!("/signin?token={}", app.secrets.token_text()))
        .header(header::HOST, HOST)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("rapport_ABCDEFG="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains(&app.secrets.token_text()));
    assert!(
        body.contains("url=/contacts"),
        "moves on to a URL without the token"
    );
    // A wrong token gets no cookie.
    let req = Request::get(format!("/signin?token={}", "ab".repeat(32)))
        .header(header::HOST, HOST)
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = app.send(req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!headers.contains_key(header::SET_COOKIE));
}

#[tokio::test]
async fn one_time_code_signs_in_once() {
    let app = app();
    let code = rapport_web::auth::new_once_code(app._dir.path()).unwrap();
    let req = |c: &str| {
        Request::get(format!("/signin?once={c}"))
            .header(header::HOST, HOST)
            .body(Body::empty())
            .unwrap()
    };
    let (status, headers, _) = app.send(req(&code)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key(header::SET_COOKIE));
    let (status, headers, _) = app.send(req(&code)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!headers.contains_key(header::SET_COOKIE));
}

#[tokio::test]
async fn pages_send_security_headers_and_no_store() {
    let app = app();
    let (status, h, _) = app.send(app.get("/contacts")).await;
    assert_eq!(status, StatusCode::OK);
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
}

#[tokio::test]
async fn markup_in_a_name_shows_as_text() {
    let app = app();
    let evil = "<img src=x onerror=alert(1)>";
    let (status, headers, _) = app
        .send(app.post(
            "/contacts",
            "name=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E&tags=%3Cb%3E",
        ))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let card = headers[header::LOCATION].to_str().unwrap().to_owned();
    for path in ["/contacts", card.as_str(), "/contacts?q=img&partial=1"] {
        let (_, _, body) = app.send(app.get(path)).await;
        assert!(!body.contains(evil), "{path} has raw markup");
        assert!(!body.contains("<b>"), "{path} has a raw tag");
        assert!(
            body.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{path}"
        );
    }
    let (_, _, card_body) = app.send(app.get(&card)).await;
    assert!(
        card_body.contains("&lt;b&gt;phone&lt;/b&gt;"),
        "provenance escaped"
    );
}

#[tokio::test]
async fn add_contact_then_card_shows_it() {
    let app = app();
    let (status, headers, _) = app
        .send(app.post(
            "/contacts",
            "name=Ada+Lovelace&org=Analytical&tags=math+history",
        ))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let card = headers[header::LOCATION].to_str().unwrap().to_owned();
    let (status, _, body) = app.send(app.get(&card)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Ada Lovelace") && body.contains("Analytical"));
    assert!(body.contains("#math") && body.contains("set by"));
    let (_, _, list) = app.send(app.get("/contacts?q=ada")).await;
    assert!(list.contains("Ada Lovelace") && list.contains("1 contact"));
    let (_, _, none) = app.send(app.get("/contacts?q=zzz")).await;
    assert!(none.contains("No contact matches"));
}

#[tokio::test]
async fn a_refused_value_is_shown_next_to_its_field_with_what_was_typed() {
    let app = app();
    let (status, _, body) = app.send(app.post("/contacts", "name=&org=Kept+Org")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("a contact needs a name"));
    assert!(body.contains("aria-invalid=\"true\""));
    assert!(body.contains("value=\"Kept Org\""));
    assert!(app.book.contacts.lock().unwrap().is_empty());

    let id = app
        .book
        .add_contact(&NewContact {
            name: "Bo".into(),
            ..Default::default()
        })
        .unwrap();
    let (status, _, body) = app
        .send(app.post(
            &format!("/contacts/{id}/note"),
            "kind=call&at=yesterday-ish&text=kept+text",
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("is not a valid time") && body.contains("kept text"));
    assert!(app.book.notes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn note_tag_and_trust_go_to_the_book() {
    let app = app();
    let id = app
        .book
        .add_contact(&NewContact {
            name: "Cy".into(),
            ..Default::default()
        })
        .unwrap();
    let card = format!("/contacts/{id}");
    assert_eq!(
        app.send(app.post(&format!("{card}/note"), "kind=call&text=talked"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.book.notes.lock().unwrap()[0].1, "talked");
    assert_eq!(
        app.send(app.post(&format!("{card}/tags"), "add=vip+%23friend"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.send(app.post(&format!("{card}/edit"), "name=Cy&trust=trusted"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let c = app.book.find(id).unwrap();
    assert!(c.tags.contains("vip") && c.tags.contains("friend"));
    assert_eq!(c.trust, Some(TrustLevel::Trusted));
    assert_eq!(
        app.send(app.post(&format!("{card}/tags"), "remove=vip"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert!(!app.book.find(id).unwrap().tags.contains("vip"));
}

#[tokio::test]
async fn groups_create_bulk_add_delete_and_restore() {
    let app = app();
    let a = app
        .book
        .add_contact(&NewContact {
            name: "Ann".into(),
            ..Default::default()
        })
        .unwrap();
    let b = app
        .book
        .add_contact(&NewContact {
            name: "Ben".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        app.send(app.post("/groups", "name=Climbing")).await.0,
        StatusCode::SEE_OTHER
    );
    let g = app.book.groups.lock().unwrap()[0].id;
    let (status, h, _) = app
        .send(app.post(
            "/groups/members",
            &format!("group={g}&ids={a}&ids={b}&action=add&back=/contacts"),
        ))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/contacts");
    let (_, _, page) = app.send(app.get("/groups")).await;
    assert!(page.contains("Climbing") && page.contains("(2 members)"));
    app.send(app.post(&format!("/groups/{g}/delete"), "")).await;
    let (_, _, page) = app.send(app.get("/groups")).await;
    assert!(page.contains("Climbing (deleted)"));
    app.send(app.post(&format!("/groups/{g}/restore"), ""))
        .await;
    let (_, _, page) = app.send(app.get("/groups")).await;
    assert!(!page.contains("(deleted)") && page.contains("(2 members)"));
}

#[tokio::test]
async fn unknown_contact_is_404_and_assets_are_served() {
    let app = app();
    let (status, _, _) = app
        .send(app.get(&format!(
            "/contacts/{}",
            ContactId::random(&mut rand::thread_rng())
        )))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, h, body) = app.send(app.get("/assets/app.js")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(body.len() < 50 * 1024);
}

#[test]
fn a_non_loopback_address_is_refused_with_a_sentence() {
    let err = rapport_web::check_loopback("0.0.0.0:7449".parse().unwrap()).unwrap_err();
    assert!(err.to_string().contains("this machine only"));
    assert!(rapport_web::check_loopback("192.168.1.2:7449".parse().unwrap()).is_err());
    assert!(rapport_web::check_loopback("127.0.0.1:7449".parse().unwrap()).is_ok());
    assert!(rapport_web::check_loopback("[::1]:7449".parse().unwrap()).is_ok());
}

#[tokio::test]
async fn conflicts_page_lists_values_and_resolving_picks_one() {
    let app = app();
    let id = app
        .book
        .add_contact(&NewContact {
            name: "Dee".into(),
            ..Default::default()
        })
        .unwrap();
    let value = |v: &str, device: &str, shown| CompetingValue {
        value: v.into(),
        device: device.into(),
        at: Some(0),
        shown,
    };
    app.book.conflicts.lock().unwrap().push(FieldConflict {
        contact: Some(id),
        name: "Dee".into(),
        field: "org".into(),
        values: vec![
            value("Acme <Labs>", "laptop", true),
            value("Initech", "phone", false),
        ],
    });
    let (status, _, page) = app.send(app.get("/conflicts")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Acme &lt;Labs&gt;") && page.contains("Initech") && page.contains("by phone")
    );
    assert!(page.contains("(shown now)"));
    let (status, _, _) = app
        .send(app.post(
            "/conflicts/resolve",
            &format!("contact={id}&field=org&value=Initech"),
        ))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.book.find(id).unwrap().org.as_deref(), Some("Initech"));
    let (_, _, page) = app.send(app.get("/conflicts")).await;
    assert!(page.contains("No conflicts"));
}

#[tokio::test]
async fn import_previews_then_applies_the_same_upload() {
    let app = app();
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nlinkedin\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Connections.csv\"\r\nContent-Type: text/csv\r\n\r\nEve <Imported>\r\n--{boundary}--\r\n"
    );
    let req = |csrf: &str| {
        Request::post(format!("/import/preview?csrf={csrf}"))
            .header(header::HOST, HOST)
            .header(header::COOKIE, app.cookie())
            .header("sec-fetch-site", "same-origin")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body.clone()))
            .unwrap()
    };
    // Without the CSRF token, an upload is refused like any post.
    assert_eq!(app.send(req("nope")).await.0, StatusCode::FORBIDDEN);
    let (status, _, page) = app.send(req(&app.secrets.csrf())).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("1 to create") && page.contains("line 3: no name"));
    assert!(page.contains("Preview of Connections.csv"));
    assert!(
        app.book.contacts.lock().unwrap().is_empty(),
        "a preview writes nothing"
    );
    let upload = page
        .split("name=\"upload\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, page) = app
        .send(app.post("/import/apply", &format!("upload={upload}")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Imported Connections.csv"));
    assert_eq!(app.book.contacts.lock().unwrap()[0].name, "Eve <Imported>");
    // The same preview cannot be applied twice.
    let (status, _, _) = app
        .send(app.post("/import/apply", &format!("upload={upload}")))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, _, page) = app.send(app.post("/import/undo", "")).await;
    assert!(page.contains("undid import"));
}

#[tokio::test]
async fn devices_page_lists_devices_and_shows_a_pairing_code_with_its_qr_code() {
    let app = app();
    let (status, _, page) = app.send(app.get("/devices")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("&lt;i&gt;laptop&lt;/i&gt; (this device)"));
    assert!(!page.contains("<svg"));
    assert_eq!(
        app.send(app.post("/devices/pair", "")).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, page) = app.send(app.get("/devices")).await;
    assert!(page.contains("7-harbor-velvet") && page.contains("Waiting for the new device"));
    assert!(page.contains("<svg") && page.contains("aria-label=\"QR code of the pairing link\""));
    assert!(
        !page.contains("action=\"/devices/pair\""),
        "one window at a time"
    );
}

fn add(app: &App, name: &str) -> ContactId {
    app.book
        .add_contact(&NewContact {
            name: name.into(),
            ..Default::default()
        })
        .unwrap()
}

#[tokio::test]
async fn today_lists_a_due_follow_up_with_its_reason_and_done_closes_it() {
    let app = app();
    let id = add(&app, "Jeanne <b>Bold</b>");
    let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let (status, _, _) = app
        .send(app.post(
            &format!("/contacts/{id}/note"),
            &format!("kind=note&text=Send+the+deck&follow_up={yesterday}"),
        ))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = app.send(app.get("/today")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Send the deck"), "{page}");
    assert!(page.contains(&format!("follow-up due {yesterday}: 1 day overdue")));
    assert!(page.contains("Jeanne &lt;b&gt;Bold&lt;/b&gt;") && !page.contains("<b>Bold"));
    assert!(page.contains("aria-current=\"page\">Today"));
    let note = app.book.interactions.lock().unwrap()[0].id;
    let (status, h, _) = app
        .send(app.post("/today/done", &format!("id={note}&within=7d")))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = h[header::LOCATION].to_str().unwrap().to_owned();
    assert!(back.starts_with("/today?within=7d&said="), "{back}");
    // The page it goes back to names the sentence, so a live refresh shows it again.
    for _ in 0..2 {
        let (_, _, page) = app.send(app.get(&back)).await;
        assert!(page.contains(&format!("done: follow-up {note}")));
        assert!(!page.contains("Send the deck") && page.contains("Nothing is due"));
    }
    let (_, _, page) = app.send(app.get("/today?said=999")).await;
    assert!(!page.contains("done: follow-up"));
}

#[tokio::test]
async fn a_contact_past_its_cadence_is_due_and_a_snooze_defers_it() {
    let app = app();
    let id = add(&app, "Kim");
    let (status, _, _) = app
        .send(app.post(&format!("/contacts/{id}/edit"), "name=Kim&cadence=30d"))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.book.find(id).unwrap().cadence, Some(Period::Days(30)));
    let (_, _, page) = app.send(app.get("/today")).await;
    assert!(page.contains("Keep in touch"), "{page}");
    assert!(page.contains("added 1970-01-01 (no interaction since), every 30 days"));
    assert!(page.contains("aria-label=\"Snooze Kim\""));
    let (status, h, _) = app
        .send(app.post("/today/snooze", &format!("target=contact:{id}&period=7d")))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = app
        .send(app.get(h[header::LOCATION].to_str().unwrap()))
        .await;
    assert!(page.contains("snoozed until") && page.contains("Nothing is due"));
    let (_, _, page) = app.send(app.get("/today?within=30d")).await;
    assert!(page.contains("Kim"), "still listed within the month");
    // A tampered form is refused and changes nothing.
    let (status, _, _) = app
        .send(app.post("/today/snooze", &format!("target=contact:{id}&period=soon")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_bad_follow_up_date_or_cadence_is_refused_next_to_its_field() {
    let app = app();
    let id = add(&app, "Lu");
    let (status, _, page) = app
        .send(app.post(
            &format!("/contacts/{id}/note"),
            "kind=note&text=kept&follow_up=next+week",
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("`next week` is not a valid date") && page.contains("note-follow_up-error")
    );
    assert!(app.book.notes.lock().unwrap().is_empty());
    let (status, _, page) = app
        .send(app.post(&format!("/contacts/{id}/edit"), "name=Lu&cadence=often"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("edit-cadence-error") && page.contains("value=\"often\""));
    assert_eq!(app.book.find(id).unwrap().cadence, None);
}

#[tokio::test]
async fn introductions_page_draws_who_introduced_whom_and_filters_by_group() {
    let app = app();
    let ann = add(&app, "Ann <script>");
    let bob = add(&app, "Bob");
    let cat = add(&app, "Cat");
    app.book
        .change(bob, |c| c.introduced_by = Some(ann))
        .unwrap();
    let (status, _, page) = app.send(app.get("/introductions")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<svg") && page.contains("marker-end=\"url(#arrow)\""));
    assert!(page.contains(&format!("href=\"/contacts/{ann}\"")));
    assert!(page.contains("2 people, 1 introductions"), "{page}");
    assert!(page.contains("Ann &lt;script&gt;</a> introduced <a"));
    assert!(!page.contains("<script>"));
    assert!(
        !page.contains(&format!("/contacts/{cat}")),
        "Cat has no introduction"
    );
    // Around a group holding only Cat there is nothing to draw.
    let g = app.book.create_group("Climbers").unwrap();
    app.book.set_members(g, &[cat], true).unwrap();
    let (status, _, page) = app
        .send(app.get(&format!("/introductions?group={g}")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No introductions recorded around this group"));
    app.book.set_members(g, &[bob], true).unwrap();
    let (_, _, page) = app
        .send(app.get(&format!("/introductions?group={g}")))
        .await;
    assert!(
        page.contains("class=\"member\"") && page.contains("3 people"),
        "Cat is drawn as a member"
    );
}

#[tokio::test]
async fn a_card_shows_who_can_introduce_me_ranked_with_evidence() {
    let app = app();
    let ann = add(&app, "Ann");
    let bob = add(&app, "Bob");
    let cat = add(&app, "Cat");
    app.book
        .change(ann, |c| c.trust = Some(TrustLevel::Trusted))
        .unwrap();
    app.book
        .change(bob, |c| c.introduced_by = Some(ann))
        .unwrap();
    app.book
        .change(cat, |c| c.introduced_by = Some(bob))
        .unwrap();
    let (status, _, page) = app.send(app.get(&format!("/contacts/{cat}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Who can introduce me"));
    let ask_ann = page.find(">Ann</a> (trusted; 2 steps").expect("Ann's path");
    let ask_bob = page
        .find(">Bob</a> (trust not set; 1 step")
        .expect("Bob's path");
    assert!(ask_ann < ask_bob, "the trusted first hop ranks first");
    assert!(page.contains("Bob knows Cat: Cat introduced by Bob"));
    let (_, _, page) = app.send(app.get(&format!("/contacts/{ann}"))).await;
    assert!(page.contains("Ask <a") && page.contains(">Bob</a>"));
    let lone = add(&app, "Lone");
    let (_, _, page) = app.send(app.get(&format!("/contacts/{lone}"))).await;
    assert!(page.contains("Nobody in your book is known to know Lone"));
}

#[tokio::test]
async fn history_lists_changes_old_to_new_and_shows_the_card_as_it_was() {
    let app = app();
    let id = add(&app, "Mo");
    let change = "ab12cd34".repeat(8);
    app.book.history.lock().unwrap().push(HistoryRow {
        change: change.clone(),
        at: 0,
        device: "<i>phone</i>".into(),
        summary: "edit contact Mo".into(),
        fields: vec![FieldChange {
            field: "org".into(),
            old: None,
            new: Some("Acme <Labs>".into()),
        }],
        bulk: false,
    });
    let (_, _, card) = app.send(app.get(&format!("/contacts/{id}"))).await;
    assert!(card.contains(&format!("href=\"/contacts/{id}/history\"")));
    let (status, _, page) = app.send(app.get(&format!("/contacts/{id}/history"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("History of Mo") && page.contains("edit contact Mo"));
    assert!(
        page.contains("by &lt;i&gt;phone&lt;/i&gt;")
            && page.contains("change <code>ab12cd34</code>")
    );
    assert!(
        page.contains(
            "<th scope=\"row\">org</th><td><em>(none)</em></td><td>→ Acme &lt;Labs&gt;</td>"
        ),
        "{page}"
    );
    assert!(page.contains(&format!("/contacts/{id}/history?at={change}")));
    let (status, _, page) = app
        .send(app.get(&format!("/contacts/{id}/history?at={change}")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("Mo as it was at change {change}")));
    assert!(page.contains("Old &lt;Org&gt;") && page.contains("Revert the card to this point"));
    // A point that is neither a time nor a change is refused next to its field.
    let (status, _, page) = app
        .send(app.get(&format!("/contacts/{id}/history?at=%3Cyesterday%3E")))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("past-at-error") && page.contains("`&lt;yesterday&gt;` is neither"));
    assert!(page.contains("value=\"&lt;yesterday&gt;\""));
}

#[tokio::test]
async fn revert_and_undo_go_to_the_book_and_come_back_with_its_sentence() {
    let app = app();
    let id = add(&app, "Ned");
    let history = format!("/contacts/{id}/history");
    let (status, h, _) = app
        .send(app.post(&format!("/contacts/{id}/revert"), "to=ab12"))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = h[header::LOCATION].to_str().unwrap().to_owned();
    assert!(back.starts_with(&format!("{history}?said=")), "{back}");
    let (_, _, page) = app.send(app.get(&back)).await;
    assert!(page.contains(&format!("reverted {id} to change ab12")));
    let (status, h, _) = app
        .send(app.post("/history/undo", &format!("back={history}")))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(h[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with(&format!("{history}?said=")));
    for evil in [
        "//evil.example/x",
        "https://evil.example/",
        "/contacts/x/history",
    ] {
        let (_, h, _) = app
            .send(app.post("/history/undo", &format!("change=ab12&back={evil}")))
            .await;
        let to = h[header::LOCATION].to_str().unwrap();
        assert!(
            to.starts_with("/today?said="),
            "never a redirect elsewhere: {to}"
        );
    }
    assert_eq!(
        *app.book.history_actions.lock().unwrap(),
        vec![
            format!("revert {id} ab12"),
            "undo last".into(),
            "undo ab12".into(),
            "undo ab12".into(),
            "undo ab12".into()
        ]
    );
}

#[tokio::test]
async fn devices_page_shows_sync_status_and_revokes_only_after_a_confirmation() {
    let app = app();
    let (status, _, page) = app.send(app.get("/devices")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("&lt;b&gt;phone&lt;/b&gt;") && !page.contains("<b>phone"));
    assert!(page.contains("trusted, ahead") && page.contains("never"));
    assert!(page.contains("3 received since the last"));
    assert!(page.contains("127.0.0.1:7448") && page.contains("found on the local network"));
    assert!(page.contains("href=\"/devices/CCCC-DDDD/revoke\""));
    assert!(
        !page.contains("/devices/AAAA-BBBB/revoke"),
        "not this device"
    );
    // The link leads to a confirmation page; nothing is revoked by looking at it.
    let (status, _, page) = app.send(app.get("/devices/CCCC-DDDD/revoke")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Revoke &lt;b&gt;phone&lt;/b&gt;?") && page.contains("Cancel"));
    assert!(app.book.history_actions.lock().unwrap().is_empty());
    let (status, _, _) = app.send(app.get("/devices/AAAA-BBBB/revoke")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, h, _) = app.send(app.post("/devices/CCCC-DDDD/revoke", "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = app
        .send(app.get(h[header::LOCATION].to_str().unwrap()))
        .await;
    assert!(page.contains("revoked CCCC-DDDD") && page.contains("revoked, ahead"));
    assert!(!page.contains("href=\"/devices/CCCC-DDDD/revoke\""));
}

#[tokio::test]
async fn quarantined_deletions_are_listed_and_accept_or_reject_settles_them() {
    let app = app();
    let (_, _, page) = app.send(app.get("/devices")).await;
    assert!(page.contains("Nothing is quarantined"));
    let held = |name: &str| HeldDeletion {
        record: "contact",
        id: "0123456789abcdef".into(),
        name: name.into(),
        deleted_at: 0,
        by: "phone".into(),
        received: 0,
    };
    *app.book.held.lock().unwrap() = vec![held("Zoe <x>"), held("Yan")];
    let (_, _, page) = app.send(app.get("/devices")).await;
    assert!(page.contains("2 records deleted on another device are held back here"));
    assert!(page.contains("Zoe &lt;x&gt;") && page.contains("2 deletions held back"));
    let (status, h, _) = app
        .send(app.post("/devices/quarantine", "decision=reject"))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = app
        .send(app.get(h[header::LOCATION].to_str().unwrap()))
        .await;
    assert!(
        page.contains("rejected: restored 2 records") && page.contains("Nothing is quarantined")
    );
    let (status, _, _) = app
        .send(app.post("/devices/quarantine", "decision=maybe"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn exports_and_the_backup_download_as_attachments() {
    let app = app();
    add(&app, "Ola");
    let (_, _, page) = app.send(app.get("/import")).await;
    for kind in ["vcard", "csv", "json", "backup"] {
        assert!(page.contains(&format!("href=\"/export/{kind}\"")), "{kind}");
    }
    for (kind, name, ty) in [
        ("vcard", "rapport-contacts.vcf", "text/vcard"),
        ("csv", "rapport-contacts.csv", "text/csv"),
        ("json", "rapport-contacts.json", "application/json"),
        (
            "backup",
            "rapport-backup.automerge",
            "application/octet-stream",
        ),
    ] {
        let (status, h, body) = app.send(app.get(&format!("/export/{kind}"))).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert_eq!(
            h[header::CONTENT_DISPOSITION],
            format!("attachment; filename=\"{name}\"").as_str()
        );
        assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with(ty));
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(body, format!("{kind} of 1 contacts"));
    }
    let (status, _, _) = app.send(app.get("/export/passwords")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Without the cookie there is no download.
    let mut req = app.get("/export/csv");
    req.headers_mut().remove(header::COOKIE);
    let (status, _, body) = app.send(req).await;
    assert_ne!(status, StatusCode::OK);
    assert!(!body.contains("csv of"));
}

#[tokio::test]
async fn the_phone_app_needs_no_sign_in_and_may_compile_webassembly() {
    let app = app();
    let req = Request::get("/app/")
        .header(header::HOST, HOST)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = app.send(req).await;
    assert_ne!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers.get(header::LOCATION).is_none(),
        "no sign-in redirect"
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"));
    // Built or not (scripts/wasm-build.sh), the answer is the app or how to build it.
    match status {
        StatusCode::OK => assert!(body.contains("main.js")),
        StatusCode::NOT_FOUND => assert!(body.contains("scripts/wasm-build.sh")),
        other => panic!("/app/ answered {other}"),
    }
    let foreign = Request::get("/app/")
        .header(header::HOST, "evil.example:80")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(foreign).await.0, StatusCode::FORBIDDEN);
}

#[test]
fn the_phone_app_files_include_the_module_and_a_service_worker_versioned_by_their_contents() {
    let pkg = tempfile::tempdir().unwrap();
    std::fs::write(pkg.path().join("rapport_wasm.js"), "export default 1;").unwrap();
    std::fs::write(pkg.path().join("rapport_wasm_bg.wasm"), b"\0asm one").unwrap();
    let sw = |files: Vec<(String, Vec<u8>, &str)>| {
        let names: Vec<&str> = files.iter().map(|(n, _, _)| n.as_str()).collect();
        for wanted in [
            "index.html",
            "worker.js",
            "storage.js",
            "pkg/rapport_wasm_bg.wasm",
        ] {
            assert!(names.contains(&wanted), "{wanted} is in {names:?}");
        }
        let (_, body, _) = files.into_iter().find(|(n, _, _)| n == "sw.js").unwrap();
        String::from_utf8(body).unwrap()
    };
    let first = sw(rapport_web::phone::files(pkg.path()).unwrap());
    assert!(!first.contains("__VERSION__"));
    std::fs::write(pkg.path().join("rapport_wasm_bg.wasm"), b"\0asm two").unwrap();
    let second = sw(rapport_web::phone::files(pkg.path()).unwrap());
    assert_ne!(
        first, second,
        "a new module gives the service worker a new cache"
    );
    std::fs::remove_file(pkg.path().join("rapport_wasm.js")).unwrap();
    assert!(rapport_web::phone::files(pkg.path()).is_err());
}
