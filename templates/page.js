// Search (filters the cards; matches ids, titles, TeX, notes) and the light/dark theme switch.
(function () {
  "use strict";
  var input = document.getElementById("search");
  var count = document.getElementById("count");
  var empty = document.getElementById("empty");
  var cards = Array.prototype.slice.call(document.querySelectorAll("article.card"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.family"));
  var texts = cards.map(function (c) { return (c.getAttribute("data-search") || "").toLowerCase(); });

  function filter() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0, any = 0;  // rules shown (the count), and cards of any kind (panels too)
    cards.forEach(function (card, k) {
      var hit = words.every(function (w) { return texts[k].indexOf(w) !== -1; });
      card.hidden = !hit;
      if (hit) { any += 1; if (!card.classList.contains("panel")) { shown += 1; } }
    });
    sections.forEach(function (s) { s.hidden = !s.querySelector("article.card:not([hidden])"); });
    count.textContent = shown + (shown === 1 ? " rule" : " rules");
    empty.hidden = any !== 0;
  }
  input.addEventListener("input", filter);
  if (location.hash.indexOf("#q=") === 0) { input.value = decodeURIComponent(location.hash.slice(3)); filter(); }

  var root = document.documentElement;
  var button = document.getElementById("theme");
  var stored = null;
  try { stored = localStorage.getItem("cheatsheet-theme"); } catch (e) { stored = null; }
  if (stored === "light" || stored === "dark") { root.setAttribute("data-theme", stored); }
  button.addEventListener("click", function () {
    var dark = root.getAttribute("data-theme") === "dark" ||
      (root.getAttribute("data-theme") === "auto" && window.matchMedia("(prefers-color-scheme: dark)").matches);
    var next = dark ? "light" : "dark";
    root.setAttribute("data-theme", next);
    try { localStorage.setItem("cheatsheet-theme", next); } catch (e) { /* private mode */ }
  });
}());
