// The attendance page of a showtime (/organizer/slots/<id>/attendance/): keeps the
// checked-in count and its bar live through /ws/checkin/<id>/ and, whenever that socket
// is not open (not there, dropped, refused), asks GET /api/v1/slots/<id>/checkin/ every
// 10 s instead. New double entries are announced with a link to reload the list.
"use strict";

(function () {
  const box = document.getElementById("attendance-live");
  if (!box) return;
  const POLL_MS = 10000;
  const checkedIn = box.querySelector("[data-checked-in]");
  const expected = box.querySelector("[data-expected]");
  const percent = box.querySelector("[data-percent]");
  const bar = box.querySelector("[data-bar]");
  const state = box.querySelector("[data-live-state]");
  const notice = box.querySelector("[data-new-conflicts]");
  let doubles = Number(box.dataset.doubleEntries) || 0;
  let socket = null;
  let pollTimer = null;
  let retry = 0;
  let leaving = false;

  function clock() {
    try {
      return new Date().toLocaleTimeString("en-GB", { timeZone: box.dataset.tz });
    } catch (error) {
      return new Date().toLocaleTimeString("en-GB");
    }
  }

  function show(figures, how) {
    if (typeof figures.checked_in !== "number" || typeof figures.expected !== "number") return;
    const share = figures.expected ? Math.min(100, Math.round((100 * figures.checked_in) / figures.expected)) : 0;
    checkedIn.textContent = String(figures.checked_in);
    expected.textContent = String(figures.expected);
    percent.textContent = String(share);
    bar.max = Math.max(figures.expected, 1);
    bar.value = figures.checked_in;
    bar.textContent = share + "%";
    state.textContent = how + ", as of " + clock();
    if (typeof figures.double_entries === "number" && figures.double_entries > doubles) {
      const added = figures.double_entries - doubles;
      const link = document.createElement("a");
      link.href = window.location.pathname;
      link.textContent = "Reload to see them";
      notice.textContent = added + " new double entr" + (added === 1 ? "y" : "ies") + " at the door. ";
      notice.appendChild(link);
      notice.hidden = false;
    }
  }

  async function poll() {
    if (document.hidden) return;
    try {
      const response = await fetch(box.dataset.figuresUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.status === 401 || response.status === 403) {
        stopPolling();
        state.textContent = "not updating: your session ended, reload the page to log in again";
        return;
      }
      if (!response.ok) {
        state.textContent = "could not update (" + response.status + "), trying again in 10 s";
        return;
      }
      show(await response.json(), "updated every 10 s");
    } catch (error) {
      state.textContent = "offline, trying again in 10 s";
    }
  }

  function startPolling() {
    if (pollTimer !== null) return;
    poll();
    pollTimer = window.setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer === null) return;
    window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function connect() {
    if (!("WebSocket" in window) || !box.dataset.socketPath) {
      startPolling();
      return;
    }
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + box.dataset.socketPath);
    } catch (error) {
      startPolling();
      return;
    }
    socket.addEventListener("open", function () {
      retry = 0;
      stopPolling();
    });
    socket.addEventListener("message", function (event) {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (data.type === "checkin" && String(data.slot) === box.dataset.slotId) show(data, "live");
    });
    socket.addEventListener("close", function () {
      socket = null;
      if (leaving) return;
      startPolling();
      retry = Math.min(retry + 1, 6);
      window.setTimeout(connect, 1000 * 2 ** retry); // 2 s, 4 s ... at most about a minute
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && pollTimer !== null) poll();
  });
  window.addEventListener("pagehide", function () {
    leaving = true;
    stopPolling();
    if (socket) socket.close();
  });
  connect();
})();
