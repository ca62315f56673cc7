// Polls the job's JSON and updates the progress bar; reloads the page when the job ends.
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.running !== "1") return;
  var bar = document.getElementById("job-progress");
  var done = document.getElementById("job-done");
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.total) { bar.value = j.done; if (done) done.textContent = j.done; }
        if (j.status === "done" || j.status === "failed") { window.location.reload(); }
        else { setTimeout(poll, 1000); }
      }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
