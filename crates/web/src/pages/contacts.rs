//! The contacts page: search as you type, filters, sorting, pages of 50, the "last contacted"
//! column, adding a contact, and adding the ticked contacts to a group.

use super::{ago, call, csrf, field, form_error, layout, see, AppState, Fields, Nav, Problem};
use crate::book::{ContactPage, ListQuery, NewContact, Sort};
use crate::State;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};
use rapport_app::model::TrustLevel;

const PAGE_SIZE: usize = 50;

fn query_from(q: &Fields) -> ListQuery {
    let page = q
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    ListQuery {
        text: q.get("q").unwrap_or("").trim().to_owned(),
        tag: q.text("tag"),
        group: q.get("group").and_then(|g| g.parse().ok()),
        trust_at_least: q.get("trust").and_then(|t| t.parse::<TrustLevel>().ok()),
        sort: Sort::parse(q.get("sort").unwrap_or("")),
        offset: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    }
}

pub async fn page(
    axum::extract::State(state): AppState,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(query);
    render(&state, &fields, None).await
}

async fn render(state: &State, fields: &Fields, problem: Option<&Problem>) -> Response {
    let query = query_from(fields);
    let q = query.clone();
    let page = match call(state, move |b| b.contacts(&q)).await {
        Ok(page) => page,
        Err(e) => return super::error_page(state, &e),
    };
    // Search as you type asks for the results alone.
    if fields.get("partial").is_some() {
        return results(&query, &page).into_response();
    }
    let body = html! {
        h1 { "Contacts" }
        (filters(&query, &page))
        (add_form(state, problem))
        (bulk_form(state, &page, problem))
        div id="results" aria-live="polite" { (results(&query, &page)) }
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, layout(state, "Contacts", Nav::Contacts, body)).into_response()
}

fn filters(query: &ListQuery, page: &ContactPage) -> Markup {
    let group = query.group.map(|g| g.to_string());
    html! {
        form.filters id="filters" method="get" action="/contacts" role="search" {
            div.field {
                label for="q" { "Search" }
                input id="q" name="q" type="search" value=(query.text) autocomplete="off"
                    placeholder="Name, organisation, email, tag or note";
            }
            div.field {
                label for="tag" { "Tag" }
                select id="tag" name="tag" {
                    option value="" { "Any tag" }
                    @for t in &page.tags {
                        option value=(t) selected[query.tag.as_deref() == Some(t.as_str())] { "#" (t) }
                    }
                }
            }
            div.field {
                label for="group" { "Group" }
                select id="group" name="group" {
                    option value="" { "Any group" }
                    @for g in &page.groups {
                        @let id = g.id.to_string();
                        option value=(id) selected[group.as_deref() == Some(id.as_str())] { (g.name) }
                    }
                }
            }
            div.field {
                label for="trust" { "Trust at least" }
                select id="trust" name="trust" {
                    option value="" { "Any" }
                    @for t in TrustLevel::ALL {
                        option value=(t.as_str()) selected[query.trust_at_least == Some(t)] { (t.as_str()) }
                    }
                }
            }
            div.field {
                label for="sort" { "Sort by" }
                select id="sort" name="sort" {
                    @for s in Sort::ALL {
                        option value=(s.as_str()) selected[query.sort == s] { (s.label()) }
                    }
                }
            }
            button type="submit" { "Apply" }
        }
    }
}

fn add_form(state: &State, problem: Option<&Problem>) -> Markup {
    let open = problem.is_some_and(|p| p.form == "add");
    html! {
        details.add open[open] {
            summary { "Add a contact" }
            form method="post" action="/contacts" {
                (csrf(state))
                (form_error(problem, "add"))
                (field(problem, "add", "name", "Name", "text", None))
                (field(problem, "add", "org", "Organisation", "text", None))
                (field(problem, "add", "email", "Email", "email", None))
                (field(problem, "add", "phone", "Phone", "tel", None))
                (field(problem, "add", "tags", "Tags (separated by spaces or commas)", "text", None))
                button type="submit" { "Add contact" }
            }
        }
    }
}

/// Ticked contacts (the checkboxes in the table belong to this form) join or leave a group.
fn bulk_form(state: &State, page: &ContactPage, problem: Option<&Problem>) -> Markup {
    html! {
        form.bulk id="bulk" method="post" action="/groups/members" {
            (csrf(state))
            input type="hidden" name="back" value="/contacts";
            (form_error(problem, "bulk"))
            div.field {
                label for="bulk-group" { "Group for the ticked contacts" }
                select id="bulk-group" name="group" {
                    @for g in &page.groups { option value=(g.id.to_string()) { (g.name) } }
                }
            }
            button type="submit" name="action" value="add" { "Add ticked to group" }
            " "
            button type="submit" name="action" value="remove" { "Remove ticked from group" }
        }
    }
}

fn href(query: &ListQuery, page: usize) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if !query.text.is_empty() {
        s.append_pair("q", &query.text);
    }
    if let Some(t) = &query.tag {
        s.append_pair("tag", t);
    }
    if let Some(g) = query.group {
        s.append_pair("group", &g.to_string());
    }
    if let Some(t) = query.trust_at_least {
        s.append_pair("trust", t.as_str());
    }
    s.append_pair("sort", query.sort.as_str());
    s.append_pair("page", &page.to_string());
    format!("/contacts?{}", s.finish())
}

pub fn results(query: &ListQuery, page: &ContactPage) -> Markup {
    let current = query.offset / PAGE_SIZE + 1;
    let pages = page.total.div_ceil(PAGE_SIZE).max(1);
    html! {
        p.count { (page.total) @if page.total == 1 { " contact" } @else { " contacts" }
            @if pages > 1 { ", page " (current) " of " (pages) } }
        @if page.rows.is_empty() {
            p { "No contact matches." }
        } @else {
            table.contacts {
                caption.visually-hidden { "Contacts" }
                thead { tr {
                    th scope="col" { span.visually-hidden { "Select" } }
                    th scope="col" { "Name" }
                    th scope="col" { "Organisation" }
                    th scope="col" { "Tags" }
                    th scope="col" { "Trust" }
                    th scope="col" { "Last contacted" }
                } }
                tbody {
                    @for row in &page.rows {
                        @let id = row.id.to_string();
                        tr {
                            td { input type="checkbox" form="bulk" name="ids" value=(id)
                                id=(format!("pick-{id}")) aria-label=(format!("Select {}", row.name)); }
                            td { a href=(format!("/contacts/{id}")) { (row.name) } }
                            td { (row.org.as_deref().unwrap_or("")) }
                            td { @for t in &row.tags { span.tag { "#" (t) } " " } }
                            td { (row.trust.map(|t| t.as_str()).unwrap_or("")) }
                            td { (last_contacted(row.last_contacted)) }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pages aria-label="Pages" {
                @if current > 1 { a href=(href(query, current - 1)) rel="prev" { "← Previous" } " " }
                @if current < pages { a href=(href(query, current + 1)) rel="next" { "Next →" } }
            }
        }
    }
}

/// How long since the last interaction, as words and a bar: the words carry the meaning, the
/// bar (and its colour) only repeats it.
fn last_contacted(at: Option<i64>) -> Markup {
    let Some(at) = at else {
        return html! { span.recency.never { "never" } };
    };
    let days = (chrono::Utc::now().timestamp_millis() - at).max(0) / 86_400_000;
    let class = match days {
        0..=30 => "recency fresh",
        31..=180 => "recency cooling",
        _ => "recency cold",
    };
    html! { span class=(class) title=(super::date(at)) { (ago(at)) } }
}

/// The contacts page with a refused form on it.
pub async fn render_problem(state: &State, problem: &Problem) -> Response {
    render(state, &Fields::default(), Some(problem)).await
}

pub async fn add(
    axum::extract::State(state): AppState,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    let new = NewContact {
        name: fields.get("name").unwrap_or("").trim().to_owned(),
        org: fields.text("org"),
        email: fields.text("email"),
        phone: fields.text("phone"),
        tags: fields
            .get("tags")
            .unwrap_or("")
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(|t| t.trim_start_matches('#'))
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    match call(&state, move |b| b.add_contact(&new)).await {
        Ok(id) => see(&format!("/contacts/{id}")),
        Err(e) => {
            let problem = Problem::new("add", e, fields);
            render(&state, &Fields::default(), Some(&problem)).await
        }
    }
}
