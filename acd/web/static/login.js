"use strict";
(() => {
  const HOME = {
    agent: "/agent", supervisor: "/supervisor", admin: "/supervisor", reporting: "/listening",
  };
  const PAGES = ["/agent", "/supervisor", "/listening"];
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");

  function go(role) {
    const home = HOME[role];
    if (!home) { ACD.setText(error, ACD.t("login.no_page")); return; }
    const next = new URLSearchParams(location.search).get("next");
    // Only our own pages: a link to /?next=elsewhere must not send the user away.
    location.assign(PAGES.includes(next) ? next : home);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ACD.setText(error, "");
    const result = await ACD.api("POST", "/api/session", {
      username: document.getElementById("username").value,
      password: document.getElementById("password").value,
    });
    if (!result.ok) {
      const message = (result.data && result.data.message) || String(result.status);
      ACD.setText(error, ACD.t("login.failed", { message }));
      document.getElementById("password").focus();
      return;
    }
    const who = await ACD.session();
    if (who.ok) go(who.data.role);
  });

  ACD.session().then((who) => { if (who.ok && HOME[who.data.role]) go(who.data.role); });
})();
