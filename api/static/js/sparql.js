// The SPARQL page: Yasgui (vendored, served by this service) on /sparql, one tab per example query.
// Nothing leaves the service: no persistence of old tabs, no endpoint catalogue of public
// endpoints, and only the autocompleters that work offline.
"use strict";

(function () {
  const danish = document.documentElement.lang !== "en";

  // The editor renders only the open tab's panel, names no field and puts its "+" button inside the
  // tab list: mend that after every render so screen readers get valid, labelled controls.
  function accessible(root) {
    root.querySelectorAll("a[role=tab][aria-controls]").forEach((tab) => {
      if (!document.getElementById(tab.getAttribute("aria-controls"))) tab.removeAttribute("aria-controls");
    });
    root.querySelectorAll(".tabsList").forEach((list) => {
      list.querySelectorAll(":scope > button, :scope > div > button.addTab").forEach((button) => {
        list.after(button.parentElement === list ? button : button.parentElement);
      });
    });
    const names = [
      [".autocomplete", danish ? "SPARQL-endepunkt" : "SPARQL endpoint"],
      [".CodeMirror textarea", danish ? "SPARQL-forespørgsel" : "SPARQL query"],
      [".tab input[type=text]", danish ? "Fanens navn" : "Tab name"],
    ];
    names.forEach(([selector, name]) => {
      root.querySelectorAll(selector).forEach((field) => {
        if (field.getAttribute("aria-label") !== name) field.setAttribute("aria-label", name);
      });
    });
    root.querySelectorAll(".CodeMirror-scroll").forEach((region) => {
      if (region.getAttribute("tabindex") !== "0") region.setAttribute("tabindex", "0");
    });
  }

  const element = document.getElementById("yasgui");
  if (!element || typeof Yasgui === "undefined") return;
  const endpoint = new URL(element.dataset.endpoint, location.href).href;

  fetch(element.dataset.examples, { headers: { Accept: "application/json" } })
    .then((response) => response.json())
    .then(({ items }) => {
      const yasgui = new Yasgui(element, {
        requestConfig: { endpoint, method: "POST" },
        endpointCatalogueOptions: { getData: () => [{ endpoint }] },
        copyEndpointOnNewTab: true,
        persistenceId: null,
        populateFromUrl: false,
        autoAddOnInit: false,
        yasqe: { autocompleters: ["variables", "prefixes"], resizeable: true },
      });
      items.forEach((example, index) => {
        yasgui.addTab(index === 0, {
          name: example.title.split(":")[0].replace(/[.,]$/, ""),
          yasqe: { value: example.query },
          requestConfig: { endpoint, method: "POST" },
        });
      });
      accessible(element);
      new MutationObserver(() => accessible(element)).observe(element, { childList: true, subtree: true });
      element.dataset.ready = String(items.length);
    })
    .catch((error) => {
      element.textContent = "SPARQL editor could not start: " + error;
    });
})();
