//! Text for people for `intro`, `due` and `brief`: every line fits an 80-column terminal
//! (long names and texts are cut with an ellipsis or wrapped).

use super::{out, Out};
use crate::time;
use crate::{Response, Snoozed};
use rapport_model::relate::{Brief, DueItem, DueKind, IntroGraph, IntroPath, Person};
use rapport_model::Period;

const WIDTH: usize = 80;

/// `s` cut to `width` characters, an ellipsis marking the cut.
fn fit(s: &str, width: usize) -> String {
    let one_line = s.replace(['\n', '\r', '\t'], " ");
    if one_line.chars().count() <= width {
        return one_line;
    }
    let mut out: String = one_line.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Words of `text` in lines of at most `WIDTH` characters, each starting with `indent`.
fn wrap(text: &str, indent: &str) -> Vec<String> {
    let room = WIDTH - indent.chars().count();
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word = fit(word, room);
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > room {
            lines.push(format!("{indent}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(format!("{indent}{line}"));
    }
    lines
}

fn say(o: &mut Out, line: &str) {
    out!(o, "{}", fit(line, WIDTH));
}

fn trust(t: Option<rapport_model::TrustLevel>) -> String {
    t.map(|t| format!(" ({t})")).unwrap_or_default()
}

/// The relationship layer's responses (and, for now, the rest: see `super::response`).
pub(super) fn response(o: &mut Out, r: &Response) {
    match r {
        Response::Intro {
            target,
            max_hops,
            paths,
        } => intro(o, target, *max_hops, paths),
        Response::IntroGraph(g) => graph(o, g),
        Response::Cadence {
            what,
            period,
            changed,
        } => match (period, changed) {
            (Some(p), true) => out!(o, "{what}: keep in touch {}", p.every()),
            (None, true) => out!(o, "{what}: cadence cleared"),
            (_, false) => out!(o, "{what}: unchanged (it already was so)"),
        },
        Response::FollowUpDone { id, name, changed } => {
            if *changed {
                out!(o, "done: follow-up {id} ({name})");
            } else {
                out!(o, "follow-up {id} ({name}) was already done");
            }
        }
        Response::Snoozed { what, until } => match what {
            Snoozed::FollowUp { id, name } => {
                out!(o, "follow-up {id} ({name}) snoozed until {until}")
            }
            Snoozed::Contact { name, follow_ups } => out!(
                o,
                "{name} snoozed until {until} (with {follow_ups} open follow-up{})",
                if *follow_ups == 1 { "" } else { "s" }
            ),
        },
        Response::Due { within, items, .. } => due(o, items, *within),
        // Lines end in CRLF, as RFC 5545 wants.
        Response::Calendar(text) => {
            o.text
                .stdout
                .push_str(text.strip_suffix("\r\n").unwrap_or(text));
            o.text.stdout.push_str("\r\n");
        }
        Response::Brief(b) => brief(o, b),
        _ => {}
    }
}

pub fn intro(o: &mut Out, target: &Person, max_hops: u8, paths: &[IntroPath]) {
    if paths.is_empty() {
        say(
            o,
            &format!(
                "No one can introduce you to {} within {max_hops} hops: no introductions or \
             shared interactions lead there.",
                target.name
            ),
        );
        return;
    }
    say(o, &format!("Who can introduce you to {}:", target.name));
    for (n, p) in paths.iter().enumerate() {
        out!(o);
        say(
            o,
            &format!(
                "{:>2}. Ask {}{} · {} hop{} · freshest link {}",
                n + 1,
                p.first.name,
                trust(p.first.trust),
                p.hops.len(),
                if p.hops.len() == 1 { "" } else { "s" },
                p.recency
            ),
        );
        for h in &p.hops {
            say(
                o,
                &format!("    {} -> {}: {}", h.from.name, h.to.name, h.why),
            );
        }
    }
}

pub fn graph(o: &mut Out, g: &IntroGraph) {
    let name = |id| {
        g.nodes
            .iter()
            .find(|n| n.person.id == id)
            .map(|n| n.person.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    say(
        o,
        &format!("{} people, {} introductions", g.nodes.len(), g.edges.len()),
    );
    for e in &g.edges {
        say(
            o,
            &format!(
                "  {} -> {}  ({})",
                name(e.from),
                name(e.to),
                e.evidence.date()
            ),
        );
    }
}

pub fn due(o: &mut Out, items: &[DueItem], within: Option<Period>) {
    if items.is_empty() {
        match within {
            Some(w) => say(o, &format!("Nothing is due within {w}.")),
            None => say(o, "Nothing is due."),
        }
        return;
    }
    for (n, item) in items.iter().enumerate() {
        say(
            o,
            &format!("{:>2}. {}{}", n + 1, item.name, trust(item.trust)),
        );
        say(o, &format!("    {}", item.reason));
        if let (DueKind::FollowUp, Some(id)) = (item.kind, item.follow_up) {
            let text = item.text.as_deref().unwrap_or("");
            say(o, &format!("    [{id}] {text}"));
        }
    }
}

pub fn brief(o: &mut Out, b: &Brief) {
    let c = &b.contact;
    let role = match (&c.title, &c.org) {
        (Some(t), Some(o)) => format!(" — {t}, {o}"),
        (None, Some(o)) => format!(" — {o}"),
        (Some(t), None) => format!(" — {t}"),
        (None, None) => String::new(),
    };
    say(o, &format!("{}{}{}", c.name, role, trust(c.trust)));
    let reach: Vec<&str> = c
        .emails
        .iter()
        .chain(c.phones.iter())
        .map(String::as_str)
        .collect();
    if !reach.is_empty() {
        say(o, &reach.join(" · "));
    }
    let mut met = Vec::new();
    if let Some(d) = c.met_on {
        met.push(format!("met {d}"));
    }
    if let Some(at) = &c.met_at {
        met.push(format!("at {at}"));
    }
    if let Some(by) = &b.introduced_by {
        met.push(format!("introduced by {}", by.name));
    }
    if !met.is_empty() {
        say(o, &format!("How we met: {}", met.join(", ")));
    }
    if let Some(ctx) = &c.met_context {
        for l in wrap(ctx, "  ") {
            out!(o, "{l}");
        }
    }
    if !b.groups.is_empty() || !c.tags.is_empty() {
        let tags: Vec<String> = c.tags.iter().map(|t| format!("#{t}")).collect();
        let mut parts = Vec::new();
        if !b.groups.is_empty() {
            parts.push(format!("groups: {}", b.groups.join(", ")));
        }
        if !tags.is_empty() {
            parts.push(format!("tags: {}", tags.join(" ")));
        }
        for l in wrap(&parts.join("; "), "") {
            out!(o, "{l}");
        }
    }
    if let Some(p) = b.cadence {
        say(o, &format!("Keep in touch {}", p.every()));
    }
    out!(o);
    say(
        o,
        &format!(
            "Last interactions ({} of {})",
            b.last_interactions.len(),
            b.interactions
        ),
    );
    if b.last_interactions.is_empty() {
        say(o, "  none yet");
    }
    for i in &b.last_interactions {
        let day = rapport_model::relate::day_of(i.at);
        say(o, &format!("  {day}  {:<8} {}", i.kind.as_str(), i.text));
    }
    if !b.follow_ups.is_empty() {
        out!(o);
        say(o, "Open follow-ups");
        for f in &b.follow_ups {
            let due = f.follow_up.effective_due();
            let text = f.text.as_deref().unwrap_or("");
            say(o, &format!("  {due}  [{}] {text}", f.id));
        }
    }
    if !b.mutual.is_empty() || !b.introduced.is_empty() {
        out!(o);
        say(o, "Whom we both know");
        for m in &b.mutual {
            say(o, &format!("  {:<24} {}", fit(&m.person.name, 24), m.why));
        }
    }
    if !b.devices.is_empty() {
        out!(o);
        say(o, "Last changed on");
        for d in &b.devices {
            say(
                o,
                &format!("  {:<24} {}", fit(&d.name, 24), time::local(d.at)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_or_wrapped_to_80_columns() {
        let long = "word ".repeat(60);
        assert!(fit(&long, WIDTH).chars().count() <= WIDTH);
        let lines = wrap(&long, "    ");
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
        let giant = "x".repeat(200);
        assert!(wrap(&giant, "  ")
            .iter()
            .all(|l| l.chars().count() <= WIDTH));
    }
}
