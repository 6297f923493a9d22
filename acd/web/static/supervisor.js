"use strict";
// The supervisor page: the wallboard per line and line code, the agents with set presence /
// log out / listen / whisper / barge, the waiting contacts, the callbacks with cancel and
// reschedule. Rows are kept by id and only changed cells are written, so a live page whose
// figures move 50 times a second neither flickers nor loses the keyboard focus.
(() => {
  const { t, api, setText, el, duration, percent } = ACD;
  const $ = (id) => document.getElementById(id);
  const pick = (object, ...names) => {
    for (const name of names) if (object && object[name] !== undefined && object[name] !== null) return object[name];
    return null;
  };

  // A table body whose rows are kept by key: build(key) makes a row once, fill(row, item)
  // updates it; rows no longer present go, the order follows the items.
  function syncRows(tbody, items, keyOf, build, fill) {
    const existing = new Map([...tbody.rows].map((row) => [row.dataset.key, row]));
    let previous = null;
    for (const item of items) {
      const key = String(keyOf(item));
      let row = existing.get(key);
      if (!row) { row = build(item); row.dataset.key = key; }
      existing.delete(key);
      fill(row, item);
      const wanted = previous ? previous.nextSibling : tbody.firstChild;
      if (wanted !== row) tbody.insertBefore(row, wanted);
      previous = row;
    }
    for (const row of existing.values()) row.remove();
  }

  function cells(row, values) {
    values.forEach((value, i) => setText(row.cells[i], value));
  }

  function textRow(count) {
    const row = el("tr");
    for (let i = 0; i < count; i++) row.appendChild(el("td"));
    return row;
  }

  // --- wallboard -----------------------------------------------------------------------
  function wallboardRows(board, queues) {
    if (board) {
      const lines = board.lines || [];
      const rows = [];
      for (const line of lines) {
        for (const code of line.line_codes || []) rows.push({ line: line.line || line.id, ...code });
      }
      if (rows.length) return rows;
      if (Array.isArray(board.line_codes)) return board.line_codes;
    }
    // Without the wallboard route (an older engine): what the queues tell.
    return queues.map((q) => ({ line_code: q.line_code, waiting: q.waiting,
      longest_wait_s: q.longest_wait_seconds,
      agents: { available: q.agents_available, logged_in: q.agents_logged_in } }));
  }

  // "available / logged in", then how many are on a call or in wrap-up.
  function agentsText(agents) {
    const available = pick(agents.by_presence || {}, "available") ?? pick(agents, "available");
    let text = `${available ?? "–"} / ${pick(agents, "logged_in") ?? "–"}`;
    const busy = agents.by_activity || {};
    for (const activity of ["on_call", "wrap_up"]) {
      if (busy[activity]) text += ` · ${ACD.label("activity", activity)} ${busy[activity]}`;
    }
    return text;
  }

  function renderWallboard(rows) {
    syncRows($("wallboard").tBodies[0], rows, (r) => (r.line || "") + "|" + r.line_code,
      () => { const row = textRow(10); row.cells[0].outerHTML = "<th scope=\"row\"></th>"; return row; },
      (row, r) => {
        const agents = r.agents || {};
        const callbacks = r.callbacks || {};
        const rate = pick(r, "answer_rate");
        row.classList.toggle("below-target", r.answer_rate_ok === false || (rate !== null && rate < 0.95));
        cells(row, [
          r.line ? `${r.line_code} (${r.line})` : r.line_code,
          pick(r, "waiting") ?? 0,
          duration(pick(r, "longest_wait_s", "longest_wait_seconds")),
          pick(r, "offered") ?? "–",
          pick(r, "answered") ?? "–",
          pick(r, "abandoned") ?? "–",
          percent(rate),
          percent(pick(r, "service_level")),
          agentsText(agents),
          `${pick(callbacks, "pending") ?? pick(r, "callbacks_pending") ?? "–"} (${pick(callbacks, "overdue") ?? pick(r, "callbacks_overdue") ?? "–"})`,
        ]);
      });
  }

  // --- agents --------------------------------------------------------------------------
  function agentRow(agent) {
    const row = textRow(5);
    row.cells[0].outerHTML = "<th scope=\"row\"></th>";
    const actions = el("td", { class: "actions" });
    const selectId = `presence-${agent.id}`;
    actions.appendChild(el("label", { for: selectId, class: "visually-hidden" },
      t("agents.set_presence", { agent: agent.name || agent.id })));
    const select = el("select", { id: selectId });
    select.appendChild(el("option", { value: "available" }, t("presence.available")));
    for (const reason of ACD.pageData.reasons || []) {
      select.appendChild(el("option", { value: "not_available:" + reason },
        t("presence.not_available") + " – " + ACD.label("reason", reason)));
    }
    const apply = el("button", { type: "button", class: "apply" }, t("agents.apply"));
    apply.addEventListener("click", () => {
      const [presence, reason] = select.value.split(":");
      setPresence(agent, presence, reason || null);
    });
    const logout = el("button", { type: "button", class: "logout" }, t("agents.log_out"));
    logout.addEventListener("click", () => logOut(agent));
    actions.append(select, apply, logout);
    for (const mode of ["listen", "whisper", "barge"]) {
      const button = el("button", { type: "button", class: "monitor", "data-mode": mode },
        t("monitor." + mode));
      button.addEventListener("click", () => monitor(agent, mode));
      actions.appendChild(button);
    }
    const stop = el("button", { type: "button", class: "monitor-stop" }, t("monitor.stop"));
    stop.addEventListener("click", () => stopMonitor(agent));
    actions.appendChild(stop);
    row.appendChild(actions);
    return row;
  }

  function renderAgents(agents, now) {
    syncRows($("agents").tBodies[0], agents, (a) => a.id, agentRow, (row, a) => {
      const since = a.presence_since ? (now - Date.parse(a.presence_since)) / 1000 : null;
      const presence = ACD.label("presence", a.presence) + (a.reason ? " – " + ACD.label("reason", a.reason) : "");
      cells(row, [`${a.name} (${a.id})`, presence, ACD.label("activity", a.activity),
        duration(since), a.contact_id || "–"]);
      const onCall = a.activity === "on_call";
      for (const button of row.querySelectorAll("button.monitor")) button.disabled = !onCall;
    });
  }

  async function setPresence(agent, presence, reason) {
    const base = `/api/agents/${encodeURIComponent(agent.id)}`;
    if (agent.presence === "logged_out") {
      const login = await api("POST", base + "/login");
      if (!login.ok) { setText($("agents-status"), ACD.errorText(login)); return; }
    }
    const result = await api("PUT", base + "/presence", { presence, reason });
    setText($("agents-status"), result.ok
      ? t("agents.done", { agent: agent.name, presence: ACD.label("presence", presence) })
      : ACD.errorText(result));
    mark();
  }

  async function logOut(agent) {
    const result = await api("POST", `/api/agents/${encodeURIComponent(agent.id)}/logout`);
    setText($("agents-status"), result.ok
      ? t("agents.done", { agent: agent.name, presence: ACD.label("presence", "logged_out") })
      : ACD.errorText(result));
    mark();
  }

  async function monitor(agent, mode) {
    // Without an endpoint the engine calls the supervisor's own agent phone, if they have one.
    const endpoint = $("monitor-endpoint").value.trim();
    const body = endpoint ? { mode, endpoint } : { mode };
    const result = await api("POST", `/api/agents/${encodeURIComponent(agent.id)}/monitor`, body);
    setText($("agents-status"), result.ok
      ? t("monitor.started", { mode: t("monitor." + mode), agent: agent.name }) : ACD.errorText(result));
  }

  async function stopMonitor(agent) {
    const result = await api("DELETE", `/api/agents/${encodeURIComponent(agent.id)}/monitor`);
    if (!result.ok) setText($("agents-status"), ACD.errorText(result));
  }

  // --- waiting contacts and callbacks --------------------------------------------------
  function renderWaiting(queues) {
    const waiting = queues.flatMap((q) => (q.contacts || []).map((c) => ({ ...c, line_code: q.line_code })));
    syncRows($("waiting").tBodies[0], waiting, (c) => c.id, () => textRow(4), (row, c) => {
      cells(row, [c.line_code, c.caller_number || "–", duration(c.waiting_seconds), ACD.label("phase", c.phase)]);
    });
  }

  function callbackRow(callback) {
    const row = textRow(4);
    const actions = el("td", { class: "actions" });
    const cancel = el("button", { type: "button", class: "cancel" }, t("callbacks.cancel"));
    cancel.addEventListener("click", async () => {
      const reason = prompt(t("callbacks.cancel_reason"));
      if (!reason) return;
      const result = await api("POST", `/api/callbacks/${encodeURIComponent(callback.id)}/cancel`, { reason });
      setText($("callbacks-status"), result.ok ? "" : ACD.errorText(result));
      mark();
    });
    const reschedule = el("button", { type: "button", class: "reschedule" }, t("callbacks.reschedule"));
    reschedule.addEventListener("click", async () => {
      const answer = prompt(t("callbacks.reschedule_at", { number: callback.number }), callback.next_attempt_at || "");
      if (!answer) return;
      const at = new Date(answer);
      const result = await api("POST", `/api/callbacks/${encodeURIComponent(callback.id)}/reschedule`,
        { at: isNaN(at.getTime()) ? answer : at.toISOString() });
      setText($("callbacks-status"), result.ok ? "" : ACD.errorText(result));
      mark();
    });
    actions.append(cancel, reschedule);
    row.appendChild(actions);
    return row;
  }

  function renderCallbacks(callbacks) {
    syncRows($("callbacks").tBodies[0], callbacks, (c) => c.id, callbackRow, (row, c) => {
      row.classList.toggle("overdue", Boolean(c.overdue));
      cells(row, [c.number, c.line_code, ACD.time(c.due_by),
        c.overdue ? `${c.status} (${t("callbacks.overdue")})` : c.status]);
    });
  }

  // --- refresh -------------------------------------------------------------------------
  async function refresh() {
    const [board, queues, agents, callbacks] = await Promise.all([
      api("GET", "/api/wallboard"), api("GET", "/api/queues"), api("GET", "/api/agents"),
      api("GET", "/api/callbacks?status=pending"),
    ]);
    const queueList = queues.ok ? queues.data.queues : [];
    renderWallboard(wallboardRows(board.ok ? board.data : null, queueList));
    if (agents.ok) renderAgents(agents.data.agents, Date.now());
    renderWaiting(queueList);
    if (callbacks.ok) renderCallbacks(callbacks.data.callbacks || []);
  }

  const mark = ACD.refresher(refresh);

  async function start() {
    const who = await ACD.session();
    if (!who.ok) return;
    setText($("who"), who.data.name);
    ACD.signOutButton();
    ACD.live(() => mark(), mark);
    mark();
    // Waiting times and time in state grow without any event: refresh them now and then.
    setInterval(mark, 5000);
  }
  start();
})();
