// Copy buttons of the distribution page: shown only where the Clipboard API exists (the field
// stays selectable without it). No other scripts are loaded.
document.querySelectorAll(".copy-button").forEach(function (button) {
  var source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.value).then(function () {
      button.classList.add("copied");
    });
  });
  source.addEventListener("focus", function () { source.select(); });
});
