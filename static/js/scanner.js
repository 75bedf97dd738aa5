// The door scanner of /organizer/checkin/<slot>/: reads tickets with the camera (the
// browser's BarcodeDetector, else the vendored jsQR) or a typed booking reference, asks
// POST /api/v1/checkin/scan/, and shows the answer big, in colour, text and an icon, with
// a beep and a buzz. The live count comes over /ws/checkin/<slot>/ (polling the figures
// every 10 s while the socket is down). Offline, it judges scans against the door's list
// (GET .../checkin/list/, kept in localStorage), queues them and uploads them later
// (POST /api/v1/checkin/upload/). Plain JavaScript, no build step, no inline script.
"use strict";

(function () {
  const root = document.getElementById("door");
  if (!root) return;

  const slotId = Number(root.dataset.slotId);
  const timeZone = root.dataset.tz || undefined;
  const SCAN_URL = "/api/v1/checkin/scan/";
  const UPLOAD_URL = "/api/v1/checkin/upload/";
  const FIGURES_URL = "/api/v1/slots/" + slotId + "/checkin/";
  const LIST_URL = FIGURES_URL + "list/";
  const POLL_MS = 10000; // the figures, while the socket is down
  const PING_MS = 240000; // a ping every 4 minutes keeps the door marked as watched
  const LIST_MS = 180000; // the offline list, while online
  const UPLOAD_MS = 15000; // retrying queued scans
  const SAME_CODE_MS = 2500; // a code still in view is not scanned again
  const CAMERA_GAP_MS = 1200; // at least this between two camera scans
  const FRAME_MS = 150;
  const UPLOAD_CHUNK = 500;
  const STALE_MS = 8000;
  const KEYS = {
    gate: "venue.door.gate",
    camera: "venue.door.camera",
    list: "venue.door.list." + slotId,
    queue: "venue.door.queue." + slotId,
    unconfirmed: "venue.door.unconfirmed." + slotId,
  };
  const REFERENCE = /^([A-Z2-9]{8})(?:-(\d{1,3}))?$/;

  const $ = function (selector) {
    return root.querySelector(selector);
  };
  const form = document.getElementById("door-form");
  const codeInput = document.getElementById("door-code");
  const gateInput = document.getElementById("door-gate");
  const result = document.getElementById("door-result");
  const banner = document.getElementById("door-offline");
  const uploadSummary = $("[data-upload-summary]");
  const video = document.getElementById("door-video");
  const canvas = document.getElementById("door-canvas");
  const cameraToggle = document.getElementById("door-camera-toggle");
  const cameraState = $("[data-camera-state]");
  const unconfirmedBox = document.getElementById("door-unconfirmed");

  // --- storage (private modes and full quotas throw: the page still works online)

  function load(key, fallback) {
    try {
      const raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (error) {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (error) {
      return false;
    }
  }

  // --- the API, with the access cookie and the CSRF header like the rest of the site

  class NetworkError extends Error {}

  function csrfToken() {
    if (window.venueSession) return window.venueSession.csrfToken();
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, url, body, retried) {
    if (navigator.onLine === false) throw new NetworkError("offline");
    let response;
    try {
      response = await fetch(url, {
        method: method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      throw new NetworkError(String(error));
    }
    if (response.status >= 502) throw new NetworkError("server unavailable: " + response.status);
    if (response.status === 401 && !retried && window.venueSession) {
      // The access cookie lives minutes, the door hours: refresh it once, then try again.
      if (await window.venueSession.refresh()) return api(method, url, body, true);
    }
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = {};
    }
    setOffline(false);
    return { status: response.status, data: data };
  }

  // --- what the door says

  const VERDICTS = {
    admitted: { tone: "yes", icon: "✓", title: "Admitted" },
    exited: { tone: "yes", icon: "↩", title: "Out: may come back in" },
    already_checked_in: { tone: "stop", icon: "!", title: "Already in" },
    double_entry: { tone: "stop", icon: "!", title: "Double entry" },
    wrong_showtime: { tone: "no", icon: "✗", title: "Wrong showtime", detail: "This ticket is for another showtime." },
    ticket_cancelled: { tone: "no", icon: "✗", title: "Cancelled", detail: "This ticket was cancelled: do not admit." },
    invalid_ticket: { tone: "no", icon: "✗", title: "Forged or unreadable", detail: "Not a VENUE ticket of this door." },
    not_listed: { tone: "no", icon: "✗", title: "Not on this door's list", detail: "Forged, unreadable, or a ticket of another showtime." },
    checkin_closed: { tone: "no", icon: "✗", title: "Door closed" },
    not_checked_in: { tone: "no", icon: "✗", title: "Not in", detail: "This ticket is not inside, so it cannot go out." },
    reentry_not_allowed: { tone: "no", icon: "✗", title: "No re-entry", detail: "This event takes no exit scans." },
    slot_not_found: { tone: "no", icon: "✗", title: "Not your showtime", detail: "Your team does not work this door." },
    error: { tone: "no", icon: "?", title: "Not checked" },
  };

  function timeText(iso) {
    const when = new Date(iso);
    if (!iso || Number.isNaN(when.getTime())) return "";
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: timeZone }, options)).format(when);
    } catch (error) {
      return new Intl.DateTimeFormat("en-GB", options).format(when);
    }
  }

  function ticketText(ticket) {
    if (!ticket) return "";
    const seat = ticket.seat_label ? "seat " + ticket.seat_label + " (" + ticket.category + ")" : "general admission";
    return "Booking " + ticket.booking_reference + ", ticket " + ticket.number + " · " + seat;
  }

  function whereText(details) {
    if (!details || !details.at) return "";
    return "Came in at " + timeText(details.at) + (details.gate ? " through " + details.gate : "") + ".";
  }

  let staleTimer = null;

  function show(code, detail, options) {
    const verdict = VERDICTS[code] || VERDICTS.error;
    const opts = options || {};
    result.dataset.result = verdict.tone;
    result.dataset.code = code;
    result.dataset.offline = opts.offline ? "true" : "false";
    delete result.dataset.stale;
    $("[data-result-icon]").textContent = verdict.icon;
    $("[data-result-title]").textContent = verdict.title;
    $("[data-result-detail]").textContent = detail || verdict.detail || "";
    const note = $("[data-result-note]");
    note.textContent = opts.offline ? "Offline, not yet confirmed by the server." : "";
    note.hidden = !opts.offline;
    // Replay the flash, so two "Admitted" in a row still look like two.
    result.classList.remove("door-flash");
    void result.offsetWidth;
    result.classList.add("door-flash");
    window.clearTimeout(staleTimer);
    staleTimer = window.setTimeout(function () {
      result.dataset.stale = "true";
    }, STALE_MS);
    if (!opts.quiet) signal(verdict.tone);
  }

  function refusalText(code, error) {
    const details = (error && error.details) || {};
    if (code === "already_checked_in") return [whereText(details), ticketText(details.ticket)].filter(Boolean).join(" ");
    if (code === "checkin_closed" && details.opens_at) {
      const opens = new Date(details.opens_at);
      return opens > new Date()
        ? "Check-in opens at " + timeText(details.opens_at) + "."
        : "Check-in closed at " + timeText(details.closes_at) + ".";
    }
    const base = VERDICTS[code] ? VERDICTS[code].detail : error && error.message;
    return [base, ticketText(details.ticket)].filter(Boolean).join(" ");
  }

  // --- sound and vibration (audio starts with the first tap or key: browsers insist)

  let audio = null;

  function unlockAudio() {
    if (audio) {
      if (audio.state === "suspended") audio.resume().catch(function () {});
      return;
    }
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = new Context();
    } catch (error) {
      audio = null;
    }
  }

  function tone(frequency, start, duration, type) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    const t0 = audio.currentTime + start;
    osc.type = type;
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + duration);
    osc.connect(gain).connect(audio.destination);
    osc.start(t0);
    osc.stop(t0 + duration + 0.02);
  }

  function signal(kind) {
    if (audio && audio.state === "running") {
      if (kind === "yes") {
        tone(880, 0, 0.09, "sine");
        tone(1320, 0.1, 0.14, "sine");
      } else if (kind === "stop") {
        tone(330, 0, 0.18, "square");
        tone(330, 0.24, 0.18, "square");
      } else {
        tone(160, 0, 0.45, "sawtooth");
      }
    }
    const activated = !navigator.userActivation || navigator.userActivation.hasBeenActive;
    if (navigator.vibrate && activated) navigator.vibrate(kind === "yes" ? 80 : [220, 90, 220]);
  }

  document.addEventListener("pointerdown", unlockAudio);
  document.addEventListener("keydown", unlockAudio);

  // --- the live count

  const count = {
    checkedIn: Number($("[data-checked-in]").textContent) || 0,
    expected: Number($("[data-expected]").textContent) || 0,
    doubleEntries: Number($("[data-double-entries]").textContent) || 0,
  };

  function renderCount() {
    $("[data-checked-in]").textContent = count.checkedIn;
    $("[data-expected]").textContent = count.expected;
    $("[data-double-entries]").textContent = count.doubleEntries;
    const bar = $("[data-bar]");
    const percent = count.expected ? Math.min(100, (100 * count.checkedIn) / count.expected) : 0;
    $("[data-bar-fill]").style.width = percent + "%";
    bar.setAttribute("aria-valuemax", String(count.expected));
    bar.setAttribute("aria-valuenow", String(Math.min(count.checkedIn, count.expected)));
    bar.setAttribute("aria-valuetext", count.checkedIn + " of " + count.expected + " checked in");
  }

  function updateCount(data) {
    if (!data || typeof data.checked_in !== "number") return;
    count.checkedIn = data.checked_in;
    if (typeof data.expected === "number") count.expected = data.expected;
    if (typeof data.double_entries === "number") count.doubleEntries = data.double_entries;
    renderCount();
  }

  function liveState(text) {
    $("[data-live-state]").textContent = text;
  }

  let socket = null;
  let socketOpen = false;
  let retry = 0;
  let reconnectTimer = null;
  let pollTimer = null;
  let pingTimer = null;
  let listTimer = null;
  let leaving = false;

  function connect() {
    window.clearTimeout(reconnectTimer);
    if (leaving || socket || navigator.onLine === false) return;
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/checkin/" + slotId + "/");
    socket.addEventListener("open", function () {
      socketOpen = true;
      retry = 0;
      stopPolling();
      liveState("live count");
    });
    // Keeps the door marked as watched (the server then pushes booking changes too)
    // and the connection alive through proxies that drop idle sockets.
    window.clearInterval(pingTimer);
    pingTimer = window.setInterval(function () {
      if (socketOpen) socket.send(JSON.stringify({ type: "ping" }));
    }, PING_MS);
    socket.addEventListener("message", function (event) {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (data.type === "checkin") {
        // New or cancelled bookings: the offline list no longer matches the door.
        const listChanged = typeof data.expected === "number" && data.expected !== count.expected;
        updateCount(data);
        if (listChanged) refreshListSoon();
      } else if (data.type === "checkin_settings") {
        refreshListSoon(); // the window or the re-entry rule: both travel with the list
      }
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      socketOpen = false;
      if (leaving) return;
      startPolling();
      if (event.code === 4403) return; // no longer on this door's team: polling will say so
      if (event.code === 4401 && window.venueSession) window.venueSession.refresh();
      retry = Math.min(retry + 1, 5);
      reconnectTimer = window.setTimeout(connect, 1000 * 2 ** retry);
    });
  }

  async function poll() {
    if (socketOpen || navigator.onLine === false) return;
    try {
      const answer = await api("GET", FIGURES_URL);
      if (answer.status === 200) updateCount(answer.data);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      setOffline(true);
    }
  }

  function startPolling() {
    liveState(navigator.onLine === false ? "offline: last known count" : "count updated every 10 s");
    if (pollTimer) return;
    pollTimer = window.setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    window.clearInterval(pollTimer);
    pollTimer = null;
  }

  // --- offline: the list, the local verdict, the queue

  let offline = navigator.onLine === false;

  function setOffline(value) {
    if (offline === value) return;
    offline = value;
    renderBanner();
    if (!value) {
      flush();
      connect();
    }
  }

  function queued() {
    return load(KEYS.queue, []);
  }

  function renderBanner(problem) {
    const waiting = queued().length;
    banner.hidden = !offline && waiting === 0 && !problem;
    const list = load(KEYS.list, null);
    const scans = waiting + " scan" + (waiting === 1 ? "" : "s") + " waiting to upload.";
    let text;
    if (offline) {
      const from = list && list.fetched_at ? " from " + timeText(list.fetched_at) : "";
      text = list ? "Scans are judged on this device against the list" + from + ". " + scans : "No offline list on this device yet. " + scans;
    } else {
      text = problem || "Uploading: " + scans;
    }
    banner.querySelector("[data-offline-title]").textContent = offline ? "Offline" : "Back online";
    banner.querySelector("[data-offline-text]").textContent = text;
    banner.dataset.waiting = String(waiting);
  }

  async function sha256Key(text) {
    const bytes = new TextEncoder().encode(text);
    const digest = await window.crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), function (b) {
      return b.toString(16).padStart(2, "0");
    })
      .join("")
      .slice(0, 24);
  }

  async function findLocal(list, code) {
    const text = code.trim().toUpperCase();
    const match = text.match(REFERENCE);
    if (match) {
      const mine = list.tickets
        .filter(function (t) {
          return t.booking_reference === match[1];
        })
        .sort(function (a, b) {
          return a.number - b.number;
        });
      if (match[2]) return mine.find((t) => t.number === Number(match[2])) || null;
      return mine.find((t) => t.status === "valid") || mine[0] || null;
    }
    if (!window.crypto || !window.crypto.subtle) return undefined; // not a secure context
    const key = await sha256Key(text);
    return list.tickets.find((t) => t.key === key) || null;
  }

  function markLocal(ticket, status, at, gate) {
    // Keep the device's list in step with what the server said, for the next offline spell.
    const list = load(KEYS.list, null);
    if (!list || !ticket) return;
    const entry = list.tickets.find(
      (t) => t.booking_reference === ticket.booking_reference && t.number === ticket.number
    );
    if (!entry) return;
    entry.status = status;
    if (status === "used") {
      entry.local_at = at;
      entry.local_gate = gate;
    }
    save(KEYS.list, list);
  }

  async function judgeOffline(code, gate, direction, at) {
    setOffline(true);
    const list = load(KEYS.list, null);
    if (!list) {
      show("error", "Offline, and this device has no list of this door yet. Connect once to download it.");
      return;
    }
    const ticket = await findLocal(list, code);
    if (ticket === undefined) {
      show("error", "Ticket codes cannot be checked offline on this connection (it needs HTTPS). Type the booking reference.");
      return;
    }
    const opts = { offline: true };
    if (!ticket) return show("not_listed", "", opts);
    if (ticket.status === "cancelled") return show("ticket_cancelled", ticketText(ticket), opts);
    const now = new Date(at);
    const opens = new Date(list.opens_at);
    const closes = new Date(list.closes_at);
    if (now < opens) return show("checkin_closed", "Check-in opens at " + timeText(list.opens_at) + ".", opts);
    if (now > closes) return show("checkin_closed", "Check-in closed at " + timeText(list.closes_at) + ".", opts);
    let verdict;
    if (direction === "out") {
      if (!list.reentry) return show("reentry_not_allowed", "", opts);
      if (ticket.status !== "used") return show("not_checked_in", ticketText(ticket), opts);
      ticket.status = "valid";
      verdict = "exited";
      count.checkedIn = Math.max(0, count.checkedIn - 1);
    } else {
      if (ticket.status === "used") {
        const where = ticket.local_at ? whereText({ at: ticket.local_at, gate: ticket.local_gate }) : "It came in before this device went offline.";
        return show("already_checked_in", where + " " + ticketText(ticket), opts);
      }
      ticket.status = "used";
      ticket.local_at = at;
      ticket.local_gate = gate;
      verdict = "admitted";
      count.checkedIn += 1;
    }
    save(KEYS.list, list);
    // The server gets exactly the ticket judged here: a typed reference names its number.
    const upload = REFERENCE.test(code.trim().toUpperCase()) ? ticket.booking_reference + "-" + ticket.number : code.trim();
    const queue = queued();
    queue.push({ ref: newRef(), code: upload, scanned_at: at, direction: direction, gate: gate });
    const kept = save(KEYS.queue, queue);
    renderCount();
    renderBanner();
    show(verdict, ticketText(ticket) + (kept ? "" : " (This device could not store the scan: note it by hand.)"), opts);
  }

  function newRef() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "r-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  const UPLOAD_TEXT = {
    double_entry: "double entry",
    already_checked_in: "already in",
    invalid_ticket: "not a valid ticket",
    wrong_showtime: "a ticket of another showtime",
    ticket_cancelled: "cancelled ticket",
    checkin_closed: "outside the check-in window",
    not_checked_in: "exit of a ticket that was not in",
    reentry_not_allowed: "exit scan, but no re-entry",
  };

  function addUnconfirmed(scan, answer) {
    const list = load(KEYS.unconfirmed, []);
    const who = answer.ticket ? answer.ticket.booking_reference + "-" + answer.ticket.number : scan.code.slice(0, 12) + "…";
    let text = who + ", scanned " + timeText(scan.scanned_at) + " at " + scan.gate + ": " + (UPLOAD_TEXT[answer.result] || answer.result);
    const details = answer.details || {};
    if (details.at) text += ". It had come in at " + timeText(details.at) + (details.gate ? " through " + details.gate : "");
    list.push(text + ".");
    save(KEYS.unconfirmed, list);
  }

  function renderUnconfirmed() {
    const list = load(KEYS.unconfirmed, []);
    unconfirmedBox.hidden = list.length === 0;
    const ul = unconfirmedBox.querySelector("[data-unconfirmed-list]");
    ul.replaceChildren.apply(
      ul,
      list.map(function (text) {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      })
    );
  }

  let uploading = false;

  async function flush() {
    if (uploading || navigator.onLine === false) return;
    uploading = true;
    let sent = 0;
    let refused = 0;
    let problem = "";
    try {
      for (;;) {
        const queue = queued();
        if (!queue.length) break;
        const gate = queue[0].gate;
        const batch = queue.filter((s) => s.gate === gate).slice(0, UPLOAD_CHUNK);
        renderBanner();
        const answer = await api("POST", UPLOAD_URL, {
          slot: slotId,
          gate: gate,
          scans: batch.map(function (s) {
            return { ref: s.ref, code: s.code, scanned_at: s.scanned_at, direction: s.direction };
          }),
        });
        if (answer.status !== 200) {
          problem = "The server did not take the queued scans: " + ((answer.data.error && answer.data.error.message) || answer.status) + ". They stay queued.";
          break;
        }
        const byRef = new Map(batch.map((s) => [s.ref, s]));
        for (const item of answer.data.results) {
          if (item.result !== "admitted" && item.result !== "exited" && byRef.has(item.ref)) {
            addUnconfirmed(byRef.get(item.ref), item);
            refused += 1;
          }
        }
        save(
          KEYS.queue,
          queued().filter((s) => !byRef.has(s.ref))
        );
        sent += batch.length;
        updateCount(answer.data);
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      setOffline(true);
    } finally {
      uploading = false;
    }
    renderBanner(problem);
    if (sent) {
      uploadSummary.hidden = false;
      uploadSummary.textContent =
        "Uploaded " + sent + " offline scan" + (sent === 1 ? "" : "s") + (refused ? ": " + refused + " not confirmed, listed below." : ": all confirmed.");
      renderUnconfirmed();
      refreshList();
    }
  }

  function refreshListSoon() {
    window.clearTimeout(listTimer);
    listTimer = window.setTimeout(refreshList, 2000); // one download for a burst of changes
  }

  async function refreshList() {
    if (navigator.onLine === false || queued().length) return; // keep the local marks until uploaded
    try {
      const answer = await api("GET", LIST_URL);
      if (answer.status === 200) {
        answer.data.fetched_at = new Date().toISOString();
        if (!save(KEYS.list, answer.data)) renderBanner("This device has no room for the offline list.");
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      setOffline(true);
    }
  }

  // --- scanning

  let busy = false;
  let lastSubmit = 0;

  function direction() {
    const field = form.elements.direction;
    return field && field.value === "out" ? "out" : "in";
  }

  async function submit(raw, fromCamera) {
    const code = (raw || "").trim();
    if (!code || busy) return false;
    const gate = gateInput.value.trim();
    if (!gate) {
      show("error", "Type the name of your gate first (below).", { quiet: true });
      gateInput.focus();
      return false;
    }
    busy = true;
    lastSubmit = Date.now();
    const scannedAt = new Date().toISOString();
    const way = direction();
    try {
      let answer;
      try {
        answer = await api("POST", SCAN_URL, { slot: slotId, code: code, gate: gate, direction: way });
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        await judgeOffline(code, gate, way, scannedAt);
        return true;
      }
      const data = answer.data;
      if (answer.status === 200) {
        markLocal(data.ticket, data.result === "admitted" ? "used" : "valid", scannedAt, gate);
        updateCount(data);
        show(data.result, ticketText(data.ticket));
      } else if (data.error && data.error.code) {
        const error = data.error;
        if (error.code === "already_checked_in" && error.details) markLocal(error.details.ticket, "used", error.details.at, error.details.gate);
        if (VERDICTS[error.code]) show(error.code, refusalText(error.code, error));
        else if (answer.status === 401 || answer.status === 403) show("error", "Your session ended or you are not on this door's team. Log in again.");
        else show("error", error.message || "The server did not take this scan.");
      } else {
        show("error", "The server did not take this scan (" + answer.status + ").");
      }
    } finally {
      busy = false;
      if (fromCamera) lastSeen = Date.now();
    }
    return true;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    unlockAudio();
    if (await submit(codeInput.value, false)) codeInput.value = "";
    codeInput.focus();
  });

  gateInput.value = load(KEYS.gate, "") || "";
  gateInput.addEventListener("input", function () {
    save(KEYS.gate, gateInput.value.trim());
  });

  // --- the camera

  let stream = null;
  let detector = null;
  let frameTimer = null;
  let lastCode = "";
  let lastSeen = 0;

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) return resolve();
      const script = document.createElement("script");
      script.src = url;
      script.onload = resolve;
      script.onerror = function () {
        reject(new Error("could not load the QR decoder"));
      };
      document.head.appendChild(script);
    });
  }

  async function makeDetector() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.indexOf("qr_code") !== -1) {
          const native = new window.BarcodeDetector({ formats: ["qr_code"] });
          return {
            kind: "BarcodeDetector",
            detect: async function () {
              const codes = await native.detect(video);
              return codes.length ? codes[0].rawValue : null;
            },
          };
        }
      } catch (error) {
        // fall through to jsQR
      }
    }
    await loadScript(root.dataset.jsqrUrl);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return {
      kind: "jsQR",
      detect: async function () {
        const scale = Math.min(1, 640 / (video.videoWidth || 640));
        const width = Math.round((video.videoWidth || 640) * scale);
        const height = Math.round((video.videoHeight || 480) * scale);
        if (canvas.width !== width) canvas.width = width;
        if (canvas.height !== height) canvas.height = height;
        context.drawImage(video, 0, 0, width, height);
        const image = context.getImageData(0, 0, width, height);
        const found = window.jsQR(image.data, width, height, { inversionAttempts: "attemptBoth" });
        return found ? found.data : null;
      },
    };
  }

  function seen(code) {
    const now = Date.now();
    if (code === lastCode && now - lastSeen < SAME_CODE_MS) {
      lastSeen = now; // still held up to the camera: once is enough
      return;
    }
    if (busy || now - lastSubmit < CAMERA_GAP_MS) return; // a later frame will do
    lastCode = code;
    lastSeen = now;
    submit(code, true);
  }

  async function tick() {
    if (!stream) return;
    if (video.readyState >= 2 && !busy) {
      try {
        const code = await detector.detect();
        if (code) seen(code);
      } catch (error) {
        // a frame that could not be read: try the next one
      }
    }
    if (stream) frameTimer = window.setTimeout(tick, FRAME_MS);
  }

  let wakeLock = null;

  function cameraUi(on, text) {
    cameraToggle.textContent = on ? "Stop camera" : "Start camera";
    root.querySelector("[data-camera-box]").hidden = !on;
    cameraState.textContent = text;
    // Keep the screen on while scanning, where the browser allows it.
    if (on && !wakeLock && navigator.wakeLock) {
      navigator.wakeLock.request("screen").then(
        function (lock) {
          wakeLock = lock;
        },
        function () {}
      );
    } else if (!on && wakeLock) {
      wakeLock.release().catch(function () {});
      wakeLock = null;
    }
  }

  async function startCamera() {
    if (stream) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraUi(false, "No camera access on this page (it needs HTTPS): type the booking reference instead.");
      return;
    }
    cameraUi(false, "Starting the camera…");
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      video.srcObject = stream;
      await video.play();
      detector = detector || (await makeDetector());
    } catch (error) {
      stopCamera("Camera not available (" + (error.name || error.message) + "): type the booking reference instead.");
      return;
    }
    save(KEYS.camera, "on");
    lastCode = "";
    cameraUi(true, "Camera on: hold the ticket's QR code in the frame.");
    root.dataset.decoder = detector.kind;
    tick();
  }

  function stopCamera(text) {
    window.clearTimeout(frameTimer);
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    cameraUi(false, text || "Camera off.");
  }

  cameraToggle.addEventListener("click", function () {
    unlockAudio();
    if (stream) {
      save(KEYS.camera, "off");
      stopCamera();
    } else {
      startCamera();
    }
  });

  // A phone in a pocket: let the camera go while the page is hidden, take it back after.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && stream) stopCamera("Camera paused.");
    else if (!document.hidden && load(KEYS.camera, "off") === "on") startCamera();
  });

  // --- start

  window.addEventListener("online", function () {
    setOffline(false);
    flush();
    refreshList();
    connect();
  });
  window.addEventListener("offline", function () {
    setOffline(true);
    startPolling();
  });
  window.addEventListener("pagehide", function () {
    leaving = true;
    if (socket) socket.close();
    stopCamera();
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return; // back from the browser's page cache: live again
    leaving = false;
    connect();
    if (load(KEYS.camera, "off") === "on") startCamera();
  });
  unconfirmedBox.querySelector("[data-unconfirmed-clear]").addEventListener("click", function () {
    save(KEYS.unconfirmed, []);
    renderUnconfirmed();
    uploadSummary.hidden = true;
  });

  renderCount();
  renderBanner();
  renderUnconfirmed();
  connect();
  if (!socket) startPolling();
  flush().then(refreshList);
  window.setInterval(refreshList, LIST_MS);
  window.setInterval(flush, UPLOAD_MS);
  if (load(KEYS.camera, "off") === "on") startCamera();
  root.dataset.ready = "true";
})();
