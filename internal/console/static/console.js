// The orgd console's script. Every page reads without it; with it, OUs of
// the tree load when they open, "More accounts" loads in place, and live
// pages (the migration, handshakes) refresh every couple of seconds.
"use strict";

(function () {
  // fetchDoc fetches a console URL and parses it as HTML.
  async function fetchDoc(url) {
    const resp = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
    if (!resp.ok) throw new Error(resp.status + " " + resp.statusText);
    return new DOMParser().parseFromString(await resp.text(), "text/html");
  }

  // fragment fetches a tree fragment: a run of <li>.
  async function fragment(url) {
    const doc = await fetchDoc(url);
    return Array.from(doc.body.childNodes);
  }

  // An OU loads its children the first time it opens.
  document.addEventListener("toggle", async function (ev) {
    const d = ev.target;
    if (!(d instanceof HTMLDetailsElement) || !d.open || !d.dataset.src || d.dataset.loaded) return;
    d.dataset.loaded = "1";
    const list = d.querySelector(":scope > ul");
    try {
      list.replaceChildren(...(await fragment(d.dataset.src)));
      d.setAttribute("data-ready", "");
    } catch (e) {
      delete d.dataset.loaded;
      list.replaceChildren(errorItem("Could not load: " + e.message));
    }
  }, true);

  // "More accounts…" loads the next page where the link was.
  document.addEventListener("click", async function (ev) {
    const a = ev.target.closest && ev.target.closest("a[data-more]");
    if (!a) return;
    ev.preventDefault();
    const li = a.closest("li");
    const u = new URL(a.href);
    u.pathname = u.pathname.replace(/\/tree$/, "/tree/children");
    try {
      li.replaceWith(...(await fragment(u.toString())));
    } catch (e) {
      li.replaceWith(errorItem("Could not load: " + e.message));
    }
  });

  function errorItem(text) {
    const li = document.createElement("li");
    li.className = "problem";
    li.textContent = text;
    return li;
  }

  // A live region is replaced by the same region of a fresh copy of the
  // page, unless the reader is in the middle of using a control in it.
  function live() {
    const region = document.getElementById("live");
    if (!region) return;
    const every = parseInt(region.dataset.live, 10) || 2000;
    const status = document.getElementById("live-status");
    async function refresh() {
      try {
        if (!document.hidden && !region.contains(document.activeElement)) {
          const doc = await fetchDoc(location.href);
          const fresh = doc.getElementById("live");
          if (fresh && fresh.innerHTML !== region.innerHTML) region.innerHTML = fresh.innerHTML;
          const clock = doc.querySelector(".clock");
          const mine = document.querySelector(".clock");
          if (clock && mine) mine.innerHTML = clock.innerHTML;
          if (status) status.textContent = "updated " + new Date().toLocaleTimeString();
        }
      } catch (e) {
        if (status) status.textContent = "not updating: " + e.message;
      }
      setTimeout(refresh, every);
    }
    setTimeout(refresh, every);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", live);
  else live();
})();
