// Renders the OpenAPI description with the vendored Swagger UI.
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("swagger");
  if (!el || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({ url: el.dataset.specUrl, domNode: el, deepLinking: true });
});
