// calendar-p2p: direct manipulation of the week and day grids. Press on an
// empty slot (or drag down over several) to type a new event there; drag an
// event to move it, drag its lower edge to change its end. A repeating event
// asks whether the change is for this occurrence, it and the following ones, or every one. Each change is
// one request, one log entry; the grid redraws from the server afterwards.
// On a touch screen a finger scrolls as usual: a long press (held still)
// picks the event or slot up, and only then does moving the finger drag it.
(function () {
  "use strict";

  var SNAP = 15;               // minutes
  var CLICK_SLOP = 4;          // pixels a press may wander and still be a click
  var EDGE = 6;                // pixels at an event's foot that resize it
  var TOUCH_EDGE = 16;         // a fingertip is wider than a mouse pointer
  var LONG_PRESS = 450;        // ms a finger is held still before it drags instead of scrolling
  var TOUCH_SLOP = 10;         // pixels a held finger may wander before it counts as a scroll

  function csrfToken() { return document.querySelector('meta[name="csrf-token"]').content; }

  function post(url, fields) {
    var body = new URLSearchParams(fields);
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body.toString(),
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, error: "The instance answered " + r.status + "." }; });
    }, function () { return { ok: false, error: "The instance did not answer; nothing was changed." }; });
  }

  function minutesAt(col, clientY) {
    var box = col.getBoundingClientRect();
    var minutes = (clientY - box.top) / box.height * 1440;
    return Math.max(0, Math.min(1440, Math.round(minutes / SNAP) * SNAP));
  }

  function hhmm(minutes) {
    minutes = Math.max(0, Math.min(1440, minutes)) % 1440;
    return String(Math.floor(minutes / 60)).padStart(2, "0") + ":" + String(minutes % 60).padStart(2, "0");
  }

  // a drag is undone from the message it leaves: the inverse write, then a redraw
  function offerUndo(fields) {
    say("Moved.");
    var status = document.getElementById("grid-status");
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "link";
    undo.textContent = "Undo";
    undo.addEventListener("click", function () {
      undo.disabled = true;
      post(document.body.dataset.undoUrl, fields).then(function (answer) {
        say(answer.ok ? "Undone." : answer.error);
        return window.calendarRefresh();
      });
    });
    status.append(" ", undo);
  }

  function say(message) {
    var status = document.getElementById("grid-status");
    if (!status) {
      status = document.createElement("p");
      status.id = "grid-status";
      status.className = "grid-status";
      status.setAttribute("role", "alert");
      document.body.appendChild(status);
    }
    status.textContent = message;
    status.hidden = !message;
    if (message) setTimeout(function () { if (status.textContent === message) status.hidden = true; }, 6000);
  }

  // --- asking "this event, this and following, or all events" ---------------------------
  function askScope() {
    return new Promise(function (resolve) {
      var dialog = document.createElement("dialog");
      dialog.className = "help scope-ask";
      dialog.setAttribute("aria-labelledby", "scope-ask-title");
      var title = document.createElement("h2");
      title.id = "scope-ask-title";
      title.textContent = "Change a repeating event";
      var row = document.createElement("div");
      row.className = "actions";
      [["occurrence", "This event", "primary"], ["following", "This and following events", ""],
       ["series", "All events", ""], ["", "Cancel", ""]].forEach(function (choice) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = choice[2];
        button.textContent = choice[1];
        button.addEventListener("click", function () { dialog.close(choice[0]); });
        row.appendChild(button);
      });
      dialog.append(title, row);
      dialog.addEventListener("close", function () { dialog.remove(); resolve(dialog.returnValue || ""); });
      document.body.appendChild(dialog);
      dialog.showModal();
    });
  }

  // --- a new event in an empty slot -----------------------------------------------------
  function closeSlotForm() {
    var open = document.querySelector(".slot-form");
    if (open) open.remove();
  }

  function openSlotForm(col, from, to) {
    closeSlotForm();
    var form = document.createElement("form");
    form.className = "slot-form";
    form.style.top = (from / 14.4) + "%";
    var label = document.createElement("label");
    label.htmlFor = "slot-title";
    label.textContent = "New event " + hhmm(from) + "–" + hhmm(to);
    var input = document.createElement("input");
    input.id = "slot-title";
    input.type = "text";
    input.maxLength = 500;
    input.autocomplete = "off";
    input.placeholder = "Title";
    var save = document.createElement("button");
    save.type = "submit";
    save.className = "primary";
    save.textContent = "Save";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", closeSlotForm);
    var error = document.createElement("p");
    error.className = "error";
    error.id = "slot-error";
    error.setAttribute("role", "alert");
    error.hidden = true;
    form.append(label, input, save, cancel, error);
    form.addEventListener("keydown", function (event) { if (event.key === "Escape") closeSlotForm(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      post(document.body.dataset.newUrl, { title: input.value, day: col.dataset.day, start: hhmm(from), end: hhmm(to) })
        .then(function (answer) {
          if (!answer.ok) {
            error.textContent = answer.error;
            error.hidden = false;
            input.setAttribute("aria-invalid", "true");
            input.setAttribute("aria-describedby", "slot-error");
            return;
          }
          closeSlotForm();
          return window.calendarRefresh();
        });
    });
    col.appendChild(form);
    input.focus();
  }

  // --- pressing and dragging --------------------------------------------------------------
  var press = null;

  document.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || event.target.closest(".slot-form")) return;
    var col = event.target.closest(".wk-col");
    if (!col) return;
    var block = event.target.closest(".wk-ev");
    var chip = block && block.querySelector(".chip");
    if (block && (!chip || chip.classList.contains("busy"))) return;  // a busy block is someone else's time
    var touch = event.pointerType === "touch";
    var box = block ? block.getBoundingClientRect() : null;
    press = {
      col: col, block: block, chip: chip, x: event.clientX, y: event.clientY, moved: false, touch: touch,
      mode: !block ? "create" : (event.clientY > box.bottom - Math.min(touch ? TOUCH_EDGE : EDGE, box.height / 3) ? "resize" : "move"),
      from: minutesAt(col, event.clientY),
    };
    if (block) {
      press.top = block.offsetTop;
      press.height = block.offsetHeight;
    }
    if (touch) press.waiting = setTimeout(pickUp, LONG_PRESS, press);  // until then the finger may still scroll
    document.body.classList.add("dragging");  // no redraw from under the finger (app.js)
  });

  // the long press is over: from now on the finger drags, and the page does not scroll
  function pickUp(held) {
    if (press !== held) return;
    held.waiting = null;
    held.held = true;
    (held.block || held.col).classList.add("picked-up");
    if (navigator.vibrate) navigator.vibrate(10);
  }

  // a finger held still is a drag; one moving before the long press ends is a scroll
  document.addEventListener("touchmove", function (event) {
    if (press && press.held) event.preventDefault();
  }, { passive: false });

  document.addEventListener("contextmenu", function (event) {
    if (press && press.touch) event.preventDefault();  // a long press drags, it does not open a menu
  });

  document.addEventListener("pointermove", function (event) {
    if (!press) return;
    var dx = event.clientX - press.x, dy = event.clientY - press.y;
    if (press.waiting) {
      if (Math.abs(dx) > TOUCH_SLOP || Math.abs(dy) > TOUCH_SLOP) {  // scrolling, not dragging
        release();
        window.calendarRefresh(true);
      }
      return;
    }
    if (!press.moved && Math.abs(dx) < CLICK_SLOP && Math.abs(dy) < CLICK_SLOP) return;
    press.moved = true;
    event.preventDefault();
    var minutePx = press.col.offsetHeight / 1440;
    var snapped = Math.round(dy / minutePx / SNAP) * SNAP;
    if (press.mode === "move") {
      var over = document.elementsFromPoint(event.clientX, event.clientY).find(function (node) {
        return node.classList && node.classList.contains("wk-col");
      });
      press.days = over ? dayShift(press.col.dataset.day, over.dataset.day) : (press.days || 0);
      press.shift = snapped;
      press.block.classList.add("dragging");
      press.block.style.transform = "translate(" + (over ? over.getBoundingClientRect().left - press.col.getBoundingClientRect().left : 0) +
        "px, " + snapped * minutePx + "px)";
    } else if (press.mode === "resize") {
      press.shift = Math.max(snapped, SNAP - Math.round(press.height / minutePx));
      press.block.classList.add("dragging");
      press.block.style.height = (press.height + press.shift * minutePx) + "px";
    } else {
      press.to = Math.max(minutesAt(press.col, event.clientY), press.from + SNAP);
    }
  });

  function dayShift(from, to) {
    var a = from.split("-").map(Number), b = to.split("-").map(Number);
    return Math.round((Date.UTC(b[0], b[1] - 1, b[2]) - Date.UTC(a[0], a[1] - 1, a[2])) / 86400000);
  }

  // The click that ends a drag (when there is one: it follows pointerup at once) must not open the event.
  function swallowNextClick() {
    function stop(event) {
      event.preventDefault();
      event.stopPropagation();
    }
    document.addEventListener("click", stop, true);
    setTimeout(function () { document.removeEventListener("click", stop, true); }, 0);
  }

  function release() {
    var done = press;
    press = null;
    document.body.classList.remove("dragging");
    if (done) {
      clearTimeout(done.waiting);
      (done.block || done.col).classList.remove("picked-up");
    }
    return done;
  }

  document.addEventListener("pointerup", function (event) {
    var done = release();
    if (!done) return;
    if (done.mode === "create") {
      if (event.target.closest(".wk-ev")) return;
      var box = done.col.getBoundingClientRect();
      var half = Math.floor((event.clientY - box.top) / box.height * 48) * 30;  // the half hour pressed
      var from = done.moved ? Math.min(done.from, done.to || done.from) : Math.max(0, Math.min(half, 1410));
      var to = done.moved ? Math.max(done.to || done.from + 60, from + SNAP) : from + 60;
      openSlotForm(done.col, from, Math.min(to, 1440));
      return;
    }
    if (!done.moved) {
      if (done.held) swallowNextClick();  // picked up and put down again: nothing to open or change
      window.calendarRefresh(true);
      return;  // a click or tap: the link opens the event
    }
    swallowNextClick();
    var startBy = done.mode === "move" ? done.shift + (done.days || 0) * 1440 : 0;
    var endBy = done.mode === "move" ? startBy : done.shift;
    if (!startBy && !endBy) { window.calendarRefresh(); return; }
    var target = new URL(done.chip.href, location.href).searchParams;
    var fields = { uid: target.get("uid") || "", rid: target.get("rid") || "", start_by: startBy, end_by: endBy };
    var repeating = !!done.chip.querySelector(".rec");
    (repeating ? askScope() : Promise.resolve("occurrence")).then(function (scope) {
      if (!scope) return window.calendarRefresh();
      fields.scope = scope;
      return post(document.body.dataset.moveUrl, fields).then(function (answer) {
        if (!answer.ok) say(answer.error);
        else if (answer.undo) offerUndo(answer.undo);
        else say("Moved.");
        return window.calendarRefresh();
      });
    });
  });

  document.addEventListener("pointercancel", function () {
    var done = release();
    if (done) window.calendarRefresh(!done.moved);  // a finger that scrolled changed nothing: redraw only what came meanwhile
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && release()) window.calendarRefresh();
  });
})();
