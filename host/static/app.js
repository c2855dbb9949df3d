// Small progressive enhancements, no framework.
// 1. [data-poll-url] elements re-fetch their HTML every few seconds (sync status panels).
// 2. [data-confirm-dialog] buttons open the named <dialog> instead of submitting directly.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-poll-url]").forEach((el) => {
    const every = parseInt(el.dataset.pollEvery || "3000", 10);
    const tick = async () => {
      try {
        const res = await fetch(el.dataset.pollUrl, { headers: { "X-Requested-With": "fetch" } });
        if (res.ok) { el.innerHTML = await res.text(); }
      } catch (e) { /* keep the last content; try again */ }
      if (el.dataset.pollStop !== "1") { setTimeout(tick, every); }
    };
    setTimeout(tick, every);
  });
  document.querySelectorAll("[data-confirm-dialog]").forEach((btn) => {
    btn.addEventListener("click", (ev) => {
      const dlg = document.getElementById(btn.dataset.confirmDialog);
      if (dlg && typeof dlg.showModal === "function") { ev.preventDefault(); dlg.showModal(); }
    });
  });
  document.querySelectorAll("dialog [data-close]").forEach((btn) => {
    btn.addEventListener("click", (ev) => { ev.preventDefault(); btn.closest("dialog").close(); });
  });
});
