// calendar-p2p: reminders as browser notifications, while a page of the
// calendar is open. The instance says which reminders fall due in the next
// day (/reminders/); each is shown once (remembered in localStorage, so two
// open pages do not both show it). Asked again every few minutes and after
// every change the page hears of.
(function () {
  "use strict";

  var ASK_EVERY = 5 * 60 * 1000;
  var SHOWN_KEY = "reminders-shown";
  var timers = [];

  function shown() {
    try { return JSON.parse(localStorage.getItem(SHOWN_KEY) || "{}"); } catch (e) { return {}; }
  }

  function markShown(key, at) {
    var done = shown();
    var old = Date.now() - 2 * 86400000;
    Object.keys(done).forEach(function (k) { if (done[k] < old) delete done[k]; });
    done[key] = at;
    localStorage.setItem(SHOWN_KEY, JSON.stringify(done));
  }

  function notify(reminder) {
    if (Notification.permission !== "granted" || shown()[reminder.key]) return;
    markShown(reminder.key, reminder.at);
    var note = new Notification(reminder.title, { body: reminder.body, tag: reminder.key });
    note.onclick = function () { window.focus(); location.href = reminder.url; };
  }

  function schedule() {
    var url = document.body.dataset.remindersUrl;
    if (!url || !("Notification" in window) || Notification.permission !== "granted") return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (!answer) return;
        timers.forEach(clearTimeout);
        timers = answer.reminders.map(function (reminder) {
          return setTimeout(notify, Math.max(0, reminder.at - Date.now()), reminder);
        });
      }, function () { /* offline: the next round asks again */ });
  }

  function offerPermission() {
    var note = document.querySelector(".reminder-note");
    if (!note || !("Notification" in window) || Notification.permission !== "default") return;
    note.hidden = false;
    note.querySelector("[data-allow-notifications]").addEventListener("click", function () {
      Notification.requestPermission().then(function (answer) {
        note.hidden = true;
        if (answer === "granted") schedule();
      });
    });
  }

  // loaded by views.js once the page is ready
  offerPermission();
  schedule();
  setInterval(schedule, ASK_EVERY);
  document.addEventListener("view:refreshed", schedule);
})();
