// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // The language switcher submits as soon as a language is picked.
  document.querySelectorAll(".language-switcher select").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
  // Buttons with data-confirm ask first.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
});
