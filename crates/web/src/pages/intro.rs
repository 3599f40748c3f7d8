//! Introductions: the graph of who introduced whom (drawn by the server as SVG, clickable,
//! with the same edges as a list for keyboards and screen readers), and the "who can introduce
//! me" section of a card.

use super::{call, layout, AppState, Nav};
use crate::book::{IntroGraph, IntroPath};
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use rapport_app::model::relate::Evidence;
use rapport_app::model::{ContactId, GroupId};
use std::collections::HashMap;

mod force;

/// The picture draws at most this many people (the layout is quadratic, and a bigger picture
/// is unreadable); the list below it has every edge up to `MAX_LISTED`.
pub const MAX_DRAWN: usize = 300;
const MAX_LISTED: usize = 2_000;

#[derive(Debug, serde::Deserialize)]
pub struct GraphQuery {
    #[serde(default)]
    group: String,
}

pub async fn page(axum::extract::State(state): AppState, Query(q): Query<GraphQuery>) -> Response {
    let group = q.group.parse::<GroupId>().ok();
    let read = call(&state, move |b| Ok((b.intro_graph(group)?, b.groups()?))).await;
    let (graph, groups) = match read {
        Ok(r) => r,
        Err(e) => return super::error_page(&state, &e),
    };
    let mut live: Vec<_> = groups
        .into_iter()
        .map(|g| g.group)
        .filter(|g| g.deleted.is_none())
        .collect();
    live.sort_by_key(|g| g.name.to_lowercase());
    let names: HashMap<ContactId, &str> = graph
        .nodes
        .iter()
        .map(|n| (n.person.id, n.person.name.as_str()))
        .collect();
    let name = |id: ContactId| names.get(&id).copied().unwrap_or("(unknown)");
    let body = html! {
        h1 { "Introductions" }
        form.filters method="get" action="/introductions" {
            div.field {
                label for="graph-group" { "Around group" }
                select id="graph-group" name="group" {
                    option value="" { "Everyone" }
                    @for g in &live {
                        option value=(g.id.to_string()) selected[Some(g.id) == group] { (g.name) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
        @if graph.edges.is_empty() {
            p.empty { "No introductions recorded"
                @if group.is_some() { " around this group" }
                ": set “introduced by” on a card, or run " code { "rapport introduce A B" } "." }
        } @else {
            p { (graph.nodes.len()) " people, " (graph.edges.len()) " introductions. "
                "An arrow points from the introducer to the person introduced; a dashed line is an introduction you made between two people."
                @if group.is_some() { " Members of the group are drawn larger, with their names in bold." } }
            (picture(&graph))
            section aria-labelledby="edges-h" {
                h2 id="edges-h" { "Who introduced whom" }
                ul.edges {
                    @for e in graph.edges.iter().take(MAX_LISTED) {
                        li {
                            @match &e.evidence {
                                Evidence::IntroducedBy { introducer, introduced, date } => {
                                    a href=(format!("/contacts/{introducer}")) { (name(*introducer)) }
                                    " introduced "
                                    a href=(format!("/contacts/{introduced}")) { (name(*introduced)) }
                                    " (" (date) ")"
                                }
                                Evidence::Shared { date, .. } => {
                                    "You introduced "
                                    a href=(format!("/contacts/{}", e.from)) { (name(e.from)) }
                                    " and "
                                    a href=(format!("/contacts/{}", e.to)) { (name(e.to)) }
                                    " (" (date) ")"
                                }
                            }
                        }
                    }
                }
                @if graph.edges.len() > MAX_LISTED {
                    p { "…and " (graph.edges.len() - MAX_LISTED) " more: pick a group to see fewer." }
                }
            }
        }
    };
    layout(&state, "Introductions", Nav::Introductions, body).into_response()
}

/// The graph as SVG: each person a link to their card, placed by `force::place`.
fn picture(graph: &IntroGraph) -> Markup {
    if graph.nodes.len() > MAX_DRAWN {
        return html! {
            p { "The picture is left out: " (graph.nodes.len()) " people is more than "
                (MAX_DRAWN) " can show legibly. Pick a group above to draw fewer." }
        };
    }
    let index: HashMap<ContactId, usize> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(n, node)| (node.person.id, n))
        .collect();
    let links: Vec<(usize, usize)> = graph
        .edges
        .iter()
        .filter_map(|e| Some((*index.get(&e.from)?, *index.get(&e.to)?)))
        .collect();
    let at = force::place(graph.nodes.len(), &links);
    let (w, h) = (force::WIDTH, force::HEIGHT);
    html! {
        figure.graph {
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("-60 -20 {} {}", w + 120.0, h + 40.0))
                role="group" aria-labelledby="graph-caption" {
                defs {
                    marker id="arrow" viewBox="0 0 10 10" refX="18" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse" {
                        path d="M0 0L10 5L0 10z" fill="#555" {}
                    }
                }
                @for e in &graph.edges {
                    @if let (Some(a), Some(b)) = (index.get(&e.from), index.get(&e.to)) {
                        @let (x1, y1) = at[*a];
                        @let (x2, y2) = at[*b];
                        @match e.evidence {
                            Evidence::IntroducedBy { .. } => {
                                line.edge x1=(fmt(x1)) y1=(fmt(y1)) x2=(fmt(x2)) y2=(fmt(y2)) marker-end="url(#arrow)" {}
                            }
                            Evidence::Shared { .. } => {
                                line.edge.made x1=(fmt(x1)) y1=(fmt(y1)) x2=(fmt(x2)) y2=(fmt(y2)) stroke-dasharray="6 4" {}
                            }
                        }
                    }
                }
                @for (n, node) in graph.nodes.iter().enumerate() {
                    @let (x, y) = at[n];
                    @let label = short(&node.person.name);
                    a.node href=(format!("/contacts/{}", node.person.id)) aria-label=(node.person.name) {
                        title { (node.person.name) }
                        circle cx=(fmt(x)) cy=(fmt(y)) r=(if node.in_group { "9" } else { "6" })
                            class=(if node.in_group { "member" } else { "other" }) {}
                        text x=(fmt(x + 11.0)) y=(fmt(y + 4.0)) font-weight=[node.in_group.then_some("bold")] { (label) }
                    }
                }
            }
            figcaption id="graph-caption" { "Introductions graph: select a name to open the card." }
        }
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

/// A name short enough for a label in the picture (the full name is its title).
fn short(name: &str) -> String {
    const MAX: usize = 24;
    if name.chars().count() <= MAX {
        name.to_owned()
    } else {
        let mut s: String = name.chars().take(MAX - 1).collect();
        s.push('…');
        s
    }
}

/// The card's "who can introduce me" section.
pub fn paths_section(target: &str, paths: &[IntroPath]) -> Markup {
    html! {
        section aria-labelledby="intro-h" {
            h2 id="intro-h" { "Who can introduce me" }
            @if paths.is_empty() {
                p { "Nobody in your book is known to know " (target)
                    " (through introductions or shared interactions, within three steps)." }
            } @else {
                p.hint { "Ranked by how much you trust the person you would ask, then by how recent the oldest link is, then by fewer steps." }
                ol.paths {
                    @for p in paths {
                        li {
                            p {
                                "Ask " a href=(format!("/contacts/{}", p.first.id)) { (p.first.name) }
                                " (" (p.first.trust.map_or("trust not set", |t| t.as_str())) "; "
                                (p.hops.len()) @if p.hops.len() == 1 { " step" } @else { " steps" }
                                ", evidence as recent as " (p.recency) ")"
                            }
                            ol.hops {
                                @for hop in &p.hops {
                                    li {
                                        (hop.from.name) " knows " (hop.to.name) ": " (hop.why)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
