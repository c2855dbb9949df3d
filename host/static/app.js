// Small progressive enhancements, no framework.
// 1. [data-poll-url] elements re-fetch their HTML every few seconds (sync status panels).
// 2. [data-confirm-dialog] buttons open the named <dialog> instead of submitting directly.
// 3. [data-connect-template] links (Connect) open a confirmation dialog cloned from their
//    <template>, so ids stay unique with one dialog in the DOM at a time.
// 4. select[data-autosubmit] submits its form on change; form[data-confirm] asks first.
// 5. [data-progress-url] (the Manage page's "What syncs") polls its JSON while an import runs
//    and updates each object's progress bar, counts, status and error in place.
// 6. [data-inbound-only] blocks of a "What syncs" card show while its direction includes
//    the ledger -> PSA way.
// No inline scripts or handlers anywhere: the Content-Security-Policy allows only this file.
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
  document.querySelectorAll("[data-connect-template]").forEach((link) => {
    link.addEventListener("click", (ev) => {
      const tpl = document.getElementById(link.dataset.connectTemplate);
      if (!tpl || typeof HTMLDialogElement === "undefined") { return; }
      ev.preventDefault();
      document.querySelectorAll("dialog.confirm-connect").forEach((d) => d.remove());
      const dialog = tpl.content.firstElementChild.cloneNode(true);
      document.body.appendChild(dialog);
      dialog.querySelector("[data-close]").addEventListener("click", (e) => {
        e.preventDefault(); dialog.close(); dialog.remove();
      });
      dialog.showModal();
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (ev) => {
      if (!window.confirm(form.dataset.confirm)) { ev.preventDefault(); }
    });
  });
  document.querySelectorAll("[data-progress-url]").forEach((section) => {
    const render = (data) => {
      Object.entries(data.objects || {}).forEach(([object, p]) => {
        const box = section.querySelector(`.import-progress[data-object="${object}"]`);
        if (!box) { return; }
        box.dataset.status = p.status;
        if (p.status !== "idle") { box.hidden = false; }
        box.querySelectorAll("[data-count]").forEach((el) => {
          el.textContent = String(p.counts[el.dataset.count] ?? 0);
        });
        box.querySelectorAll("[data-field]").forEach((el) => {
          el.textContent = String(p[el.dataset.field] ?? "");
          if (el.dataset.field === "error") { el.hidden = !p.error; }
        });
        const bar = box.querySelector("progress");
        if (bar) {
          if (p.percent === null) { bar.removeAttribute("value"); } else { bar.value = p.percent; }
        }
      });
    };
    const tick = async () => {
      let running = true;
      try {
        const res = await fetch(section.dataset.progressUrl, { headers: { "Accept": "application/json" } });
        if (res.ok) { const data = await res.json(); render(data); running = data.running; }
      } catch (e) { /* keep what is shown; try again */ }
      if (running) { setTimeout(tick, 3000); }
    };
    const anyRunning = section.querySelector('.import-progress[data-status="running"], .import-progress[data-status="waiting"]');
    if (anyRunning) { setTimeout(tick, 3000); }
  });
  document.querySelectorAll(".what-syncs-form").forEach((form) => {
    const blocks = form.querySelectorAll("[data-inbound-only]");
    const sync = () => {
      const chosen = form.querySelector('input[name="direction"]:checked');
      const inbound = chosen && (chosen.value === "in" || chosen.value === "both");
      blocks.forEach((el) => { el.hidden = !inbound; });
    };
    form.querySelectorAll('input[name="direction"]').forEach((r) => r.addEventListener("change", sync));
  });
});
