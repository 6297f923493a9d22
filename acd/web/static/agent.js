"use strict";
// The agent page: presence, the offer or call in progress, registering and closing the
// contact, the escalation points of the call's line code, the agent's own figures today.
(() => {
  const { t, api, setText, el, duration } = ACD;
  const $ = (id) => document.getElementById(id);
  let agentId = null;
  let agent = null;
  let contact = null;
  let contactKey = null; // the contact the form and escalation cards were built for
  // The e-mail texts being edited, per point: kept when the cards are rebuilt (the call
  // ending in wrap-up disables transfer), dropped with the next contact.
  let drafts = {};

  // --- presence ------------------------------------------------------------------------
  function presenceButtons() {
    const group = $("presence-buttons");
    for (const reason of ACD.pageData.reasons || []) {
      const button = el("button", { type: "button", "data-presence": "not_available",
        "data-reason": reason, disabled: true }, ACD.label("reason", reason));
      group.appendChild(button);
    }
    group.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (button) setPresence(button.dataset.presence, button.dataset.reason || null);
    });
    $("go-logout").addEventListener("click", () => setPresence("logged_out", null));
  }

  async function setPresence(presence, reason) {
    setText($("presence-error"), "");
    const base = `/api/agents/${encodeURIComponent(agentId)}`;
    let result;
    if (presence === "logged_out") {
      result = await api("POST", base + "/logout");
    } else {
      if (agent && agent.presence === "logged_out") {
        result = await api("POST", base + "/login");
        if (!result.ok) { setText($("presence-error"), ACD.errorText(result)); return; }
      }
      result = await api("PUT", base + "/presence", { presence, reason });
    }
    if (!result.ok) { setText($("presence-error"), ACD.errorText(result)); return; }
    mark();
  }

  function renderPresence() {
    const presence = agent ? agent.presence : null;
    let text = ACD.label("presence", presence);
    if (agent && agent.reason) text += " – " + ACD.label("reason", agent.reason);
    if (agent && agent.activity && presence !== "logged_out") {
      text += " · " + ACD.label("activity", agent.activity);
    }
    setText($("presence-now"), text || "–");
    for (const button of document.querySelectorAll("[data-presence]")) {
      const current = button.dataset.presence === presence &&
        (button.dataset.reason || null) === ((agent && agent.reason) || null);
      button.setAttribute("aria-pressed", current ? "true" : "false");
      // The buttons come disabled from the server: a click before the page knew the agent
      // (its handler not yet attached) would have been lost without a word.
      if (agent) button.disabled = false;
    }
  }

  // --- the contact ---------------------------------------------------------------------
  function renderContact() {
    const shown = contact !== null;
    $("no-contact").hidden = shown;
    $("contact").hidden = !shown;
    $("close-form").hidden = !shown;
    if (!shown) { contactKey = null; return; }
    setText($("contact-state"), ACD.label("contact", contact.state));
    setText($("contact-caller"), contact.caller_number || "–");
    setText($("contact-line"), contact.line || "–");
    setText($("contact-line-code"), contact.line_code || "–");
    setText($("contact-waited"), duration(contact.waited_s));
    let kind = t("contact.direct");
    if (contact.callback) {
      kind = t("contact.callback", { number: contact.callback.number,
        wait: duration(contact.callback.original_wait_s) });
    } else if (contact.virtual_hold) {
      kind = t("contact.virtual_hold");
    }
    setText($("contact-kind"), kind);
    if (contactKey !== contact.contact_id) {
      contactKey = contact.contact_id;
      resetForm();
    }
  }

  function resetForm() {
    drafts = {};
    $("close-note").value = "";
    $("close-links").value = "";
    setText($("close-error"), "");
    const select = $("close-reason");
    while (select.options.length > 1) select.remove(1);
    for (const reason of contact.contact_reasons || []) {
      const value = typeof reason === "string" ? reason : reason.id;
      const text = typeof reason === "string" ? reason : (reason.label || reason.id);
      select.appendChild(el("option", { value }, text));
    }
    select.value = "";
  }

  async function closeContact(event) {
    event.preventDefault();
    const links = $("close-links").value.split("\n").map((s) => s.trim()).filter(Boolean);
    const result = await api("POST", `/api/agents/${encodeURIComponent(agentId)}/contact/close`, {
      note: $("close-note").value, reason: $("close-reason").value, links,
    });
    if (!result.ok) { setText($("close-error"), ACD.errorText(result)); return; }
    setText($("escalation-status"), t("close.done"));
    mark();
  }

  // --- escalation points ---------------------------------------------------------------
  function renderEscalations(points) {
    const list = $("escalations");
    $("no-escalations").hidden = points.length > 0;
    const key = points.map((p) => p.id + ":" + p.phone_transfer.possible).join(",");
    if (list.dataset.key === key) return; // unchanged: keep focus and typed e-mail text
    list.dataset.key = key;
    list.replaceChildren(...points.map(pointCard));
  }

  function pointCard(point) {
    const card = el("li", { class: "card", "data-point": point.id });
    card.appendChild(el("h3", {}, point.title || point.editorial_title || point.id));
    if (point.instructions) card.appendChild(el("p", { class: "instructions" }, point.instructions));
    const tell = [];
    if (point.may_give_number && point.phone) tell.push(t("escalations.tell_number", { phone: point.phone }));
    if (point.may_give_email && point.email) tell.push(t("escalations.tell_email", { email: point.email }));
    if (point.handling_days) {
      tell.push(t("escalations.tell_term", { days: point.handling_days, info: point.handling_info || "" }));
    }
    if (tell.length) {
      card.appendChild(el("p", { class: "tell-label" }, t("escalations.tell")));
      const items = el("ul", { class: "tell" });
      for (const line of tell) items.appendChild(el("li", {}, line));
      card.appendChild(items);
    }
    const check = point.phone_transfer;
    const whyId = `why-${point.id}`;
    const transfer = el("button", { type: "button", class: "transfer",
      disabled: !check.possible, "aria-describedby": check.possible ? null : whyId },
      t("escalations.transfer"));
    transfer.addEventListener("click", () => doTransfer(point));
    card.appendChild(transfer);
    if (!check.possible) {
      const next = check.next_window
        ? t("escalations.next_window", { start: ACD.time(check.next_window.start) +
          (check.next_window.end ? "–" + ACD.clock(check.next_window.end) : "") })
        : t("escalations.no_next_window");
      card.appendChild(el("p", { id: whyId, class: "why-not" },
        [ACD.label("refusal", check.reason) || check.message, check.deviation_text, next]
          .filter(Boolean).join(" ")));
    }
    if (point.may_send_email) {
      const textId = `mail-${point.id}`;
      const open = el("button", { type: "button", class: "email", "aria-expanded": "false",
        "aria-controls": textId + "-box" }, t("escalations.email"));
      const draft = drafts[point.id];
      const box = el("div", { id: textId + "-box", class: "mail", hidden: !draft });
      const subject = el("p", { class: "mail-subject" }, draft ? draft.subject : "");
      box.appendChild(subject);
      box.appendChild(el("label", { for: textId }, t("escalations.email_text")));
      const text = el("textarea", { id: textId, rows: 12 });
      if (draft) text.value = draft.body;
      text.addEventListener("input", () => {
        drafts[point.id] = { subject: subject.textContent, body: text.value };
      });
      box.appendChild(text);
      const send = el("button", { type: "button", class: "send" }, t("escalations.send"));
      box.appendChild(send);
      open.setAttribute("aria-expanded", String(!box.hidden));
      open.addEventListener("click", async () => {
        box.hidden = !box.hidden;
        open.setAttribute("aria-expanded", String(!box.hidden));
        if (box.hidden) return;
        if (!text.value) {
          const filled = await mailDraft(point);
          setText(subject, filled.subject);
          if (!text.value) text.value = filled.body;
          drafts[point.id] = { subject: filled.subject, body: text.value };
        }
        text.focus();
      });
      send.addEventListener("click", () => doEmail(point, text.value));
      card.append(open, box);
    } else {
      card.appendChild(el("p", { class: "why-not" }, t("escalations.not_by_email")));
    }
    return card;
  }

  // The mail starts as the point's template filled in by the engine (the caller's number,
  // line, contact, handling term) around what the agent noted; the agent edits it before
  // sending.  Should the preview fail, the note alone (the engine still adds the subject).
  async function mailDraft(point) {
    const note = $("close-note").value.trim();
    const path = `/api/agents/${encodeURIComponent(agentId)}/escalations/` +
      `${encodeURIComponent(point.id)}/email-preview?note=${encodeURIComponent(note)}`;
    const result = await api("GET", path);
    if (result.ok) return { subject: result.data.subject, body: result.data.body };
    setText($("escalation-status"), ACD.errorText(result));
    return { subject: "", body: note || (point.handling_info || "") };
  }

  async function doTransfer(point) {
    const result = await api("POST", `/api/agents/${encodeURIComponent(agentId)}/transfer`,
      { point_id: point.id });
    setText($("escalation-status"), result.ok
      ? t("escalations.dialing", { point: point.title || point.id }) : ACD.errorText(result));
    mark();
  }

  async function doEmail(point, body) {
    // The text as edited is the mail's body; the note fills the template's subject.
    const note = $("close-note").value.trim() || body;
    const result = await api("POST", `/api/agents/${encodeURIComponent(agentId)}/escalate-email`,
      { point_id: point.id, note, body, request_key: ACD.requestKey() });
    setText($("escalation-status"), result.ok
      ? t("escalations.sent", { point: point.title || point.id }) : ACD.errorText(result));
  }

  // --- figures today -------------------------------------------------------------------
  function renderToday(today) {
    const list = $("today");
    const rows = [];
    if (today) {
      rows.push([t("today.contacts"), today.contacts ?? "–"]);
      rows.push([t("today.aht"), duration(today.average_handling_time_s)]);
      // Handling over staffed time (docs/sla.md), as a whole percentage.
      const occupancy = today.occupancy;
      rows.push([t("today.occupancy"), occupancy == null ? "–" : Math.round(occupancy * 100) + " %"]);
      // Keys are "available" or "not_available:<reason>".
      for (const [key, seconds] of Object.entries(today.presence_seconds || {})) {
        const [presence, reason] = key.split(":");
        const name = ACD.label("presence", presence) + (reason ? " – " + ACD.label("reason", reason) : "");
        rows.push([name, duration(seconds)]);
      }
    }
    const key = JSON.stringify(rows);
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }

  // --- refresh -------------------------------------------------------------------------
  async function refresh() {
    const base = `/api/agents/${encodeURIComponent(agentId)}`;
    const [agentResult, contactResult, todayResult] = await Promise.all([
      api("GET", base), api("GET", base + "/contact"), api("GET", base + "/today"),
    ]);
    if (agentResult.ok) agent = agentResult.data;
    const found = contactResult.ok && contactResult.data && contactResult.data.contact_id
      ? contactResult.data : null;
    contact = found;
    let points = [];
    // During the call and its wrap-up (e-mail only then: the engine disables the transfer).
    if (agent && (agent.activity === "on_call" || agent.activity === "wrap_up")) {
      const options = await api("GET", base + "/escalations");
      if (options.ok) points = options.data.escalation_points || [];
    }
    renderPresence();
    renderContact();
    renderEscalations(points);
    renderToday(todayResult.ok ? todayResult.data : null);
  }

  const mark = ACD.refresher(refresh);

  async function start() {
    const who = await ACD.session();
    if (!who.ok) return;
    agentId = who.data.agent_id;
    setText($("who"), who.data.name);
    presenceButtons();
    $("close-form").addEventListener("submit", closeContact);
    ACD.signOutButton();
    ACD.live((message) => {
      if (!message || message.type === "wallboard") return;
      if (message.agent_id && message.agent_id !== agentId) return;
      mark();
    }, mark);
    mark();
  }
  start();
})();
