"use strict";
// The listening page: a day's recordings (filtered per agent and line code) from
// /api/recordings, one played in an <audio> element from /api/recordings/{name}/audio (the
// engine serves ranges, so the player seeks), held past retention by a supervisor, and scored
// on the configured criteria; the scores given so far listed under the form.
(() => {
  const { t, api, setText, el, duration, time, pageData } = ACD;
  const $ = (id) => document.getElementById(id);
  const criteria = pageData.criteria || [];
  const scaleMax = pageData.scale_max || 5;
  let selected = null;

  function today() {
    const now = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  }

  function seconds(recording) {
    if (!recording.ended_at) return null;
    return (new Date(recording.ended_at) - new Date(recording.started_at)) / 1000;
  }

  async function load() {
    const query = new URLSearchParams();
    for (const [key, id] of [["date", "filter-date"], ["agent", "filter-agent"], ["line_code", "filter-line-code"]]) {
      const value = $(id).value.trim();
      if (value) query.set(key, value);
    }
    const result = await api("GET", "/api/recordings?" + query.toString());
    const tbody = $("recordings").tBodies[0];
    tbody.replaceChildren();
    if (!result.ok) { setText($("recordings-status"), ACD.errorText(result)); return; }
    const found = result.data.recordings || [];
    setText($("recordings-status"), found.length ? "" : t("listening.none"));
    for (const recording of found) {
      const row = el("tr", { "data-name": recording.name });
      row.appendChild(el("td", {}, time(recording.started_at)));
      row.appendChild(el("td", {}, recording.agent_id || "–"));
      row.appendChild(el("td", {}, recording.line_code));
      row.appendChild(el("td", {}, duration(seconds(recording))));
      row.appendChild(el("td", {}, String(recording.scored || 0)));
      const cell = el("td");
      const play = el("button", { type: "button", class: "listen" }, t("listening.listen"));
      play.disabled = !recording.ended_at;
      play.addEventListener("click", () => choose(recording.name, true));
      cell.appendChild(play);
      row.appendChild(cell);
      tbody.appendChild(row);
    }
  }

  async function choose(name, start) {
    const result = await api("GET", "/api/recordings/" + encodeURIComponent(name));
    if (!result.ok) { setText($("recordings-status"), ACD.errorText(result)); return; }
    selected = result.data;
    $("selected").hidden = false;
    setText($("selected-name"), selected.name);
    const facts = $("selected-facts");
    facts.replaceChildren();
    for (const [key, value] of [
      ["listening.agent", selected.agent_id || "–"],
      ["listening.line_code", selected.line_code],
      ["listening.started", time(selected.started_at)],
      ["listening.duration", duration(seconds(selected))],
      ["listening.held", selected.held ? t("listening.yes") : t("listening.no")],
    ]) {
      facts.appendChild(el("dt", {}, t(key)));
      facts.appendChild(el("dd", {}, value));
    }
    const player = $("player");
    if (selected.deleted_at) {
      player.removeAttribute("src");
      setText($("selected-status"), t("listening.deleted", { date: time(selected.deleted_at) }));
    } else {
      player.src = "/api/recordings/" + encodeURIComponent(selected.name) + "/audio";
      setText($("selected-status"), "");
      // "Listen" was clicked: start at once (a browser refusing autoplay leaves the controls).
      if (start) player.play().catch(() => {});
    }
    const hold = $("hold");
    hold.hidden = !pageData.may_hold;
    hold.disabled = Boolean(selected.held);
    fillForm(selected.scores || []);
    showScores(selected.scores || []);
  }

  function buildForm() {
    const holder = $("criteria");
    for (const criterion of criteria) {
      const set = el("fieldset", { class: "criterion" });
      set.appendChild(el("legend", {}, criterion.label));
      for (let score = 1; score <= scaleMax; score++) {
        const id = `score-${criterion.id}-${score}`;
        set.appendChild(el("input", { type: "radio", name: criterion.id, value: score, id, required: true }));
        set.appendChild(el("label", { for: id, class: "inline" }, String(score)));
      }
      holder.appendChild(set);
    }
  }

  // The form shows what this user gave before (they replace it by saving again).
  function fillForm(scores) {
    const mine = scores.find((given) => given.scorer === ACD.me);
    for (const criterion of criteria) {
      for (const input of document.getElementsByName(criterion.id)) {
        input.checked = Boolean(mine) && Number(input.value) === mine.scores[criterion.id];
      }
    }
    $("score-comment").value = mine && mine.comment ? mine.comment : "";
    setText($("score-status"), "");
  }

  function showScores(scores) {
    const head = $("scores").tHead.rows[0];
    head.replaceChildren(el("th", { scope: "col" }, t("listening.scorer")));
    for (const criterion of criteria) head.appendChild(el("th", { scope: "col" }, criterion.label));
    head.appendChild(el("th", { scope: "col" }, t("listening.comment")));
    const tbody = $("scores").tBodies[0];
    tbody.replaceChildren();
    for (const given of scores) {
      const row = el("tr");
      row.appendChild(el("td", {}, given.scorer));
      for (const criterion of criteria) row.appendChild(el("td", {}, String(given.scores[criterion.id] ?? "–")));
      row.appendChild(el("td", {}, given.comment || ""));
      tbody.appendChild(row);
    }
  }

  $("score-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!selected) return;
    const scores = {};
    for (const criterion of criteria) {
      const checked = [...document.getElementsByName(criterion.id)].find((input) => input.checked);
      if (checked) scores[criterion.id] = Number(checked.value);
    }
    const comment = $("score-comment").value.trim();
    const path = "/api/recordings/" + encodeURIComponent(selected.name) + "/score";
    const result = await api("POST", path, { scores, comment: comment || null });
    if (!result.ok) { setText($("score-status"), ACD.errorText(result)); return; }
    selected.scores = result.data.scores;
    showScores(selected.scores);
    setText($("score-status"), t("listening.saved"));
    load();
  });

  $("hold").addEventListener("click", async () => {
    if (!selected) return;
    const result = await api("POST", "/api/recordings/" + encodeURIComponent(selected.name) + "/hold");
    if (!result.ok) { setText($("selected-status"), ACD.errorText(result)); return; }
    selected.held = true;
    $("hold").disabled = true;
    setText($("selected-status"), t("listening.held_done"));
  });

  $("filter").addEventListener("submit", (event) => { event.preventDefault(); load(); });

  ACD.signOutButton();
  if (pageData.home && pageData.home !== "/listening") {
    $("home-link").href = pageData.home;
    $("home-link").hidden = false;
  }
  $("filter-date").value = today();
  buildForm();
  ACD.session().then((who) => {
    if (who.ok) ACD.me = who.data.name;
    load();
  });
})();
