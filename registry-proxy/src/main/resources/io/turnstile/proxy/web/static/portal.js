// The portal's live view: the licenses section follows the vendor's changes through Server-Sent
// Events. The stream's address carries the digest of the section the page was rendered with, so the
// server sends only what changes after. The browser reconnects by itself after a drop and sends the
// last event id, so the server sends what changed meanwhile. When the session ends (signed out,
// key rotated, license revoked) the stream says so and stops, and the licenses leave the page.
"use strict";

// Each version's "Download for offline install" shows the bundle's size before the download: a
// HEAD of the same address answers with its exact Content-Length without sending it.
const sizeBundles = (root) => {
  for (const link of root.querySelectorAll("a[data-bundle]")) {
    const size = link.parentElement.querySelector("[data-role=bundle-size]");
    if (!size || size.dataset.known) continue;
    size.dataset.known = "asking";
    fetch(link.href, { method: "HEAD", credentials: "same-origin" }).then((r) => {
      const bytes = Number(r.headers.get("Content-Length"));
      size.textContent = r.ok && bytes > 0 ? "(" + human(bytes) + ")" : "(size unknown now)";
      size.dataset.known = r.ok ? String(bytes) : "error";
    }).catch(() => { size.textContent = "(size unknown now)"; });
  }
};
const human = (bytes) => {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) { n /= 1000; u++; }
  return (u === 0 ? String(n) : n.toFixed(1)) + " " + units[u];
};

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("licenses");
  if (section) sizeBundles(section);
  const status = document.getElementById("live-status");
  if (!section || !section.dataset.stream || !window.EventSource) return;
  const say = (text) => { if (status) status.textContent = text; };
  const events = new EventSource(section.dataset.stream);
  events.addEventListener("open", () => say("Live."));
  events.addEventListener("licenses", (event) => {
    // Server-rendered and escaped by the same template as the page itself.
    section.innerHTML = event.data;
    sizeBundles(section);
    section.dataset.updated = String(Date.now());
    say("Live. Updated " + new Date().toLocaleTimeString() + ".");
  });
  events.addEventListener("ended", (event) => {
    events.close();
    const banner = document.createElement("p");
    banner.className = "error";
    banner.id = "session-ended";
    banner.setAttribute("role", "alert");
    banner.textContent = event.data;
    section.before(banner);
    // What the page showed is no longer this session's to see: the licenses go with it.
    const again = document.createElement("p");
    const link = document.createElement("a");
    link.href = "/portal/sign-in";
    link.textContent = "Sign in again";
    again.append(link, " to see your licenses.");
    section.replaceChildren(again);
    section.removeAttribute("data-stream");
    say("Signed out.");
  });
  events.addEventListener("error", () => {
    if (events.readyState === EventSource.CLOSED) {
      say("Not live: reload the page.");
    } else {
      say("Reconnecting…");
    }
  });
});
