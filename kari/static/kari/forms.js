// The error summary takes focus (GOV.UK pattern), so a screen reader reads it first.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) { summary.focus(); }
})();
