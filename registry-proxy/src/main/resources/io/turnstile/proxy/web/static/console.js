// The vendor console's "Create a License": only the versions of the chosen application are shown
// and sent. The form works without it.
"use strict";

function showVersionsOf(select) {
  document.querySelectorAll(".versions[data-application]").forEach((box) => {
    const shown = box.dataset.application === select.value;
    box.hidden = !shown;
    box.querySelectorAll("input").forEach((input) => { input.disabled = !shown; });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const application = document.getElementById("application");
  if (application && document.getElementById("license-form")) {
    showVersionsOf(application);
    application.addEventListener("change", () => showVersionsOf(application));
  }
});
