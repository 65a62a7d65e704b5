// The inbox page, live. The org's events arrive over a WebSocket; each one makes the
// page fetch again, with htmx, the fragments it touches: the list, and the open
// thread when the event is about it. While the socket is down the page polls
// instead, and it reconnects after a growing pause, asking for what it missed.
(function () {
  "use strict";

  const root = document.getElementById("inbox");
  if (!root || !window.htmx) return;

  const POLL_SECONDS = 5;
  const RETRY_SECONDS = [1, 2, 5, 10, 30];
  const TICK_SECONDS = 60;
  const TOUCHING = ["message.created", "message.status", "conversation.updated"];
  const status = document.getElementById("live-status");
  let lastId = "";
  let failures = 0;
  let polling = null;

  function openId() {
    return root.dataset.conversation;
  }

  function show(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  // One request per fragment at a time, and one more after it when news came
  // meanwhile; each fragment carries the URL that renders it again.
  const fetching = {};
  function refresh(selector) {
    const fragment = document.querySelector(selector);
    if (!fragment || !fragment.dataset.url) return;
    if (fetching[selector]) {
      fetching[selector] = "again";
      return;
    }
    fetching[selector] = "busy";
    window.htmx
      .ajax("GET", fragment.dataset.url, { source: selector, target: selector, swap: "outerHTML" })
      .catch(function () {})
      .finally(function () {
        const again = fetching[selector] === "again";
        delete fetching[selector];
        if (again) refresh(selector);
      });
  }

  function refreshAll() {
    refresh("#conversation-list");
    if (openId()) refresh("#messages");
  }

  function receive(event) {
    if (event.id) lastId = event.id;
    if (event.type === "resync") {
      refreshAll();
      return;
    }
    if (TOUCHING.indexOf(event.type) < 0) return;
    const data = event.data || {};
    const about = event.type === "conversation.updated" ? data.id : data.conversation_id;
    refresh("#conversation-list");
    if (openId() && String(about) === openId()) refresh("#messages");
  }

  function startPolling() {
    if (!polling) polling = setInterval(refreshAll, POLL_SECONDS * 1000);
  }

  function stopPolling() {
    clearInterval(polling);
    polling = null;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const since = lastId ? "?since=" + encodeURIComponent(lastId) : "";
    const socket = new WebSocket(scheme + location.host + root.dataset.socket + since);
    socket.addEventListener("open", function () {
      failures = 0;
      stopPolling();
      show("live", "Live");
      // Missed events come first (`since`), but a restarted server may have lost
      // them: what changed while the socket was down is fetched once anyway.
      refreshAll();
    });
    socket.addEventListener("message", function (message) {
      let event = null;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      receive(event);
    });
    socket.addEventListener("close", function () {
      const pause = RETRY_SECONDS[Math.min(failures, RETRY_SECONDS.length - 1)];
      failures += 1;
      show("polling", "Reconnecting · checking every " + POLL_SECONDS + " s");
      startPolling();
      setTimeout(connect, pause * 1000);
    });
  }

  // The open conversation is read once it is on screen.
  let reading = false;
  function markRead() {
    const head = document.getElementById("thread-head");
    if (!head || head.dataset.unread === "0" || reading) return;
    if (document.visibilityState !== "visible") return;
    reading = true;
    window.htmx
      .ajax("POST", head.dataset.readUrl, { source: "#thread-head", target: "#thread-head", swap: "outerHTML" })
      .catch(function () {})
      .finally(function () { reading = false; });
  }

  // The reply box becomes the template picker when the window closes, and back
  // when the customer writes; a template being filled in is left alone.
  function matchComposer() {
    const head = document.getElementById("thread-head");
    const composer = document.getElementById("composer");
    if (!head || !composer || head.dataset.window === composer.dataset.window) return;
    const picked = composer.querySelector("select[name=template]");
    if (head.dataset.window === "open" && picked && picked.value) return;
    refresh("#composer");
  }

  function localTimes() {
    const today = new Date().toDateString();
    root.querySelectorAll("time[datetime]").forEach(function (time) {
      const at = new Date(time.getAttribute("datetime"));
      if (isNaN(at.getTime())) return;
      const clock = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      const day = at.toLocaleDateString([], { day: "numeric", month: "short" });
      time.textContent = at.toDateString() === today ? clock : day + ", " + clock;
      time.title = at.toLocaleString();
    });
  }

  // A thread read from further up stays where the reader is when it grows below.
  let fromBottom = null;
  let typing = false;
  document.addEventListener("htmx:before:swap", function () {
    const screen = document.getElementById("screen");
    const composer = document.getElementById("composer");
    fromBottom = screen ? screen.scrollHeight - screen.scrollTop : null;
    typing = !!composer && composer.contains(document.activeElement);
  });

  function settle() {
    const screen = document.getElementById("screen");
    if (screen && fromBottom !== null && fromBottom - screen.clientHeight >= 40) {
      screen.scrollTop = screen.scrollHeight - fromBottom;
    }
    const composer = document.getElementById("composer");
    if (typing && composer && !composer.contains(document.activeElement)) {
      const field = composer.querySelector("textarea, select, input:not([type=hidden])");
      if (field) field.focus();
    }
    localTimes();
    matchComposer();
    markRead();
  }

  document.addEventListener("htmx:after:swap", settle);
  document.addEventListener("visibilitychange", markRead);

  // Enter sends the reply; Shift+Enter starts a new line.
  document.addEventListener("keydown", function (event) {
    const box = event.target;
    if (box.id !== "reply-text" || event.key !== "Enter" || event.shiftKey) return;
    if (event.isComposing) return;
    event.preventDefault();
    if (box.value.trim()) box.form.requestSubmit();
  });

  // The list's view and number apply as soon as they are chosen.
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) event.target.form.requestSubmit();
  });

  // On a quiet page the window's "closes in" stays current, and so does the
  // session, which each answer renews before it expires.
  setInterval(refreshAll, TICK_SECONDS * 1000);

  localTimes();
  markRead();
  connect();
})();
