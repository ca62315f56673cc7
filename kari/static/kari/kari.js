/* Kari: small progressive enhancements for every page (no inline scripts: the CSP forbids them).
   A table wider than the screen scrolls sideways in its .table-scroll box: the box then takes
   keyboard focus and is named as a region after the nearest heading, so keyboard users can
   scroll it too (WCAG 2.1.1; axe "scrollable-region-focusable"). */
(function () {
  function label(box) {
    var table = box.querySelector("table");
    var caption = table && table.querySelector("caption");
    if (caption) return caption.textContent.trim();
    var el = box;
    while (el) {
      var prev = el.previousElementSibling;
      while (prev) {
        if (/^H[1-6]$/.test(prev.tagName)) return prev.textContent.trim();
        var inner = prev.querySelector && prev.querySelector("h1,h2,h3,h4,h5,h6");
        if (inner) return inner.textContent.trim();
        prev = prev.previousElementSibling;
      }
      el = el.parentElement;
    }
    return document.title;
  }
  function mark() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", label(box));
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mark);
  else mark();
  window.addEventListener("resize", mark);
})();
