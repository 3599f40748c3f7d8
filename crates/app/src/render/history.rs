//! Text for `log`, `show --at`, `revert` and `undo`.

use super::{follow_up_lines, out, Out};
use crate::response::{ContactAt, LogEntry};
use crate::time;

pub fn log(o: &mut Out, entries: &[LogEntry]) {
    for e in entries {
        let who = e
            .device_name
            .clone()
            .or_else(|| e.device.as_ref().map(|d| d[..8.min(d.len())].to_owned()))
            .unwrap_or_else(|| "?".to_owned());
        let when = chrono::DateTime::parse_from_rfc3339(&e.time)
            .map(|t| crate::history::local_seconds(t.timestamp_millis()))
            .unwrap_or_else(|_| e.time.clone());
        let change = e.change.get(..8).unwrap_or(&e.change);
        out!(o, "{change}  {when}  {who:<12}  {}", e.message);
        if e.bulk {
            out!(o, "      (bulk change: fields not listed)");
        } else if !e.fields.is_empty() {
            out!(o, "      {}", e.fields.join(", "));
        }
    }
}

pub fn contact_at(o: &mut Out, at: &ContactAt) {
    let contact = &at.contact;
    out!(o, "{}  (as it was at {})", contact.name, at.label);
    if contact.is_trashed() {
        out!(o, "  (it was in the trash)");
    }
    let row = |o: &mut Out, label: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out!(o, "  {label:<14}{v}");
        }
    };
    let join = |items: Vec<String>| (!items.is_empty()).then(|| items.join(", "));
    row(o, "id", Some(contact.id.to_string()));
    row(o, "title", contact.title.clone());
    row(o, "org", contact.org.clone());
    row(o, "email", join(contact.emails.iter().cloned().collect()));
    row(o, "phone", join(contact.phones.iter().cloned().collect()));
    row(o, "link", join(contact.links.iter().cloned().collect()));
    row(
        o,
        "tags",
        join(contact.tags.iter().map(|t| format!("#{t}")).collect()),
    );
    let group_name = |g: &rapport_model::GroupId| {
        at.groups
            .iter()
            .find(|x| x.id == *g)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| g.to_string())
    };
    row(
        o,
        "groups",
        join(contact.groups.iter().map(group_name).collect()),
    );
    row(o, "trust", contact.trust.map(|t| t.to_string()));
    row(o, "met on", contact.met_on.map(|d| d.to_string()));
    row(o, "met at", contact.met_at.clone());
    row(o, "context", contact.met_context.clone());
    row(
        o,
        "introduced by",
        contact.introduced_by.map(|c| c.to_string()),
    );
    row(
        o,
        "connected on",
        contact.connected_on.map(|d| d.to_string()),
    );
    row(o, "notes", contact.notes.clone());
    row(o, "cadence", contact.cadence.map(|p| p.every()));
    row(
        o,
        "snoozed until",
        contact.snoozed_until.map(|d| d.to_string()),
    );
    for (_, line) in follow_up_lines(contact) {
        row(o, "follow-up", Some(line));
    }
    row(o, "updated", Some(time::local(contact.updated)));
    if !at.timeline.is_empty() {
        out!(o);
        for i in at.timeline.iter().rev() {
            out!(o, "  {}  {}", time::local(i.at), i.kind);
            out!(o, "      {}", i.text);
        }
    }
}

pub fn undone(o: &mut Out, summary: &str, change: &str, restored: usize, kept: usize) {
    let kept = if kept > 0 {
        format!("; kept {kept} value(s) changed since (here or on another device)")
    } else {
        String::new()
    };
    out!(
        o,
        "undid `{summary}` ({change}): {restored} value(s) put back{kept}"
    );
}
