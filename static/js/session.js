// Keeps a signed-in page signed in: the access cookie lives 5 minutes, so refresh it
// (POST /api/v1/auth/refresh/, CSRF header) a minute before it expires, and again
// whenever the tab comes back after a while. ("Log out" is a plain form: it posts to
// the API logout, which revokes the refresh token and sends the page home.)
"use strict";

(function () {
  const REFRESH_URL = "/api/v1/auth/refresh/";
  const EARLY_SECONDS = 60;
  const FALLBACK_SECONDS = 240;
  let timer = null;
  let expiresAt = Number(document.body.dataset.sessionExpires || 0);

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function post(url) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    });
  }

  async function refresh() {
    try {
      const response = await post(REFRESH_URL);
      if (response.ok) {
        expiresAt = Date.now() / 1000 + FALLBACK_SECONDS + EARLY_SECONDS;
        schedule();
        return true;
      }
    } catch (error) {
      // Offline for a moment: try again shortly.
      timer = window.setTimeout(refresh, 15000);
    }
    return false;
  }

  function schedule() {
    window.clearTimeout(timer);
    const wait = Math.max(0, (expiresAt - EARLY_SECONDS) * 1000 - Date.now());
    timer = window.setTimeout(refresh, wait);
  }

  window.venueSession = { refresh: refresh, csrfToken: csrfToken };

  if (expiresAt) {
    schedule();
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && Date.now() / 1000 > expiresAt - EARLY_SECONDS) refresh();
    });
  }

})();
