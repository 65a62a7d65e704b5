// Small helpers for the dashboard: the CSRF header, the chat's scroll and composer.
(function () {
  "use strict";

  function cookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie.split("; ")) {
      if (part.startsWith(prefix)) return decodeURIComponent(part.slice(prefix.length));
    }
    return "";
  }

  // The session cookie is HTTP-only; its CSRF twin is readable and must be echoed
  // back on every request that changes something.
  document.addEventListener("htmx:config:request", function (event) {
    const token = cookie("csrf_access_token");
    if (token) event.detail.ctx.request.headers["X-CSRF-TOKEN"] = token;
  });

  // The cookie is renewed while a page stays open, so plain forms send its
  // current value rather than the one printed when the page was rendered.
  document.addEventListener("submit", function (event) {
    const field = event.target.querySelector("input[name='csrf_token']");
    const token = cookie("csrf_access_token");
    if (field && token) field.value = token;
  }, true);

  // The chat refreshes itself every second, except while a list menu is open,
  // which a refresh would close under the reader's finger.
  window.chatIsIdle = function () {
    return !document.querySelector("#chat details[open]");
  };

  // An opened list menu scrolls into view, as its rows open below the message.
  document.addEventListener("toggle", function (event) {
    const menu = event.target;
    if (menu.matches && menu.matches(".list-menu") && menu.open) {
      menu.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  }, true);

  // Keep the chat pinned to its newest message unless the reader scrolled up.
  let pinned = true;
  function screen() { return document.getElementById("screen"); }
  function pinToBottom() {
    const el = screen();
    if (el && pinned) el.scrollTop = el.scrollHeight;
  }
  document.addEventListener("scroll", function (event) {
    const el = screen();
    if (event.target !== el) return;
    pinned = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  }, true);
  document.addEventListener("htmx:after:swap", pinToBottom);
  document.addEventListener("DOMContentLoaded", pinToBottom);

  // A message sent from the composer clears the box for the next one.
  document.addEventListener("htmx:after:request", function (event) {
    const form = event.target;
    const response = event.detail.ctx && event.detail.ctx.response;
    if (!form.classList || !form.classList.contains("composer")) return;
    if (response && response.status < 400) {
      form.querySelector(".composer-input").value = "";
      pinned = true;
    }
  });
})();
