// Small progressive enhancements; every page works without this file.

// Where this file is served from: the vendored libraries sit beside it (static/vendor/).
const STATIC_ROOT = new URL("..", document.currentScript.src);

// Long multiple <select>s (languages, countries, themes) become searchable lists: type to
// filter, chosen values shown as removable chips. Tom Select (static/vendor/tom-select) is
// loaded only on pages that have one; without JavaScript the native control and its "Hold
// Ctrl" hint stay. The field's label, hint and error keep pointing at the new control.
function enhanceMultiSelects() {
  const selects = document.querySelectorAll("select[multiple][data-searchable]");
  if (!selects.length) return;
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("vendor/tom-select/tom-select.default.min.css", STATIC_ROOT).href;
  document.head.append(css);
  const script = document.createElement("script");
  script.src = new URL("vendor/tom-select/tom-select.popular.min.js", STATIC_ROOT).href;
  script.addEventListener("load", () => selects.forEach((select) => {
    const data = select.dataset;
    const described = select.getAttribute("aria-describedby");
    const ts = new window.TomSelect(select, {
      plugins: { remove_button: { title: data.removeLabel, label: "×" } },
      maxOptions: null,
      hidePlaceholder: false,  // true would take the search box out of the flow on blur: the page jumps
      placeholder: data.placeholder,
      closeAfterSelect: false,
      render: { no_results: () => { const div = document.createElement("div"); div.className = "no-results"; div.textContent = data.noResults; return div; } },
    });
    // The hint loses its Ctrl sentence; a hint that said only that goes.
    const hint = described && document.getElementById(described);
    if (hint) {
      hint.querySelectorAll(".multiselect-hint").forEach((el) => el.remove());
      if (hint.textContent.trim()) ts.control_input.setAttribute("aria-describedby", described);
      else hint.remove();
    }
    if (select.getAttribute("aria-invalid")) ts.control_input.setAttribute("aria-invalid", "true");
    // The hidden native control keeps a name for assistive technology (its label now points
    // at the search field).
    const label = document.querySelector(`label[for="${CSS.escape(ts.control_input.id)}"]`);
    if (label) select.setAttribute("aria-labelledby", label.id);
  }));
  document.head.append(script);
}
document.addEventListener("DOMContentLoaded", () => {
  enhanceMultiSelects();
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

// A second click on a form's button while its first submission is on its way sends nothing more
// (a double click posted a mentoring message twice). Forms that open another tab, and htmx
// previews, are left alone; the guard lifts after a few seconds (a download keeps the page) and
// when the page comes back from the back/forward cache. The server refuses duplicates too.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.method.toLowerCase() !== "post") return;
  if ((form.target && form.target !== "_self") || event.submitter?.hasAttribute("hx-post")) return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
  setTimeout(() => { delete form.dataset.sending; }, 8000);
});
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-sending]").forEach((form) => { delete form.dataset.sending; });
});

// Browsers that cannot style a closed <details>' content (no ::details-content) would keep the
// header menu folded on wide screens: open it there.
if (!CSS.supports("selector(::details-content)") && window.matchMedia("(min-width: 48.0625rem)").matches) {
  document.querySelectorAll(".nav-menu").forEach((menu) => { menu.open = true; });
}
