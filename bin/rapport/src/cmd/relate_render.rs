//! Text for people for `intro`, `due` and `brief`: every line fits an 80-column terminal
//! (long names and texts are cut with an ellipsis or wrapped).

use crate::time;
use rapport_model::relate::{Brief, DueItem, DueKind, IntroGraph, IntroPath};
use rapport_model::{Contact, Period};

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

fn say(line: &str) {
    crate::out!("{}", fit(line, WIDTH));
}

fn trust(t: Option<rapport_model::TrustLevel>) -> String {
    t.map(|t| format!(" ({t})")).unwrap_or_default()
}

pub fn intro(target: &Contact, max_hops: usize, paths: &[IntroPath]) {
    if paths.is_empty() {
        say(&format!(
            "No one can introduce you to {} within {max_hops} hops: no introductions or \
             shared interactions lead there.",
            target.name
        ));
        return;
    }
    say(&format!("Who can introduce you to {}:", target.name));
    for (n, p) in paths.iter().enumerate() {
        crate::out!();
        say(&format!(
            "{:>2}. Ask {}{} · {} hop{} · freshest link {}",
            n + 1,
            p.first.name,
            trust(p.first.trust),
            p.hops.len(),
            if p.hops.len() == 1 { "" } else { "s" },
            p.recency
        ));
        for h in &p.hops {
            say(&format!("    {} -> {}: {}", h.from.name, h.to.name, h.why));
        }
    }
}

pub fn graph(g: &IntroGraph) {
    let name = |id| {
        g.nodes
            .iter()
            .find(|n| n.person.id == id)
            .map(|n| n.person.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    say(&format!(
        "{} people, {} introductions",
        g.nodes.len(),
        g.edges.len()
    ));
    for e in &g.edges {
        say(&format!(
            "  {} -> {}  ({})",
            name(e.from),
            name(e.to),
            e.evidence.date()
        ));
    }
}

pub fn due(items: &[DueItem], within: Option<Period>) {
    if items.is_empty() {
        match within {
            Some(w) => say(&format!("Nothing is due within {w}.")),
            None => say("Nothing is due."),
        }
        return;
    }
    for (n, item) in items.iter().enumerate() {
        say(&format!("{:>2}. {}{}", n + 1, item.name, trust(item.trust)));
        say(&format!("    {}", item.reason));
        if let (DueKind::FollowUp, Some(id)) = (item.kind, item.follow_up) {
            let text = item.text.as_deref().unwrap_or("");
            say(&format!("    [{id}] {text}"));
        }
    }
}

pub fn brief(b: &Brief) {
    let c = &b.contact;
    let role = match (&c.title, &c.org) {
        (Some(t), Some(o)) => format!(" — {t}, {o}"),
        (None, Some(o)) => format!(" — {o}"),
        (Some(t), None) => format!(" — {t}"),
        (None, None) => String::new(),
    };
    say(&format!("{}{}{}", c.name, role, trust(c.trust)));
    let reach: Vec<&str> = c
        .emails
        .iter()
        .chain(c.phones.iter())
        .map(String::as_str)
        .collect();
    if !reach.is_empty() {
        say(&reach.join(" · "));
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
        say(&format!("How we met: {}", met.join(", ")));
    }
    if let Some(ctx) = &c.met_context {
        for l in wrap(ctx, "  ") {
            crate::out!("{l}");
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
            crate::out!("{l}");
        }
    }
    if let Some(p) = b.cadence {
        say(&format!("Keep in touch {}", p.every()));
    }
    crate::out!();
    say(&format!(
        "Last interactions ({} of {})",
        b.last_interactions.len(),
        b.interactions
    ));
    if b.last_interactions.is_empty() {
        say("  none yet");
    }
    for i in &b.last_interactions {
        let day = rapport_model::relate::day_of(i.at);
        say(&format!("  {day}  {:<8} {}", i.kind.as_str(), i.text));
    }
    if !b.follow_ups.is_empty() {
        crate::out!();
        say("Open follow-ups");
        for f in &b.follow_ups {
            let due = f.follow_up.effective_due();
            let text = f.text.as_deref().unwrap_or("");
            say(&format!("  {due}  [{}] {text}", f.id));
        }
    }
    if !b.mutual.is_empty() || !b.introduced.is_empty() {
        crate::out!();
        say("Whom we both know");
        for m in &b.mutual {
            say(&format!("  {:<24} {}", fit(&m.person.name, 24), m.why));
        }
    }
    if !b.devices.is_empty() {
        crate::out!();
        say("Last changed on");
        for d in &b.devices {
            say(&format!("  {:<24} {}", fit(&d.name, 24), time::local(d.at)));
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
