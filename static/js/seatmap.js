// The seat picker of /slots/<id>/: draws the seats from the layout, keeps them live
// through /ws/slots/<id>/, lets a person pick seats by mouse or keyboard, holds them
// and pays through the JSON API. Plain JavaScript, no build step.
"use strict";

(function () {
  const HOLD_URL = "/api/v1/bookings/hold-seats/";
  const CONFIRM_URL = "/api/v1/bookings/confirm/";
  const MAX_SEATS = 10;

  const message = document.getElementById("checkout-message");

  function say(text, kind) {
    if (!message) return;
    message.textContent = text;
    message.className = "alert" + (text ? " alert-" + (kind || "error") : "");
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function postJSON(url, body, headers) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: Object.assign(
        { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        headers || {}
      ),
      body: JSON.stringify(body),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = {};
    }
    return { status: response.status, data: data };
  }

  function errorText(data, fallback) {
    return (data && data.error && data.error.message) || fallback;
  }

  function loginRedirect() {
    window.location.assign("/login/?next=" + encodeURIComponent(window.location.pathname));
  }

  // --- the live connection (both seating kinds)

  function connect(slotId, handlers) {
    let socket = null;
    let retry = 0;
    let closedByPage = false;
    function open() {
      const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + window.location.host + "/ws/slots/" + slotId + "/");
      socket.addEventListener("open", function () {
        retry = 0;
      });
      socket.addEventListener("message", function (event) {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        if (data.type === "snapshot") handlers.snapshot(data);
        else if (data.type === "update") handlers.update(data, function () {
          socket.send(JSON.stringify({ type: "resync" }));
        });
      });
      socket.addEventListener("close", function () {
        if (closedByPage) return;
        retry = Math.min(retry + 1, 6);
        window.setTimeout(open, 500 * 2 ** retry);
      });
    }
    window.addEventListener("pagehide", function () {
      closedByPage = true;
      if (socket) socket.close();
    });
    open();
  }

  // --- general admission: only the count of places left is live

  const gaCount = document.querySelector("[data-ga-available]");
  const dataNode = document.getElementById("seatmap-data");
  if (!dataNode) {
    const slotMatch = window.location.pathname.match(/\/slots\/(\d+)\//);
    if (gaCount && slotMatch) {
      connect(slotMatch[1], {
        snapshot: function (data) {
          gaCount.textContent = data.available > 0 ? data.available + " places left." : "Sold out.";
        },
        update: function (data) {
          gaCount.textContent = data.available > 0 ? data.available + " places left." : "Sold out.";
        },
      });
    }
    wirePayForms();
    wireWaitlist();
    return;
  }

  // --- reserved seating

  const config = JSON.parse(dataNode.textContent);
  const container = document.getElementById("seatmap");
  const summary = document.getElementById("selection-summary");
  const holdButton = document.getElementById("hold-button");
  const started = performance.now();

  const seats = new Map(); // id -> {seat, button, status}
  const rows = new Map(); // y -> [entries sorted by x]
  const mine = new Set(config.mine);
  const selected = new Set();
  // Ticket types: the seat picker asks for one per seat when the showtime sells several.
  const types = config.types || [];
  const chosenType = new Map(Object.entries(config.mineTypes || {}).map(function (pair) {
    return [Number(pair[0]), pair[1]];
  }));
  const typeBox = document.getElementById("selection-types");
  let version = config.version;
  let available = config.available;
  let focused = null;

  function accessibleName(entry) {
    let name = entry.seat.label + ", " + entry.seat.category + ", " + entry.seat.price;
    if (mine.has(entry.seat.id)) name += ", held by you";
    else if (entry.status === "held") name += ", held by someone else";
    else if (entry.status === "booked") name += ", booked";
    return name;
  }

  function paint(entry) {
    const id = entry.seat.id;
    let shown = entry.status;
    if (selected.has(id)) shown = "selected";
    const button = entry.button;
    button.dataset.status = shown;
    button.classList.toggle("mine", mine.has(id));
    const takenByOthers = (entry.status === "held" || entry.status === "booked") && !mine.has(id);
    button.setAttribute("aria-disabled", takenByOthers ? "true" : "false");
    button.setAttribute("aria-pressed", selected.has(id) ? "true" : "false");
    button.setAttribute("aria-label", accessibleName(entry));
  }

  function render() {
    const fragment = document.createDocumentFragment();
    config.rowLabels.forEach(function (row) {
      const label = document.createElement("span");
      label.className = "row-label";
      label.setAttribute("aria-hidden", "true");
      label.style.gridRow = String(row.y + 1);
      label.textContent = row.name;
      fragment.appendChild(label);
    });
    config.seats.forEach(function (seat) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "seat cat-" + seat.category;
      button.dataset.seatId = String(seat.id);
      button.tabIndex = -1;
      button.style.gridRow = String(seat.y + 1);
      button.style.gridColumn = String(seat.x + 2);
      button.textContent = seat.label;
      const entry = { seat: seat, button: button, status: seat.status };
      seats.set(seat.id, entry);
      if (!rows.has(seat.y)) rows.set(seat.y, []);
      rows.get(seat.y).push(entry);
      paint(entry);
      fragment.appendChild(button);
    });
    rows.forEach(function (list) {
      list.sort(function (a, b) {
        return a.seat.x - b.seat.x;
      });
    });
    const noscript = container.querySelector("noscript");
    if (noscript) noscript.remove();
    container.appendChild(fragment);
    const first =
      config.seats.find(function (s) {
        return s.status === "available";
      }) || config.seats[0];
    if (first) setFocus(seats.get(first.id), false);
    container.dataset.renderMs = (performance.now() - started).toFixed(1);
    container.dataset.ready = "true";
  }

  function setFocus(entry, move) {
    if (!entry) return;
    if (focused) focused.button.tabIndex = -1;
    focused = entry;
    entry.button.tabIndex = 0;
    if (move) entry.button.focus();
  }

  function rowKeys() {
    return Array.from(rows.keys()).sort(function (a, b) {
      return a - b;
    });
  }

  function neighbour(entry, key) {
    const list = rows.get(entry.seat.y);
    const index = list.indexOf(entry);
    if (key === "ArrowLeft") return list[index - 1];
    if (key === "ArrowRight") return list[index + 1];
    if (key === "Home") return list[0];
    if (key === "End") return list[list.length - 1];
    const keys = rowKeys();
    const at = keys.indexOf(entry.seat.y);
    const next = key === "ArrowUp" ? keys[at - 1] : keys[at + 1];
    if (next === undefined) return undefined;
    let best = null;
    rows.get(next).forEach(function (candidate) {
      const distance = Math.abs(candidate.seat.x - entry.seat.x);
      if (!best || distance < best.distance) best = { entry: candidate, distance: distance };
    });
    return best && best.entry;
  }

  function typesFor(seat) {
    return types.filter(function (type) {
      return type.prices[seat.category] !== undefined;
    });
  }

  function typeOf(seat) {
    const offered = typesFor(seat);
    const code = chosenType.get(seat.id);
    const found = offered.find(function (type) { return type.code === code; });
    return found || offered[0] || null;
  }

  function priceOf(seat) {
    const type = typeOf(seat);
    return type ? Number(type.prices[seat.category]) : Number(seat.price);
  }

  function renderTypes(chosen) {
    if (!typeBox) return;
    const list = typeBox.querySelector("[data-seat-types]");
    list.textContent = "";
    typeBox.hidden = chosen.length === 0;
    chosen.forEach(function (seat) {
      const item = document.createElement("li");
      const label = document.createElement("label");
      const select = document.createElement("select");
      label.htmlFor = select.id = "seat-type-" + seat.id;
      label.textContent = "Seat " + seat.label + " ";
      select.dataset.seatType = String(seat.id);
      typesFor(seat).forEach(function (type) {
        const option = document.createElement("option");
        option.value = type.code;
        option.textContent = type.name + " · " + type.prices[seat.category];
        select.appendChild(option);
      });
      select.value = typeOf(seat).code;
      select.addEventListener("change", function () {
        chosenType.set(seat.id, select.value);
        updateSummary(false);
      });
      item.appendChild(label);
      item.appendChild(select);
      list.appendChild(item);
    });
  }

  function updateSummary(redrawTypes) {
    const chosen = Array.from(selected).map(function (id) {
      return seats.get(id).seat;
    });
    if (redrawTypes !== false) renderTypes(chosen);
    const total = chosen.reduce(function (sum, seat) {
      return sum + priceOf(seat);
    }, 0);
    if (chosen.length) {
      summary.textContent =
        chosen.length + " seat" + (chosen.length > 1 ? "s" : "") + " selected: " +
        chosen.map(function (s) {
          const type = types.length > 1 ? typeOf(s) : null;
          return type ? s.label + " (" + type.name + ")" : s.label;
        }).join(", ") + " · total " + total.toFixed(2);
    } else {
      summary.textContent = available > 0 ? available + " seats available. No seats selected." : "Sold out.";
    }
    if (holdButton) holdButton.disabled = chosen.length === 0;
  }

  function toggle(entry) {
    const id = entry.seat.id;
    if (selected.has(id)) {
      selected.delete(id);
    } else if (entry.status === "available" || mine.has(id)) {
      if (selected.size >= MAX_SEATS) {
        say("You can hold at most " + MAX_SEATS + " seats at once.");
        return;
      }
      selected.add(id);
    } else {
      say("Seat " + entry.seat.label + " is taken. Pick another seat.");
      return;
    }
    say("");
    paint(entry);
    updateSummary();
  }

  function applyStatus(id, status) {
    const entry = seats.get(Number(id));
    if (!entry) return;
    entry.status = status;
    if (status !== "available" && selected.has(entry.seat.id) && !mine.has(entry.seat.id)) {
      selected.delete(entry.seat.id);
      say("Seat " + entry.seat.label + " was just taken by someone else. Pick another seat.");
      updateSummary();
    }
    paint(entry);
  }

  container.addEventListener("click", function (event) {
    const button = event.target.closest("button.seat");
    if (!button) return;
    const entry = seats.get(Number(button.dataset.seatId));
    setFocus(entry, false);
    toggle(entry);
  });

  container.addEventListener("keydown", function (event) {
    const keys = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"];
    if (!keys.includes(event.key) || !focused) return;
    event.preventDefault();
    const next = neighbour(focused, event.key);
    if (next) setFocus(next, true);
  });

  if (holdButton) {
    holdButton.addEventListener("click", async function () {
      if (!selected.size) return;
      holdButton.disabled = true;
      say("Holding your seats…", "info");
      let result;
      try {
        const asked = Array.from(selected).map(function (id) {
          const type = types.length > 1 ? typeOf(seats.get(id).seat) : null;
          return type ? { id: id, type: type.code } : id;
        });
        result = await postJSON(HOLD_URL, { slot: config.slot, seats: asked });
      } catch (error) {
        say("We could not reach VENUE. Check your connection and press Hold seats again.");
        holdButton.disabled = false;
        return;
      }
      if (result.status === 201) {
        window.location.reload();
        return;
      }
      if (result.status === 401 || result.status === 403) {
        loginRedirect();
        return;
      }
      if (result.status === 409 && result.data.error && result.data.error.details.seats) {
        const taken = result.data.error.details.seats;
        taken.forEach(function (id) {
          selected.delete(id);
          applyStatus(id, "held");
        });
        const labels = taken.map(function (id) {
          return seats.get(id) ? seats.get(id).seat.label : String(id);
        });
        say("Seat " + labels.join(", ") + " was just taken by someone else. Nothing was held; pick other seats.");
      } else {
        say(errorText(result.data, "The seats could not be held. Try again."));
      }
      updateSummary();
    });
  }

  render();
  updateSummary();
  wirePayForms();
  wireWaitlist();

  connect(config.slot, {
    snapshot: function (data) {
      version = data.version;
      available = data.available;
      Object.keys(data.seats).forEach(function (id) {
        applyStatus(id, data.seats[id]);
      });
      updateSummary();
    },
    update: function (data, resync) {
      if (data.version <= version) return;
      if (data.version > version + 1) {
        resync();
        return;
      }
      version = data.version;
      available = data.available;
      Object.keys(data.changes).forEach(function (id) {
        applyStatus(id, data.changes[id]);
      });
      updateSummary();
    },
  });

  // --- paying for a hold through the API: one Idempotency-Key per checkout attempt

  function wirePayForms() {
    document.querySelectorAll("form[data-pay-form]").forEach(function (form) {
      let key = null;
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        key = key || window.crypto.randomUUID();
        say("Paying…", "info");
        let result;
        try {
          result = await postJSON(
            CONFIRM_URL,
            {
              hold: Number(form.dataset.holdId),
              payment: { method: form.dataset.method || "test", token: form.elements.token.value },
            },
            { "Idempotency-Key": key }
          );
        } catch (error) {
          // The same key makes the retry safe: it never books twice.
          say("We could not reach VENUE. Press Pay and book again; you will not be charged twice.");
          button.disabled = false;
          return;
        }
        if (result.status === 201) {
          window.location.assign("/bookings/" + result.data.id + "/");
          return;
        }
        if (result.status === 202) {
          // The bank asks the customer to confirm (3-D Secure); it sends them back to
          // /payments/<id>/return/, which books. Without a page to go to, ask there now.
          window.location.assign(result.data.redirect_url || "/payments/" + result.data.payment + "/return/");
          return;
        }
        if (result.status === 401 || result.status === 403) {
          loginRedirect();
          return;
        }
        key = null; // a definite answer: the next attempt is a new one
        say(errorText(result.data, "The payment did not go through. Try again."));
        button.disabled = result.status === 410;
      });
    });
  }

  // --- the waitlist of a sold-out showtime (shown only where the waitlist API exists)

  function wireWaitlist() {
    const form = document.querySelector("form[data-waitlist-form]");
    if (!form) return;
    const status = form.querySelector("[data-waitlist-status]");
    async function send(method, body) {
      const response = await fetch(form.dataset.url, {
        method: method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: body ? JSON.stringify(body) : undefined,
      });
      let data = {};
      try {
        data = await response.json();
      } catch (error) {
        data = {};
      }
      return { status: response.status, data: data };
    }
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const result = await send("POST", { quantity: Number(form.elements.quantity.value) });
      if (result.status === 201) {
        status.textContent = "You are number " + result.data.position + " on the waitlist. We will email you an offer.";
      } else if (result.status === 401) {
        loginRedirect();
      } else {
        status.textContent = errorText(result.data, "Could not join the waitlist. Try again.");
      }
    });
    form.querySelector("[data-waitlist-leave]").addEventListener("click", async function () {
      const result = await send("DELETE");
      status.textContent =
        result.status === 204 ? "You left the waitlist." : errorText(result.data, "Could not leave the waitlist. Try again.");
    });
  }
})();
