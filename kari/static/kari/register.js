// The ranked-list editor works without JavaScript (every button reloads the page). With it:
// the page keeps its scroll position and the pressed button's focus after add, move and
// remove, and the programme picker narrows as the applicant types or changes the languages.
(function () {
  var form = document.querySelector("form[data-register]");
  if (!form) { return; }
  var KEY = "kari-register-scroll";
  try {
    var saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    sessionStorage.removeItem(KEY);
    if (saved && saved.path === location.pathname && !document.querySelector("[data-error-summary]")) {
      var again = saved.action && form.querySelector('button[name=action][value="' + saved.action + '"]:not([disabled])');
      var target = again || (saved.action && saved.action.indexOf("add") === 0 ? document.getElementById("add") : null);
      if (target) { target.focus({ preventScroll: true }); }
      window.scrollTo(0, saved.y);
    }
  } catch (e) { /* storage may be unavailable: the page still works */ }
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || button.value === "submit") { return; }
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ path: location.pathname, y: window.scrollY, action: button.value }));
    } catch (e) { /* ignore */ }
  });

  var picker = document.getElementById("add");
  var search = document.getElementById("id_q");
  var count = document.getElementById("eligible-count");
  var testLanguage = document.getElementById("id_test_language");
  var foreign = document.getElementById("id_foreign_language");
  if (!picker || !count) { return; }
  function fits(option) {
    var text = (search && search.value || "").trim().toLowerCase();
    if (text && option.textContent.toLowerCase().indexOf(text) < 0) { return false; }
    var lang = testLanguage ? testLanguage.value : "ka";
    if (lang && lang !== "ka" && option.dataset.framework !== "1") { return false; }
    var wanted = option.dataset.foreign || "any";
    var chosen = foreign ? foreign.value : "";
    if (chosen && wanted !== "any" && wanted !== chosen) { return false; }
    if (lang === "ru" && wanted === "ru") { return false; }
    return true;
  }
  function update() {
    var n = 0;
    Array.prototype.forEach.call(picker.options, function (option) {
      var ok = fits(option);
      option.hidden = !ok;
      option.disabled = !ok;
      if (ok) { n += 1; }
    });
    if (picker.selectedOptions.length && picker.selectedOptions[0].disabled) {
      var first = Array.prototype.find.call(picker.options, function (o) { return !o.disabled; });
      picker.value = first ? first.value : "";
    }
    count.textContent = (n === 1 ? count.dataset.one : count.dataset.many).replace("__N__", n);
  }
  [search, testLanguage, foreign].forEach(function (el) {
    if (el) { el.addEventListener(el === search ? "input" : "change", update); }
  });
})();
// Enter in the search box searches (not the form's first button, which moves a programme).
(function () {
  var search = document.getElementById("id_q");
  var button = document.querySelector('button[name=action][value="filter"]');
  if (search && button) {
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); button.click(); }
    });
  }
})();
