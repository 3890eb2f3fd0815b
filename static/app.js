// calendar-p2p: quick-add preview, grid refresh, live updates, small helpers.
// Data from the server is only ever put into the page with textContent.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // --- the calendar part of the page: re-fetched, never reloaded -------------------
  var refreshing = null;
  var refreshAgain = false;
  var missed = false;  // a change came while a finger or pointer held an event

  // `onlyIfMissed`: redraw only if a change was held back by a press that ended changing nothing.
  function refreshView(onlyIfMissed) {
    var view = document.getElementById("view");
    if (!view || !view.dataset.fragment) return Promise.resolve();
    if (onlyIfMissed === true && !missed) return Promise.resolve();
    if (refreshing) { refreshAgain = true; return refreshing; }
    // Not under a pointer that is dragging an event: the drag redraws the view when it ends.
    if (document.body.classList.contains("dragging")) { missed = true; return Promise.resolve(); }
    missed = false;
    refreshing = fetch(view.dataset.fragment, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        // The fragment is server-rendered (autoescaped) HTML of our own origin.
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("view");
        var current = document.getElementById("view");
        if (document.body.classList.contains("dragging")) return;
        if (fresh && current) {
          current.replaceWith(document.importNode(fresh, true));
          document.dispatchEvent(new CustomEvent("view:refreshed"));
        }
      })
      .catch(function () { /* the next change or reload will try again */ })
      .finally(function () {
        refreshing = null;
        if (refreshAgain) { refreshAgain = false; refreshView(); }
      });
    return refreshing;
  }
  window.calendarRefresh = refreshView;

  // Another date or view in place of the current one, with the address updated.
  function showView(url) {
    var view = document.getElementById("view");
    if (!view) { location.href = url; return Promise.resolve(); }
    view.dataset.fragment = url + (url.indexOf("?") >= 0 ? "&" : "?") + "fragment=1";
    history.pushState(null, "", url);
    return refreshView();
  }
  window.calendarShow = showView;

  // --- quick add ---------------------------------------------------------------------
  function setupQuickAdd() {
    var form = document.getElementById("quick-add");
    if (!form) return;
    var input = document.getElementById("qa-text");
    var preview = document.getElementById("qa-preview");
    var error = document.getElementById("qa-error");
    var timer = null;
    var seq = 0;

    function showError(message) {
      error.textContent = message || "";
      error.hidden = !message;
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }

    function clearPreview() {
      preview.replaceChildren();
      preview.hidden = true;
    }

    function highlighted(text, spans) {
      var line = el("div", "qa-text");
      var pos = 0;
      (spans || []).slice().sort(function (a, b) { return a.start - b.start; }).forEach(function (span) {
        if (span.start < pos || span.end <= span.start || span.end > text.length) return;
        if (span.start > pos) line.appendChild(document.createTextNode(text.slice(pos, span.start)));
        var mark = el("mark", "k-" + String(span.kind).replace(/[^a-z_-]/gi, ""), text.slice(span.start, span.end));
        mark.title = span.kind;
        line.appendChild(mark);
        pos = span.end;
      });
      if (pos < text.length) line.appendChild(document.createTextNode(text.slice(pos)));
      return line;
    }

    function showPreview(data) {
      preview.replaceChildren();
      if (data.text) preview.appendChild(highlighted(data.text, data.spans));
      if (data.ok) {
        var dl = el("dl");
        [["What", data.summary.title], ["When", data.summary.when], ["How often", data.summary.repeat], ["Where", data.summary.where],
         ["Spelling", data.summary.corrected]]
          .forEach(function (pair) {
            if (!pair[1]) return;
            var item = el("div");
            item.appendChild(el("dt", "", pair[0]));
            item.appendChild(el("dd", "", pair[1]));
            dl.appendChild(item);
          });
        preview.appendChild(dl);
        showError("");
      } else if (data.hint) {
        preview.appendChild(el("p", "qa-hint", data.hint));
        showError("");
      } else {
        showError(data.error);
      }
      preview.hidden = false;
    }

    function runPreview() {
      var text = input.value.trim();
      var mine = ++seq;
      if (!text) { clearPreview(); showError(""); return; }
      fetch(form.dataset.preview + "?text=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (mine === seq) showPreview(data); })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(runPreview, 150);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      clearTimeout(timer);
      seq++;
      var body = new URLSearchParams();
      body.set("text", text);
      form.setAttribute("aria-busy", "true");
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString(),
      })
        .then(function (r) { return r.json().then(function (data) { return { status: r.status, data: data }; }); })
        .then(function (res) {
          if (res.data.ok) {
            input.value = "";
            clearPreview();
            showError("");
            var done = el("div", "qa-text", "Added “" + (res.data.title || "") + "”.");
            preview.appendChild(done);
            preview.hidden = false;
            setTimeout(function () { if (!input.value) clearPreview(); }, 4000);
            return refreshView();
          }
          showError(res.data.error || "Could not add that.");
        })
        .catch(function () { showError("The instance did not answer; nothing was added."); })
        .finally(function () { form.removeAttribute("aria-busy"); });
    });
  }

  // --- live refresh over /ws/live/ ---------------------------------------------------
  function setupLive() {
    var path = document.body.dataset.live;
    if (!path || !("WebSocket" in window)) return;
    var delay = 1000;
    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + location.host + path);
      socket.onopen = function () { delay = 1000; document.body.dataset.liveState = "open"; };
      socket.onmessage = function (event) {
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        if (message.type === "index.changed") {
          refreshView();
          document.dispatchEvent(new CustomEvent("live:changed", { detail: message }));
        } else if (message.type === "peers.changed") {
          document.dispatchEvent(new CustomEvent("live:peers", { detail: message }));
        }
      };
      socket.onclose = function () {
        document.body.dataset.liveState = "closed";
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    connect();
  }

  // --- small helpers -----------------------------------------------------------------
  function setupCopyButtons() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-copy]");
      if (!button) return;
      var field = document.getElementById(button.dataset.copy);
      if (!field) return;
      field.select();
      var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
    document.addEventListener("submit", function (event) {
      var message = event.target.dataset && event.target.dataset.confirm;
      if (message && !window.confirm(message)) event.preventDefault();
    });
  }

  function setupEventForm() {
    var form = document.getElementById("event-form");
    if (!form) return;
    var allDay = form.querySelector("#id_all_day");
    var repeat = form.querySelector("#id_repeat");
    function sync() {
      form.querySelectorAll(".field-start_time, .field-end_time, .field-tz").forEach(function (node) {
        node.hidden = allDay && allDay.checked;
      });
      var freq = repeat ? repeat.value : "";
      form.querySelectorAll(".field-interval, .ends, .days").forEach(function (node) { node.hidden = !freq; });
      form.querySelectorAll(".days").forEach(function (node) { node.hidden = freq !== "WEEKLY"; });
      var ends = form.querySelector('input[name="ends"]:checked');
      var until = form.querySelector(".field-until");
      var count = form.querySelector(".field-count");
      if (until) until.hidden = !ends || ends.value !== "until";
      if (count) count.hidden = !ends || ends.value !== "count";
      var scope = form.querySelector('input[name="scope"]:checked');
      var seriesOnly = form.querySelector("[data-series-only]");
      if (scope && seriesOnly) seriesOnly.disabled = scope.value === "occurrence";
    }
    form.addEventListener("change", sync);
    sync();
  }

  // The week view opens at 07:00, as paper diaries do; later refreshes keep the scroll.
  // On a phone the whole grid scrolls both ways (hours and three days at a time).
  function weekScroller() {
    var body = document.querySelector(".wk-body");
    if (!body) return null;
    return getComputedStyle(body).overflowY === "visible" ? body.closest(".week-grid") : body;
  }
  function scrollWeek(keep) {
    var box = weekScroller();
    if (!box) return;
    var hour = box.querySelector(".hour");
    box.scrollTop = keep !== undefined ? keep : (hour ? hour.offsetHeight * 7 : 0);
    if (keep === undefined && box.classList.contains("week-grid")) {
      // sideways: the day asked for (or today) first among the three shown
      var col = box.querySelector('.wk-col[data-day="' + box.dataset.selected + '"]') || box.querySelector(".wk-col.today");
      var gutter = box.querySelector(".wk-body > .gutter");
      if (col && gutter) box.scrollLeft = col.offsetLeft - gutter.offsetWidth;
    }
  }
  var weekScroll;
  document.addEventListener("view:refreshed", function () { scrollWeek(weekScroll); });
  document.addEventListener("scroll", function (event) {
    if (event.target === weekScroller()) weekScroll = event.target.scrollTop;
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    scrollWeek();
    setupQuickAdd();
    setupLive();
    setupCopyButtons();
    setupEventForm();
    if (document.body.classList.contains("poll")) setInterval(refreshView, 2000);
  });
})();
