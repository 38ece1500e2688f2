// Planning page behaviour: fold blocks into categories, open a cell's documents in a dialog,
// sort and filter the gap list. The page works without this file; it only adds convenience.
"use strict";

(function () {
  const matrix = document.getElementById("matrix");

  // Blocks fold out into their categories ------------------------------------------------
  function setExpanded(button, open) {
    button.setAttribute("aria-expanded", String(open));
    for (const id of button.getAttribute("aria-controls").split(" ")) {
      const row = document.getElementById(id);
      if (row) row.hidden = !open;
    }
  }

  if (matrix) {
    const toggles = Array.from(matrix.querySelectorAll("button.toggle"));
    for (const button of toggles) {
      button.addEventListener("click", () => setExpanded(button, button.getAttribute("aria-expanded") !== "true"));
    }
    const all = document.getElementById("expand-all");
    if (all && toggles.length) {
      all.hidden = false;
      const labels = { da: ["Vis alle kategorier", "Skjul kategorierne"], en: ["Show all categories", "Hide the categories"] };
      const lang = document.documentElement.lang === "en" ? "en" : "da";
      all.addEventListener("click", () => {
        const open = all.getAttribute("aria-pressed") !== "true";
        all.setAttribute("aria-pressed", String(open));
        all.textContent = labels[lang][open ? 1 : 0];
        toggles.forEach((button) => setExpanded(button, open));
      });
    }
    // A link to #row-F32 opens the block holding it.
    const target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.dataset.block) {
      const opener = matrix.querySelector(`button[aria-controls~="${target.id}"]`);
      if (opener) setExpanded(opener, true);
    }
  }

  // A cell's documents in a dialog ---------------------------------------------------------
  const dialog = document.getElementById("cell-dialog");
  const body = document.getElementById("cell-dialog-body");
  let opener = null;

  // A cell's documents come a page at a time: its page links load the next page into the open dialog.
  async function openCell(link) {
    const url = new URL(link.href, location.href);
    url.searchParams.set("partial", "true");
    const response = await fetch(url, { headers: { Accept: "text/html" } });
    body.innerHTML = await response.text();
    if (!dialog.open) {
      opener = link;
      dialog.showModal();
    }
    const title = body.querySelector("h2");
    if (title) {
      title.id = "cell-dialog-title";
      title.tabIndex = -1;
      title.focus();
    }
  }

  if (dialog && typeof dialog.showModal === "function") {
    document.addEventListener("click", (event) => {
      const link = event.target.closest("td.cell a, a.cell-link, #cell-dialog a.cell-page");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      openCell(link).catch(() => { location.href = link.href; });
    });
    dialog.addEventListener("close", () => { if (opener) opener.focus(); });
    dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  }

  // The gap list sorts by any column and filters by rule ---------------------------------------
  for (const table of document.querySelectorAll("table.sortable")) {
    const heads = Array.from(table.tHead.rows[0].cells);
    const tbody = table.tBodies[0];
    for (const button of table.querySelectorAll("th button[data-sort]")) {
      button.addEventListener("click", () => {
        const column = Number(button.dataset.sort);
        const th = button.closest("th");
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const key = (row) => row.cells[column].dataset.key || row.cells[column].textContent.trim();
        const rows = Array.from(tbody.rows);
        rows.sort((a, b) => key(a).localeCompare(key(b), document.documentElement.lang, { numeric: true }) * (ascending ? 1 : -1));
        rows.forEach((row) => tbody.appendChild(row));
      });
    }
  }

  for (const select of document.querySelectorAll("select[data-filter-table]")) {
    const table = document.getElementById(select.dataset.filterTable);
    const count = document.getElementById("gap-count");
    select.addEventListener("change", () => {
      let shown = 0;
      for (const row of table.tBodies[0].rows) {
        row.hidden = Boolean(select.value) && row.dataset.rule !== select.value;
        if (!row.hidden) shown += 1;
      }
      if (count) count.textContent = String(shown);
    });
  }
})();
