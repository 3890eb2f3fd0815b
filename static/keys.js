// calendar-p2p: the keyboard. Arrow keys move between the days of the month
// grid (one tab stop for the whole grid); single-letter shortcuts, listed in
// the help dialog, move between views and dates.
(function () {
  "use strict";

  // --- the month grid: a roving tab stop on the day numbers --------------------------
  function dayLinks(grid) { return Array.prototype.slice.call(grid.querySelectorAll(".day .dnum")); }

  function setUpGrid() {
    var grid = document.querySelector(".month-grid[role=grid]");
    if (!grid) return;
    var links = dayLinks(grid);
    var current = grid.querySelector(".day[aria-selected=true] .dnum") || grid.querySelector(".day.today .dnum") ||
      grid.querySelector(".day:not(.other) .dnum") || links[0];
    links.forEach(function (link) { link.tabIndex = link === current ? 0 : -1; });
  }

  var MOVES = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };

  document.addEventListener("keydown", function (event) {
    var link = event.target.closest && event.target.closest(".month-grid .dnum");
    if (!link || event.altKey || event.ctrlKey || event.metaKey) return;
    var links = dayLinks(link.closest(".month-grid"));
    var at = links.indexOf(link);
    var to = null;
    if (event.key in MOVES) to = at + MOVES[event.key];
    else if (event.key === "Home") to = at - (at % 7);
    else if (event.key === "End") to = at - (at % 7) + 6;
    if (to === null) return;
    event.preventDefault();
    if (to < 0 || to >= links.length) {
      // past the grid's edge: the neighbouring month, with the same day focused
      var parts = link.closest(".day").dataset.day.split("-").map(Number);
      var target = new Date(parts[0], parts[1] - 1, parts[2] + (to - at));
      var day = [target.getFullYear(), String(target.getMonth() + 1).padStart(2, "0"),
        String(target.getDate()).padStart(2, "0")].join("-");
      window.calendarShow(document.body.dataset.monthUrl + "?d=" + day).then(function () {
        var next = document.querySelector('.month-grid .day[data-day="' + day + '"] .dnum');
        if (next) next.focus();
      });
      return;
    }
    link.tabIndex = -1;
    links[to].tabIndex = 0;
    links[to].focus();
  });

  // --- shortcuts -----------------------------------------------------------------------
  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable], dialog[open]");
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) link.click();
  }

  var VIEWS = { d: "day", w: "week", m: "month", a: "agenda" };

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented || typing(event.target)) return;
    var help = document.getElementById("help");
    if (event.key === "?") {
      if (help) { event.preventDefault(); help.showModal(); }
      return;
    }
    if (event.key === "/") {
      var box = document.getElementById("qa-text");
      if (box) { event.preventDefault(); box.focus(); }
      return;
    }
    if (event.key === "s") {
      var search = document.getElementById("search-q");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
      return;
    }
    if (event.key === "t") follow("[data-nav=today]");
    else if (event.key === "n" || event.key === "j") follow("[data-nav=next]");
    else if (event.key === "p" || event.key === "k") follow("[data-nav=prev]");
    else if (VIEWS[event.key]) follow('.mainnav a[href="' + document.body.dataset[VIEWS[event.key] + "Url"] + '"]');
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-help]");
    var help = document.getElementById("help");
    if (button && help) help.showModal();
  });

  document.addEventListener("DOMContentLoaded", setUpGrid);
  document.addEventListener("view:refreshed", setUpGrid);
})();
