/* Kesheng survey widget: a floating button that opens a survey in a new tab.
 * Usage (the staff UI gives the exact snippet):
 *   <script src="https://cx.example.com/static/kesheng/widget.js"
 *           data-kesheng-survey="https://cx.example.com/s/slug/?d=key"
 *           data-kesheng-label="Tell us what you think" async></script>
 * It loads nothing else and sets no cookie. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var url = script.getAttribute("data-kesheng-survey");
  if (!url || !/^https?:\/\//.test(url)) { return; }
  var label = script.getAttribute("data-kesheng-label") || "Feedback · 反馈";
  var position = script.getAttribute("data-kesheng-position") === "left" ? "left" : "right";

  function show() {
    var button = document.createElement("a");
    button.href = url;
    button.target = "_blank";
    button.rel = "noopener";
    button.textContent = label;
    button.setAttribute("role", "button");
    button.style.cssText = [
      "position:fixed", "bottom:20px", position + ":20px", "z-index:2147483000",
      "background:#c0392b", "color:#fff", "padding:10px 16px", "border-radius:22px",
      "font:600 14px/1.2 system-ui,sans-serif", "text-decoration:none",
      "box-shadow:0 2px 8px rgba(0,0,0,.25)", "max-width:60vw", "overflow:hidden",
      "white-space:nowrap", "text-overflow:ellipsis"
    ].join(";");
    document.body.appendChild(button);
  }

  if (document.body) { show(); } else { document.addEventListener("DOMContentLoaded", show); }
}());
