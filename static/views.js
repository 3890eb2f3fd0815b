// calendar-p2p: what the views do beyond links. A phone's month picks a day
// in place (its list shows under the grid); the browser's own time zone is
// offered when it is not the one the calendar shows.
(function () {
  "use strict";

  var PHONE = window.matchMedia("(max-width: 720px)");

  // --- the month on a phone: tapping a day shows its list, without leaving the month ----
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".month-grid .dnum");
    if (!link || !PHONE.matches || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    var day = link.closest(".day").dataset.day;
    window.calendarShow(document.body.dataset.monthUrl + "?d=" + day).then(function () {
      var again = document.querySelector('.month-grid .day[data-day="' + day + '"] .dnum');
      if (again) again.focus();
    });
  });

  // On a phone a month cell's events are dots: the list under the grid has their links.
  function dotsOutOfTabOrder() {
    document.querySelectorAll(".month-grid .day .chip").forEach(function (chip) {
      if (PHONE.matches) chip.tabIndex = -1; else chip.removeAttribute("tabindex");
    });
  }
  document.addEventListener("DOMContentLoaded", dotsOutOfTabOrder);
  document.addEventListener("view:refreshed", dotsOutOfTabOrder);
  PHONE.addEventListener("change", dotsOutOfTabOrder);

  window.addEventListener("popstate", function () {
    var view = document.getElementById("view");
    if (!view) return;
    view.dataset.fragment = location.pathname + location.search + (location.search ? "&" : "?") + "fragment=1";
    window.calendarRefresh();
  });

  // --- the browser's zone, when it differs from the instance's ------------------------
  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }

  function offerZone() {
    var shown = document.body.dataset.instanceTz;
    var mine = browserZone();
    var place = document.querySelector(".tz-offer");
    if (!place || !shown || !mine || mine === shown) return;
    if (sessionStorage.getItem("tz-offer-dismissed") === mine) return;
    var form = document.createElement("form");
    form.method = "post";
    form.action = document.body.dataset.settingsUrl;
    var csrf = document.createElement("input");
    csrf.type = "hidden";
    csrf.name = "csrfmiddlewaretoken";
    csrf.value = document.querySelector('meta[name="csrf-token"]').content;
    var zone = document.createElement("input");
    zone.type = "hidden";
    zone.name = "tz";
    zone.value = mine;
    var text = document.createElement("span");
    text.textContent = "Times are shown in " + shown + ", but this device is in " + mine + ". ";
    var use = document.createElement("button");
    use.type = "submit";
    use.className = "primary";
    use.textContent = "Show times in " + mine;
    var keep = document.createElement("button");
    keep.type = "button";
    keep.textContent = "Keep " + shown;
    keep.addEventListener("click", function () {
      sessionStorage.setItem("tz-offer-dismissed", mine);
      place.hidden = true;
    });
    form.append(csrf, zone, text, use, " ", keep);
    place.replaceChildren(form);
    place.setAttribute("role", "status");
    place.hidden = false;
  }

  // --- undo: the offer beside a message lasts a few seconds -----------------------------
  function expireUndo() {
    Array.prototype.forEach.call(document.querySelectorAll("form.undo-offer"), function (form) {
      setTimeout(function () { form.remove(); }, 1000 * Number(form.dataset.seconds || 30));
    });
  }

  document.addEventListener("DOMContentLoaded", expireUndo);

  // --- reminders: their script is fetched only where notifications are allowed, or may be asked for
  document.addEventListener("DOMContentLoaded", function () {
    var src = document.body.dataset.remindersJs;
    if (!src || !("Notification" in window)) return;
    if (Notification.permission !== "granted" && !document.querySelector(".reminder-note")) return;
    var script = document.createElement("script");
    script.src = src;
    document.head.appendChild(script);
  });
  document.addEventListener("DOMContentLoaded", offerZone);
  document.addEventListener("view:refreshed", offerZone);
})();
