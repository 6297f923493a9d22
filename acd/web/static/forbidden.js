"use strict";
(() => {
  const home = ACD.pageData.home;
  const link = document.getElementById("home-link");
  if (home) { link.href = home; link.hidden = false; }
})();
