// The desk's small enhancements (the pages work without them): a field's box lights up with the field,
// a click on a word (or a box dragged around words) fills the focused field, zoom, keyboard shortcuts.
"use strict";
(function () {
  let focused = null;  // the field a word goes to: the last input a person was in
  const inputs = () => Array.from(document.querySelectorAll("input[data-fillable], textarea[data-fillable]"));

  function light(name, on) {
    document.querySelectorAll('.field-box[data-field="' + CSS.escape(name) + '"]').forEach(function (box) {
      box.classList.toggle("lit", on);
    });
  }
  document.addEventListener("focusin", function (e) {
    const el = e.target;
    if (el instanceof HTMLElement && el.hasAttribute("data-fillable")) {
      if (focused) light(focused.dataset.field || focused.id, false);
      focused = el;
      light(el.dataset.field || el.id, true);
    }
  });
  document.addEventListener("mouseover", function (e) {
    const row = e.target instanceof Element ? e.target.closest("[data-box]") : null;
    if (row) light(row.getAttribute("data-box"), true);
  });
  document.addEventListener("mouseout", function (e) {
    const row = e.target instanceof Element ? e.target.closest("[data-box]") : null;
    if (row && (!focused || (focused.dataset.field || focused.id) !== row.getAttribute("data-box"))) {
      light(row.getAttribute("data-box"), false);
    }
  });

  function fill(text) {
    if (!focused || focused.readOnly || !text) return;
    focused.value = text;
    focused.dispatchEvent(new Event("input", { bubbles: true }));
    focused.focus();
  }

  const svg = document.querySelector(".sheet svg");
  if (svg) {
    let start = null;
    const point = function (e) {
      const p = svg.createSVGPoint();
      p.x = e.clientX; p.y = e.clientY;
      return p.matrixTransform(svg.getScreenCTM().inverse());
    };
    // keep the focus in the field while a person points at the page
    svg.addEventListener("mousedown", function (e) { e.preventDefault(); start = point(e); });
    svg.addEventListener("mouseup", function (e) {
      if (!start) return;
      const end = point(e);
      const x0 = Math.min(start.x, end.x), x1 = Math.max(start.x, end.x);
      const y0 = Math.min(start.y, end.y), y1 = Math.max(start.y, end.y);
      start = null;
      if (x1 - x0 < 3 && y1 - y0 < 3) {
        const word = e.target instanceof Element ? e.target.closest(".word") : null;
        if (word) fill(word.getAttribute("data-text"));
        return;
      }
      const taken = Array.from(svg.querySelectorAll(".word")).filter(function (w) {
        const cx = w.x.baseVal.value + w.width.baseVal.value / 2, cy = w.y.baseVal.value + w.height.baseVal.value / 2;
        return cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1;
      });
      fill(taken.map(function (w) { return w.getAttribute("data-text"); }).join(" "));
    });
    const image = svg.querySelector("image");
    document.querySelectorAll("[data-zoom]").forEach(function (button) {
      if (button === svg) return;
      button.addEventListener("click", function () {
        const zoom = Math.min(3, Math.max(1, Number(svg.dataset.zoom) + Number(button.dataset.zoom)));
        svg.dataset.zoom = String(zoom);
        svg.style.width = (zoom * 100) + "%";
        if (image) image.setAttribute("href", svg.parentElement.dataset.src + "?w=" + [1200, 1600, 1600][zoom - 1]);
      });
    });
  }

  // keyboard: shortcuts are named on the page (the "Keys" list); none fires while a person types
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target instanceof HTMLElement && e.target.closest("input, textarea, select");
    if (e.key === "Escape" && typing) { e.target.blur(); return; }
    if (typing) return;
    const key = document.querySelector('[data-key="' + CSS.escape(e.key) + '"]');
    if (!key) return;
    e.preventDefault();
    if (key.matches("input, textarea, select")) { key.focus(); return; }
    if (key.hasAttribute("data-first-document")) {
      const first = document.querySelector("table.queue tbody a");
      if (first) first.click();
      return;
    }
    if (key.hasAttribute("data-next-field")) {
      const all = inputs().filter(function (i) { return !i.readOnly; });
      const at = all.indexOf(focused);
      const next = all[(at + 1) % all.length];
      if (next) next.focus();
      return;
    }
    key.click();
  });
})();
