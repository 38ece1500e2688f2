// The SPARQL page: Yasgui (vendored, served by this service) on /sparql, one tab per example query.
// Nothing leaves the service: no persistence of old tabs, no endpoint catalogue of public
// endpoints, and only the autocompleters that work offline.
"use strict";

(function () {
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
      element.dataset.ready = String(items.length);
    })
    .catch((error) => {
      element.textContent = "SPARQL editor could not start: " + error;
    });
})();
