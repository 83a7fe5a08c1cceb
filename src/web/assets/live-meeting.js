// The live meeting page: it asks the meeting's live feed what changed and swaps those parts in,
// so decisions, the roll and positions show without a reload. Without this script the page
// reloads itself instead (a refresh inside <noscript>); the feed leaves out what the reader may
// not see, exactly as the page does.
(function () {
  'use strict';
  var page = document.querySelector('[data-live-src]');
  if (!page || !window.fetch || !window.DOMParser) return;
  var every = Number(page.getAttribute('data-live-every')) * 1000 || 5000;
  var state = page.getAttribute('data-state');
  var gone = {};

  function schedule() {
    setTimeout(poll, every);
  }

  function poll() {
    if (document.hidden) return schedule();
    fetch(page.getAttribute('data-live-src'), { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) {
        // Signed out, or no longer allowed: stop asking; the next reload says why.
        if (!response.ok) return gone;
        return response.text();
      })
      .then(function (html) {
        if (html === gone) return;
        var feed = new DOMParser().parseFromString(html, 'text/html').body.firstElementChild;
        // A meeting that closes changes which forms the page offers: load it afresh.
        if (!feed || feed.getAttribute('data-state') !== state) return location.reload();
        feed.querySelectorAll('[data-live][id]').forEach(function (part) {
          var current = document.getElementById(part.id);
          if (current && current.innerHTML !== part.innerHTML) current.replaceWith(document.importNode(part, true));
        });
        schedule();
      })
      // Offline for a moment: try again later.
      .catch(schedule);
  }

  schedule();
})();
