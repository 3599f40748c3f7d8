// Rapport's web app script: small on purpose. Every page works without it; it adds search as
// you type, confirmations, and live updates when a sync brings changes.
"use strict";
(function () {
  // Ask before destructive actions (trash, delete a group).
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // Search as you type: fetch only the results and keep the address current. The listeners
  // sit on the document, not on the form, so they keep working after a live update has
  // replaced the page's main part (and the form with it).
  function filtersForm() { return document.getElementById("filters"); }
  function inFilters(el) {
    var f = filtersForm();
    return !!(f && el && f.contains(el));
  }
  var pending = null, seq = 0;
  function refreshResults(fromLive) {
    var filters = filtersForm();
    if (!filters || !document.getElementById("results")) return;
    var params = new URLSearchParams(new FormData(filters));
    var url = "/contacts?" + params.toString();
    var mine = ++seq;
    params.set("partial", "1");
    fetch("/contacts?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        if (mine !== seq) return; // a newer keystroke already asked
        // A live update whose answer lands while a box is being ticked waits, as the page's
        // own refresh does: replacing the results would untick it.
        if (fromLive === true && busy()) { waiting = true; return; }
        var results = document.getElementById("results");
        if (results) results.innerHTML = html;
        history.replaceState(null, "", url);
      })
      .catch(function () { /* the full form submit still works */ });
  }
  document.addEventListener("input", function (e) {
    if (!inFilters(e.target)) return;
    clearTimeout(pending);
    pending = setTimeout(refreshResults, 120);
  });
  document.addEventListener("submit", function (e) {
    if (e.defaultPrevented || e.target !== filtersForm() || !document.getElementById("results")) return;
    e.preventDefault();
    refreshResults();
  });

  // Live updates. A change (from a sync, the CLI or another tab) refreshes the page's main
  // part, unless the person is typing in a form: then it waits, so nothing typed is lost.
  // On the contacts list only the results are refreshed, through the same sequenced fetch as
  // a keystroke, so a live update can never show the results of an older search.
  var dirty = false;
  document.addEventListener("input", function (e) {
    if (!inFilters(e.target)) dirty = true;
  });
  var live = document.getElementById("live");
  var waiting = false;
  function busy() {
    var a = document.activeElement;
    var typing = a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT") &&
      !inFilters(a);
    return dirty || typing;
  }
  function refreshPage() {
    if (busy()) {
      waiting = true;
      if (live) live.textContent = "New changes arrived; they will show when you finish editing.";
      return;
    }
    waiting = false;
    if (filtersForm() && document.getElementById("results")) {
      refreshResults(true);
      if (live) live.textContent = "Updated with the latest changes.";
      return;
    }
    var mine = ++seq;
    fetch(location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        if (mine !== seq) return;
        if (busy()) { waiting = true; return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        var main = document.getElementById("main");
        if (fresh && main) {
          // A section the person opened ("Edit details") stays open: the fresh page has it
          // closed, and closing it under their cursor loses their place.
          var open = openSections(main);
          main.innerHTML = fresh.innerHTML;
          reopen(main, open);
        }
        if (live) live.textContent = "Updated with the latest changes.";
      })
      .catch(function () {});
  }
  function sectionName(d) {
    var summary = d.querySelector("summary");
    return summary ? summary.textContent.trim() : "";
  }
  function openSections(root) {
    var names = {};
    Array.prototype.forEach.call(root.querySelectorAll("details[open]"), function (d) {
      names[sectionName(d)] = true;
    });
    return names;
  }
  function reopen(root, names) {
    Array.prototype.forEach.call(root.querySelectorAll("details"), function (d) {
      if (names[sectionName(d)]) d.open = true;
    });
  }
  document.addEventListener("focusout", function () {
    setTimeout(function () { if (waiting && !busy()) refreshPage(); }, 50);
  });
  if (window.EventSource && document.getElementById("main")) {
    var es = new EventSource("/events");
    es.addEventListener("change", refreshPage);
  }
})();
