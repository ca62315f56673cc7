// GOV.UK pattern: when a form comes back with errors, the error summary takes the focus.
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
