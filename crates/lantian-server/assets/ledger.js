// Lantian ledger forms: photo upload (the file's raw bytes, POSTed with fetch; the returned
// SHA-256 goes into the form's hidden `evidence` field) and GPS check-in (navigator.geolocation
// fills the form's `lat`/`lon`, recorded in the submit's note). No inline script (CSP).
(function () {
  "use strict";
  document.querySelectorAll("input[type=file][data-upload]").forEach(function (input) {
    input.addEventListener("change", function () {
      var form = input.closest("form");
      var out = form.querySelector("[data-uploaded]");
      var field = form.querySelector("input[name=evidence]");
      Array.prototype.forEach.call(input.files, function (file) {
        fetch(input.dataset.upload, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": input.dataset.csrf },
          body: file
        }).then(function (r) {
          return r.json().then(function (j) { if (!r.ok) { throw new Error(j.error ? j.error.message : r.status); } return j; });
        }).then(function (j) {
          field.value = field.value ? field.value + "," + j.hash : j.hash;
          out.textContent = out.dataset.ok + " " + field.value.split(",").length;
          out.dataset.done = "1";
        }).catch(function (e) { out.textContent = out.dataset.fail + ": " + e.message; });
      });
    });
  });
  document.querySelectorAll("[data-checkin]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var form = btn.closest("form");
      var out = form.querySelector("[data-gps-text]");
      if (!navigator.geolocation) { out.textContent = out.dataset.fail; return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("input[name=lat]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("input[name=lon]").value = pos.coords.longitude.toFixed(6);
        out.textContent = out.dataset.ok + " " + pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5);
        out.dataset.done = "1";
      }, function (e) { out.textContent = out.dataset.fail + ": " + e.message; }, { enableHighAccuracy: true, timeout: 15000 });
    });
  });
})();
