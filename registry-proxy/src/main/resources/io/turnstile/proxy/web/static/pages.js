// What every page of the console and the portal shares: copy buttons (the element named by
// data-copy, or the one just before the button) and confirmations of forms with data-confirm.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const target = button.dataset.copy ? document.getElementById(button.dataset.copy) : button.previousElementSibling;
  if (!target) return;
  const text = target.textContent;
  const done = () => { button.textContent = "Copied"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => select(target));
  } else {
    select(target);
  }
});

function select(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

