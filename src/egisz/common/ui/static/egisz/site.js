// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary so screen readers announce what to fix.
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) { summary.focus(); }
  // File inputs (ui/widgets/file_input.html): the chosen file's name beside the button.
  document.querySelectorAll("[data-file-input]").forEach(function (control) {
    var input = control.querySelector("input[type=file]");
    var name = control.querySelector("[data-file-name]");
    function show() {
      var files = Array.prototype.map.call(input.files, function (file) { return file.name; });
      name.textContent = files.length ? files.join(", ") : name.getAttribute("data-empty");
      name.hidden = false;
    }
    input.addEventListener("change", show);
    show();
  });
  // Buttons that ask before a destructive action.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
});
