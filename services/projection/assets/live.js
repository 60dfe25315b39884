// Live updates, as a progressive enhancement: every page is complete without this
// script. With it, the page listens to the projection's server-sent events (`/live`,
// the position applied) and, when the read models move past what the page shows,
// fetches the same URL again and puts its new <main> in place: the same day, the same
// language, the figures of now. A form being filled in is left alone until it loses
// the focus.
(() => {
  "use strict";
  if (!("EventSource" in window) || !window.fetch || !window.DOMParser) return;
  const shown = () => Number(document.body.dataset.position || 0);
  let busy = false;
  let again = false;

  async function refresh() {
    if (busy) { again = true; return; }
    const active = document.activeElement;
    if (active && active.closest("main form")) {
      active.addEventListener("blur", refresh, { once: true });
      return;
    }
    busy = true;
    try {
      const reply = await fetch(location.href, { cache: "no-store", headers: { Accept: "text/html" } });
      if (!reply.ok) return;
      const next = new DOMParser().parseFromString(await reply.text(), "text/html");
      const main = next.querySelector("main");
      if (!main) return;
      document.querySelector("main").replaceWith(document.adoptNode(main));
      document.body.dataset.position = next.body.dataset.position || "0";
      document.title = next.title;
    } catch (_) {
      // The next event tries again.
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  // One stream per page while it is shown: closed when the page is left (a browser
  // allows few connections per server, and a page kept for "back" must not hold one).
  let events = null;
  function listen() {
    if (events) return;
    events = new EventSource("/live");
    events.addEventListener("position", (e) => {
      if (Number(e.data) > shown()) refresh();
    });
  }
  window.addEventListener("pagehide", () => {
    if (events) { events.close(); events = null; }
  });
  window.addEventListener("pageshow", listen);
  listen();
})();
