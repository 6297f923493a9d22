"use strict";
// Shared by every page: messages, the JSON API with the session's CSRF token, the live
// connection to /api/events (reconnects by itself, shows when it is down) and a refresher that
// coalesces bursts of events into one fetch and one DOM update per animation frame.
const ACD = (() => {
  const pageData = JSON.parse(document.getElementById("page-data").textContent);
  const messages = pageData.messages || {};
  let csrf = null;

  function t(key, vars) {
    let text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    for (const [name, value] of Object.entries(vars || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  // The label of a presence reason or activity from the catalogue, else the raw value.
  function label(prefix, value) {
    if (value === null || value === undefined || value === "") return "";
    const key = prefix + "." + value;
    return Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : String(value);
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      if (csrf) headers["X-CSRF-Token"] = csrf;
    }
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) init.body = JSON.stringify(body);
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      return { status: 0, ok: false, data: { message: String(error) } };
    }
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (response.status === 401 && path !== "/api/session") {
      location.assign("/?next=" + encodeURIComponent(location.pathname));
    }
    return { status: response.status, ok: response.ok, data };
  }

  async function session() {
    const found = await api("GET", "/api/session");
    if (found.ok && found.data) csrf = found.data.csrf_token || null;
    return found;
  }

  function errorText(result) {
    const message = (result.data && result.data.message) || String(result.status);
    return t("error.generic", { message });
  }

  // Write text only when it changed: no needless layout, nothing blinks.
  function setText(element, text) {
    const value = text === null || text === undefined ? "" : String(text);
    if (element.textContent !== value) element.textContent = value;
  }

  function el(tag, attributes, text) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      element.setAttribute(name, value === true ? "" : String(value));
    }
    if (text !== undefined) element.textContent = String(text);
    return element;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "–";
    const s = Math.max(0, Math.round(Number(seconds)));
    const m = Math.floor(s / 60);
    const h = Math.floor(m / 60);
    const pad = (n) => String(n).padStart(2, "0");
    return h > 0 ? `${h}:${pad(m % 60)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
  }

  function percent(ratio) {
    if (ratio === null || ratio === undefined || isNaN(ratio)) return "–";
    return (Number(ratio) * 100).toFixed(1) + "%";
  }

  function time(iso) {
    if (!iso) return "–";
    const date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso);
    return date.toLocaleString(pageData.lang === "en" ? "en-GB" : "nl-BE", {
      day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit",
    });
  }

  function clock(iso) {
    const date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso);
    return date.toLocaleTimeString(pageData.lang === "en" ? "en-GB" : "nl-BE",
      { hour: "2-digit", minute: "2-digit" });
  }

  // refresh() is async; mark() asks for a run. Marks while one is pending or running fold into
  // the next run, which starts on an animation frame: 50 events a second make at most one fetch
  // in flight and one DOM update per frame.
  function refresher(refresh) {
    let dirty = false;
    let scheduled = false;
    let running = false;
    function schedule() {
      if (scheduled || running) return;
      scheduled = true;
      requestAnimationFrame(run);
    }
    async function run() {
      scheduled = false;
      if (!dirty) return;
      dirty = false;
      running = true;
      try { await refresh(); } catch (error) { console.error(error); }
      running = false;
      if (dirty) schedule();
    }
    return function mark() { dirty = true; schedule(); };
  }

  // The live connection. onEvent(message) for each pushed event; onOpen() after each (re)connect,
  // to catch up on what happened while it was down. While down the page still refreshes every
  // few seconds, and says it is not live.
  function live(onEvent, onOpen) {
    const status = document.getElementById("connection");
    let delay = 500;
    let pollTimer = null;
    function show(state) {
      if (!status) return;
      status.dataset.state = state;
      setText(status, t("live." + state));
    }
    function poll(on) {
      if (on && pollTimer === null) pollTimer = setInterval(onOpen, 5000);
      if (!on && pollTimer !== null) { clearInterval(pollTimer); pollTimer = null; }
    }
    function connect() {
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      const socket = new WebSocket(`${scheme}//${location.host}/api/events`);
      socket.addEventListener("open", () => {
        delay = 500;
        show("connected");
        poll(false);
        onOpen();
      });
      socket.addEventListener("message", (event) => {
        let message;
        try { message = JSON.parse(event.data); } catch (_) { return; }
        onEvent(message);
      });
      socket.addEventListener("close", () => {
        show("disconnected");
        poll(true);
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 10000);
      });
    }
    show("connecting");
    connect();
  }

  function signOutButton() {
    const button = document.getElementById("sign-out");
    if (!button) return;
    button.addEventListener("click", async () => {
      await api("DELETE", "/api/session");
      location.assign("/");
    });
  }

  function requestKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  return {
    pageData, t, label, api, session, errorText, setText, el, duration, percent, time, clock,
    refresher, live, signOutButton, requestKey,
  };
})();
