// The proctor's QR scanner: the invitation's QR code holds a link ending in /invitation/<token>/.
// Uses the browser's BarcodeDetector where it exists, else jsQR on camera frames; the token then
// goes to the lookup form, exactly as if it had been typed. Without a camera the typed personal
// number works as before.
(function () {
  var start = document.getElementById("scan-start");
  var box = document.getElementById("scanner");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var form = document.getElementById("lookup");
  if (!start || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  start.hidden = false;
  var stream = null, canvas = document.createElement("canvas"), detector = null;
  if ("BarcodeDetector" in window) {
    try { detector = new window.BarcodeDetector({formats: ["qr_code"]}); } catch (e) { detector = null; }
  }
  function tokenOf(text) {
    var m = /\/invitation\/([A-Za-z0-9_-]+)\/?$/.exec(text || "");
    return m ? m[1] : null;
  }
  function found(text) {
    var token = tokenOf(text);
    if (!token) { status.textContent = status.dataset.wrong || "?"; return false; }
    stop();
    form.querySelector("[name=token]").value = token;
    form.querySelector("[name=personal_number]").value = "";
    form.submit();
    return true;
  }
  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    box.hidden = true;
  }
  function frame() {
    if (!stream) return;
    if (video.readyState < 2) { requestAnimationFrame(frame); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (!(codes.length && found(codes[0].rawValue))) requestAnimationFrame(frame);
      }).catch(function () { detector = null; requestAnimationFrame(frame); });
      return;
    }
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    var ctx = canvas.getContext("2d");
    ctx.drawImage(video, 0, 0);
    var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR ? window.jsQR(img.data, img.width, img.height) : null;
    if (!(code && found(code.data))) requestAnimationFrame(frame);
  }
  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (s) {
      stream = s; video.srcObject = s; box.hidden = false; video.play(); requestAnimationFrame(frame);
    }).catch(function () { status.textContent = status.dataset.camera; box.hidden = false; });
  });
  document.getElementById("scan-stop").addEventListener("click", stop);
})();
