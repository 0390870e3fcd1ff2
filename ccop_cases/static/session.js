// A warning one minute before the idle timeout (the minutes are in <body data-idle-minutes>),
// with a button « Rester connecté » that sends the small authenticated request the server
// counts as activity. Without this file nothing changes: the session ends after the idle
// time, as the server decides.
(function () {
  "use strict";
  var minutes = Number(document.body.dataset.idleMinutes);
  var warning = document.getElementById("session-warning");
  if (!minutes || !warning) {
    return;
  }
  var form = warning.querySelector("form[data-keep-alive]");
  var soon = warning.querySelector("[data-session-soon]");
  var ended = warning.querySelector("[data-session-ended]");
  var idleMs = minutes * 60 * 1000;
  var warnMs = Math.max(idleMs - 60 * 1000, 0);
  var timers = [];
  var before = null; // where the focus was when the warning showed: given back after « Rester connecté »

  function show(expired) {
    if (warning.hidden) {
      before = document.activeElement;
    }
    soon.hidden = expired;
    ended.hidden = !expired;
    form.hidden = expired;
    warning.hidden = false;
  }

  function start() {
    timers.forEach(clearTimeout);
    warning.hidden = true;
    timers = [setTimeout(function () { show(false); }, warnMs),
              setTimeout(function () { show(true); }, idleMs)];
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    // A signed-out session is answered by a redirect to the login page: not followed here.
    fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)),
                         credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.status === 204) {
          start();
          if (before && before !== document.body && document.contains(before)) {
            before.focus();
          }
        } else {
          show(true);
        }
      })
      .catch(function () { show(true); });
  });

  start();
}());
