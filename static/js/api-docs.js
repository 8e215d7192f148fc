// Renders the OpenAPI description with the vendored Swagger UI.
// deepLinking stays off: its anchors sit inside the operation buttons (nested interactive
// controls); the servers <select> gets the label Swagger UI leaves out.
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("swagger");
  if (!el || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: el.dataset.specUrl,
    domNode: el,
    deepLinking: false,
    onComplete: () => {
      el.querySelectorAll("select#servers, .servers select").forEach((select) => {
        // Swagger UI wraps it in an empty <label>, which names nothing.
        if (!select.getAttribute("aria-label")) {
          select.setAttribute("aria-label", el.dataset.serversLabel || "Servers");
        }
      });
    },
  });
});
