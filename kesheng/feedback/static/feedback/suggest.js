// The complaint form: while the customer types, ask the server for help articles matching the
// text so far and show them under the text box (an HTML fragment the server escaped). Without
// JavaScript the link to the help pages is there instead.
(function () {
  "use strict";
  var box = document.getElementById("article-suggestions");
  var text = document.getElementById("id_text");
  if (!box || !text || !window.fetch) { return; }
  var timer = null;
  var last = "";
  function ask() {
    var value = text.value.trim();
    if (value === last) { return; }
    last = value;
    if (value.length < 2) { box.innerHTML = ""; return; }
    var url = box.dataset.url + "?" + new URLSearchParams({ text: value.slice(0, 500), lang: box.dataset.lang });
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } })
      .catch(function () { /* suggestions are a help, never a blocker */ });
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 600);
  });
})();
