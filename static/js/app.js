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

// Browsers that cannot style a closed <details>' content (no ::details-content) would keep the
// header menu folded on wide screens: open it there.
if (!CSS.supports("selector(::details-content)") && window.matchMedia("(min-width: 48.0625rem)").matches) {
  document.querySelectorAll(".nav-menu").forEach((menu) => { menu.open = true; });
}
