// The contacts page's CSV import: the upload sent with XMLHttpRequest, whose upload
// progress fetch (and so htmx) cannot report, then the report shown in place.
(function () {
  "use strict";

  function cookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie.split("; ")) {
      if (part.startsWith(prefix)) return decodeURIComponent(part.slice(prefix.length));
    }
    return "";
  }

  function showReport(html) {
    const report = document.getElementById("import-report");
    if (report) report.outerHTML = html;
  }

  function refusal(text) {
    const box = document.createElement("div");
    box.id = "import-report";
    const alert = document.createElement("p");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    alert.textContent = "The file was not imported: " + text;
    box.appendChild(alert);
    return box.outerHTML;
  }

  // The table shows the imported contacts, for the search as it stands.
  function refreshTable() {
    const search = document.getElementById("contact-search");
    if (!search || !window.htmx) return;
    const query = new URLSearchParams(new FormData(search)).toString();
    window.htmx.ajax("GET", search.action + (query ? "?" + query : ""),
      { target: "#contacts", swap: "outerHTML" });
  }

  function upload(form) {
    const input = form.querySelector("input[type=file]");
    const file = input.files[0];
    const status = document.getElementById("import-status");
    const bar = document.getElementById("import-progress");
    const percent = document.getElementById("import-percent");
    const button = form.querySelector("button[type=submit]");
    const limit = Number(form.dataset.maxBytes || 0);
    if (!file) return;
    if (limit && file.size > limit) {
      showReport(refusal("the file is larger than " + Math.round(limit / 1048576) +
        " MB: split it into parts."));
      return;
    }

    const data = new FormData(form);
    data.set("csrf_token", cookie("csrf_access_token"));
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("HX-Request", "true");
    request.setRequestHeader("X-CSRF-TOKEN", cookie("csrf_access_token"));
    request.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      const done = Math.round((event.loaded / event.total) * 100);
      bar.value = done;
      percent.textContent = done + "%";
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      percent.textContent = "100%, importing…";
    });
    request.addEventListener("load", function () {
      const redirect = request.getResponseHeader("HX-Redirect");
      if (redirect) { window.location.assign(redirect); return; }
      if (request.getResponseHeader("HX-Refresh")) { window.location.reload(); return; }
      showReport(request.status === 200 || request.status === 413 || request.status === 422
        ? request.responseText
        : refusal("the server answered " + request.status + ". Try again."));
      if (request.status === 200) {
        form.reset();
        refreshTable();
      }
    });
    request.addEventListener("error", function () {
      showReport(refusal("the connection was lost. Try again."));
    });
    request.addEventListener("loadend", function () {
      status.hidden = true;
      button.disabled = false;
    });
    bar.value = 0;
    percent.textContent = "0%";
    status.hidden = false;
    button.disabled = true;
    request.send(data);
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.id !== "import-form" || !window.FormData) return;
    event.preventDefault();
    upload(form);
  });
})();
