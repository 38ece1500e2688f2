// The API documentation page: each operation's summary is a button that also holds a link to the same
// operation; a link inside a button is unreachable for screen readers. Keep the button, drop the link's href.
"use strict";

(function () {
  function mend() {
    document.querySelectorAll(".opblock-summary-control a[href]").forEach((link) => link.removeAttribute("href"));
  }
  new MutationObserver(mend).observe(document.body, { childList: true, subtree: true });
  mend();
})();
